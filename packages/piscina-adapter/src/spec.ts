/**
 * A task's options compiled once (validated, defaults filled, demand computed, runtime env
 * checked) so that each submission only reads them.
 */
import {
  TaskOptionsError,
  compileDemand,
  mergeRuntimeEnv,
  resolveTaskOptions,
  resourceDemand,
  taskEnvVars,
} from '@taskfit/core';
import type {
  ErrorMatcher,
  PlacementGroupStrategy,
  ResolvedTaskOptions,
  ResourceRequest,
  RuntimeEnv,
  SchedulingStrategy,
  TaskOptions,
} from '@taskfit/core';
import { plain } from './ledger.js';
import { parseRetryBackoff } from './retry.js';
import type { RetryBackoff } from './retry.js';

let specSeq = 0;

/** Compiled, immutable view of one set of task options. */
export interface TaskSpec {
  /** Process-wide id (threads cache the static context per id). */
  readonly id: number;
  readonly resolved: ResolvedTaskOptions;
  /** Display name (the `name` option), or undefined to use the export name. */
  readonly name: string | undefined;
  readonly demand: Readonly<Record<string, number>>;
  /** The demand compiled to integer units once. */
  readonly request: ResourceRequest;
  readonly labelSelector: Readonly<Record<string, string>> | undefined;
  readonly strategy: SchedulingStrategy;
  /** Admission bucket: tasks with the same key have the same demand and strategy. */
  readonly key: string;
  readonly maxRetries: number;
  readonly retryExceptions: boolean | readonly ErrorMatcher[];
  readonly backoff: RetryBackoff | undefined;
  readonly maxCalls: number;
  readonly visible: boolean;
  readonly numReturns: number | 'streaming';
  /**
   * The effective runtime env (`envVars` not expanded yet): the inherited one (the pool's, or
   * the parent task's effective env) merged with the task's own by core's `mergeRuntimeEnv`.
   */
  readonly env: RuntimeEnv | undefined;
  /** The effective `envVars` (expanded per attempt). */
  readonly envVars: Readonly<Record<string, string>> | undefined;
  /**
   * The placement group this task's children that set no `schedulingStrategy` run in (its own
   * group when it runs in one with `captureChildTasks`, or the one it was captured into).
   */
  readonly capture: PlacementGroupStrategy | undefined;
  readonly gpu: boolean;
  /**
   * A task declared with options (the Ray model): it sets its attempt's environment (core's
   * `taskEnvVars`: envVars, CUDA_VISIBLE_DEVICES, OMP_NUM_THREADS) and may be cancelled while it
   * runs, so it runs alone on its thread. A bare Piscina `run()` is not isolated: it leaves the
   * thread's environment as the pool set it and may share a thread (`concurrentTasksPerWorker`).
   */
  readonly isolated: boolean;
}

function strategyKey(s: SchedulingStrategy): string {
  if (typeof s === 'string') return s;
  if (s.type === 'placementGroup') return `pg:${s.placementGroup.id}:${s.bundleIndex ?? -1}`;
  return JSON.stringify(s);
}

/** What a task inherits from the one that submitted it (a top-level task: from the pool). */
export interface Inherited {
  /** The submitter's effective runtime env (the pool's `runtimeEnv` for a top-level task). */
  readonly env: RuntimeEnv | undefined;
  /** The placement group the submitter captures its children into. */
  readonly capture: PlacementGroupStrategy | undefined;
}

/** What a top-level task of a pool without `runtimeEnv` inherits. */
export const NOTHING: Inherited = Object.freeze({ env: undefined, capture: undefined });

/**
 * Rejects runtime-env fields the thread executor cannot apply (everything but `envVars`), with
 * paths under `path` (`['runtimeEnv']` for a task's options).
 * @throws TaskOptionsError
 */
export function checkRuntimeEnv(env: RuntimeEnv | undefined, path: readonly string[]): void {
  if (env !== undefined) {
    const bad = Object.keys(env).filter((k) => k !== 'envVars' && env[k] !== undefined);
    if (bad.length > 0) {
      throw new TaskOptionsError(
        bad.map((k) => ({
          path: [...path, k],
          code: 'invalid_value' as const,
          message:
            k === 'workingDir'
              ? 'runtimeEnv.workingDir is not supported by the Piscina executor: worker threads cannot change directory (process.chdir is unavailable in threads); resolve paths against a directory you pass as an argument'
              : `runtimeEnv.${k} is not supported by the Piscina executor: only runtimeEnv.envVars can be applied per task`,
        })),
      );
    }
  }
}

function build(resolved: ResolvedTaskOptions, isolated: boolean, from: Inherited): TaskSpec {
  checkRuntimeEnv(resolved.runtimeEnv, ['runtimeEnv']);
  // Ray: a task that sets no runtime env runs in the one it inherits; one that sets it merges.
  const env =
    from.env === undefined ? resolved.runtimeEnv : mergeRuntimeEnv(from.env, resolved.runtimeEnv ?? undefined);
  const demand = plain(resourceDemand(resolved));
  // Ray: only a task that sets no strategy is captured; an explicit one ('DEFAULT' too) escapes.
  const strategy = resolved.schedulingStrategy ?? from.capture ?? 'DEFAULT';
  const capture =
    typeof strategy === 'object' && strategy.type === 'placementGroup' && strategy.captureChildTasks === true
      ? strategy.bundleIndex === undefined || strategy.bundleIndex === -1
        ? strategy
        : { type: 'placementGroup' as const, placementGroup: strategy.placementGroup, captureChildTasks: true }
      : undefined;
  const envVars = env?.envVars !== undefined && Object.keys(env.envVars).length > 0 ? env.envVars : undefined;
  const keys = Object.keys(demand).sort();
  return {
    id: ++specSeq,
    resolved,
    name: resolved.name,
    demand,
    request: compileDemand(demand),
    labelSelector: resolved.labelSelector,
    strategy,
    key: `${keys.map((k) => `${k}=${demand[k]}`).join(',')}|${strategyKey(strategy)}|${resolved.labelSelector === undefined ? '' : JSON.stringify(resolved.labelSelector)}`,
    maxRetries: resolved.maxRetries,
    retryExceptions: resolved.retryExceptions,
    backoff: parseRetryBackoff(resolved._metadata),
    maxCalls: resolved.maxCalls,
    visible: resolved.enableTaskEvents,
    numReturns: resolved.numReturns,
    env,
    envVars,
    capture,
    gpu: (demand.GPU ?? 0) > 0,
    isolated,
  };
}

/**
 * Compiles task options, for a task that inherits `from` (the pool's runtime env for a top-level
 * task; a child task inherits its parent's effective env and placement-group capture).
 * Everything but `runtimeEnv.envVars` in a runtime env is rejected: worker threads share one
 * process, so a working directory, packages or containers cannot be applied per task (and
 * `process.chdir()` is not allowed in worker threads).
 * @throws TaskOptionsError
 */
export function compileSpec(options: TaskOptions, from: Inherited = NOTHING): TaskSpec {
  return build(resolveTaskOptions(options), true, from);
}

/** What the children of a task with `spec` inherit. */
export function inheritedFrom(spec: TaskSpec): Inherited {
  return spec.env === undefined && spec.capture === undefined ? NOTHING : { env: spec.env, capture: spec.capture };
}

/**
 * The spec of a bare Piscina `run()` (no task options): Piscina's semantics — one attempt, the
 * thread's environment untouched, may share a thread. It holds `1 / concurrentTasksPerWorker`
 * CPU: tasks that share a thread share its CPU, as concurrent calls of a Ray async actor do.
 */
export function bareSpec(concurrentTasksPerWorker: number, from: Inherited = NOTHING): TaskSpec {
  const numCpus = Math.round(10_000 / concurrentTasksPerWorker) / 10_000;
  return build(resolveTaskOptions({ numCpus, maxRetries: 0 }), false, from);
}

/**
 * The environment variables one attempt sets on its thread (core's `taskEnvVars` over the
 * thread's starting environment `baseEnv`), or undefined for a bare task.
 */
export function attemptEnv(
  spec: TaskSpec,
  visibleDevices: readonly string[],
  baseEnv: Readonly<Record<string, string | undefined>>,
): Record<string, string> | undefined {
  if (!spec.isolated) return undefined;
  return taskEnvVars(
    {
      envVars: spec.envVars,
      numCpus: spec.resolved.numCpus,
      visibleDevices: spec.gpu ? visibleDevices : undefined,
    },
    baseEnv,
  );
}

/**
 * A task's options compiled once (validated, defaults filled, demand computed, runtime env
 * checked) so that each submission only reads them.
 */
import { TaskOptionsError, compileDemand, expandEnvVars, resolveTaskOptions, resourceDemand } from '@taskfit/core';
import type {
  ErrorMatcher,
  ResolvedTaskOptions,
  ResourceRequest,
  SchedulingStrategy,
  TaskOptions,
} from '@taskfit/core';
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
  /** `runtimeEnv.envVars` as written (expanded at each submission). */
  readonly envVars: Readonly<Record<string, string>> | undefined;
  /** Whether any envVars value contains `$` (needs expansion). */
  readonly expand: boolean;
  readonly gpu: boolean;
}

function strategyKey(s: SchedulingStrategy): string {
  if (typeof s === 'string') return s;
  if (s.type === 'placementGroup') return `pg:${s.placementGroup.id}:${s.bundleIndex ?? -1}`;
  return JSON.stringify(s);
}

/**
 * Compiles options. Everything but `runtimeEnv.envVars` in a runtime env is rejected: worker
 * threads share one process, so a working directory, packages or containers cannot be applied
 * per task (and `process.chdir()` is not allowed in worker threads).
 * @throws TaskOptionsError
 */
export function compileSpec(options: TaskOptions): TaskSpec {
  const resolved = resolveTaskOptions(options);
  const env = resolved.runtimeEnv;
  if (env !== undefined) {
    const bad = Object.keys(env).filter((k) => k !== 'envVars' && env[k] !== undefined);
    if (bad.length > 0) {
      throw new TaskOptionsError(
        bad.map((k) => ({
          path: ['runtimeEnv', k],
          code: 'invalid_value' as const,
          message:
            k === 'workingDir'
              ? 'runtimeEnv.workingDir is not supported by the Piscina executor: worker threads cannot change directory (process.chdir is unavailable in threads); resolve paths against a directory you pass as an argument'
              : `runtimeEnv.${k} is not supported by the Piscina executor: only runtimeEnv.envVars can be applied per task`,
        })),
      );
    }
  }
  const demand = resourceDemand(resolved);
  const strategy = resolved.schedulingStrategy;
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
    envVars,
    expand: envVars !== undefined && Object.values(envVars).some((v) => v.includes('$')),
    gpu: (demand.GPU ?? 0) > 0,
  };
}

/** The environment variables of one attempt: expanded envVars plus CUDA_VISIBLE_DEVICES for GPU tasks. */
export function attemptEnv(spec: TaskSpec, visibleDevices: readonly string[]): Record<string, string> | undefined {
  if (spec.envVars === undefined && !spec.gpu) return undefined;
  const out: Record<string, string> = {};
  if (spec.envVars !== undefined) {
    for (const k of Object.keys(spec.envVars)) {
      const v = spec.envVars[k]!;
      out[k] = spec.expand ? expandEnvVars(v, process.env) : v;
    }
  }
  if (spec.gpu) out.CUDA_VISIBLE_DEVICES = visibleDevices.join(',');
  return out;
}

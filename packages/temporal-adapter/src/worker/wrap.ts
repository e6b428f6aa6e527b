/**
 * The activity wrapper: unwraps the task envelope, claims the slot's allocation, applies the
 * runtime env and GPU ids (through the task context), heartbeats, mirrors task events and
 * converts errors per `retryExceptions`.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import {
  TaskCancelledError,
  TaskError,
  WorkerCrashedError,
  errorTypeChain,
  expandEnvVars,
  matchesRetryExceptions,
} from '@taskfit/core';
import type { Allocation, TaskOptions, TaskState } from '@taskfit/core';
import type { ObjectRef, TaskPool } from '@taskfit/piscina-adapter';
import { decodeTaskEnvelope } from '../shared/envelope.js';
import type { TaskWireOptions } from '../shared/envelope.js';
import { NUM_RETURNS_MISMATCH } from '../shared/failures.js';
import type { TaskFailureDetails } from '../shared/failures.js';
import { runWithTaskContext } from './context.js';
import type { TaskContext } from './context.js';
import type { ClassSlots } from './class-slots.js';

/** One task event mirrored from the Temporal side (same states as the local pool). */
export interface TaskEvent {
  /** `<workflowId>/<runId>/<activityId>`. */
  taskId: string;
  /** The task's `name` option, if set. */
  name: string | undefined;
  activityType: string;
  /** 0 for the first attempt (Temporal's `attempt` − 1). */
  attempt: number;
  state: TaskState;
  /** Milliseconds since the epoch. */
  timestamp: number;
  nodeId: string;
  taskQueue: string;
  /** Class name of the failure, on `FAILED` events. */
  errorType?: string;
  /** The failure's message, on `FAILED` events. */
  errorMessage?: string;
  /**
   * On `FAILED` events: whether the retry policy lets Temporal schedule another attempt (the
   * error is retryable and attempts are left). The server may still give up (e.g. at
   * `scheduleToCloseTimeout`), and the next attempt may run on another machine.
   */
  retrying?: boolean;
  /** The workflow that scheduled the activity (for links to the Temporal Web UI). */
  workflowId?: string;
  /** Its run id. */
  runId?: string;
  /** The Temporal namespace. */
  namespace?: string;
  /** The activity id within the workflow. */
  activityId?: string;
  /** Resources reserved for the attempt (from SUBMITTED_TO_WORKER on). */
  resources?: Readonly<Record<string, number>>;
  /** GPU ids assigned to the attempt (from SUBMITTED_TO_WORKER on, GPU tasks only). */
  gpuIds?: readonly number[] | readonly string[];
}

/** @internal */
export interface WrapContext {
  nodeId: string;
  /** Run activity bodies in this pool (by export name) instead of inline. */
  pool: TaskPool | undefined;
  classForQueue(queue: string): ClassSlots | undefined;
  emit(event: TaskEvent): void;
}

function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ActivityFn = (...args: any[]) => unknown;

function defaultWire(demand: Readonly<Record<string, number>>): TaskWireOptions {
  return {
    v: 1,
    demand: { ...demand },
    numReturns: 1,
    maxRetries: 3,
    retryExceptions: false,
    enableTaskEvents: true,
    maxCalls: 0,
  };
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return typeof err === 'string' ? err : JSON.stringify(err);
  } catch {
    return String(err);
  }
}

/** @internal Wraps one activity function. */
export function wrapActivity(activityType: string, fn: ActivityFn, wc: WrapContext): ActivityFn {
  const wrapped = async (...input: unknown[]): Promise<unknown> => {
    const actx = Context.current();
    const info = actx.info;
    const slots = wc.classForQueue(info.taskQueue);
    const decoded = decodeTaskEnvelope(input);
    const wire = decoded?.options ?? defaultWire(slots?.demand ?? {});
    const args = decoded?.args ?? input;
    const attempt = info.attempt - 1;
    const taskId = `${info.workflowExecution?.workflowId ?? '-'}/${info.workflowExecution?.runId ?? '-'}/${info.activityId}`;
    const ids: Partial<TaskEvent> = { namespace: info.activityNamespace, activityId: info.activityId };
    if (info.workflowExecution !== undefined) {
      ids.workflowId = info.workflowExecution.workflowId;
      ids.runId = info.workflowExecution.runId;
    }
    const held: Partial<TaskEvent> = {};
    const emit = (state: TaskState, timestamp: number, errorType?: string, more?: Partial<TaskEvent>): void => {
      if (!wire.enableTaskEvents) return;
      const ev: TaskEvent = {
        taskId,
        name: wire.name,
        activityType,
        attempt,
        state,
        timestamp,
        nodeId: wc.nodeId,
        taskQueue: info.taskQueue,
      };
      if (errorType !== undefined) ev.errorType = errorType;
      Object.assign(ev, ids, held, more);
      wc.emit(ev);
    };
    const scheduled = Math.min(info.currentAttemptScheduledTimestampMs, Date.now());
    emit('PENDING_NODE_ASSIGNMENT', scheduled);

    let allocation: Allocation | undefined;
    if (slots !== undefined) allocation = await slots.claim();
    const hbMs =
      info.heartbeatTimeoutMs !== undefined && info.heartbeatTimeoutMs > 0
        ? Math.max(50, info.heartbeatTimeoutMs / 4)
        : 5_000;
    const heartbeat = setInterval(() => actx.heartbeat(), hbMs);
    if (allocation !== undefined) {
      held.resources = allocation.resources;
      if ((wire.demand['GPU'] ?? 0) > 0) held.gpuIds = allocation.gpuIds;
    }
    try {
      emit('SUBMITTED_TO_WORKER', Date.now());
      const envVars: Record<string, string> = {};
      for (const [k, v] of Object.entries(wire.envVars ?? {})) envVars[k] = expandEnvVars(v, process.env);
      const gpuIds = allocation === undefined ? [] : [...allocation.gpuIds];
      if ((wire.demand['GPU'] ?? 0) > 0 && allocation !== undefined)
        envVars['CUDA_VISIBLE_DEVICES'] = allocation.visibleDevices.join(',');
      const tctx: TaskContext = {
        taskId,
        name: wire.name,
        activityType,
        attempt,
        nodeId: wc.nodeId,
        taskQueue: info.taskQueue,
        resources: allocation?.resources ?? {},
        gpuIds,
        envVars,
        // Built on first read: copying process.env costs more than a no-op activity.
        get env() {
          const env: Record<string, string> = {};
          for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
          return Object.assign(env, envVars);
        },
        signal: actx.cancellationSignal,
      };
      emit('RUNNING', Date.now());
      let result: unknown;
      try {
        result =
          wc.pool === undefined
            ? await runWithTaskContext(tctx, () => fn(...args))
            : await runInPool(wc.pool, activityType, wire, args, actx.cancellationSignal);
      } catch (err) {
        throw convertError(err, wire, info.attempt, actx.cancellationSignal);
      }
      if (wire.numReturns > 1 && (!Array.isArray(result) || result.length !== wire.numReturns)) {
        throw ApplicationFailure.create({
          type: NUM_RETURNS_MISMATCH,
          nonRetryable: true,
          message: `${activityType} has numReturns ${wire.numReturns} and must return an array of ${wire.numReturns} values, got ${Array.isArray(result) ? `an array of ${result.length}` : typeof result}`,
          details: [
            {
              typeChain: [NUM_RETURNS_MISMATCH, 'Error'],
              errorName: NUM_RETURNS_MISMATCH,
              attempt: info.attempt,
            } satisfies TaskFailureDetails,
          ],
        });
      }
      emit('FINISHED', Date.now());
      return wire.numReturns === 0 ? undefined : result;
    } catch (err) {
      const type =
        err instanceof ApplicationFailure
          ? (err.type ?? 'Error')
          : err instanceof CancelledFailure || isAbortError(err)
            ? 'TaskCancelledError'
            : errorTypeChain(err)[0];
      const nonRetryable = err instanceof ApplicationFailure ? err.nonRetryable : type === 'TaskCancelledError';
      emit('FAILED', Date.now(), type, {
        errorMessage: messageOf(err),
        retrying: !nonRetryable && (wire.maxRetries === -1 || attempt < wire.maxRetries),
      });
      throw err;
    } finally {
      clearInterval(heartbeat);
      if (allocation !== undefined) slots?.done(allocation);
    }
  };
  Object.defineProperty(wrapped, 'name', { value: activityType });
  return wrapped;
}

/** The task options of a pool run with the same demand (retries stay with Temporal). */
function poolOptions(wire: TaskWireOptions): TaskOptions {
  const opts: TaskOptions = { numCpus: 0, maxRetries: 0, enableTaskEvents: false, maxCalls: wire.maxCalls };
  const resources: Record<string, number> = {};
  for (const [k, q] of Object.entries(wire.demand)) {
    if (k === 'CPU') opts.numCpus = q;
    else if (k === 'GPU') opts.numGpus = q;
    else if (k === 'memory') opts.memory = q;
    else if (k.startsWith('accelerator_type:')) opts.acceleratorType = k.slice('accelerator_type:'.length);
    else if (!k.startsWith('node:')) resources[k] = q;
  }
  if (Object.keys(resources).length > 0) opts.resources = resources;
  if (wire.envVars !== undefined) opts.runtimeEnv = { envVars: wire.envVars };
  if (wire.name !== undefined) opts.name = wire.name;
  return opts;
}

async function runInPool(
  pool: TaskPool,
  exportName: string,
  wire: TaskWireOptions,
  args: unknown[],
  signal: AbortSignal,
): Promise<unknown> {
  const ref = pool.remote(exportName, poolOptions(wire)).remote(...args) as ObjectRef;
  const onAbort = (): void => {
    ref.cancel('the Temporal activity was cancelled');
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await ref;
  } catch (err) {
    if (err instanceof TaskCancelledError && signal.aborted) throw signal.reason;
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * An application error → `ApplicationFailure` with the thrown class's name as `type`,
 * retryable only when `retryExceptions` allows it; a crashed pool thread → a retryable
 * `WorkerCrashedError` failure (a system failure); cancellation passes through unchanged.
 */
function convertError(err: unknown, wire: TaskWireOptions, attempt: number, signal: AbortSignal): unknown {
  if (signal.aborted && (err instanceof CancelledFailure || isAbortError(err))) return err;
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof WorkerCrashedError) {
    return ApplicationFailure.create({
      type: 'WorkerCrashedError',
      message: err.message,
      nonRetryable: false,
      details: [
        {
          typeChain: ['WorkerCrashedError', 'Error'],
          errorName: 'WorkerCrashedError',
          attempt,
          kind: err.kind,
        } satisfies TaskFailureDetails,
      ],
      cause: err,
    });
  }
  let typeChain: string[];
  let type: string;
  let errorName: string;
  let message: string;
  if (err instanceof TaskError) {
    // From the pool: the thrown error's class name and chain, reconstructed across the thread.
    typeChain = [...err.typeChain];
    type = err.errorType;
    errorName = err.errorType;
    message = err.cause instanceof Error ? err.cause.message : err.message;
  } else {
    typeChain = errorTypeChain(err);
    const ctorName =
      typeof err === 'object' && err !== null
        ? (err as { constructor?: { name?: unknown } }).constructor?.name
        : undefined;
    type =
      typeof ctorName === 'string' && ctorName !== '' && ctorName !== 'Object' ? ctorName : (typeChain[0] ?? 'Error');
    errorName = err instanceof Error ? err.name : type;
    message = messageOf(err);
  }
  const retryable = matchesRetryExceptions(wire.retryExceptions, err);
  const opts: Parameters<typeof ApplicationFailure.create>[0] = {
    type,
    message,
    nonRetryable: !retryable,
    details: [{ typeChain, errorName, attempt } satisfies TaskFailureDetails],
  };
  if (err instanceof Error) opts.cause = err;
  return ApplicationFailure.create(opts);
}

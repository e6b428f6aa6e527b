/**
 * Converts Temporal's failure of a task (an `ActivityFailure`, possibly inside a
 * `WorkflowFailedError`) into the executor-neutral errors of `@taskfit/core`. Sandbox-safe.
 */
import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure } from '@temporalio/common';
import { InfeasibleTaskError, TaskCancelledError, TaskError, WorkerCrashedError } from '@taskfit/core';
import type { SystemFailureKind, TaskFailure } from '@taskfit/core';
import { TaskTimeoutError } from './errors.js';
import type { TaskTimeoutType } from './errors.js';
import { timeoutMeaning } from './timeouts.js';

/** What the worker's wrapper (or `remoteActivity` for a timeout) puts in `ApplicationFailure.details[0]`. */
export interface TaskFailureDetails {
  /** The thrown error's prototype chain (`['HttpError', 'Error']`). */
  typeChain: string[];
  /** The thrown error's `name`. */
  errorName: string;
  /** 1-based Temporal attempt that threw; for a timeout, the attempts that ran (0 if none started). */
  attempt: number;
  /** For a `WorkerCrashedError` (a pool thread died, or the worker stopped heartbeating): why. */
  kind?: SystemFailureKind;
  /** For a timeout: which. */
  timeoutType?: TaskTimeoutType;
  /** For a timeout: the task queue the task was routed to. */
  taskQueue?: string;
}

/** Type of the failure the wrapper throws when a result does not match `numReturns`. */
export const NUM_RETURNS_MISMATCH = 'NumReturnsMismatchError';

function findActivityFailure(err: unknown): ActivityFailure | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 10 && typeof cur === 'object' && cur !== null; i++) {
    if (cur instanceof ActivityFailure) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function isDetails(v: unknown): v is TaskFailureDetails {
  return typeof v === 'object' && v !== null && Array.isArray((v as TaskFailureDetails).typeChain);
}

/**
 * The `@taskfit/core` error for a failed task, or `undefined` when `err` holds no activity failure:
 * - `TaskError`: the activity threw (the thrown class's name as `errorType`, its `typeChain`,
 *   and the attempts made);
 * - `WorkerCrashedError`: a worker was lost — a `TaskPool` thread died (`kind` from the pool),
 *   or the worker stopped heartbeating (a `HEARTBEAT` timeout; `kind: 'worker_lost'`);
 * - {@link TaskTimeoutError}: any other timeout, naming it (`timeoutType`);
 * - `InfeasibleTaskError`: hard node affinity with `failOnUnavailable` found no such node in time;
 * - `TaskCancelledError`.
 *
 * Failures of `remoteActivity` calls carry what the workflow knew (class, queue, retry budget),
 * so their messages name the class and `attempts` is exact where Temporal allows; a bare
 * timeout of a plain `proxyActivities` call is mapped by the same rule with less to go on.
 */
export function toTaskFailure(err: unknown): TaskFailure | undefined {
  const af = findActivityFailure(err);
  if (af === undefined) return undefined;
  const taskId = af.activityId ?? 'unknown';
  const cause = af.cause;
  if (cause instanceof ApplicationFailure) {
    const d = isDetails(cause.details?.[0]) ? (cause.details[0] as TaskFailureDetails) : undefined;
    const typeChain = d?.typeChain ?? [cause.type ?? 'Error'];
    const attempts = d?.attempt ?? 1;
    const opts = { cause: err };
    switch (cause.type) {
      case 'WorkerCrashedError':
        return new WorkerCrashedError(taskId, attempts, d?.kind ?? 'worker_exit', cause.message, opts);
      case 'TaskTimeoutError':
        if (d?.timeoutType !== undefined)
          return new TaskTimeoutError(taskId, attempts, d.timeoutType, cause.message, {
            ...opts,
            taskQueue: d.taskQueue,
          });
        break;
      case 'InfeasibleTaskError':
        if (d?.timeoutType !== undefined) return new InfeasibleTaskError(taskId, cause.message);
        break;
    }
    return new TaskError(taskId, attempts, cause.type ?? 'Error', typeChain, cause.message, opts);
  }
  if (cause instanceof TimeoutFailure) {
    const m = timeoutMeaning(cause.timeoutType, af.retryState);
    return m.type === 'WorkerCrashedError'
      ? new WorkerCrashedError(taskId, m.attempts, 'worker_lost', m.message, { cause: err })
      : new TaskTimeoutError(taskId, m.attempts, m.timeoutType, m.message, { cause: err });
  }
  if (cause instanceof CancelledFailure) return new TaskCancelledError(taskId, 0, cause.message, { cause: err });
  return new TaskError(taskId, 1, cause?.name ?? 'Error', [cause?.name ?? 'Error'], cause?.message ?? af.message, {
    cause: err,
  });
}

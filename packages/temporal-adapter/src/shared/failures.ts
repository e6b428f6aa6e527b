/**
 * Converts Temporal's failure of a task (an `ActivityFailure`, possibly inside a
 * `WorkflowFailedError`) into the executor-neutral errors of `@taskfit/core`. Sandbox-safe.
 */
import { ActivityFailure, ApplicationFailure, CancelledFailure, TimeoutFailure } from '@temporalio/common';
import { TaskCancelledError, TaskError, WorkerCrashedError } from '@taskfit/core';
import type { SystemFailureKind, TaskFailure } from '@taskfit/core';

/** What the worker's wrapper puts in `ApplicationFailure.details[0]`. */
export interface TaskFailureDetails {
  /** The thrown error's prototype chain (`['HttpError', 'Error']`). */
  typeChain: string[];
  /** The thrown error's `name`. */
  errorName: string;
  /** 1-based Temporal attempt that threw. */
  attempt: number;
  /** For a `WorkerCrashedError` (a pool thread died): why. */
  kind?: SystemFailureKind;
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
 * The `@taskfit/core` error for a failed task: `TaskError` (application error, with the thrown
 * class's name as `errorType`, its `typeChain`, and the attempts made), `WorkerCrashedError`
 * (timeouts: the worker died or hung), `TaskCancelledError`; `undefined` when `err` holds no
 * activity failure.
 */
export function toTaskFailure(err: unknown): TaskFailure | undefined {
  const af = findActivityFailure(err);
  if (af === undefined) return undefined;
  const taskId = af.activityId ?? 'unknown';
  const cause = af.cause;
  if (cause instanceof ApplicationFailure) {
    const d = cause.details?.[0];
    const typeChain = isDetails(d) ? d.typeChain : [cause.type ?? 'Error'];
    const attempts = isDetails(d) ? d.attempt : 1;
    if (cause.type === 'WorkerCrashedError') {
      return new WorkerCrashedError(
        taskId,
        attempts,
        (isDetails(d) ? d.kind : undefined) ?? 'worker_exit',
        cause.message,
        {
          cause: err,
        },
      );
    }
    return new TaskError(taskId, attempts, cause.type ?? 'Error', typeChain, cause.message, { cause: err });
  }
  if (cause instanceof TimeoutFailure) {
    return new WorkerCrashedError(
      taskId,
      0,
      'timeout',
      `activity timed out (${String(cause.timeoutType)}): the worker died or stopped heartbeating`,
      {
        cause: err,
      },
    );
  }
  if (cause instanceof CancelledFailure) return new TaskCancelledError(taskId, 0, cause.message, { cause: err });
  return new TaskError(taskId, 1, cause?.name ?? 'Error', [cause?.name ?? 'Error'], cause?.message ?? af.message, {
    cause: err,
  });
}

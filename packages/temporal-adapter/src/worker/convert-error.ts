/**
 * What an activity's error becomes on its way to Temporal: an `ApplicationFailure` whose `type`
 * is the thrown class's name, retryable only when `retryExceptions` allows it; a crashed pool
 * thread becomes a retryable `WorkerCrashedError` failure (a system failure); cancellation
 * passes through unchanged.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { TaskError, WorkerCrashedError, errorTypeChain, matchesRetryExceptions } from '@taskfit/core';
import type { TaskWireOptions } from '../shared/envelope.js';
import type { TaskFailureDetails } from '../shared/failures.js';

/** Whether `err` is an abort (a cancelled reservation, fetch or pool task). */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/** A failure's message, whatever was thrown. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return typeof err === 'string' ? err : JSON.stringify(err);
  } catch {
    return String(err);
  }
}

/** The failure Temporal records for an attempt (1-based `attempt`) that threw `err`. */
export function convertError(err: unknown, wire: TaskWireOptions, attempt: number, signal: AbortSignal): unknown {
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

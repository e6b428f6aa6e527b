/**
 * How an attempt failed, and the error its caller gets. Piscina reports failures as whatever its
 * worker or thread produced; here they are sorted into application errors (thrown by the task,
 * serialised by the wrapper worker), system failures (the thread died, ran out of memory or was
 * terminated: retried up to `maxRetries`) and cancellations (an abort TaskPool asked for).
 *
 * `run()` is Piscina's API, so its rejections keep Piscina's messages (the thrown error's own
 * message, `'The task has been aborted'` with the abort reason as `cause`, Piscina's thread-failure
 * texts) while being taskfit's typed errors; `remote()` refs keep core's messages.
 */
import { TaskCancelledError, TaskError, WorkerCrashedError, matchesRetryExceptions } from '@taskfit/core';
import type { SystemFailureKind } from '@taskfit/core';
import { Api } from './task.js';
import type { Task } from './task.js';
import { isWireError, reviveError } from './wire.js';
import type { WireError } from './wire.js';

/** Why an attempt failed, classified. */
export type Failure =
  | { readonly system: SystemFailureKind; readonly message: string; readonly cause: unknown }
  | { readonly app: WireError; readonly cause: Error }
  | { readonly aborted: true; readonly cause: unknown };

/** Piscina's texts (src/errors.ts, src/abort.ts). */
export const PiscinaText = {
  aborted: 'The task has been aborted',
  terminating: 'Terminating worker thread',
  noFilename: 'filename must be provided to run() or in options object',
  queueAtLimit: 'Task queue is at limit',
  noQueue: 'No task queue available and all Workers are busy',
  closeTimeout: 'Close operation timed out',
} as const;

const UNSENDABLE_RESULT =
  'the worker thread died while sending the task result back: most often the result could not be structured-cloned (functions, symbols, WeakMaps, WeakRefs and Promises cannot cross threads)';

/** Classifies what a Piscina run rejected with. */
export function classify(err: unknown): Failure {
  if (isWireError(err)) return { app: err, cause: reviveError(err) };
  const e = err as { message?: unknown; code?: unknown; name?: unknown } | null;
  if (e !== null && typeof e === 'object' && e.name === 'AbortError' && e.message === PiscinaText.aborted)
    return { aborted: true, cause: (err as { cause?: unknown }).cause };
  const message = typeof e?.message === 'string' ? e.message : undefined;
  if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY') return { system: 'out_of_memory', message: message!, cause: err };
  if (message?.startsWith('worker exited with code')) return { system: 'worker_exit', message, cause: err };
  if (message === PiscinaText.terminating) return { system: 'terminated', message, cause: err };
  if (e !== null && typeof e === 'object' && e.name === 'DataCloneError') {
    // postMessage refused the task's arguments on this thread: nothing ran, and retrying cannot help.
    const w = appError('DataCloneError', `the task's arguments could not be sent to a worker thread: ${message}`);
    return { app: w, cause: err instanceof Error ? err : reviveError(w) };
  }
  if (err instanceof Error) {
    // An uncaught exception that killed the thread while the task ran (Piscina rejects with it).
    return { system: 'worker_exit', message: message ?? String(err), cause: err };
  }
  // The thread died of something that could not even be reported (a DOMException arrives as {}).
  return { system: 'worker_exit', message: UNSENDABLE_RESULT, cause: err };
}

/** A wire error made on this side of the boundary. */
export function appError(name: string, message: string): WireError {
  return { __taskfitError: 1, name, typeChain: [name, 'Error'], message, stack: undefined, props: {} };
}

/** Replaces an error's message (and the first line of its stack). */
function withMessage<E extends Error>(e: E, message: string): E {
  const old = e.message;
  Object.defineProperty(e, 'message', { value: message, writable: true, configurable: true, enumerable: false });
  if (typeof e.stack === 'string') e.stack = e.stack.replace(`${e.name}: ${old}`, `${e.name}: ${message}`);
  return e;
}

/** The error for an application failure. */
export function taskError(
  taskId: string,
  attempts: number,
  f: { app: WireError; cause: Error },
  piscina: boolean,
): TaskError {
  const e = new TaskError(taskId, attempts, f.app.name, f.app.typeChain, f.app.message, { cause: f.cause });
  return piscina ? withMessage(e, f.app.message) : e;
}

/** The error for a system failure. */
export function crashError(
  taskId: string,
  attempts: number,
  f: { system: SystemFailureKind; message: string; cause: unknown },
  piscina: boolean,
): WorkerCrashedError {
  const e = new WorkerCrashedError(taskId, attempts, f.system, f.message, { cause: f.cause });
  return piscina ? withMessage(e, f.message) : e;
}

/**
 * The error for a cancelled task. For `run()`, Piscina's: message `'The task has been aborted'`
 * (or `'Terminating worker thread'` when the pool was destroyed) with `cause` the abort reason.
 */
export function cancelError(
  taskId: string,
  attempts: number,
  reason: string,
  cause: unknown,
  piscina: boolean,
  destroyed = false,
): TaskCancelledError {
  const e = new TaskCancelledError(taskId, attempts, reason, { cause });
  return piscina ? withMessage(e, destroyed ? PiscinaText.terminating : PiscinaText.aborted) : e;
}

/**
 * What a failed attempt of `t` means: the error its caller gets, its type (for the history and
 * `retryExceptions`), and whether the task is retried (a crash always may be, an application error
 * when `retryExceptions` lets it; up to `maxRetries`; a stream that already yielded items cannot be
 * replayed without duplicates; nothing is retried once the pool is destroyed).
 */
export function attemptFailed(
  t: Task,
  f: Exclude<Failure, { aborted: true }>,
  destroyed: boolean,
): { error: Error; errorType: string; retry: boolean } {
  const attempts = t.attempt + 1;
  const piscina = t.api === Api.Run;
  let error: Error;
  let errorType: string;
  let retryable: boolean;
  if ('system' in f) {
    error = crashError(t.id, attempts, f, piscina);
    errorType = 'WorkerCrashedError';
    retryable = true;
  } else {
    error = taskError(t.id, attempts, f, piscina);
    errorType = f.app.name;
    retryable = matchesRetryExceptions(t.spec.retryExceptions, { name: f.app.name, typeChain: f.app.typeChain });
  }
  const max = t.spec.maxRetries;
  const retry = retryable && (max === -1 || t.attempt < max) && t.streamed === 0 && !destroyed;
  return { error, errorType, retry };
}

/** The error of a task that returned other than an array of `numReturns` values (numReturns > 1), if it did. */
export function numReturnsMismatch(t: Task, value: unknown): TaskError | undefined {
  const n = t.spec.numReturns;
  if (typeof n !== 'number' || n <= 1 || (Array.isArray(value) && value.length === n)) return undefined;
  const got = Array.isArray(value) ? `an array of ${value.length}` : typeof value;
  const msg = `numReturns is ${n} but the task returned ${got}`;
  return new TaskError(t.id, t.attempt + 1, 'NumReturnsMismatchError', ['NumReturnsMismatchError', 'Error'], msg);
}

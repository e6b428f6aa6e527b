/**
 * What crosses a thread's control port: the channel a task's thread opens (once, lazily, on the
 * first child task it submits) to the main thread, for nested tasks. The thread sends child
 * submissions, awaits (the task is blocked), waits, cancels; the main thread sends child results,
 * stream items and wait outcomes. Messages travel in batches (arrays), one post per batch.
 *
 * Also the codec of the errors a child task fails with, so that the parent's thread rebuilds the
 * same typed error (`TaskError` with the child's `errorType` and `typeChain`,
 * `WorkerCrashedError`, `TaskCancelledError`, `InfeasibleTaskError`).
 */
import type { MessagePort } from 'node:worker_threads';
import { InfeasibleTaskError, TaskCancelledError, TaskError, WorkerCrashedError } from '@taskfit/core';
import type { SystemFailureKind } from '@taskfit/core';
import { reviveError, serialiseError } from './wire.js';
import type { CallMode, WireError } from './wire.js';

/** Key of the message a thread posts on `parentPort` to hand the main thread its control port. */
export const CONTROL_HELLO = '__taskfitControl';

/** The hello message: `{ [CONTROL_HELLO]: threadId, port }`. */
export interface ControlHello {
  readonly [CONTROL_HELLO]: number;
  readonly port: MessagePort;
}

export function isControlHello(m: unknown): m is ControlHello {
  return typeof m === 'object' && m !== null && typeof (m as Record<string, unknown>)[CONTROL_HELLO] === 'number';
}

/** A ref argument of a child task: `[argument index, child id, return index (-1: the only one)]`. */
export type RefArg = readonly [number, string, number];

/** Thread → main. */
export type UpMessage =
  /** Submit child `id` of the task `p` (sequence number), attempt `a`. */
  | {
      readonly k: 's';
      readonly p: number;
      readonly a: number;
      readonly id: string;
      /** Export name. */
      readonly n: string;
      /** The child's task options as JSON ('' for none): the key of its compiled spec. */
      readonly o: string;
      readonly m: CallMode;
      /** The argument list (ref arguments as undefined). */
      readonly x: unknown[];
      readonly r?: readonly RefArg[];
    }
  /** The task `p`/`a` awaits child `id` (its result, or its stream's next item): it is blocked until it gets it. */
  | { readonly k: 'w'; readonly p: number; readonly a: number; readonly id: string }
  /** The task waits (`pool.wait`) for `n` of `ids` or `t` ms (-1: no timeout): blocked until the wait returns. */
  | {
      readonly k: 'W';
      readonly p: number;
      readonly a: number;
      readonly w: number;
      readonly ids: readonly string[];
      readonly n: number;
      readonly t: number;
    }
  /** Cancel child `id` of the task `p`/`a`. */
  | { readonly k: 'c'; readonly p: number; readonly a: number; readonly id: string; readonly why: string };

/** Main → thread. */
export type DownMessage =
  /** Child `id` finished with `v`. */
  | { readonly k: 'v'; readonly id: string; readonly v: unknown }
  /** Child `id` failed. */
  | { readonly k: 'e'; readonly id: string; readonly e: WireFailure }
  /** Child `id` (streaming) yielded `v`. */
  | { readonly k: 'i'; readonly id: string; readonly v: unknown }
  /** Child `id` (streaming) ended. */
  | { readonly k: 'd'; readonly id: string }
  /** Wait `w` returned: the indices (in the wait's list) of the ready refs, in order, at most `n`. */
  | { readonly k: 'W'; readonly w: number; readonly ready: readonly number[] };

/** A child's failure, as data. */
export type WireFailure =
  | {
      readonly c: 'TaskError';
      readonly id: string;
      readonly n: number;
      readonly type: string;
      readonly chain: readonly string[];
      readonly msg: string;
      readonly cause: WireError | undefined;
    }
  | {
      readonly c: 'WorkerCrashedError';
      readonly id: string;
      readonly n: number;
      readonly kind: SystemFailureKind;
      readonly msg: string;
    }
  | { readonly c: 'TaskCancelledError'; readonly id: string; readonly n: number; readonly msg: string }
  | { readonly c: 'InfeasibleTaskError'; readonly id: string; readonly msg: string }
  | { readonly c: 'Error'; readonly e: WireError };

/** The part of an executor error's message after the prefix its constructor adds. */
function after(message: string, prefix: string): string {
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

/** Encodes the error a child task failed with (on the main thread). */
export function encodeFailure(err: unknown): WireFailure {
  if (err instanceof TaskError) {
    const cause = err.cause;
    return {
      c: 'TaskError',
      id: err.taskId,
      n: err.attempts,
      type: err.errorType,
      chain: [...err.typeChain],
      msg: after(err.message, `task ${err.taskId} failed with ${err.errorType}: `),
      cause: cause === undefined ? undefined : serialiseError(cause),
    };
  }
  if (err instanceof WorkerCrashedError)
    return {
      c: 'WorkerCrashedError',
      id: err.taskId,
      n: err.attempts,
      kind: err.kind,
      msg: after(err.message, `task ${err.taskId}: `),
    };
  if (err instanceof TaskCancelledError)
    return {
      c: 'TaskCancelledError',
      id: err.taskId,
      n: err.attempts,
      msg: after(err.message, `task ${err.taskId} was cancelled: `),
    };
  if (err instanceof InfeasibleTaskError) return { c: 'InfeasibleTaskError', id: err.taskId, msg: err.reason };
  return { c: 'Error', e: serialiseError(err) };
}

/** Rebuilds the error a child task failed with (in the parent's thread): the same class, fields and message. */
export function decodeFailure(w: WireFailure): Error {
  switch (w.c) {
    case 'TaskError':
      return new TaskError(
        w.id,
        w.n,
        w.type,
        w.chain,
        w.msg,
        w.cause === undefined ? undefined : { cause: reviveError(w.cause) },
      );
    case 'WorkerCrashedError':
      return new WorkerCrashedError(w.id, w.n, w.kind, w.msg);
    case 'TaskCancelledError':
      return new TaskCancelledError(w.id, w.n, w.msg);
    case 'InfeasibleTaskError':
      return new InfeasibleTaskError(w.id, w.msg);
    default:
      return reviveError(w.e);
  }
}

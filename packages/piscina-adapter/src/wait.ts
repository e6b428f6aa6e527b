/**
 * `wait(refs, { numReturns, timeoutMs })`: Ray's `ray.wait` — the refs whose tasks have ended
 * (finished or failed) and those still pending, every ref in exactly one list, both in the order
 * given. The main thread's `wait` is here; tasks use `pool.wait` from
 * `@taskfit/piscina-adapter/worker` (same arguments, same rules), which also counts as blocking.
 */
import { ObjectRef } from './object-ref.js';

/** Options of {@link wait}. */
export interface WaitOptions {
  /** How many refs must be ready before it returns (1 ≤ numReturns ≤ refs.length). @default 1 */
  readonly numReturns?: number;
  /**
   * Most milliseconds to wait: it then returns with fewer than `numReturns` ready refs when
   * fewer have ended. `0` returns at once. @default Infinity (no limit)
   */
  readonly timeoutMs?: number;
}

/** What {@link wait} returns: at most `numReturns` ready refs, and the rest, each in the order given. */
export interface WaitResult<R> {
  readonly ready: R[];
  readonly notReady: R[];
}

/** `wait`'s arguments, checked (Ray's rules and messages, with the argument named). */
export function readWaitArgs<R>(
  refs: unknown,
  options: unknown,
  isRef: (x: unknown) => x is R,
  what: string,
): { refs: R[]; numReturns: number; timeoutMs: number } {
  if (!Array.isArray(refs)) throw new TypeError(`${what}: refs must be an array of ObjectRefs, got ${typeof refs}`);
  const list = refs as unknown[];
  const seen = new Map<unknown, number>();
  list.forEach((r, i) => {
    if (!isRef(r))
      throw new TypeError(
        `${what}: refs[${i}] is not an ObjectRef of this thread's tasks (an ObjectRef returned by .remote(); a streaming task's generator cannot be waited on)`,
      );
    const first = seen.get(r);
    if (first !== undefined) throw new TypeError(`${what}: refs must be unique, but refs[${i}] repeats refs[${first}]`);
    seen.set(r, i);
  });
  if (options !== undefined && (options === null || typeof options !== 'object'))
    throw new TypeError(`${what}: options must be an object`);
  const o = (options ?? {}) as { numReturns?: unknown; timeoutMs?: unknown };
  const numReturns = o.numReturns ?? 1;
  if (typeof numReturns !== 'number' || !Number.isInteger(numReturns) || numReturns < 1 || numReturns > list.length)
    throw new RangeError(
      `${what}: options.numReturns must be an integer from 1 to the number of refs (${list.length}), got ${String(o.numReturns ?? 1)}`,
    );
  const timeoutMs = o.timeoutMs ?? Infinity;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0)
    throw new RangeError(`${what}: options.timeoutMs must be a number ≥ 0 (or Infinity), got ${String(o.timeoutMs)}`);
  return { refs: list as R[], numReturns, timeoutMs };
}

/** Splits `refs` by `ready[i]`: the first `numReturns` ready ones, and all the others, in order. */
export function splitReady<R>(refs: readonly R[], ready: (i: number) => boolean, numReturns: number): WaitResult<R> {
  const out: WaitResult<R> = { ready: [], notReady: [] };
  refs.forEach((r, i) => {
    if (out.ready.length < numReturns && ready(i)) out.ready.push(r);
    else out.notReady.push(r);
  });
  return out;
}

const isMainRef = (x: unknown): x is ObjectRef => x instanceof ObjectRef;

/**
 * Waits until `numReturns` of `refs` (ObjectRefs returned by `TaskPool` launchers) have ended —
 * finished or failed: a failed task's ref is ready, and awaiting it throws — or until
 * `timeoutMs` has passed. Resolves with `{ ready, notReady }`: every ref in exactly one list,
 * `ready` holding at most `numReturns`, both in the order given (Ray's `ray.wait`).
 *
 * ```ts
 * const refs = files.map((f) => parse.remote(f));
 * const { ready, notReady } = await wait(refs, { numReturns: 2, timeoutMs: 1000 });
 * ```
 * @throws TypeError (refs not an array of unique ObjectRefs) / RangeError (numReturns not in
 *   1..refs.length, a negative timeoutMs), synchronously.
 */
export function wait<T>(refs: readonly ObjectRef<T>[], options?: WaitOptions): Promise<WaitResult<ObjectRef<T>>> {
  const a = readWaitArgs(refs, options, isMainRef, 'wait(refs, options)');
  const list = a.refs as ObjectRef<T>[];
  const ended = new Array<boolean>(list.length).fill(false);
  let count = 0;
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (timer !== undefined) clearTimeout(timer);
      resolve(splitReady(list, (i) => ended[i]!, a.numReturns));
    };
    list.forEach((r, i) => {
      const mark = (): void => {
        ended[i] = true;
        if (++count >= a.numReturns) finish();
      };
      r.promise.then(mark, mark);
    });
    // A timer fires after the callbacks of refs that have already ended: 0 returns those.
    if (a.timeoutMs !== Infinity) timer = setTimeout(finish, a.timeoutMs);
  });
}

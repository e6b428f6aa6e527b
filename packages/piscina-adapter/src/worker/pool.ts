/**
 * `pool` inside a task: nested tasks. `pool.remote(exportName, options?)` declares a launcher
 * (anywhere: at module level too) with `TaskPool.remote`'s shape; its `.remote(...args)`, called
 * while a task runs on this thread, submits a child task of that task — it runs in the same pool,
 * admitted against the same ledger — and returns an `ObjectRef` (an array of them for
 * `numReturns > 1`, an async iterable for `'streaming'`, `undefined` for 0). `pool.wait(refs)` is
 * Ray's `ray.wait`.
 *
 * The thread talks to the main thread through its control port (control-wire.ts), opened on the
 * first child it submits. Awaiting a child's ref (`await ref`, `ref.then`, `Promise.all`), the next
 * item of a streaming child, or `pool.wait`, blocks the task: the main thread gives its CPUs back
 * to the pool meanwhile, and hands the result over once the task has them again.
 */
import { MessageChannel, parentPort, threadId } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { retryExceptionNames } from '@taskfit/core';
import type { RemoteFunction, TaskOptions } from '@taskfit/core';
import { CONTROL_HELLO, decodeFailure } from '../control-wire.js';
import type { DownMessage, RefArg, UpMessage } from '../control-wire.js';
import { ObjectRef, ObjectRefGenerator } from '../object-ref.js';
import type { Cancellable } from '../object-ref.js';
import { launchTarget, withOverrides } from '../launch.js';
import type { PoolRemoteFunction } from '../pool.js';
import { compileSpec } from '../spec.js';
import type { TaskSpec } from '../spec.js';
import { readWaitArgs, splitReady } from '../wait.js';
import type { WaitOptions, WaitResult } from '../wait.js';
import { CallMode } from '../wire.js';
import type { Envelope } from '../wire.js';
import { slot } from './context.js';

const noop = (): void => {};

/** One child task, as its parent's thread sees it. */
class Handle implements Cancellable {
  readonly taskId: string;
  /** The parent: its sequence number and attempt. */
  readonly p: number;
  readonly a: number;
  settled = false;
  /** The main thread was told that the task awaits this child. */
  awaited = false;
  readonly promise: Promise<unknown>;
  resolve!: (v: unknown) => void;
  reject!: (e: unknown) => void;
  stream: ChildStream | undefined;

  constructor(id: string, p: number, a: number) {
    this.taskId = id;
    this.p = p;
    this.a = a;
    this.promise = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.promise.catch(noop);
  }

  settle(ok: boolean, v: unknown): void {
    if (this.settled) return;
    this.settled = true;
    state.pending.delete(this.taskId);
    if (ok) this.resolve(v);
    else this.reject(v);
  }

  /** The task awaits this child: it is blocked until the result is here. */
  await(): void {
    if (this.settled || this.awaited) return;
    this.awaited = true;
    send({ k: 'w', p: this.p, a: this.a, id: this.taskId });
  }

  cancel(reason = 'cancelled by ref.cancel()'): boolean {
    if (this.settled) return false;
    send({ k: 'c', p: this.p, a: this.a, id: this.taskId, why: reason });
    return true;
  }
}

/** A child's result, inside its parent's task: awaiting it blocks the task until it is here. */
class ChildRef<T = unknown> extends ObjectRef<T> {
  /** @internal */
  readonly handle: Handle;
  /** @internal Which of the child's results (-1: its only one). */
  readonly index: number;

  constructor(promise: Promise<T>, handle: Handle, index: number) {
    super(promise, handle);
    this.handle = handle;
    this.index = index;
  }

  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.handle.await();
    return super.then(onFulfilled, onRejected);
  }

  override catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    this.handle.await();
    return super.catch(onRejected);
  }

  override finally(onFinally?: (() => void) | null): Promise<T> {
    this.handle.await();
    return super.finally(onFinally);
  }
}

/** A streaming child's items, inside its parent's task: waiting for the next one blocks the task. */
class ChildStream<T = unknown> extends ObjectRefGenerator<T> {
  readonly #handle: Handle;
  /** Items received and not yet taken. */
  #buffered = 0;
  #ended = false;

  constructor(handle: Handle) {
    super(handle);
    this.#handle = handle;
  }

  override push(item: { value: T } | { error: unknown } | { done: true }): void {
    this.#handle.awaited = false;
    if ('value' in item) this.#buffered++;
    else this.#ended = true;
    super.push(item);
  }

  override next(): Promise<IteratorResult<T>> {
    if (this.#buffered > 0) this.#buffered--;
    else if (!this.#ended) this.#handle.await();
    return super.next();
  }
}

/** This thread's side of nested tasks (shared by every copy of this module in the thread). */
interface NestState {
  port: MessagePort | undefined;
  /** Messages to send in the next batch. */
  out: UpMessage[];
  queued: boolean;
  /** Children whose result has not arrived, by id. */
  readonly pending: Map<string, Handle>;
  readonly waits: Map<number, (ready: readonly number[]) => void>;
  waitSeq: number;
}

const NEST = Symbol.for('taskfit.piscina.nested');
const g = globalThis as unknown as Record<symbol, NestState | undefined>;
const state: NestState = (g[NEST] ??= {
  port: undefined,
  out: [],
  queued: false,
  pending: new Map(),
  waits: new Map(),
  waitSeq: 0,
});

/** Per attempt: how many children it submitted, and those whose result it has not received. */
type Counted = Envelope & { K?: number; H?: Set<Handle> };

function flush(): void {
  state.queued = false;
  if (state.out.length === 0 || state.port === undefined) return;
  const out = state.out;
  state.out = [];
  state.port.postMessage(out);
}

/** Queues a message for the next batch: after this tick's promise jobs (an `await` right after a submission joins it). */
function send(m: UpMessage): void {
  state.out.push(m);
  if (state.queued) return;
  state.queued = true;
  queueMicrotask(() => queueMicrotask(flush));
}

function onDown(batch: readonly DownMessage[]): void {
  for (const m of batch) {
    if (m.k === 'W') {
      const w = state.waits.get(m.w);
      state.waits.delete(m.w);
      w?.(m.ready);
      continue;
    }
    const h = state.pending.get(m.id);
    if (h === undefined) continue;
    if (m.k === 'v') h.settle(true, m.v);
    else if (m.k === 'e') {
      const err = decodeFailure(m.e);
      h.stream?.push({ error: err });
      h.settle(false, err);
    } else if (m.k === 'i') h.stream?.push({ value: m.v });
    else {
      h.stream?.push({ done: true });
      h.settle(true, undefined);
    }
  }
}

/** The control port, opened on first use: its other end goes to the main thread over `parentPort`. */
function openPort(): MessagePort {
  if (state.port !== undefined) return state.port;
  if (parentPort === null) throw new Error('pool: not in a TaskPool worker thread');
  const { port1, port2 } = new MessageChannel();
  port1.on('message', onDown);
  port1.unref();
  parentPort.postMessage({ [CONTROL_HELLO]: threadId, port: port2 }, [port2]);
  state.port = port1;
  slot.ended = ended;
  return port1;
}

/** A task on this thread settled: what it sent goes now (before its result), and its children's results are no longer awaited here. */
function ended(m: Envelope): void {
  if (state.out.length > 0) flush();
  const hs = (m as Counted).H;
  if (hs !== undefined) for (const h of hs) state.pending.delete(h.taskId);
}

/** The running task's envelope. */
function current(what: string): Counted {
  const m = slot.shared?.getStore() ?? slot.current;
  if (m === undefined) {
    throw new Error(
      `${what} called outside a running task: child tasks are submitted (and waited for) by a task while it runs on a TaskPool thread — in its function or code it awaits`,
    );
  }
  return m;
}

function idOf(m: Envelope): string {
  return m.I ?? `${slot.specs.get(m.s)!.idPrefix}${m.i}`;
}

/** The options as they cross to the main thread: JSON, with error classes as their names. */
function optionsKey(o: TaskOptions): string {
  if (Object.keys(o).length === 0) return '';
  const re = o.retryExceptions;
  return JSON.stringify(Array.isArray(re) ? { ...o, retryExceptions: retryExceptionNames(re) } : o);
}

function submit(
  exportName: string,
  spec: TaskSpec,
  key: string,
  args: unknown[],
): ObjectRef | ObjectRef[] | ObjectRefGenerator | undefined {
  const m = current(`pool.remote('${exportName}').remote()`);
  const k = (m.K = (m.K ?? 0) + 1);
  const parentId = idOf(m);
  const id = m.t === 0 ? `${parentId}.${k}` : `${parentId}.a${m.t}.${k}`;
  const h = new Handle(id, m.i, m.t);
  // Refs of this task's other children: resolved on the main thread; those already here go as values.
  let x = args;
  let r: RefArg[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!(a instanceof ObjectRef) && !(a instanceof ObjectRefGenerator)) continue;
    if (!(a instanceof ChildRef))
      throw new TypeError(
        `argument ${i} of pool.remote('${exportName}').remote() is ${a instanceof ObjectRefGenerator ? "a streaming task's generator" : 'an ObjectRef of another thread'}: pass ObjectRefs of this task's own child tasks`,
      );
    const ch = a.handle;
    if (ch.p !== m.i || ch.a !== m.t)
      throw new TypeError(
        `argument ${i} of pool.remote('${exportName}').remote() is an ObjectRef of another task's child: pass ObjectRefs of this task's own child tasks`,
      );
    if (x === args) x = [...args];
    x[i] = undefined;
    (r ??= []).push([i, ch.taskId, a.index]);
  }
  const mode = spec.numReturns === 'streaming' ? CallMode.Stream : CallMode.Spread;
  const base = { k: 's', p: m.i, a: m.t, id, n: exportName, o: key, m: mode, x } as const;
  const msg: UpMessage = r === undefined ? base : { ...base, r };
  const port = openPort();
  // Posted now: the arguments are copied at submission, as TaskPool.remote copies them.
  state.out.push(msg);
  const out = state.out;
  state.out = [];
  try {
    port.postMessage(out);
  } catch (err) {
    // The arguments cannot be cloned: the child fails, the rest of the batch goes.
    out.pop();
    if (out.length > 0) port.postMessage(out);
    h.settle(false, err);
  }
  const n = spec.numReturns;
  if (!h.settled && n !== 0) {
    state.pending.set(id, h);
    (m.H ??= new Set()).add(h);
  }
  if (n === 'streaming') return (h.stream = new ChildStream(h));
  if (n === 0) return undefined;
  if (n === 1) return new ChildRef(h.promise, h, -1);
  return Array.from(
    { length: n },
    (_, i) =>
      new ChildRef(
        h.promise.then((v) => (v as unknown[])[i]),
        h,
        i,
      ),
  );
}

function launcher(exportName: string, taskOptions: TaskOptions): PoolRemoteFunction {
  // Compiled here too, so that bad or unsupported options throw where they are written.
  const spec = compileSpec(taskOptions);
  let key: string | undefined;
  return {
    exportName,
    taskOptions,
    resolvedOptions: spec.resolved,
    options: (overrides: TaskOptions): PoolRemoteFunction =>
      launcher(exportName, withOverrides(taskOptions, overrides)),
    remote: (...args: unknown[]) => submit(exportName, spec, (key ??= optionsKey(taskOptions)), args),
  };
}

const isChildRef = (x: unknown): x is ChildRef => x instanceof ChildRef;

/** Nested tasks, for code that runs in a TaskPool task: `import { pool } from '@taskfit/piscina-adapter/worker'`. */
export interface WorkerPool {
  /**
   * A launcher of export `target` of the module of the task that submits (a name, or a core
   * `RemoteFunction` exported under its function's name), with `options` — `TaskPool.remote`'s
   * shape: `.options(overrides)`, `.remote(...args)`. Children inherit their parent's effective
   * runtime env and, when the parent captures child tasks in a placement group, run in it unless
   * they set a `schedulingStrategy`.
   * @throws TaskOptionsError when the options are invalid or unsupported here.
   */
  remote(target: string | RemoteFunction, options?: TaskOptions): PoolRemoteFunction;
  /**
   * Ray's `ray.wait` for this task's children: resolves with `{ ready, notReady }` once
   * `numReturns` of `refs` have ended (finished or failed) or `timeoutMs` has passed — every ref
   * in exactly one list, both in the order given. The task is blocked (its CPUs lent to the pool)
   * while it waits.
   * @throws TypeError / RangeError for bad arguments; an Error when called outside a running task.
   */
  wait<T>(refs: readonly ObjectRef<T>[], options?: WaitOptions): Promise<WaitResult<ObjectRef<T>>>;
}

export const pool: WorkerPool = {
  remote(target: string | RemoteFunction, options?: TaskOptions): PoolRemoteFunction {
    const { exportName, taskOptions } = launchTarget(target, options, 'task module');
    return launcher(exportName, taskOptions);
  },

  wait<T>(refs: readonly ObjectRef<T>[], options?: WaitOptions): Promise<WaitResult<ObjectRef<T>>> {
    const m = current('pool.wait()');
    const a = readWaitArgs(refs, options, isChildRef, 'pool.wait(refs, options)');
    const list = a.refs as ChildRef<T>[];
    for (const r of list) {
      if (r.handle.p !== m.i || r.handle.a !== m.t)
        throw new TypeError("pool.wait(refs): pass ObjectRefs of this task's own child tasks");
    }
    const here = (i: number): boolean => list[i]!.handle.settled;
    let ready = 0;
    for (let i = 0; i < list.length; i++) if (here(i)) ready++;
    if (ready >= a.numReturns || a.timeoutMs === 0) return Promise.resolve(splitReady(list, here, a.numReturns));
    openPort();
    const w = ++state.waitSeq;
    return new Promise((resolve) => {
      state.waits.set(w, (idx) => {
        const set = new Set(idx);
        resolve(splitReady(list, (i) => set.has(i), a.numReturns));
      });
      send({
        k: 'W',
        p: m.i,
        a: m.t,
        w,
        ids: list.map((r) => r.handle.taskId),
        n: a.numReturns,
        t: a.timeoutMs === Infinity ? -1 : a.timeoutMs,
      });
    });
  },
};

import { types } from 'node:util';
import { MessagePort } from 'node:worker_threads';
import { TaskError, errorTypeChain } from '@taskfit/core';

/**
 * What crosses the thread boundary between the pool and its wrapper worker. Internal: both
 * sides are built from this package, so the shapes only need to agree with each other.
 */

/** Per-task context, as the worker exposes it through `getTaskContext()`. */
export interface TaskContext {
  /** The pool's id of the task (stable across attempts). */
  readonly taskId: string;
  /** 0 for the first attempt, 1 for the first retry, … */
  readonly attempt: number;
  /** The task's display name (the `name` option, or the export name). */
  readonly name: string;
  /** Node the task runs on (the pool's node id). */
  readonly nodeId: string;
  /** Resources reserved for this attempt (`{ CPU: 1, GPU: 0.5 }`). */
  readonly resources: Readonly<Record<string, number>>;
  /** GPU ids assigned by the ledger (also in `process.env.CUDA_VISIBLE_DEVICES`); empty for CPU tasks. */
  readonly gpuIds: readonly number[] | readonly string[];
  /** The `acceleratorType` option, if set. */
  readonly acceleratorType: string | undefined;
  /**
   * The task's effective runtime env, with `envVars` already expanded: the pool's
   * (`TaskPool({ runtimeEnv })`), then its parent task's, then its own (`envVars` merged key by
   * key, the child's winning).
   */
  readonly runtimeEnv: { readonly envVars?: Readonly<Record<string, string>> } | undefined;
  /** The task that submitted this one (`pool.remote` inside a task), for a child task. */
  readonly parentTaskId: string | undefined;
}

/** Call modes of the wrapper: `fn(task)` (Piscina's `run`), `fn(...args)` (`remote`), or a generator streamed through a port. */
export const CallMode = { Single: 0, Spread: 1, Stream: 2 } as const;
export type CallMode = (typeof CallMode)[keyof typeof CallMode];

/** Per-spec part of the context, sent once per thread and cached there. */
export interface StaticContext {
  /** Prefix of task ids (`<prefix><seq>`). */
  readonly idPrefix: string;
  /** The `name` option (undefined: the export name). */
  readonly name: string | undefined;
  readonly nodeId: string;
  readonly resources: Readonly<Record<string, number>>;
  readonly acceleratorType: string | undefined;
  /** The runtime env of tasks that set none on their attempt (a plain `run()`: the pool's). */
  readonly runtimeEnv?: { envVars: Record<string, string> } | undefined;
}

/**
 * The message the pool posts for each attempt, kept small because it is structured-cloned on
 * every task: what a thread has already seen (the pool's module, a spec's static context) is
 * sent only the first time, by the balancer that picked the thread.
 */
export interface Envelope {
  /** Export name ('' = cancelled before dispatch: do nothing). */
  n: string;
  /** The task (Single) or the argument list (Spread/Stream). */
  a: unknown;
  m: CallMode;
  /** Task sequence number (the id is `idPrefix + i`, unless `I` gives it). */
  i: number;
  /** The task id, for a child task (`<parent id>.<n>`). */
  I?: string;
  /** The parent's task id, for a child task. */
  q?: string;
  /** 1: the task may share its thread with others (its context is kept per task across awaits). */
  x?: 1;
  /** Attempt. */
  t: number;
  /** Spec id (key of the cached static context). */
  s: number;
  /** Clear the thread's static-context cache first (it is bounded). */
  C?: true;
  /** Static context of spec `s`, when this thread has not seen it yet. */
  S?: StaticContext;
  /** Path of the module when it is not the pool's default. */
  f?: string;
  /** Path of the pool's default module, declared to a thread on its first task. */
  d?: string;
  /** GPU ids (GPU tasks only). */
  g?: readonly number[] | readonly string[];
  /** Environment variables to set for the attempt (expanded envVars, CUDA_VISIBLE_DEVICES). */
  e?: Record<string, string>;
  /** Runtime env as the task sees it (envVars expanded). */
  r?: { envVars: Record<string, string> };
  /** Streaming results port (Stream only). */
  p?: MessagePort;
}

/** An error serialised in the worker so that its class name survives the boundary. */
export interface WireError {
  readonly __taskfitError: 1;
  readonly name: string;
  readonly typeChain: string[];
  readonly message: string;
  readonly stack: string | undefined;
  readonly props: Record<string, unknown>;
  readonly cause?: WireError | undefined;
}

/** Messages on a streaming port. */
export type StreamMessage = { v: unknown } | { end: true };

export function isWireError(value: unknown): value is WireError {
  return typeof value === 'object' && value !== null && (value as { __taskfitError?: unknown }).__taskfitError === 1;
}

function cloneable(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' || typeof value === 'symbol' ? String(value) : value;
  }
  try {
    return structuredClone(value);
  } catch {
    // Keep what can cross (plain objects and arrays, member by member); stringify the rest.
    if (depth < 4 && (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype)) {
      if (Array.isArray(value)) return value.map((v) => cloneable(v, depth + 1));
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value)) out[k] = cloneable((value as Record<string, unknown>)[k], depth + 1);
      return out;
    }
    return String(value);
  }
}

/** Serialises anything thrown into a {@link WireError}: name, type chain, message, stack, own props, cause. */
export function serialiseError(err: unknown, depth = 0): WireError {
  // A child task's error re-thrown by its parent keeps the child's error type (Ray's
  // RayTaskError is an instance of the user's exception class), so the parent's own
  // retryExceptions see the type the child threw.
  const child = err instanceof TaskError;
  const typeChain = child ? [...err.typeChain] : errorTypeChain(err);
  if (typeof err !== 'object' || err === null) {
    return { __taskfitError: 1, name: typeChain[0]!, typeChain, message: String(err), stack: undefined, props: {} };
  }
  const e = err as Record<string, unknown> & { message?: unknown; stack?: unknown; cause?: unknown; name?: unknown };
  const props: Record<string, unknown> = {};
  for (const k of Object.keys(e)) {
    if (k === 'message' || k === 'stack' || k === 'name' || k === 'cause') continue;
    props[k] = cloneable(e[k]);
  }
  // The class name (or a name that differs from every class name), never a bare inherited 'Error'.
  const name = child ? err.errorType : typeChain[0]!;
  return {
    __taskfitError: 1,
    name,
    typeChain,
    message: typeof e.message === 'string' ? e.message : String(err),
    stack: typeof e.stack === 'string' ? e.stack : undefined,
    props,
    cause: e.cause !== undefined && depth < 4 ? serialiseError(e.cause, depth + 1) : undefined,
  };
}

/** Rebuilds an `Error` from a {@link WireError}: same name, message, stack, own props and cause; `typeChain` attached. */
export function reviveError(w: WireError): Error {
  const e = new Error(w.message, w.cause !== undefined ? { cause: reviveError(w.cause) } : undefined);
  Object.defineProperty(e, 'name', { value: w.name, configurable: true, writable: true, enumerable: false });
  if (w.stack !== undefined) e.stack = w.stack;
  Object.assign(e, w.props);
  Object.defineProperty(e, 'typeChain', { value: w.typeChain, configurable: true, writable: true, enumerable: false });
  return e;
}

/**
 * Why `value` cannot be structured-cloned to another thread — `'generator'` for a generator
 * object, else a sentence naming the path and the type — or undefined. Looks at up to 10,000
 * values (a result bigger than that costs far more to clone than to check).
 */
export function unsendable(value: unknown, root = 'the result'): string | undefined {
  let budget = 10_000;
  const seen = new Set<object>();
  const walk = (v: unknown, path: string): string | undefined => {
    if (--budget < 0) return undefined;
    if (typeof v === 'function') return `${path} is a function`;
    if (typeof v === 'symbol') return `${path} is a symbol`;
    if (v === null || typeof v !== 'object') return undefined;
    if (seen.has(v)) return undefined;
    seen.add(v);
    if (types.isProxy(v)) return `${path} is a Proxy`;
    if (types.isGeneratorObject(v)) return path === root ? 'generator' : `${path} is a generator`;
    if (types.isPromise(v)) return `${path} is a Promise`;
    if (types.isWeakMap(v) || types.isWeakSet(v) || v instanceof WeakRef) return `${path} is a ${v.constructor.name}`;
    if (v instanceof MessagePort) return `${path} is a MessagePort (return it with Piscina.move(port) to transfer it)`;
    if (types.isAnyArrayBuffer(v) || ArrayBuffer.isView(v) || types.isDate(v) || types.isRegExp(v)) return undefined;
    if (types.isMap(v)) {
      for (const [k, x] of v) {
        const why = walk(k, `a key of ${path}`) ?? walk(x, `${path}.get(${String(k)})`);
        if (why !== undefined) return why;
      }
      return undefined;
    }
    if (types.isSet(v)) {
      for (const x of v) {
        const why = walk(x, `an item of ${path}`);
        if (why !== undefined) return why;
      }
      return undefined;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const why = walk(v[i], `${path}[${i}]`);
        if (why !== undefined) return why;
      }
      return undefined;
    }
    for (const k of Object.keys(v)) {
      const why = walk((v as Record<string, unknown>)[k], `${path}.${k}`);
      if (why !== undefined) return why;
    }
    return undefined;
  };
  const why = walk(value, root);
  return why === undefined || why === 'generator'
    ? why
    : `${why} (a result must be structured-cloneable: no functions, symbols, Promises, WeakMaps, WeakSets, WeakRefs or generators)`;
}

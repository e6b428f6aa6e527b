/**
 * The wrapper worker every TaskPool thread runs (Piscina's `filename`). For each attempt it
 * imports the user's module (cached), sets the task's environment (runtimeEnv.envVars,
 * CUDA_VISIBLE_DEVICES) on this thread's own `process.env`, calls the named export, restores the
 * environment, and serialises any thrown error so that its class name, type chain, message,
 * stack and own properties survive the thread boundary.
 */
import { pathToFileURL } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { CallMode, serialiseError } from '../wire.js';
import type { Envelope, StreamMessage } from '../wire.js';
import { slot } from './context.js';

type Handler = (...args: unknown[]) => unknown;
const handlers = new Map<string, Handler>();

async function loadHandler(file: string, name: string): Promise<Handler> {
  const key = `${file}\0${name}`;
  const cached = handlers.get(key);
  if (cached !== undefined) return cached;
  const url = file.startsWith('file:') ? file : pathToFileURL(file).href;
  const ns = (await import(url)) as Record<string, unknown>;
  let h: unknown = await ns[name];
  if (typeof h !== 'function' && typeof ns.default === 'object' && ns.default !== null) {
    h = await (ns.default as Record<string, unknown>)[name];
  }
  if (typeof h !== 'function') {
    throw Object.assign(new Error(`No function exported as "${name}" from ${file}`), {
      code: 'ERR_TASKFIT_NO_HANDLER',
    });
  }
  handlers.set(key, h as Handler);
  return h as Handler;
}

const env = process.env;

function applyEnv(vars: Record<string, string>): Record<string, string | undefined> {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(vars)) {
    saved[k] = env[k];
    env[k] = vars[k];
  }
  return saved;
}

function restoreEnv(saved: Record<string, string | undefined>): void {
  for (const k of Object.keys(saved)) {
    const v = saved[k];
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
}

async function pump(start: () => unknown, port: MessagePort): Promise<number> {
  let n = 0;
  try {
    const iterable = start();
    if (
      iterable === null ||
      typeof iterable !== 'object' ||
      !(Symbol.asyncIterator in iterable || Symbol.iterator in iterable)
    ) {
      throw new TypeError("numReturns: 'streaming' needs a generator function (sync or async) as the export");
    }
    for await (const v of iterable as AsyncIterable<unknown>) {
      port.postMessage({ v } satisfies StreamMessage);
      n++;
    }
  } finally {
    port.postMessage({ end: true } satisfies StreamMessage);
    port.close();
  }
  return n;
}

let defaultFile = '';
/** The last handler used (most threads run one export over and over): skips the key build. */
let lastFile = '';
let lastName = '';
let lastFn: Handler | undefined;

/** Puts the thread back as it was before the attempt. */
function cleanup(saved: Record<string, string | undefined> | null): void {
  slot.current = undefined;
  slot.ctx = undefined;
  if (saved !== null) restoreEnv(saved);
}

/**
 * Runs one attempt. Resolves with the task's result; rejects with a serialised error.
 *
 * Not `async`: when the handler is cached and returns a plain value (the common case for short
 * tasks), the attempt completes without a promise hop; Piscina awaits whatever this returns.
 * A thenable result is awaited before the environment is restored, exactly as `await` would.
 */
export default function runAttempt(msg: Envelope): unknown {
  if (msg.d !== undefined) defaultFile = msg.d;
  if (msg.C === true) slot.specs.clear();
  if (msg.S !== undefined) slot.specs.set(msg.s, msg.S);
  if (msg.n === '') return undefined; // cancelled before it reached a thread
  if (msg.m === CallMode.Stream) return runSlow(msg);
  const file = msg.f ?? defaultFile;
  let fn = file === lastFile && msg.n === lastName ? lastFn : undefined;
  if (fn === undefined) {
    fn = handlers.get(`${file}\0${msg.n}`);
    if (fn === undefined) return runSlow(msg);
    lastFile = file;
    lastName = msg.n;
    lastFn = fn;
  }
  const saved = msg.e === undefined ? null : applyEnv(msg.e);
  slot.current = msg;
  slot.ctx = undefined;
  let r: unknown;
  try {
    r = msg.m === CallMode.Single ? fn(msg.a) : fn(...(msg.a as unknown[]));
  } catch (err) {
    cleanup(saved);
    throw serialiseError(err);
  }
  if (
    r !== null &&
    (typeof r === 'object' || typeof r === 'function') &&
    typeof (r as PromiseLike<unknown>).then === 'function'
  ) {
    return Promise.resolve(r).then(
      (v) => {
        cleanup(saved);
        return v;
      },
      (err: unknown) => {
        cleanup(saved);
        throw serialiseError(err);
      },
    );
  }
  cleanup(saved);
  return r;
}

/** First call of a handler on this thread (module import), and streaming attempts. */
async function runSlow(msg: Envelope): Promise<unknown> {
  const saved = msg.e === undefined ? null : applyEnv(msg.e);
  slot.current = msg;
  slot.ctx = undefined;
  try {
    const fn = await loadHandler(msg.f ?? defaultFile, msg.n);
    switch (msg.m) {
      case CallMode.Single:
        return await fn(msg.a);
      case CallMode.Spread:
        return await fn(...(msg.a as unknown[]));
      default:
        return await pump(() => fn(...(msg.a as unknown[])), msg.p!);
    }
  } catch (err) {
    throw serialiseError(err);
  } finally {
    cleanup(saved);
  }
}

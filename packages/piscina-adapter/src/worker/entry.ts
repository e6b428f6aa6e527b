/**
 * The wrapper worker every TaskPool thread runs (Piscina's `filename`). For each attempt it loads
 * the user's module (cached) the way Piscina does, sets the task's environment on this thread's
 * own `process.env` (tasks declared with options only), calls the named export, and serialises
 * any thrown error so that its class name, type chain, message, stack and own properties survive
 * the thread boundary.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { CallMode, serialiseError, unsendable } from '../wire.js';
import type { Envelope, StreamMessage } from '../wire.js';
import { slot } from './context.js';

type Handler = (...args: unknown[]) => unknown;
const handlers = new Map<string, Handler>();
const requireHere = createRequire(import.meta.url);

/** Module type by package scope, cached per directory. */
const scopeType = new Map<string, boolean>();
function inModuleScope(dir: string): boolean {
  const cached = scopeType.get(dir);
  if (cached !== undefined) return cached;
  let esm: boolean;
  try {
    esm = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: unknown }).type === 'module';
  } catch {
    const up = dirname(dir);
    esm = up !== dir && inModuleScope(up);
  }
  scopeType.set(dir, esm);
  return esm;
}

/** Whether `file` is an ES module by Node's rules (extension, else the nearest package.json's "type"). */
function isEsm(file: string): boolean {
  const ext = extname(file);
  if (ext === '.mjs' || ext === '.mts') return true;
  if (ext === '.cjs' || ext === '.cts') return false;
  return inModuleScope(dirname(file));
}

/** Piscina's lookup of a require()d module (TypeScript's `__importStar`): `default` is the module itself. */
function pick(mod: unknown, name: string): unknown {
  if (mod === null || (typeof mod !== 'object' && typeof mod !== 'function')) return undefined;
  const m = mod as Record<string, unknown>;
  if (m.__esModule === true) return m[name];
  if (name === 'default') return mod;
  return Object.prototype.hasOwnProperty.call(m, name) ? m[name] : undefined;
}

/**
 * Loads export `name` of `file` as Piscina does: a CommonJS module through `require()` (so
 * require hooks in `execArgv` — `--require`, tsx, ts-node — apply, and `module.exports = fn;
 * fn.other = …` exposes `other`), an ES module (or a file `require()` cannot load) through
 * `import()`. Exports that are promises are awaited; an ES module whose default export is an
 * object of functions works too.
 */
async function loadHandler(file: string, name: string): Promise<Handler> {
  const key = `${file}\0${name}`;
  const cached = handlers.get(key);
  if (cached !== undefined) return cached;
  let h: unknown;
  if (!isEsm(file)) {
    try {
      h = await pick(requireHere(file), name);
    } catch {
      // Not loadable by require() (e.g. an ES module in a .js file of a CommonJS scope): import() says why.
    }
  }
  if (typeof h !== 'function') {
    const ns = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    h = await ns[name];
    if (typeof h !== 'function' && typeof ns.default === 'object' && ns.default !== null)
      h = await (ns.default as Record<string, unknown>)[name];
  }
  if (typeof h !== 'function') {
    throw Object.assign(new Error(`No handler function "${name}" exported from ${file}`), {
      code: 'ERR_TASKFIT_NO_HANDLER',
    });
  }
  handlers.set(key, h as Handler);
  return h as Handler;
}

const env = process.env;
/** Variables the current environment overrides, with their values before (undefined = unset). */
let saved: Record<string, string | undefined> | null = null;
/** The environment applied now (a task's `e`), kept across tasks that want the same one. */
let applied: Record<string, string> | undefined;

function sameEnv(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

/** Makes this thread's environment the pool's plus `vars` (only what changes is written). */
function useEnv(vars: Record<string, string> | undefined): void {
  if (vars === applied || (vars !== undefined && applied !== undefined && sameEnv(vars, applied))) return;
  if (saved !== null) {
    for (const k of Object.keys(saved)) {
      const v = saved[k];
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    saved = null;
  }
  applied = vars;
  if (vars === undefined) return;
  saved = {};
  for (const k of Object.keys(vars)) {
    saved[k] = env[k];
    env[k] = vars[k];
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
      const why = unsendable(v, `item ${n}`);
      if (why !== undefined)
        throw new TypeError(
          `an item the task yielded cannot be sent to the caller: ${why === 'generator' ? `item ${n} is a generator` : why}`,
        );
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

/** A result is checked before Piscina posts it, so an unsendable one fails the task, not the thread. */
function checked(msg: Envelope, r: unknown): unknown {
  if (r === null || (typeof r !== 'object' && typeof r !== 'function' && typeof r !== 'symbol')) return r;
  const why = unsendable(r);
  if (why === undefined) return r;
  if (why === 'generator') {
    throw serialiseError(
      new TypeError(
        `export "${msg.n}" returned a generator: its items cannot be sent as one value. Declare the task with numReturns: 'streaming' to stream them (pool.remote(remote(generatorFn)) streams by default, as Ray does)`,
      ),
    );
  }
  throw serialiseError(new TypeError(`the result of export "${msg.n}" cannot be sent to the caller: ${why}`));
}

function settleWith(msg: Envelope, r: unknown): unknown {
  if (
    r !== null &&
    (typeof r === 'object' || typeof r === 'function') &&
    typeof (r as PromiseLike<unknown>).then === 'function'
  ) {
    return Promise.resolve(r).then(
      (v) => {
        done(msg);
        return checked(msg, v);
      },
      (err: unknown) => {
        done(msg);
        throw serialiseError(err);
      },
    );
  }
  done(msg);
  return checked(msg, r);
}

function done(msg: Envelope): void {
  slot.current = undefined;
  slot.ctx = undefined;
  // Child tasks it submitted reach the main thread before its result does.
  if (slot.ended !== undefined) slot.ended(msg);
}

/**
 * Runs one attempt. Resolves with the task's result; rejects with a serialised error.
 *
 * Not `async`: when the handler is cached and returns a plain value (the common case for short
 * tasks), the attempt completes without a promise hop; Piscina awaits whatever this returns.
 */
export default function runAttempt(msg: Envelope): unknown {
  if (msg.d !== undefined) defaultFile = msg.d;
  if (msg.C === true) slot.specs.clear();
  if (msg.S !== undefined) slot.specs.set(msg.s, msg.S);
  if (msg.n === '') return undefined; // cancelled before it reached a thread
  if (msg.x === 1) return (slot.shared ??= new AsyncLocalStorage()).run(msg, () => runOne(msg));
  return runOne(msg);
}

function runOne(msg: Envelope): unknown {
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
  useEnv(msg.e);
  slot.current = msg;
  slot.ctx = undefined;
  let r: unknown;
  try {
    r = msg.m === CallMode.Single ? fn(msg.a) : fn(...(msg.a as unknown[]));
  } catch (err) {
    done(msg);
    throw serialiseError(err);
  }
  return settleWith(msg, r);
}

/** First call of a handler on this thread (module load), and streaming attempts. */
async function runSlow(msg: Envelope): Promise<unknown> {
  useEnv(msg.e);
  let fn: Handler;
  try {
    fn = await loadHandler(msg.f ?? defaultFile, msg.n);
  } catch (err) {
    throw serialiseError(err);
  }
  // The module loaded (maybe slowly): the context is set for the call only.
  useEnv(msg.e);
  slot.current = msg;
  slot.ctx = undefined;
  if (msg.m === CallMode.Stream) {
    try {
      return await pump(() => fn(...(msg.a as unknown[])), msg.p!);
    } catch (err) {
      throw serialiseError(err);
    } finally {
      done(msg);
    }
  }
  let r: unknown;
  try {
    r = msg.m === CallMode.Single ? fn(msg.a) : fn(...(msg.a as unknown[]));
  } catch (err) {
    done(msg);
    throw serialiseError(err);
  }
  return settleWith(msg, r);
}

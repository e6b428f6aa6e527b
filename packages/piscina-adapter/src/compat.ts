/**
 * Pieces of Piscina's public surface that TaskPool re-implements around its own bookkeeping:
 * `run()`'s argument checks, abort signals (an `AbortSignal` or an `EventEmitter` that emits
 * 'abort'), `Piscina.move()` values, and the run/wait-time histograms.
 */
import { createHistogram } from 'node:perf_hooks';
import type { RecordableHistogram } from 'node:perf_hooks';
import type { Transferable } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { TaskOptions } from '@taskfit/core';
import { plain } from './ledger.js';

/** An abort signal as Piscina accepts it: an `AbortSignal`-like event target, or an `EventEmitter`. */
export type AbortSignalLike =
  | {
      addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
      removeEventListener(type: 'abort', listener: () => void): void;
      readonly aborted?: boolean;
      readonly reason?: unknown;
    }
  | {
      once(event: 'abort', listener: () => void): unknown;
      removeListener(event: 'abort', listener: () => void): unknown;
    };

/** Options of {@link TaskPool.run}: Piscina's run options plus task options. */
export interface TaskRunOptions {
  /** Export to call. @default the pool's `name` option ('default') */
  name?: string | null;
  /** Another module to load the export from (path or file: URL). */
  filename?: string | URL | null;
  /**
   * Aborting rejects the task (`TaskCancelledError`, message `'The task has been aborted'`,
   * `cause` the reason): a queued task is dropped, a running one has its thread terminated.
   */
  signal?: AbortSignalLike | null;
  /** Transferred to the worker (moved out of the caller's hands at submission). */
  transferList?: readonly Transferable[];
  /**
   * Task options (resources, retries, env, …), validated on first use and compiled once per
   * object: reuse one object for many calls (fast), but do not mutate it afterwards. Without
   * them a task is a plain Piscina task: 1 CPU (1/concurrentTasksPerWorker), one attempt.
   */
  options?: TaskOptions;
}

/** `run()`'s options, read once. */
export interface RunArgs {
  readonly name: string | null;
  readonly filename: string | URL | null;
  readonly signal: AbortSignalLike | null;
  readonly transferList: readonly Transferable[] | undefined;
  readonly options: TaskOptions | undefined;
}

const NO_RUN_ARGS: RunArgs = Object.freeze({
  name: null,
  filename: null,
  signal: null,
  transferList: undefined,
  options: undefined,
});

/**
 * Reads and checks `run()`'s options with Piscina's rules and messages (plus task options and
 * URL filenames). Returns a TypeError instead of throwing: `run()` rejects, never throws.
 */
export function readRunArgs(input: unknown): RunArgs | TypeError {
  if (input === undefined) return NO_RUN_ARGS;
  if (input === null || typeof input !== 'object') return new TypeError('options must be an object');
  const o = plain(input as Record<string, unknown>);
  const { transferList, signal, filename, name, options } = o;
  if (transferList !== undefined && !Array.isArray(transferList))
    return new TypeError('transferList argument must be an Array');
  if (filename != null && typeof filename !== 'string' && !(filename instanceof URL))
    return new TypeError('filename argument must be a string');
  if (name != null && typeof name !== 'string') return new TypeError('name argument must be a string');
  if (signal != null) {
    if (typeof signal !== 'object') return new TypeError('signal argument must be an object');
    const s = signal as Record<string, unknown>;
    const target = typeof s.addEventListener === 'function' && typeof s.removeEventListener === 'function';
    const emitter = typeof s.once === 'function' && typeof s.removeListener === 'function';
    if (!target && !emitter)
      return new TypeError(
        "signal argument must be an AbortSignal or an EventEmitter that emits 'abort' (addEventListener/removeEventListener or once/removeListener)",
      );
  }
  if (options !== undefined && (options === null || typeof options !== 'object'))
    return new TypeError('options.options (task options) must be an object');
  return {
    name: (name as string | null | undefined) ?? null,
    filename: (filename as string | URL | null | undefined) ?? null,
    signal: (signal as AbortSignalLike | null | undefined) ?? null,
    transferList: transferList as Transferable[] | undefined,
    options: options as TaskOptions | undefined,
  };
}

/** Whether the signal is already aborted, and its reason (EventEmitters have neither). */
export function signalState(s: AbortSignalLike): { aborted: boolean; reason: unknown } {
  const t = s as { aborted?: unknown; reason?: unknown };
  return { aborted: t.aborted === true, reason: t.reason };
}

/** Calls `listener` once on 'abort'; returns the function that stops listening. */
export function onAbort(s: AbortSignalLike, listener: () => void): () => void {
  if ('addEventListener' in s && typeof s.addEventListener === 'function') {
    s.addEventListener('abort', listener, { once: true });
    return () => s.removeEventListener('abort', listener);
  }
  const ee = s as { once(e: 'abort', l: () => void): unknown; removeListener(e: 'abort', l: () => void): unknown };
  ee.once('abort', listener);
  return () => void ee.removeListener('abort', listener);
}

/** Piscina's private "moved" mark (`Piscina.move()` sets it): taken from a moved object once. */
const kMovable: symbol | undefined = Object.getOwnPropertySymbols(Piscina.move(new ArrayBuffer(0)) as object).find(
  (s) => s.description === 'Piscina.kMovable',
);
const kTransferable: symbol = Piscina.transferableSymbol;
const kValue: symbol = Piscina.valueSymbol;

/**
 * A task made by `Piscina.move(value)`: Piscina sends `value` with its transferables moved. Returns
 * the value and the transfer list to use (the caller's plus the moved ones), or undefined.
 */
export function unwrapMovable(
  task: unknown,
  transferList: readonly Transferable[] | undefined,
): { value: unknown; transferList: Transferable[] } | undefined {
  if (kMovable === undefined || task === null || typeof task !== 'object') return undefined;
  const m = task as Record<symbol, unknown>;
  if (m[kMovable] !== true || !(kTransferable in m) || !(kValue in m)) return undefined;
  return {
    value: m[kValue],
    transferList: [...(transferList ?? []), ...([] as Transferable[]).concat(m[kTransferable] as Transferable)],
  };
}

/** Piscina's histogram summary (milliseconds). */
export type HistogramSummary = ReturnType<typeof summarize>;

/** `pool.histogram`: run and wait times of tasks, as Piscina reports them. */
export interface PoolHistogram {
  readonly runTime: HistogramSummary;
  readonly waitTime: HistogramSummary;
  resetRunTime(): void;
  resetWaitTime(): void;
}

/**
 * Summary of a histogram of nanosecond-ish integers recorded in microseconds, in milliseconds
 * (Piscina's `createHistogramSummary`).
 */
export function summarize(h: RecordableHistogram) {
  const p = (q: number) => h.percentile(q) / 1000;
  return {
    average: h.mean / 1000,
    mean: h.mean / 1000,
    stddev: h.stddev / 1000,
    min: h.min / 1000,
    max: h.max / 1000,
    p0_001: p(0.001),
    p0_01: p(0.01),
    p0_1: p(0.1),
    p1: p(1),
    p2_5: p(2.5),
    p10: p(10),
    p25: p(25),
    p50: p(50),
    p75: p(75),
    p90: p(90),
    p97_5: p(97.5),
    p99: p(99),
    p99_9: p(99.9),
    p99_99: p(99.99),
    p99_999: p(99.999),
  };
}

/** Run and wait times in Piscina's units (microsecond integers of millisecond values). */
export class Timing {
  readonly #run = createHistogram();
  readonly #wait = createHistogram();

  static #record(h: RecordableHistogram, ms: number): void {
    h.record(Math.max(1, Math.trunc(ms * 1000)));
  }
  /** Time from submission to the moment a thread took the task (admission and Piscina's queue). */
  wait(ms: number): void {
    Timing.#record(this.#wait, ms);
  }
  /** Time on the thread. */
  run(ms: number): void {
    Timing.#record(this.#run, ms);
  }
  get runCount(): number {
    return this.#run.count;
  }
  get runMean(): number {
    return this.#run.mean / 1000;
  }
  view(): PoolHistogram {
    const run = this.#run;
    const wait = this.#wait;
    return {
      get runTime() {
        return summarize(run);
      },
      get waitTime() {
        return summarize(wait);
      },
      resetRunTime: () => run.reset(),
      resetWaitTime: () => wait.reset(),
    };
  }
}

/**
 * The pool's threads as TaskPool sees them: which are ready (Piscina's pending threads count as
 * queue capacity), what each has cached and how often each function ran on it (`maxCalls`), which
 * are retiring, and the rule that a thread leaving while tasks wait for one is replaced.
 *
 * Piscina grows the pool between `minThreads` and `maxThreads` itself (a task that finds no
 * free thread spawns one, idle threads above `minThreads` leave after `idleTimeout`), but after
 * a thread leaves it only refills up to `minThreads`, so a task left in its queue with no thread
 * busy would wait forever (integration-points §1.7). TaskPool closes that gap: whenever a thread
 * leaves while tasks wait for one and the pool is below `maxThreads` with no thread starting,
 * it has Piscina start one (by submitting an empty task, which spawns a thread as any task that
 * finds none does, and then runs as a no-op).
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { DownMessage } from './control-wire.js';
import type { Attempt } from './task.js';
import type { StaticContext } from './wire.js';

/** The main thread's end of a thread's control port (nested tasks; opened by the thread on its first child task). */
export interface Control {
  readonly port: MessagePort;
  /** Messages to send in the next batch. */
  out: DownMessage[];
}

export interface ThreadState {
  readonly id: number;
  readonly worker: Worker | undefined;
  /** TaskPool's attempts on the thread (not settled yet). */
  running: number;
  /** Those attempts. */
  readonly attempts: Set<Attempt>;
  /** Calls per `file#export` (functions with `maxCalls` only). */
  calls: Map<string, number> | undefined;
  /** Spec ids whose static context the thread has cached. */
  seen: Set<number> | undefined;
  /** Takes no new task; terminated once its attempts have settled. */
  retiring: boolean;
  /** Its control port, once a task on it submitted a child task. */
  control: Control | undefined;
  /** Its attempts blocked on child tasks. */
  blocked: number;
  /** Whether every attempt on it is blocked (it counts towards the extra threads). */
  allBlocked: boolean;
}

/** What {@link Threads.remember} found (one object per answer: it runs on every dispatch). */
export interface Remembered {
  readonly known: boolean;
  readonly cleared: boolean;
  readonly first: boolean;
}
const FIRST: Remembered = Object.freeze({ known: false, cleared: false, first: true });
const KNOWN: Remembered = Object.freeze({ known: true, cleared: false, first: false });
const NEW: Remembered = Object.freeze({ known: false, cleared: false, first: false });
const CLEARED: Remembered = Object.freeze({ known: false, cleared: true, first: false });

export class Threads {
  readonly #piscina: () => Piscina;
  readonly #waitingForThread: () => number;
  readonly #kick: () => void;
  #checkQueued = false;
  readonly #byId = new Map<number, ThreadState>();
  /** Static context per spec. */
  readonly #statics = new WeakMap<object, StaticContext>();
  /** Ids of threads Piscina has marked ready (threads made by its constructor start ready). */
  readonly #ready = new Set<number>();
  /** Threads that take no new task (their id), for the balancer. */
  readonly retiring = new Set<number>();
  #closing = false;

  constructor(piscina: () => Piscina, waitingForThread: () => number, kick: () => void) {
    this.#piscina = piscina;
    this.#waitingForThread = waitingForThread;
    this.#kick = kick;
  }

  /** Threads that exist now, as Piscina made them in its constructor: ready from the start. */
  startedReady(): void {
    for (const w of this.#piscina().threads) this.#ready.add(w.threadId);
  }

  /** Piscina's 'workerCreate': the thread is ready. */
  created(id: number): void {
    this.#ready.add(id);
  }

  /** Piscina's 'workerDestroy': once Piscina is done with it, start a thread if tasks wait for one. */
  destroyed(): void {
    this.refill();
  }

  /**
   * Starts a thread if tasks wait for one, the pool may have another and none is starting (a
   * thread left, or the bound of threads rose for a blocked task), once Piscina is done with
   * what it is doing now.
   */
  refill(): void {
    if (this.#closing || this.#checkQueued) return;
    this.#checkQueued = true;
    queueMicrotask(() => {
      this.#checkQueued = false;
      const p = this.#piscina();
      if (this.#closing || this.#waitingForThread() === 0) return;
      if (p.threads.length >= p.maxThreads || this.pending() > 0) return;
      this.#kick();
    });
  }

  /** No more replacements: the pool is closing. */
  close(): void {
    this.#closing = true;
  }

  /** Threads Piscina has started that are not ready yet. */
  pending(): number {
    let n = 0;
    const threads = this.#piscina().threads;
    for (const w of threads) if (!this.#ready.has(w.threadId)) n++;
    if (this.#ready.size > 2 * threads.length + 64) {
      const live = new Set(threads.map((w) => w.threadId));
      for (const id of this.#ready) if (!live.has(id)) this.#ready.delete(id);
    }
    return n;
  }

  /** The state of thread `id` (created on first use). */
  get(id: number): ThreadState {
    let s = this.#byId.get(id);
    if (s === undefined) {
      const worker = this.#piscina().threads.find((w) => w.threadId === id);
      s = {
        id,
        worker,
        running: 0,
        attempts: new Set(),
        calls: undefined,
        seen: undefined,
        retiring: false,
        control: undefined,
        blocked: 0,
        allBlocked: false,
      };
      this.#byId.set(id, s);
      worker?.once('exit', () => this.#forget(id));
    }
    return s;
  }

  /** Counts a call of `key` on the thread; returns the count. */
  count(s: ThreadState, key: string): number {
    const m = (s.calls ??= new Map());
    const n = (m.get(key) ?? 0) + 1;
    m.set(key, n);
    return n;
  }

  /** Whether the thread has cached spec `specId`'s static context; remembers it (bounded: true when the cache was cleared). */
  remember(s: ThreadState, specId: number): Remembered {
    const seen = s.seen;
    if (seen === undefined) {
      s.seen = new Set([specId]);
      return FIRST;
    }
    if (seen.has(specId)) return KNOWN;
    seen.add(specId);
    if (seen.size <= 1024) return NEW;
    seen.clear();
    seen.add(specId);
    return CLEARED;
  }

  /** The thread takes no new task from now on. */
  markRetiring(s: ThreadState): void {
    s.retiring = true;
    this.retiring.add(s.id);
  }

  /**
   * Piscina gives the thread a task while it runs no other (`idle`): every attempt TaskPool still
   * counts on it has finished there and is only settling. Then the new attempt is on the thread.
   */
  took(s: ThreadState, a: Attempt, idle: boolean): void {
    if (idle) for (const prev of s.attempts) prev.offThread = true;
    s.attempts.add(a);
    s.running++;
  }

  /** An attempt on the thread settled: a retiring thread with none left is terminated. */
  settled(s: ThreadState, a: Attempt): void {
    s.attempts.delete(a);
    s.running--;
    if (s.retiring && s.running <= 0) void s.worker?.terminate();
  }

  /** The thread died (its attempts failed as system failures): forget what it had cached. */
  lost(id: number): void {
    const s = this.#byId.get(id);
    if (s !== undefined) {
      s.calls = undefined;
      s.seen = undefined;
    }
  }

  /** Calls `fn` once thread `id` has exited (at once when it already has, or is unknown). */
  whenGone(id: number, fn: () => void): void {
    const s = this.#byId.get(id);
    if (s?.worker === undefined || s.worker.threadId === -1) fn();
    else s.worker.once('exit', fn);
  }

  /** The state of thread `id` if the pool knows it. */
  find(id: number): ThreadState | undefined {
    return this.#byId.get(id);
  }

  #forget(id: number): void {
    const s = this.#byId.get(id);
    if (s?.control !== undefined) s.control.port.close();
    this.#byId.delete(id);
    this.retiring.delete(id);
    this.#ready.delete(id);
  }

  /** The static context of `spec` (built once per spec). */
  staticContext(
    spec: Parameters<typeof Threads.context>[2] & { readonly isolated: boolean },
    idPrefix: string,
    nodeId: string,
    jobEnvVars: Record<string, string> | undefined,
  ): StaticContext {
    let st = this.#statics.get(spec);
    if (st === undefined) {
      const runtimeEnv = spec.isolated || jobEnvVars === undefined ? undefined : { envVars: jobEnvVars };
      st = Threads.context(idPrefix, nodeId, spec, runtimeEnv);
      this.#statics.set(spec, st);
    }
    return st;
  }

  /** Static context a thread caches per spec. */
  static context(
    idPrefix: string,
    nodeId: string,
    spec: {
      name: string | undefined;
      demand: Readonly<Record<string, number>>;
      resolved: { acceleratorType?: string | undefined };
    },
    runtimeEnv?: { envVars: Record<string, string> },
  ): StaticContext {
    return {
      idPrefix,
      name: spec.name,
      nodeId,
      resources: spec.demand,
      acceleratorType: spec.resolved.acceleratorType,
      runtimeEnv,
    };
  }
}

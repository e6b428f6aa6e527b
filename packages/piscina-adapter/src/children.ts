/**
 * Nested tasks, on the main thread. A task's thread opens a control port the first time its task
 * submits a child (`pool.remote(...)` from `@taskfit/piscina-adapter/worker`); through it the
 * thread submits children, says when its task awaits one (the task is then blocked) or waits
 * (`pool.wait`), and cancels them; the main thread sends back results, stream items and wait
 * outcomes. Children are ordinary tasks of the pool, admitted against the one ledger.
 *
 * Ray's rules, and where we do better:
 * - A child inherits its parent's effective runtime env (merged with its own) and, when the
 *   parent captures child tasks in a placement group, runs in that group unless it sets a
 *   strategy (spec.ts).
 * - Blocking: while a task awaits its children its CPUs go back to the ledger (not its GPUs or
 *   custom resources); it gets them back before it resumes — the message that resumes it is held
 *   until its CPUs fit again, served before any waiting task (Ray lets the CPU go negative; we
 *   never oversubscribe). A thread whose tasks are all blocked does not count towards
 *   `maxThreads`, up to `maxBlockedThreads` such threads. When every thread the pool may have is
 *   blocked and a child waits for a thread, the newest blocked task is cancelled instead of the
 *   tree hanging (Ray can hang here).
 * - Fate sharing: cancelling a task cancels its unfinished descendants (engine.ts); an attempt
 *   whose thread dies has its children cancelled before the task is retried (their owner is
 *   gone); children of an attempt that returns keep running (Ray's fire-and-forget).
 * - A child's result stays reachable (as a ref argument, in a wait) until the attempt that
 *   submitted it ends, as Ray keeps an object while its owner holds a reference.
 */
import { receiveMessageOnPort } from 'node:worker_threads';
import type { TaskOptions } from '@taskfit/core';
import { CONTROL_HELLO, encodeFailure } from './control-wire.js';
import type { ControlHello, DownMessage, UpMessage } from './control-wire.js';
import type { Engine } from './engine.js';
import { compileSpec, inheritedFrom } from './spec.js';
import type { TaskSpec } from './spec.js';
import { Api, Phase } from './task.js';
import type { Attempt, AttemptNest, StreamSink, Task } from './task.js';
import type { ThreadState } from './threads.js';
import { CallMode } from './wire.js';

/** Compiled child specs kept (per parent spec and options): bounded, recompiled when dropped. */
const MAX_SPECS = 4096;
/**
 * How long an idle thread stays while tasks are blocked on children (at least): a tree of nested
 * tasks reuses its threads at once, and a thread costs tens of milliseconds to start.
 */
export const NESTED_IDLE_MS = 1000;
const NO_ARGS = { transferList: undefined, queueOptions: null, abortable: true } as const;
const noop = (): void => {};

type Submit = Extract<UpMessage, { k: 's' }>;
type Wait = Extract<UpMessage, { k: 'W' }>;

function attemptNest(): AttemptNest {
  return {
    refs: new Map(),
    blockers: 0,
    cpuOut: false,
    held: undefined,
    awaited: new Set(),
    sent: new Set(),
    waits: new Map(),
    blockedSeq: 0,
  };
}

export class Children {
  readonly #engine: Engine;
  readonly #specs = new Map<string, TaskSpec>();
  /** Blocked attempts, in the order they blocked. */
  readonly #blocked = new Set<Attempt>();
  /** Blocked attempts whose children are done, waiting for their CPUs (oldest first). */
  #resuming: Attempt[] = [];
  #blockSeq = 0;
  /** Threads whose every attempt is blocked. */
  #blockedThreads = 0;
  /** The attempt cancelled to break a thread deadlock, until it has ended. */
  #breaking: Attempt | undefined;
  /** Threads with messages to send. */
  #pending: ThreadState[] = [];
  #flushQueued = false;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** Threads whose every task is blocked on its children. */
  get blockedThreads(): number {
    return this.#blockedThreads;
  }

  // ── the control port ──────────────────────────────────────────────────────────────────────

  /** A thread handed over its control port. */
  connect(hello: ControlHello): void {
    const s = this.#engine.threads.get(hello[CONTROL_HELLO]);
    s.control?.port.close();
    const port = hello.port;
    s.control = { port, out: [] };
    port.on('message', (batch: UpMessage[]) => this.#onBatch(s, batch));
    port.unref();
  }

  /** Handles what thread `s` has sent and not been handled yet (before one of its attempts settles). */
  drain(s: ThreadState): void {
    const port = s.control!.port;
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port))
      this.#onBatch(s, m.message as UpMessage[]);
  }

  #onBatch(s: ThreadState, batch: readonly UpMessage[]): void {
    for (const m of batch) {
      const a = this.#attempt(s, m.p, m.a);
      if (m.k === 's') this.#submit(s, a, m);
      else if (a === undefined) {
        // The task that sent it has ended (code it left running): a wait must still return.
        if (m.k === 'W') this.#post(s, { k: 'W', w: m.w, ready: [] });
      } else if (m.k === 'w') this.#await(a, m.id);
      else if (m.k === 'W') this.#wait(a, m);
      else {
        const c = a.nest?.refs.get(m.id);
        if (c !== undefined) this.#engine.cancel(c, m.why);
      }
    }
  }

  /** The running attempt `at` of task `seq` on thread `s`. */
  #attempt(s: ThreadState, seq: number, at: number): Attempt | undefined {
    for (const a of s.attempts) if (a.task.seq === seq && a.task.attempt === at && !a.over) return a;
    return undefined;
  }

  #post(s: ThreadState, m: DownMessage): void {
    const c = s.control;
    if (c === undefined) return;
    c.out.push(m);
    if (c.out.length > 1) return;
    this.#pending.push(s);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
  }

  /** Sends each thread its batch (one post per thread). */
  readonly #flush = (): void => {
    this.#flushQueued = false;
    const list = this.#pending;
    this.#pending = [];
    for (const s of list) {
      const c = s.control;
      if (c === undefined || c.out.length === 0) continue;
      const out = c.out;
      c.out = [];
      c.port.postMessage(out);
    }
  };

  // ── submission ────────────────────────────────────────────────────────────────────────────

  /** The spec of a child with options `key` (JSON) of a task with spec `parent` (it inherits env and capture). */
  #spec(parent: TaskSpec, key: string): TaskSpec {
    const k = `${parent.id}\u0000${key}`;
    let spec = this.#specs.get(k);
    if (spec === undefined) {
      if (this.#specs.size >= MAX_SPECS) this.#specs.clear();
      spec = compileSpec(key === '' ? {} : (JSON.parse(key) as TaskOptions), inheritedFrom(parent));
      this.#specs.set(k, spec);
    }
    return spec;
  }

  #submit(s: ThreadState, a: Attempt | undefined, m: Submit): void {
    const engine = this.#engine;
    if (a === undefined) {
      const err = new Error(`child task ${m.id} was submitted after the task that submitted it had ended`);
      this.#post(s, { k: 'e', id: m.id, e: encodeFailure(err) });
      return;
    }
    const parent = a.task;
    let spec: TaskSpec;
    try {
      spec = this.#spec(parent.spec, m.o);
    } catch (err) {
      this.#post(s, { k: 'e', id: m.id, e: encodeFailure(err) });
      return;
    }
    const pn = (parent.nest ??= { parent: undefined, parentAttempt: undefined, depth: 0, live: undefined });
    const an = (a.nest ??= attemptNest());
    const t = engine.newTask(spec, Api.Remote, parent.file, m.n, m.m, m.x, NO_ARGS, {
      id: m.id,
      nest: { parent, parentAttempt: a, depth: pn.depth + 1, live: undefined },
    });
    t.snapshot = true; // the arguments crossed the thread boundary: a private copy already
    t.promise.catch(noop); // its parent's thread gets the outcome
    an.refs.set(m.id, t);
    (pn.live ??= new Set()).add(t);
    if (m.m === CallMode.Stream) t.stream = this.#streamTo(a, t);
    engine.accept(t);
    if (engine.closing === 'destroyed') {
      engine.cancel(t, 'the pool was destroyed');
      return;
    }
    const refs = m.r;
    if (refs === undefined) engine.enqueue(t);
    else {
      // Ref arguments (other children's results) are resolved here, on the main thread.
      const values = refs.map(([at, id, i]) => {
        const c = an.refs.get(id);
        if (c === undefined)
          return Promise.reject(new TypeError(`argument ${at} of child task ${m.id} is a ref of another task's child`));
        return i < 0 ? c.promise : c.promise.then((v) => (v as unknown[])[i]);
      });
      engine.awaitArgs(
        t,
        m.x,
        refs.map((r) => r[0]),
        values,
      );
    }
    this.checkDeadlock();
  }

  /** Where a streaming child's items go: its parent's thread. */
  #streamTo(a: Attempt, t: Task): StreamSink {
    return {
      push: (item) => {
        // The end and a failure are sent when the child settles.
        if ('value' in item && !a.over) this.#deliver(a, t.id, { k: 'i', id: t.id, v: item.value }, false);
      },
    };
  }

  /** Child `t` settled: its parent's attempt (if it still runs) gets the result. */
  settled(t: Task, ok: boolean, value: unknown): void {
    const n = t.nest!;
    n.parent!.nest?.live?.delete(t);
    const a = n.parentAttempt!;
    if (a.over || a.nest === undefined) return;
    if (t.spec.numReturns !== 0) {
      const m: DownMessage = !ok
        ? { k: 'e', id: t.id, e: encodeFailure(value) }
        : t.mode === CallMode.Stream
          ? { k: 'd', id: t.id }
          : { k: 'v', id: t.id, v: value };
      this.#deliver(a, t.id, m, true);
    }
    const waits = a.nest.waits;
    if (waits.size > 0) for (const w of [...waits.values()]) w.check();
  }

  #deliver(a: Attempt, id: string, m: DownMessage, last: boolean): void {
    const an = a.nest!;
    if (last) an.sent.add(id);
    if (an.awaited.delete(id)) this.#unblockOne(a, m);
    else this.#post(a.thread!, m);
  }

  // ── blocking ──────────────────────────────────────────────────────────────────────────────

  #await(a: Attempt, id: string): void {
    const an = (a.nest ??= attemptNest());
    if (an.sent.has(id) || an.awaited.has(id) || !an.refs.has(id)) return;
    an.awaited.add(id);
    this.#block(a);
  }

  #wait(a: Attempt, m: Wait): void {
    const an = (a.nest ??= attemptNest());
    const ready = (): number[] => {
      const out: number[] = [];
      for (let i = 0; i < m.ids.length && out.length < m.n; i++) {
        const c = an.refs.get(m.ids[i]!);
        if (c === undefined || c.phase === Phase.Settled) out.push(i);
      }
      return out;
    };
    const now = ready();
    if (now.length >= m.n || m.t === 0) {
      this.#post(a.thread!, { k: 'W', w: m.w, ready: now });
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (): void => {
      if (!an.waits.delete(m.w)) return;
      if (timer !== undefined) clearTimeout(timer);
      this.#unblockOne(a, { k: 'W', w: m.w, ready: ready() });
    };
    an.waits.set(m.w, {
      check: () => {
        if (ready().length >= m.n) finish();
      },
      cancel: () => {
        if (timer !== undefined) clearTimeout(timer);
      },
    });
    if (m.t > 0) timer = setTimeout(finish, m.t);
    this.#block(a);
  }

  /** One more thing the attempt waits for: the first makes it blocked (its CPUs go back). */
  #block(a: Attempt): void {
    const an = a.nest!;
    if (an.blockers++ > 0) return;
    if (an.held !== undefined) {
      // It was about to resume: blocked again, it gets what was held back for it now.
      const held = an.held;
      an.held = undefined;
      this.#resuming = this.#resuming.filter((x) => x !== a);
      for (const m of held) this.#post(a.thread!, m);
      return;
    }
    this.#blocked.add(a);
    an.blockedSeq = ++this.#blockSeq;
    const s = a.thread!;
    s.blocked++;
    this.refresh(s); // first: a child handed to Piscina may need the extra thread
    const engine = this.#engine;
    if (a.holding !== null) an.cpuOut = engine.ledger!.releaseCpu(a.holding);
    engine.pump();
    this.checkDeadlock();
  }

  /** One thing the attempt waited for is here (`m`); the last resumes it — once it has its CPUs back. */
  #unblockOne(a: Attempt, m: DownMessage): void {
    const an = a.nest!;
    if (--an.blockers > 0) return this.#post(a.thread!, m);
    if (this.#reacquire(a)) {
      this.#running(a);
      this.#post(a.thread!, m);
      return;
    }
    (an.held ??= []).push(m);
    if (an.held.length === 1) this.#resuming.push(a);
  }

  #reacquire(a: Attempt): boolean {
    const an = a.nest!;
    if (!an.cpuOut || a.holding === null) return true;
    if (!this.#engine.ledger!.reacquireCpu(a.holding)) return false;
    an.cpuOut = false;
    return true;
  }

  /** The attempt runs again. */
  #running(a: Attempt): void {
    if (!this.#blocked.delete(a)) return;
    const s = a.thread!;
    s.blocked--;
    this.refresh(s);
  }

  /** Blocked attempts whose children are done get their CPUs back, oldest first (the engine's pump calls this first). */
  resume(): void {
    if (this.#resuming.length === 0) return;
    const list = this.#resuming;
    this.#resuming = [];
    for (const a of list) {
      const an = a.nest!;
      if (a.over || an.held === undefined) continue;
      if (!this.#reacquire(a)) {
        this.#resuming.push(a);
        continue;
      }
      const held = an.held;
      an.held = undefined;
      this.#running(a);
      for (const m of held) this.#post(a.thread!, m);
    }
  }

  /**
   * Recounts whether every attempt on thread `s` is blocked, and with it how many threads the
   * pool may run: `maxThreads` plus one per such thread, up to `maxBlockedThreads`.
   */
  refresh(s: ThreadState): void {
    const all = s.blocked > 0 && s.blocked >= s.running;
    if (all === s.allBlocked) return;
    s.allBlocked = all;
    this.#blockedThreads += all ? 1 : -1;
    const engine = this.#engine;
    const cfg = engine.config;
    const cap = cfg.maxThreads + Math.min(this.#blockedThreads, cfg.maxBlockedThreads);
    // Piscina reads these whenever it considers starting or stopping a thread.
    const o = engine.piscina.options as { maxThreads: number; idleTimeout: number };
    const idle = cfg.filled.idleTimeout;
    if (this.#blockedThreads === 0) o.idleTimeout = idle;
    else if (this.#blockedThreads === 1 && all) o.idleTimeout = Math.max(idle, NESTED_IDLE_MS);
    if (o.maxThreads === cap) return;
    const rose = cap > o.maxThreads;
    o.maxThreads = cap;
    if (rose) engine.threads.refill();
  }

  /**
   * When every thread the pool may have runs a blocked task and a task waits for a thread,
   * nothing can move: the newest blocked task is cancelled (its children with it), which frees
   * its thread for the others.
   */
  checkDeadlock(): void {
    const engine = this.#engine;
    const cfg = engine.config;
    const bound = cfg.maxThreads + cfg.maxBlockedThreads;
    if (this.#blockedThreads < bound || engine.handed === 0 || this.#breaking !== undefined) return;
    const blocked = [...this.#blocked].sort((x, y) => y.nest!.blockedSeq - x.nest!.blockedSeq);
    const reason =
      `every thread this pool may run (maxThreads ${cfg.maxThreads} + maxBlockedThreads ${cfg.maxBlockedThreads}) ` +
      `runs a task blocked waiting on its child tasks while a task waits for a thread, so none could go on: ` +
      `the newest blocked task is cancelled to let the others finish (raise maxBlockedThreads, or have fewer ` +
      `tasks wait on children at once)`;
    for (const a of blocked) {
      this.#breaking = a;
      if (engine.cancel(a.task, reason)) return;
    }
    this.#breaking = undefined;
  }

  // ── the end of an attempt ─────────────────────────────────────────────────────────────────

  /**
   * An attempt that submitted children ended. When its thread died (`crashed`), the children it
   * submitted are cancelled before the task is retried: their owner is gone.
   */
  attemptEnded(a: Attempt, crashed: boolean): void {
    const an = a.nest!;
    for (const w of an.waits.values()) w.cancel();
    an.waits.clear();
    if (an.held !== undefined) {
      an.held = undefined;
      this.#resuming = this.#resuming.filter((x) => x !== a);
    }
    if (this.#blocked.delete(a) && a.thread !== undefined) {
      a.thread.blocked--;
      this.refresh(a.thread);
    }
    if (this.#breaking === a) this.#breaking = undefined;
    if (crashed) {
      const t = a.task;
      const live = t.nest?.live;
      if (live !== undefined)
        for (const c of [...live])
          if (c.nest!.parentAttempt === a)
            this.#engine.cancel(
              c,
              `the thread of its parent task ${t.id} died (attempt ${t.attempt}): its owner is gone`,
            );
    }
  }
}

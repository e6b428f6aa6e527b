/**
 * The life of a task inside a TaskPool: admission against the node's ledger, hand-off to Piscina
 * (which queues it until a thread is free and picks the thread through TaskPool's balancer),
 * settlement, retries, cancellation, and the ledger's refinement once detection ends.
 *
 * Order for one attempt: resources granted (SUBMITTED_TO_WORKER) → `piscina.run()` → the balancer
 * hands it to a thread (RUNNING) → Piscina settles → the outcome is recorded (FINISHED/FAILED);
 * the resources go back and the next waiting task is admitted then, or, for a bare task, as soon
 * as it has ended on its thread (handoff.ts), with other tasks' events held back until its outcome
 * is recorded: events never show more in use than the ledger holds.
 * Around it: what a failed attempt means (failure.ts), the listeners of an executor sharing the
 * ledger (shared-ledger.ts), and waiters for the pool to settle plus the drain signal (lifecycle.ts).
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Transferable } from 'node:worker_threads';
import { InfeasibleTaskError, TaskError } from '@taskfit/core';
import type { ResourceRequest } from '@taskfit/core';
import { AdmissionQueue } from './admission.js';
import { Children } from './children.js';
import { isControlHello } from './control-wire.js';
import { PiscinaQueue, envelopeOf, makeBalancer } from './dispatch.js';
import { PiscinaText, attemptFailed, cancelError, classify, numReturnsMismatch } from './failure.js';
import type { Failure } from './failure.js';
import { State, TaskHistory, TaskRecord } from './history.js';
import type { Holding, Ledger } from './ledger.js';
import type { PiscinaWorker, PoolConfig } from './options.js';
import { backoffDelay } from './retry.js';
import { Api, Phase, Task, snapshotArgs } from './task.js';
import type { Attempt, TaskNest } from './task.js';
import type { TaskSpec } from './spec.js';
import { Threads } from './threads.js';
import { LedgerWatchers } from './shared-ledger.js';
import { Drain, Waiters } from './lifecycle.js';
import { Handoff } from './handoff.js';
import { Timing } from './compat.js';
import { CallMode } from './wire.js';
import type { Envelope } from './wire.js';

// A CommonJS shim (see worker/loader.cts) that imports the ESM wrapper worker/entry.js.
const ENTRY = fileURLToPath(new URL('./worker/loader.cjs', import.meta.url));
const NO_DEVICES: readonly string[] = Object.freeze([]);
const noop = (): void => {};
const newRecord = (...a: ConstructorParameters<typeof TaskRecord>): TaskRecord => new TaskRecord(...a);

export class Engine {
  readonly config: PoolConfig;
  readonly history: TaskHistory;
  readonly timing: Timing | undefined;
  readonly piscina: Piscina;
  readonly threads: Threads;
  readonly queue: PiscinaQueue;
  readonly admission: AdmissionQueue;
  /** Child tasks waiting for resources (served before top-level tasks, depth-first). */
  readonly nested: AdmissionQueue;
  /** Nested tasks: created when a thread opens its control port (its task submitted a child). */
  children: Children | undefined;
  readonly idPrefix: string;
  /** Sequence numbers of tasks (`<idPrefix><seq>` is a top-level task's id). */
  #seq = 0;
  /** What a Task's `cancel()` (its ObjectRefs') calls. */
  readonly #cancelTask = (t: Task, reason: string, cause?: unknown): boolean => this.cancel(t, reason, cause);
  #ledger: Ledger | undefined;
  /** Why no task can be admitted (resource detection failed); undefined while all is well. */
  failure: unknown;
  /** Every accepted, unsettled task. */
  readonly active = new Set<Task>();
  /** Attempts that hold resources. */
  readonly #holding = new Set<Attempt>();
  /** Attempts Piscina has not settled. */
  #live = 0;
  /** Early hand-off (handoff.ts): an attempt that ended on its thread gives way before Piscina settles it. */
  readonly #handoff = new Handoff(
    () => !this.#pumping && this.closing === 'open' && this.waitingForResources > 0 && !this.watchers.busy,
    (a) => {
      if (a.task.record !== undefined) this.history.gate(a.task.record);
      this.#release(a);
      this.pump();
    },
  );
  /** Attempts handed to Piscina and waiting for a thread. */
  handed = 0;
  /** Attempts on threads. */
  onThreads = 0;
  /** Attempts that ended on a thread (Piscina's `completed`). */
  completed = 0;
  /** Threads running an isolated task (nothing joins them). */
  readonly #isolated = new Set<number>();
  #pumping = false;
  #again = false;
  /** An executor sharing the ledger: its listeners (`onChange`, `onGranted`). */
  readonly watchers = new LedgerWatchers();
  readonly #waiters = new Waiters();
  readonly #drain: Drain;
  closing: 'open' | 'closing' | 'destroyed' = 'open';

  constructor(
    config: PoolConfig,
    ledger: Ledger | undefined,
    idPrefix: string,
    emit: (event: string, ...args: unknown[]) => void,
  ) {
    this.config = config;
    this.#ledger = ledger;
    this.idPrefix = idPrefix;
    this.#drain = new Drain(
      () => this.onThreads >= this.maxCapacity || this.waitingForResources > 0,
      (event) => emit(event),
    );
    this.history = new TaskHistory(config.nodeId, config.maxTaskHistory);
    this.timing = config.recordTiming ? new Timing() : undefined;
    this.admission = new AdmissionQueue(config.maxBypass);
    this.nested = new AdmissionQueue(config.maxBypass, true);
    this.queue = new PiscinaQueue(config.taskQueue);
    // Not with a caller's queue or balancer: no caller's code may run in the hand-off (handoff.ts).
    if (config.concurrentTasksPerWorker === 1 && config.taskQueue === undefined && config.loadBalancer === undefined)
      this.queue.onSize = this.#handoff.poll;
    config.filled.taskQueue = this.queue.inner;
    this.threads = new Threads(
      () => this.piscina,
      () => this.handed,
      () => {
        // An empty envelope (no task rides along): Piscina spawns a thread for it, then it runs as a no-op.
        const kick: Envelope = { n: '', a: undefined, m: CallMode.Single, i: 0, t: 0, s: 0 };
        this.piscina.run(kick).catch(noop);
      },
    );
    const balancer = makeBalancer({
      user: config.loadBalancer,
      maximumUsage: config.concurrentTasksPerWorker,
      retiring: this.threads.retiring,
      refuses: (t, w) => (t.spec.isolated ? w.currentUsage !== 0 : this.#isolated.has(w.id)),
      onDispatch: (t, w) => this.#dispatched(t, w),
    });
    this.piscina = new Piscina({
      ...config.passThrough,
      filename: ENTRY,
      name: 'default',
      minThreads: config.minThreads,
      maxThreads: config.maxThreads,
      maxQueue: Infinity,
      concurrentTasksPerWorker: config.concurrentTasksPerWorker,
      atomics: config.filled.atomics,
      taskQueue: this.queue,
      loadBalancer: balancer,
      recordTiming: false,
    });
    this.threads.startedReady();
    this.piscina.on('workerCreate', (w: PiscinaWorker) => {
      this.threads.created(w.id);
      emit('workerCreate', w);
    });
    this.piscina.on('workerDestroy', (w: PiscinaWorker) => {
      this.threads.destroyed();
      emit('workerDestroy', w);
    });
    this.piscina.on('message', (m: unknown) => {
      // A thread hands over its control port (its task submitted a child task): not the user's message.
      if (isControlHello(m)) (this.children ??= new Children(this)).connect(m);
      else emit('message', m);
    });
    this.piscina.on('error', (err: unknown) => emit('error', err));
  }

  get ledger(): Ledger | undefined {
    return this.#ledger;
  }

  /** Task capacity of the threads: Piscina's `maxThreads × concurrentTasksPerWorker`. */
  get maxCapacity(): number {
    return this.config.maxThreads * this.config.concurrentTasksPerWorker;
  }

  /** Queue capacity of threads that are starting (Piscina's `pendingCapacity`). */
  pendingCapacity(): number {
    return this.threads.pending() * this.config.concurrentTasksPerWorker;
  }

  // ── submission ────────────────────────────────────────────────────────────────────────────

  /** A new task of this pool (`nest`: a child task's id and place in its tree). */
  newTask(
    spec: TaskSpec,
    api: Api,
    file: string,
    exportName: string,
    mode: CallMode,
    args: unknown,
    extra: { transferList: readonly Transferable[] | undefined; queueOptions: object | null; abortable: boolean },
    nest?: { id: string; nest: TaskNest },
  ): Task {
    return new Task({
      seq: ++this.#seq,
      idPrefix: this.idPrefix,
      spec,
      api,
      file,
      exportName,
      mode,
      args,
      transferList: extra.transferList,
      queueOptions: extra.queueOptions,
      abortable: extra.abortable,
      record: newRecord,
      cancel: this.#cancelTask,
      nest,
    });
  }

  /** Tasks waiting for resources: top-level and child tasks. */
  get waitingForResources(): number {
    return this.admission.size + this.nested.size;
  }

  /** Registers an accepted task (it counts for close/destroy and the history). */
  accept(t: Task): void {
    this.active.add(t);
    if (t.record !== undefined) this.history.add(t.record);
  }

  /**
   * Submits an accepted task with Piscina's queue rules: while tasks wait (for resources or a
   * thread) a new one waits behind them, up to `maxQueue` plus the capacity of threads that are
   * starting; a task that cannot start at once when nothing waits is rejected only when
   * `maxQueue` and that capacity are both 0.
   */
  submit(t: Task): void {
    t.submittedAt = performance.now();
    if (this.failure !== undefined) return this.#fail(t, this.failure, undefined);
    if (t.record !== undefined) this.history.record(t.record, State.PendingNode);
    const ledger = this.#ledger!;
    const admission = this.admission.size + this.nested.size;
    const waiting = admission + this.queue.waiting;
    const limit = this.config.maxQueue;
    if (waiting > 0) {
      if (limit !== Infinity && waiting >= limit + this.pendingCapacity())
        return this.#fail(t, this.#queueFull(), undefined);
      if (admission > 0) return this.#wait(t);
    }
    const r = ledger.schedule(t.spec.request, t.spec.strategy, t.spec.labelSelector);
    if (r.status === 'infeasible') return this.#fail(t, new InfeasibleTaskError(t.id, r.reason), undefined);
    if (r.status === 'waiting') {
      if (waiting === 0 && limit + this.pendingCapacity() <= 0) return this.#fail(t, this.#queueFull(), undefined);
      return this.#wait(t);
    }
    this.#hand(t, r.allocation);
    this.watchers.changed();
    if (t.phase === Phase.Handed && waiting === 0 && limit + this.pendingCapacity() <= 0) {
      // Piscina could not place it and may not queue it: take it back.
      this.#withdraw(t);
      this.#fail(t, this.#queueFull(), undefined);
      this.pump();
    }
  }

  #queueFull(): Error {
    return new Error(this.config.maxQueue === 0 ? PiscinaText.noQueue : PiscinaText.queueAtLimit);
  }

  /** Waits in the admission queue (arguments copied: the caller may reuse its objects). */
  #wait(t: Task): void {
    snapshotArgs(t);
    this.admission.push(t);
    this.pump();
  }

  /**
   * (Re-)enters the admission queue: a retry, a task whose ObjectRef arguments resolved, or a
   * child task (which waits in the child queue, never behind `maxQueue`).
   */
  enqueue(t: Task): void {
    t.submittedAt = performance.now();
    if (t.record !== undefined) this.history.record(t.record, State.PendingNode);
    this.#lane(t).push(t);
    this.pump();
    this.#drain.maybe();
  }

  /** The admission queue of `t`: child tasks have their own. */
  #lane(t: Task): AdmissionQueue {
    return t.nest?.parent === undefined ? this.admission : this.nested;
  }

  /**
   * Waits for `t`'s ObjectRef arguments (PENDING_ARGS_AVAIL): `values[i]` is the value of argument
   * `at[i]` of `args` (the task's private copy); once all are known the task enters admission; a
   * ref whose task failed fails it.
   */
  awaitArgs(t: Task, args: unknown[], at: readonly number[], values: readonly Promise<unknown>[]): void {
    t.args = args;
    t.snapshot = true;
    t.phase = Phase.Args;
    if (t.record !== undefined) this.history.record(t.record, State.PendingArgs);
    Promise.all(values).then(
      (resolved) => {
        if (t.phase !== Phase.Args) return;
        resolved.forEach((v, i) => (args[at[i]!] = v));
        this.enqueue(t);
      },
      (err: unknown) => {
        if (t.phase === Phase.Args) this.#fail(t, err, undefined);
      },
    );
  }

  /** Admits every waiting task that may start now. */
  pump(): void {
    const ledger = this.#ledger;
    if (ledger === undefined) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        // Blocked tasks whose children are done get their CPUs back first, then child tasks go
        // (depth-first), then top-level tasks.
        if (this.children !== undefined) this.children.resume();
        if (this.nested.size > 0) this.#admit(this.nested);
        this.#admit(this.admission);
      } while (this.#again);
    } finally {
      this.#pumping = false;
    }
    if (this.children !== undefined && this.handed > 0) this.children.checkDeadlock();
    this.watchers.changed();
  }

  // ── one ledger per machine: an executor that shares this pool's ledger ───────────────────

  /**
   * Whether a task demanding `request` (default placement) would start now: it fits (debts
   * included) and passes no waiting task that holds a reservation.
   */
  admits(request: ResourceRequest): boolean {
    const l = this.#ledger;
    if (l === undefined || this.failure !== undefined) return false;
    if (!l.node.canAllocate(request) || !l.fitsBeyond({}, request.resources)) return false;
    return this.admission.mayPass(l, request.resources);
  }

  /** Admits every task of `q` that may start now. */
  #admit(q: AdmissionQueue): void {
    for (let a = q.next(this.#ledger!); a !== undefined; a = q.next(this.#ledger!)) {
      if ('holding' in a) this.#hand(a.task, a.holding);
      else this.#fail(a.task, new InfeasibleTaskError(a.task.id, a.infeasible), undefined);
    }
  }

  // ── hand-off to Piscina ───────────────────────────────────────────────────────────────────

  #hand(t: Task, holding: Holding): void {
    const spec = t.spec;
    // One shape for every attempt.
    const attempt: Attempt = {
      task: t,
      holding,
      thread: undefined,
      over: false,
      offThread: false,
      nest: undefined,
      view: undefined,
    };
    this.#holding.add(attempt);
    t.phase = Phase.Handed;
    t.live = attempt;
    t.threadId = -1;
    t.retiresThread = false;
    this.handed++;
    this.#live++;
    if (t.record !== undefined)
      this.history.submitted(t.record, holding.resources, spec.gpu ? holding.gpuIds : NO_DEVICES);
    this.watchers.granted(t, holding);
    const { envelope, transferList } = envelopeOf(t, holding, this.config);
    t.envelope = envelope;
    const signal = t.abortable ? (t.abort = new AbortController()).signal : undefined;
    let p: Promise<unknown>;
    try {
      p =
        transferList === undefined && signal === undefined
          ? this.piscina.run(envelope)
          : this.piscina.run(envelope, { transferList: transferList as never, signal: signal ?? null });
    } catch (err) {
      // Piscina could not start a thread for it (e.g. an invalid execArgv): the attempt fails.
      this.queue.removeTask(t);
      p = Promise.reject(err);
    }
    p.then(
      (value: unknown) => this.#settled(attempt, true, value),
      (err: unknown) => this.#settled(attempt, false, err),
    );
    // Queued in Piscina: from now on it must not see the caller's later changes.
    if (t.phase === Phase.Handed && !t.snapshot) {
      snapshotArgs(t);
      envelope.a = t.args;
    }
  }

  /** Takes a task Piscina has queued back (it never runs), releasing what it holds. */
  #withdraw(t: Task): void {
    const a = t.live!;
    if (t.abort !== undefined) t.abort.abort();
    else {
      this.queue.removeTask(t);
      this.#live--;
      a.over = true;
    }
    this.handed--;
    this.#release(a);
    t.live = undefined;
  }

  /** The balancer gave `t` to thread `w`. */
  #dispatched(t: Task, w: PiscinaWorker): void {
    const a = t.live;
    const env = t.envelope;
    if (a === undefined || env === null || t.phase !== Phase.Handed) {
      if (env !== null) env.n = ''; // settled while Piscina held it: runs nothing
      return;
    }
    const s = this.threads.get(w.id);
    a.thread = s;
    this.threads.took(s, a, w.currentUsage === 0);
    if (s.blocked !== 0) this.children!.refresh(s);
    t.phase = Phase.Running;
    t.threadId = w.id;
    this.handed--;
    this.onThreads++;
    const spec = t.spec;
    if (spec.isolated) this.#isolated.add(w.id);
    if (spec.maxCalls > 0 && this.threads.count(s, `${t.file}#${t.exportName}`) >= spec.maxCalls) {
      // No further task on this thread; it is terminated once its attempts have settled
      // (Piscina may hand a thread its next task before the previous one's promise settles).
      this.threads.markRetiring(s);
      t.retiresThread = true;
    }
    // Tell the thread what it has not seen yet: the pool's module, the spec's static context.
    const m = this.threads.remember(s, spec.id);
    if (m.first && this.config.filename !== null) env.d = this.config.filename;
    if (!m.known) {
      if (m.cleared) env.C = true;
      env.S = this.threads.staticContext(spec, this.idPrefix, this.config.nodeId, this.config.jobEnvVars);
    }
    const now = performance.now();
    t.startedAt = now;
    this.timing?.wait(now - t.submittedAt);
    if (t.record !== undefined) this.history.running(t.record, w.id);
    this.#handoff.watch(t, a, w);
  }

  #release(a: Attempt): void {
    const h = a.holding;
    if (h === null) return;
    a.holding = null;
    this.#holding.delete(a);
    this.#ledger!.release(h);
    this.#checkIdle();
  }

  // ── settlement ────────────────────────────────────────────────────────────────────────────

  #settled(a: Attempt, ok: boolean, value: unknown): void {
    if (a.over) return;
    this.#handoff.unwatch(a);
    // What the task's thread sent before its result (child tasks it submitted) counts first.
    if (a.thread?.control !== undefined) this.children!.drain(a.thread);
    a.over = true;
    this.#live--;
    const t = a.task;
    const s = a.thread;
    const failure: Failure | undefined = ok ? undefined : classify(value);
    if (s !== undefined) {
      this.onThreads--;
      this.completed++;
      this.timing?.run(performance.now() - t.startedAt);
      if (t.spec.isolated) this.#isolated.delete(s.id);
      if (failure !== undefined && 'system' in failure) this.threads.lost(s.id);
    } else this.handed--;
    if (t.live === a) {
      t.live = undefined;
      t.abort = undefined;
      t.envelope = null;
    }
    // An attempt aborted on its thread keeps its resources until the thread is gone.
    if (failure !== undefined && 'aborted' in failure && s !== undefined)
      this.threads.whenGone(s.id, () => {
        this.#release(a);
        this.pump();
        this.#drain.maybe();
      });
    else if (t.phase === Phase.Settled || t.port === undefined || failure !== undefined) this.#release(a);
    if (s !== undefined) {
      this.threads.settled(s, a);
      if (s.blocked !== 0) this.children!.refresh(s);
    }
    // Its children learn that it ended (a thread that died cancels them: their owner is gone).
    if (a.nest !== undefined) this.children!.attemptEnded(a, failure !== undefined && 'system' in failure);
    if (t.phase !== Phase.Settled) {
      if (t.cancelled !== undefined) this.#fail(t, this.#cancelError(t), 'TaskCancelledError');
      else if (t.port === undefined) this.#outcome(t, failure, value);
      else if (failure !== undefined && 'system' in failure) {
        t.port.close();
        t.port = undefined;
        this.#outcome(t, failure, value);
      } else {
        // Stream items travel on their own port and may arrive after the result: finish on the end marker.
        t.deferred = () => {
          this.#release(a);
          if (t.phase !== Phase.Settled) this.#outcome(t, failure, value);
          this.pump();
          this.#drain.maybe();
        };
      }
    }
    this.pump();
    this.#drain.maybe();
    this.#checkIdle();
  }

  /** Settles the current attempt: finished, failed (maybe retried), or numReturns mismatch. */
  #outcome(t: Task, f: Failure | undefined, value: unknown): void {
    if (f !== undefined) {
      if ('aborted' in f) this.#fail(t, this.#cancelError(t, f.cause), 'TaskCancelledError');
      else this.#onFailure(t, f);
      return;
    }
    if (t.mode === CallMode.Stream) return this.#finish(t, undefined);
    const mismatch = numReturnsMismatch(t, value);
    if (mismatch !== undefined) return this.#fail(t, mismatch, 'NumReturnsMismatchError');
    this.#finish(t, value);
  }

  #onFailure(t: Task, f: Exclude<Failure, { aborted: true }>): void {
    const { error, errorType, retry } = attemptFailed(t, f, this.closing === 'destroyed');
    if (retry) {
      if (t.record !== undefined) {
        this.history.failed(t.record, errorType, error.message);
        this.history.nextAttempt(t.record);
      }
      t.attempt++;
      t.bypassed = 0;
      t.feasibilityChecked = false;
      const delay = backoffDelay(t.spec.backoff, t.attempt);
      if (delay > 0) {
        t.phase = Phase.Backoff;
        t.timer = setTimeout(() => {
          t.timer = undefined;
          if (t.phase === Phase.Backoff) this.enqueue(t);
        }, delay);
      } else this.enqueue(t);
      return;
    }
    this.#fail(t, error, errorType);
  }

  #finish(t: Task, value: unknown): void {
    if (t.phase === Phase.Settled) return;
    this.#settle(t);
    if (t.record !== undefined) this.history.record(t.record, State.Finished);
    this.#done(t);
    if (t.stream !== undefined) t.stream.push({ done: true });
    if (t.nest?.parent !== undefined) this.children!.settled(t, true, value);
    t.resolve(value);
  }

  /** Settles `t` as failed with `error`. */
  #fail(t: Task, error: unknown, errorType: string | undefined): void {
    if (t.phase === Phase.Settled) return;
    this.#settle(t);
    if (t.record !== undefined) {
      const type =
        errorType ?? (error instanceof TaskError ? error.errorType : error instanceof Error ? error.name : 'Error');
      this.history.failed(t.record, type, error instanceof Error ? error.message : String(error));
    }
    this.#done(t);
    if (t.stream !== undefined) t.stream.push({ error });
    if (t.nest?.parent !== undefined) this.children!.settled(t, false, error);
    t.reject(error);
  }

  /** Leaves every queue: the task is settled from here on. */
  #settle(t: Task): void {
    this.#lane(t).remove(t);
    t.phase = Phase.Settled;
  }

  #done(t: Task): void {
    this.active.delete(t);
    this.watchers.forget(t);
    if (t.timer !== undefined) clearTimeout(t.timer);
    t.unlisten?.();
    t.unlisten = undefined;
    t.args = undefined; // neither the task nor the history keeps the arguments
    if (t.record !== undefined) this.history.settled(t.record);
    this.#checkIdle();
  }

  #cancelError(t: Task, cause?: unknown): Error {
    const c = t.cancelled ?? { reason: 'aborted', cause };
    return cancelError(t.id, t.attempt + 1, c.reason, c.cause, t.api === Api.Run, this.closing === 'destroyed');
  }

  /**
   * Cancels a task: one that waits is dropped at once; one Piscina holds is aborted there (a
   * queued one leaves Piscina's queue, a running one has its thread terminated); the task
   * settles as cancelled at once either way, and its resources return when its thread is gone.
   * A plain Piscina task already on a thread cannot be cancelled (false), as in Piscina.
   */
  cancel(t: Task, reason: string, cause?: unknown): boolean {
    if (t.phase === Phase.Settled) return false;
    if (t.phase === Phase.Running && t.abort === undefined) return false;
    t.cancelled = { reason, cause };
    if (t.phase === Phase.Handed) {
      if (t.abort !== undefined) t.abort.abort();
      else this.#withdraw(t);
    } else if (t.phase === Phase.Running && t.live?.offThread !== true) {
      // Piscina would terminate the task's thread — which, once the task has finished there, may
      // already run the next task: then only the result is dropped.
      t.abort!.abort();
    }
    this.#fail(t, this.#cancelError(t), 'TaskCancelledError');
    // Fate sharing: its unfinished descendants are cancelled with it.
    const live = t.nest?.live;
    if (live !== undefined && live.size > 0)
      for (const c of [...live]) this.cancel(c, `its parent task ${t.id} was cancelled (${reason})`, cause);
    this.pump();
    this.#drain.maybe();
    return true;
  }

  // ── node resources ────────────────────────────────────────────────────────────────────────

  /** Detection finished: the real ledger takes over what tasks hold on the provisional one. */
  refine(next: Ledger): void {
    const held = [...this.#holding];
    const moved = next.adopt(held.map((a) => a.holding!));
    held.forEach((a, i) => {
      a.holding = moved[i]!;
      if (a.nest?.cpuOut === true) a.nest.cpuOut = next.releaseCpu(a.holding); // still blocked
    });
    this.#ledger = next;
    this.pump();
  }

  /** Detection failed: tasks that wait fail with `err`, and so will every new one. */
  failAll(err: unknown): void {
    this.failure = err;
    for (const t of [...this.active]) {
      if (t.phase === Phase.Queued || t.phase === Phase.Args || t.phase === Phase.Backoff)
        this.#fail(t, err, undefined);
    }
  }

  // ── drain, idle, close ────────────────────────────────────────────────────────────────────

  /** Piscina's back-pressure signal (see {@link Drain}). */
  get needsDrain(): boolean {
    return this.#drain.needsDrain;
  }

  maybeDrain(): void {
    this.#drain.maybe();
  }

  get idle(): boolean {
    return this.active.size === 0 && this.#live === 0 && this.#holding.size === 0;
  }

  #checkIdle(): void {
    this.#waiters.check(this.active.size === 0, this.idle);
  }

  /** Resolves once every accepted task has settled and every reserved unit is back. */
  whenIdle(): Promise<void> {
    return this.#waiters.whenIdle(this.idle);
  }

  /** Cancels every task that has not reached a thread (close({ force: true })). */
  cancelNotStarted(reason: string, cause: unknown): void {
    for (const t of [...this.active]) if (t.phase !== Phase.Running) this.cancel(t, reason, cause);
  }

  /** Fails a task that has not been handed to Piscina. */
  fail(t: Task, err: unknown): void {
    this.#fail(t, err, undefined);
  }

  /** Resolves once every accepted task has settled. */
  whenSettled(): Promise<void> {
    return this.#waiters.whenSettled(this.active.size === 0);
  }

  /** Settles every task as cancelled by destroy() (Piscina's destroy then stops the threads). */
  destroyAll(): void {
    this.closing = 'destroyed';
    this.threads.close();
    for (const t of [...this.active]) {
      t.cancelled = { reason: 'the pool was destroyed', cause: 'the pool was destroyed' };
      if (t.phase === Phase.Handed && t.abort === undefined) this.#withdraw(t);
      this.#fail(t, this.#cancelError(t), 'TaskCancelledError');
    }
  }
}

/**
 * TaskPool: a Piscina pool with Ray-style task options enforced, usable wherever a `Piscina` is.
 *
 * This file is the public surface — Piscina's (an EventEmitter with its events, `run`, `close`,
 * `destroy`, thread and queue members, histograms, statics) and taskfit's (`remote`, task
 * events, the ledger, placement groups). The life of a task is in engine.ts; admission in
 * admission.ts; nested tasks in children.ts (main thread) and worker/pool.ts (in a task);
 * Piscina's queue and balancer hooks in dispatch.ts; threads in threads.ts; failures (and what
 * they mean for retries) in failure.ts; events and history in history.ts; close/destroy waiters
 * and the drain signal in lifecycle.ts; the shared ledger's listeners in shared-ledger.ts.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type {
  NodeResources,
  PlacementGroup,
  PlacementGroupOptions,
  PlacementGroupRef,
  RemoteFunction,
  ResolvedTaskOptions,
  ResourceRequest,
  TaskOptions,
} from '@taskfit/core';
import type { ChromeTrace } from '@taskfit/core';
import { onAbort, readRunArgs, signalState, unwrapMovable } from './compat.js';
import type { PoolHistogram, TaskRunOptions } from './compat.js';
import { Engine } from './engine.js';
import { launchTarget, withOverrides } from './launch.js';
import { cancelError, PiscinaText } from './failure.js';
import type { TaskFilter, TaskInfo, TaskPoolEvents, TaskSummary } from './events.js';
import type { Ledger } from './ledger.js';
import { openNode } from './node.js';
import { readPoolOptions, toPath } from './options.js';
import type { FilledOptions, PoolConfig, TaskPoolOptions } from './options.js';
import { ObjectRef, ObjectRefGenerator } from './object-ref.js';
import { NOTHING, bareSpec, compileSpec } from './spec.js';
import type { Inherited, TaskSpec } from './spec.js';
import { poolTimeline } from './timeline.js';
import { Api, Phase, snapshotArgs } from './task.js';
import { CallMode } from './wire.js';

export type { TaskPoolOptions, FilledOptions } from './options.js';
export type { TaskRunOptions, AbortSignalLike, PoolHistogram, HistogramSummary } from './compat.js';

const QUEUE_OPTIONS: symbol = Piscina.queueOptionsSymbol;
const noop = (): void => {};
const NO_DEVICES: readonly string[] = Object.freeze([]);

/** Resource ledger snapshot, in the units the user wrote. */
export interface ResourceSnapshot {
  readonly total: Readonly<Record<string, number>>;
  readonly available: Readonly<Record<string, number>>;
}

/** What `pool.remote(...)` returns: a task launcher bound to options. */
export interface PoolRemoteFunction {
  /** Export the task calls. */
  readonly exportName: string;
  /** The options (validated, without defaults). */
  readonly taskOptions: Readonly<TaskOptions>;
  /** The options with every default filled (e.g. `maxCalls` 1 for GPU tasks). */
  readonly resolvedOptions: Readonly<ResolvedTaskOptions>;
  /** A new launcher with `overrides` merged on (the `.options()` rule; `maxCalls` not allowed). */
  options(overrides: TaskOptions): PoolRemoteFunction;
  /**
   * Submits the task. Returns an ObjectRef (numReturns 1), an array of ObjectRefs (numReturns
   * > 1), `undefined` (numReturns 0), or an ObjectRefGenerator ('streaming'). ObjectRef
   * arguments are awaited first (the task is PENDING_ARGS_AVAIL meanwhile). The arguments are
   * copied now (structured clone): later changes by the caller do not reach the task.
   */
  remote(...args: unknown[]): ObjectRef | ObjectRef[] | ObjectRefGenerator | undefined;
}

/**
 * A pool's ledger as another executor on the same machine shares it (one ledger per machine):
 * `createTaskWorkers({ pool })` of `@taskfit/temporal-adapter` admits its activities through it,
 * so that activities, pool tasks and their children are all admitted against the pool's ledger,
 * in the pool's one admission queue.
 */
export interface SharedLedger {
  /** The machine's resources: the pool's ledger (core's `NodeResources`). */
  readonly node: NodeResources;
  /** The pool's `maxBypass` (its admission's starvation bound). */
  readonly maxBypass: number;
  /** Tasks waiting for resources in the pool. */
  readonly waiting: number;
  /**
   * Whether a task demanding `request` (default placement) would start now: it fits, and it
   * passes no waiting task that holds a reservation (the pool's fairness rule).
   */
  admits(request: ResourceRequest): boolean;
  /** Calls `listener` after every change of the ledger or of the waiting tasks; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
  /**
   * Runs export `exportName` of the pool's module as one task of the pool (what
   * `pool.remote(exportName, options).remote(...args)` does; `numReturns` must be 1), calling
   * `onStart` with what the task holds once it is admitted.
   */
  submit(
    exportName: string,
    options: TaskOptions,
    args: unknown[],
    onStart?: (resources: Readonly<Record<string, number>>, gpuIds: readonly number[] | readonly string[]) => void,
  ): ObjectRef;
}

/** Events a TaskPool emits (Piscina's). */
export interface TaskPoolEmitterEvents {
  workerCreate: [worker: unknown];
  workerDestroy: [worker: unknown];
  message: [message: unknown];
  error: [error: unknown];
  drain: [];
  needsDrain: [];
  close: [];
}

let poolSeq = 0;

/**
 * A Piscina pool that enforces Ray-style task options: resource admission (CPU, fractional
 * GPUs, memory, custom resources), GPU pinning through `CUDA_VISIBLE_DEVICES`, `maxCalls`
 * worker recycling, retries with error-class allow-lists and backoff, per-task env vars,
 * scheduling strategies, cancellation and task events — and Piscina's whole API, so existing
 * Piscina code runs unchanged.
 *
 * ```ts
 * const pool = new TaskPool({ filename: new URL('./tasks.mjs', import.meta.url), resources: { CPU: 4, GPU: 1 } });
 * await pool.run({ n: 1 });                                  // like Piscina: default export, 1 CPU
 * const embed = pool.remote('embed', { numGpus: 0.5 });
 * const v = await embed.remote('text');                      // an ObjectRef, awaited
 * ```
 */
export class TaskPool extends EventEmitter<TaskPoolEmitterEvents> {
  /** Task events: `pool.events.on('taskEvent', (e) => …)`. */
  readonly events: EventEmitter<TaskPoolEvents>;
  /** Resolves once the node's resources are known (at once when `resources` was given); rejects when detection failed. */
  readonly ready: Promise<void>;
  readonly #engine: Engine;
  readonly #config: PoolConfig;
  readonly #bare: TaskSpec;
  /** What top-level tasks inherit: the pool's runtime env. */
  readonly #job: Inherited;
  readonly #specs = new WeakMap<TaskOptions, TaskSpec>();
  readonly #start = performance.now();
  #histogram: PoolHistogram | undefined;
  #closed: Promise<void> | undefined;
  #destroyed: Promise<void> | undefined;

  /**
   * @throws TypeError / RangeError for an invalid Piscina option (Piscina's messages), and
   *   TaskOptionsError for invalid `resources`.
   */
  constructor(options?: TaskPoolOptions) {
    super();
    const config = readPoolOptions(options);
    this.#config = config;
    const node = openNode(config);
    this.#engine = new Engine(config, node.ledger, `${(++poolSeq).toString(36)}-`, (event, ...args) =>
      this.#forward(event, args),
    );
    this.events = this.#engine.history.events;
    this.#job = config.runtimeEnv === undefined ? NOTHING : { env: config.runtimeEnv, capture: undefined };
    this.#bare = bareSpec(config.concurrentTasksPerWorker, this.#job);
    if (node.error !== undefined) {
      this.#engine.failAll(node.error);
      this.ready = Promise.reject(node.error);
    } else if (node.detection !== undefined) {
      this.ready = node.detection.then(
        (ledger) => {
          if (this.#engine.failure === undefined) this.#engine.refine(ledger);
        },
        (err: unknown) => {
          this.#engine.failAll(err);
          throw err;
        },
      );
    } else this.ready = Promise.resolve();
    this.ready.catch(noop);
  }

  /** Re-emits Piscina's and TaskPool's events; an 'error' nobody listens to is dropped, not thrown. */
  #forward(event: string, args: unknown[]): void {
    if (event !== 'error') {
      (this as EventEmitter).emit(event, ...args);
      return;
    }
    if (this.listenerCount('error') > 0) (this as EventEmitter).emit('error', ...args);
    if (this.events.listenerCount('error') > 0) this.events.emit('error', args[0]);
  }

  // ── Piscina's API ─────────────────────────────────────────────────────────────────────────

  /**
   * Runs `task` through the export `runOptions.name` (default: the pool's `name`), as Piscina's
   * `run` does, with `runOptions.options` enforced. Never throws: rejects with a TypeError for
   * bad arguments (Piscina's messages), `TaskError` (the function threw; `errorType` is the
   * thrown class name, `message` the thrown message), `WorkerCrashedError`, `InfeasibleTaskError`,
   * `TaskCancelledError` (`'The task has been aborted'`, `cause` the abort reason),
   * `TaskOptionsError` (invalid options), or Piscina's queue-limit errors.
   */
  run<R = unknown>(task: unknown, runOptions?: TaskRunOptions): Promise<R> {
    const a = readRunArgs(runOptions);
    if (a instanceof TypeError) return Promise.reject(a);
    let file: string | null;
    try {
      file = a.filename != null ? toPath(a.filename) : this.#config.filename;
    } catch (err) {
      return Promise.reject(err);
    }
    if (file === null) return Promise.reject(new Error(PiscinaText.noFilename));
    let spec = this.#bare;
    if (a.options !== undefined) {
      try {
        spec = this.#spec(a.options);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    let value = task;
    let transferList = a.transferList;
    const moved = unwrapMovable(task, transferList);
    if (moved !== undefined) {
      value = moved.value;
      transferList = moved.transferList;
    }
    const queueOptions =
      task !== null && typeof task === 'object'
        ? (((task as Record<symbol, unknown>)[QUEUE_OPTIONS] as object | null | undefined) ?? null)
        : null;
    const t = this.#engine.newTask(spec, Api.Run, file, a.name ?? this.#config.name, CallMode.Single, value, {
      transferList,
      queueOptions,
      abortable: spec.isolated || a.signal !== null,
    });
    const engine = this.#engine;
    if (engine.closing !== 'open') {
      t.phase = Phase.Settled;
      return Promise.reject(cancelError(t.id, 0, 'the pool is closed', 'queue is being terminated', true));
    }
    if (a.signal !== null) {
      const s = signalState(a.signal);
      if (s.aborted) {
        t.phase = Phase.Settled;
        return Promise.reject(cancelError(t.id, 0, `aborted: ${String(s.reason)}`, s.reason, true));
      }
    }
    engine.accept(t);
    if (a.signal !== null) {
      const signal = a.signal;
      t.unlisten = onAbort(signal, () => {
        const { reason } = signalState(signal);
        engine.cancel(t, `aborted: ${String(reason)}`, reason);
      });
    }
    if (spec.maxRetries !== 0 && transferList === undefined) snapshotArgs(t);
    engine.submit(t);
    engine.maybeDrain();
    return t.promise as Promise<R>;
  }

  /**
   * Stops accepting tasks (a later `run()` rejects as aborted), waits for every accepted task to
   * settle — with `force`, tasks not yet on a thread are cancelled — up to `closeTimeout`
   * (then emits 'error' and destroys), stops the threads and emits 'close'.
   */
  close(options?: { force?: boolean }): Promise<void> {
    if (options !== undefined && (options === null || typeof options !== 'object'))
      return Promise.reject(new TypeError('options must be an object'));
    const force = (options as { force?: unknown } | undefined)?.force;
    if (force !== undefined && typeof force !== 'boolean')
      return Promise.reject(new TypeError('force argument must be a boolean'));
    return (this.#closed ??= this.#close(force === true));
  }

  async #close(force: boolean): Promise<void> {
    const engine = this.#engine;
    if (engine.closing === 'open') engine.closing = 'closing';
    if (force) engine.cancelNotStarted('the pool was closed (force)', 'pool is closed');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<boolean>((r) => {
      timer = setTimeout(r, this.#config.closeTimeout, true);
      timer.unref();
    });
    const late = await Promise.race([engine.whenSettled().then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) this.#forward('error', [new Error(PiscinaText.closeTimeout)]);
    await this.destroy();
    (this as EventEmitter).emit('close');
  }

  /**
   * Cancels every accepted task (`TaskCancelledError`; for `run()`, message `'Terminating worker
   * thread'` as in Piscina), terminates the threads and resolves once every reserved unit is back.
   */
  destroy(): Promise<void> {
    return (this.#destroyed ??= (async () => {
      this.#engine.destroyAll();
      await this.#engine.piscina.destroy();
      await this.#engine.whenIdle();
    })());
  }

  [Symbol.dispose](): void {
    void this.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Upper bound of threads. */
  get maxThreads(): number {
    return this.#config.maxThreads;
  }

  /** Threads kept even when idle. */
  get minThreads(): number {
    return this.#config.minThreads;
  }

  /** The options, as Piscina reports them: every default filled (null prototype). */
  get options(): FilledOptions {
    return this.#config.filled;
  }

  /** The worker threads (starting and ready). */
  get threads(): Worker[] {
    return this.#engine.piscina.threads;
  }

  /** Ready threads running no task. */
  get idleThreads(): number {
    return this.#engine.piscina.idleThreads;
  }

  /**
   * Tasks waiting: for resources (TaskPool's admission queues, child tasks included) or for a
   * thread (Piscina's queue, less what threads that are starting will take, as Piscina counts it).
   */
  get queueSize(): number {
    return this.#engine.waitingForResources + this.#engine.piscina.queueSize;
  }

  /** Attempts that ran on a thread and ended. */
  get completed(): number {
    return this.#engine.completed;
  }

  /**
   * Run time (on a thread) and wait time (from submission until a thread took the task,
   * waiting for resources included) of attempts, in milliseconds; undefined with `recordTiming: false`.
   */
  get histogram(): PoolHistogram {
    const timing = this.#engine.timing;
    return (this.#histogram ??=
      timing?.view() ??
      ({
        runTime: undefined,
        waitTime: undefined,
        resetRunTime: noop,
        resetWaitTime: noop,
      } as unknown as PoolHistogram));
  }

  /** Share of the threads' task capacity (`maxThreads × concurrentTasksPerWorker` since the pool started) spent running tasks. */
  get utilization(): number {
    const timing = this.#engine.timing;
    if (timing === undefined || timing.runCount === 0) return 0;
    return (timing.runMean * timing.runCount) / (this.duration * this.#engine.maxCapacity);
  }

  /** Milliseconds since the pool was created. */
  get duration(): number {
    return performance.now() - this.#start;
  }

  /** True while a new task could not start at once: threads at capacity, or tasks waiting for resources. */
  get needsDrain(): boolean {
    return this.#engine.needsDrain;
  }

  /** True inside a Piscina (and so TaskPool) worker thread. */
  static get isWorkerThread(): boolean {
    return Piscina.isWorkerThread;
  }

  /** The pool's `workerData`, inside a worker thread. */
  static get workerData(): unknown {
    return Piscina.workerData;
  }

  /** The version of the Piscina API TaskPool implements (and runs on). */
  static get version(): string {
    return Piscina.version;
  }

  /** TaskPool itself, as `Piscina.Piscina` is Piscina. */
  static get Piscina(): typeof TaskPool {
    return TaskPool;
  }

  static get FixedQueue(): typeof Piscina.FixedQueue {
    return Piscina.FixedQueue;
  }

  static get ArrayTaskQueue(): typeof Piscina.ArrayTaskQueue {
    return Piscina.ArrayTaskQueue;
  }

  /** Marks a value to be transferred, not copied, when sent as a task or returned as a result (Piscina's `move`). */
  static readonly move: typeof Piscina.move = Piscina.move;

  static get transferableSymbol(): symbol {
    return Piscina.transferableSymbol;
  }

  static get valueSymbol(): symbol {
    return Piscina.valueSymbol;
  }

  static get queueOptionsSymbol(): symbol {
    return Piscina.queueOptionsSymbol;
  }

  // ── taskfit's API ─────────────────────────────────────────────────────────────────────────

  /** The underlying Piscina pool. Do not call `run` on it directly. */
  get piscina(): Piscina {
    return this.#engine.piscina;
  }

  /** Total and available resources of the node, in the units the user wrote. */
  get resources(): ResourceSnapshot {
    const l = this.#engine.ledger;
    return l === undefined ? { total: {}, available: {} } : { total: l.total, available: l.available };
  }

  /** This pool's node id. */
  get nodeId(): string {
    return this.#config.nodeId;
  }

  /** Tasks accepted and not yet settled. */
  get pendingTasks(): number {
    return this.#engine.active.size;
  }

  /**
   * Reserves bundles of this node's resources (Ray's placement groups; on one node every
   * strategy packs). Tasks run inside with `schedulingStrategy: { type: 'placementGroup',
   * placementGroup, bundleIndex? }`. The group is `PENDING` until its bundles fit.
   * @throws TaskOptionsError for invalid bundles or strategy.
   */
  createPlacementGroup(options: PlacementGroupOptions): PlacementGroup {
    const pg = this.#readyLedger('createPlacementGroup').createPlacementGroup(options);
    this.#engine.pump();
    return pg;
  }

  /**
   * Removes a placement group: its reservation goes back to the node, tasks running in it are
   * cancelled (TaskCancelledError) and tasks waiting for it fail as infeasible.
   */
  removePlacementGroup(pg: PlacementGroupRef): void {
    const lost = new Set<unknown>(this.#readyLedger('removePlacementGroup').removePlacementGroup(pg));
    if (lost.size > 0) {
      for (const t of [...this.#engine.active]) {
        if (t.live?.holding != null && lost.has(t.live.holding))
          this.#engine.cancel(t, `placement group ${pg.id} was removed`);
      }
    }
    this.#engine.pump();
  }

  /**
   * This pool's ledger, for an executor that runs its work in this pool and admits it against the
   * same ledger — one ledger per machine (see {@link SharedLedger}).
   * @throws Error while the node's resources are still being detected (`await pool.ready` first).
   */
  sharedLedger(): SharedLedger {
    const ledger = this.#readyLedger('sharedLedger');
    const engine = this.#engine;
    return {
      node: ledger.node,
      maxBypass: this.#config.maxBypass,
      get waiting() {
        return engine.waitingForResources;
      },
      admits: (request) => engine.admits(request),
      onChange: (listener) => engine.watchers.onChange(listener),
      submit: (exportName, options, args, onStart) => {
        const spec = compileSpec(options, this.#job);
        if (spec.numReturns !== 1)
          throw new TypeError(`sharedLedger().submit(): numReturns must be 1, got ${String(spec.numReturns)}`);
        return this.#submitRemote(spec, exportName, CallMode.Spread, args, onStart) as ObjectRef;
      },
    };
  }

  #readyLedger(what: string): Ledger {
    const l = this.#engine.ledger;
    if (l === undefined || l.provisional)
      throw new Error(`TaskPool.${what}: resources are still being detected; await pool.ready first`);
    return l;
  }

  /**
   * A launcher for export `target` (a name, or a core `RemoteFunction` whose function is
   * exported under its own name from the pool's module), with `options` merged onto the
   * remote function's. A RemoteFunction of a (async) generator function streams its items when
   * `numReturns` is not set, as Ray does.
   * @throws TaskOptionsError when the options are invalid or unsupported here.
   */
  remote(target: string | RemoteFunction, options?: TaskOptions): PoolRemoteFunction {
    const { exportName, taskOptions } = launchTarget(target, options, 'pool module');
    return this.#launcher(exportName, taskOptions);
  }

  #launcher(exportName: string, taskOptions: TaskOptions): PoolRemoteFunction {
    const spec = compileSpec(taskOptions, this.#job);
    const mode = spec.numReturns === 'streaming' ? CallMode.Stream : CallMode.Spread;
    return {
      exportName,
      taskOptions,
      resolvedOptions: spec.resolved,
      options: (overrides: TaskOptions): PoolRemoteFunction =>
        this.#launcher(exportName, withOverrides(taskOptions, overrides)),
      remote: (...args: unknown[]) => this.#submitRemote(spec, exportName, mode, args),
    };
  }

  #submitRemote(
    spec: TaskSpec,
    exportName: string,
    mode: CallMode,
    args: unknown[],
    onStart?: Parameters<SharedLedger['submit']>[3],
  ): ObjectRef | ObjectRef[] | ObjectRefGenerator | undefined {
    const file = this.#config.filename;
    const t = this.#engine.newTask(spec, Api.Remote, file ?? '', exportName, mode, args, {
      transferList: undefined,
      queueOptions: null,
      abortable: true,
    });
    if (onStart !== undefined)
      this.#engine.watchers.onGranted(t, (h) => onStart(h.resources, spec.gpu ? h.gpuIds : NO_DEVICES));
    const n = spec.numReturns;
    let out: ObjectRef | ObjectRef[] | ObjectRefGenerator | undefined;
    if (n === 'streaming') {
      out = t.stream = new ObjectRefGenerator(t);
      t.promise.catch(noop);
    } else if (n === 0) {
      t.promise.catch(noop);
    } else if (n === 1) {
      out = new ObjectRef(t.promise, t);
    } else {
      // The task fails (NumReturnsMismatchError) unless it returned an array of n values.
      const values = t.promise as Promise<unknown[]>;
      out = Array.from(
        { length: n },
        (_, i) =>
          new ObjectRef(
            values.then((v) => v[i]),
            t,
          ),
      );
    }
    const engine = this.#engine;
    if (file === null) {
      t.phase = Phase.Settled;
      t.reject(new Error(PiscinaText.noFilename));
      return out;
    }
    if (engine.closing !== 'open') {
      t.phase = Phase.Settled;
      t.reject(cancelError(t.id, 0, 'the pool is closed', 'queue is being terminated', false));
      return out;
    }
    engine.accept(t);
    const refs = args.some((a) => a instanceof ObjectRef);
    if (!refs) {
      if (spec.maxRetries !== 0) snapshotArgs(t);
      engine.submit(t);
      engine.maybeDrain();
      return out;
    }
    // Copy what is known now; ObjectRef arguments are filled in once they resolve.
    let snap: unknown[];
    try {
      snap = structuredClone(args.map((a) => (a instanceof ObjectRef ? undefined : a)));
    } catch (err) {
      engine.fail(t, err);
      return out;
    }
    const at: number[] = [];
    const values: Promise<unknown>[] = [];
    args.forEach((a, i) => {
      if (a instanceof ObjectRef) {
        at.push(i);
        values.push(a.promise);
      }
    });
    engine.awaitArgs(t, snap, at, values);
    return out;
  }

  #spec(options: TaskOptions): TaskSpec {
    let s = this.#specs.get(options);
    if (s === undefined) {
      s = compileSpec(options, this.#job);
      this.#specs.set(options, s);
    }
    return s;
  }

  /**
   * Tasks with events enabled, oldest first, with every event of every attempt; `filter` keeps
   * those whose `taskId`, `name`, latest `state` and `parentTaskId` (the children of a task) match.
   */
  listTasks(filter: TaskFilter = {}): TaskInfo[] {
    return this.#engine.history.list(filter);
  }

  /**
   * The remembered tasks as a Chrome trace (`ray timeline`'s format; open it in Perfetto or
   * chrome://tracing): one complete event per attempt, named after the task, in the lane of its
   * GPU (GPU tasks) or of the thread that ran it; a counter of the fraction reserved per GPU.
   */
  timeline(): ChromeTrace {
    return poolTimeline(this.listTasks());
  }

  /** Counts of visible tasks by latest state, overall and per name. */
  summarizeTasks(): TaskSummary {
    return this.#engine.history.summarize();
  }
}

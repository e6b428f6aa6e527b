/**
 * TaskPool: a Piscina pool with Ray-style task options enforced.
 *
 * Design (see integration-points.md §1):
 * - Admission happens here, in front of Piscina, against the node's resource ledger: a task is
 *   handed to `piscina.run()` only once its whole demand is allocated. Piscina's balancer is used
 *   only to choose a worker (never to gate on resources, which strands tasks, §1.4) and to skip
 *   workers that are retiring under `maxCalls`.
 * - Fairness: waiting tasks are kept in FIFO buckets, one per (demand, strategy). On every
 *   change the oldest waiting task is tried first; when it does not fit, younger tasks may run
 *   ahead ("backfill") — but every task that passes it increments its bypass count, and once the
 *   count reaches `maxBypass` it holds a reservation: only tasks that fit beside its full demand
 *   may still pass. A large task therefore waits for at most `maxBypass` overtakes plus the time
 *   for running tasks to finish, and small tasks are not blocked by a large one until then.
 * - Every attempt runs through the wrapper worker (`worker/entry.ts`), which applies the task's
 *   environment, calls the export, and serialises errors so their class names survive.
 * - Failures: worker exit, out of memory and thread termination are system failures (retried up
 *   to `maxRetries`); application errors are retried only when `retryExceptions` allows.
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, SHARE_ENV } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { detectNodeResources } from '@taskfit/core/node';
import {
  InfeasibleTaskError,
  TaskCancelledError,
  TaskError,
  WorkerCrashedError,
  isRemoteFunction,
  matchesRetryExceptions,
  mergeTaskOptions,
  validateTaskOptions,
} from '@taskfit/core';
import type {
  PlacementGroup,
  PlacementGroupOptions,
  PlacementGroupRef,
  RemoteFunction,
  ResolvedTaskOptions,
  SystemFailureKind,
  TaskOptions,
  TaskState,
} from '@taskfit/core';
import type { ChromeTrace } from '@taskfit/core';
import { STATES } from './events.js';
import type { TaskEvent, TaskFilter, TaskInfo, TaskPoolEvents, TaskSummary } from './events.js';
import { Ledger } from './ledger.js';
import type { LedgerAllocation } from './ledger.js';
import { ObjectRef, ObjectRefGenerator } from './object-ref.js';
import { backoffDelay } from './retry.js';
import { attemptEnv, compileSpec } from './spec.js';
import type { TaskSpec } from './spec.js';
import { poolTimeline } from './timeline.js';
import { CallMode, isWireError, reviveError } from './wire.js';
import type { Envelope, StaticContext, StreamMessage, WireError } from './wire.js';

type PiscinaOptions = NonNullable<ConstructorParameters<typeof Piscina>[0]>;
type PiscinaLoadBalancer = NonNullable<PiscinaOptions['loadBalancer']>;
type PiscinaWorker = Parameters<PiscinaLoadBalancer>[1][number];
type PiscinaTask = Parameters<PiscinaLoadBalancer>[0];
type PiscinaRunOptions = NonNullable<Parameters<Piscina['run']>[1]>;

/** Options of {@link TaskPool}: Piscina's options plus the node's resources. */
export interface TaskPoolOptions extends Omit<PiscinaOptions, 'filename'> {
  /** The module whose exports are the tasks (path or file: URL). Piscina's `filename`. */
  filename: string | URL;
  /**
   * The node's resources (`{ CPU: 8, GPU: 2, memory: 2**34 }`, custom keys allowed). Default:
   * the machine's, from `detectNodeResources()` (cgroup-aware CPUs and memory, GPUs reported by
   * nvidia-smi, `TASKFIT_RESOURCES` overrides); detection is asynchronous, tasks submitted
   * meanwhile wait (`await pool.ready` to be sure it is done).
   */
  resources?: Record<string, number>;
  /** Id of this node (for node-affinity strategies and events). @default 'local' */
  nodeId?: string;
  /** Labels of this node (for `nodeLabel` strategies and `labelSelector`). */
  labels?: Record<string, string>;
  /** Accelerator type of the node's GPUs (e.g. `'H100'`), for the `acceleratorType` option. @default detected */
  acceleratorType?: string;
  /**
   * Device ids the host restricts this process to (its own `CUDA_VISIBLE_DEVICES`): GPU `i` of the
   * ledger is `visibleDevices[i]`, and tasks see these ids. @default detected
   */
  visibleDevices?: readonly string[];
  /**
   * Starvation bound of admission: how many younger tasks may start ahead of the oldest waiting
   * task before it reserves what it needs. 0 = strict FIFO. @default 32
   */
  maxBypass?: number;
  /** How many finished tasks `listTasks()` remembers (oldest dropped first). @default 10000 */
  maxTaskHistory?: number;
}

/** Options of {@link TaskPool.run}: Piscina's run options plus task options. */
export interface TaskRunOptions {
  /** Export to call. @default the pool's `name` option ('default') */
  name?: string | null;
  /** Another module to load the export from (path or file: URL). */
  filename?: string | URL | null;
  /** Aborting rejects the task with TaskCancelledError (terminating its thread if it runs). */
  signal?: AbortSignal | null;
  /** Transferred to the worker (not retried: a transferred buffer cannot be sent twice). */
  transferList?: PiscinaRunOptions['transferList'];
  /**
   * Task options (resources, retries, env, …), validated on first use and compiled once per
   * object: reuse one object for many calls (fast), but do not mutate it afterwards. @default 1 CPU
   */
  options?: TaskOptions;
}

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
   * arguments are awaited first (the task is PENDING_ARGS_AVAIL meanwhile).
   */
  remote(...args: unknown[]): ObjectRef | ObjectRef[] | ObjectRefGenerator | undefined;
}

const STATE_CODE: Record<TaskState, number> = {
  PENDING_ARGS_AVAIL: 0,
  PENDING_NODE_ASSIGNMENT: 1,
  SUBMITTED_TO_WORKER: 2,
  RUNNING: 3,
  FINISHED: 4,
  FAILED: 5,
};
const NO_GPUS: readonly number[] = Object.freeze([]);
const NO_DEVICES: readonly string[] = Object.freeze([]);
const QUEUE_OPTIONS: symbol = Piscina.queueOptionsSymbol;
// A CommonJS shim (see worker/loader.cts) that imports the ESM wrapper worker/entry.js.
const ENTRY = fileURLToPath(new URL('./worker/loader.cjs', import.meta.url));

/** Per-attempt facts kept for events. */
interface AttemptRecord {
  resources: Readonly<Record<string, number>> | undefined;
  gpuIds: readonly number[] | readonly string[];
  threadId: number;
  errorType: string | undefined;
  errorMessage: string | undefined;
}

/** Why an attempt failed, classified. */
type Failure = { system: SystemFailureKind; message: string; cause: unknown } | { app: WireError; cause: Error };

let poolSeq = 0;

/** One accepted task, across its attempts. */
class Task {
  readonly pool: TaskPool;
  #id: string | undefined;
  readonly seq: number;
  readonly spec: TaskSpec;
  readonly name: string;
  readonly fileUrl: string;
  readonly exportName: string;
  readonly mode: CallMode;
  args: unknown;
  readonly transferList: PiscinaRunOptions['transferList'] | undefined;
  attempt = 0;
  state: TaskState = 'PENDING_NODE_ASSIGNMENT';
  settled = false;
  allocation: LedgerAllocation | null = null;
  threadId = -1;
  /** This attempt reached its function's `maxCalls` on its thread: the thread retires when it settles. */
  retiresThread = false;
  running = false;
  bypassed = 0;
  feasibilityChecked = false;
  /** Envelope of the current attempt (its no-op switch is flipped when cancelled before dispatch). */
  envelope: Envelope | null = null;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Flat log: [attempt, stateCode, timestamp, ...]. Only for visible tasks. */
  log: number[] | undefined;
  /** Facts of the current attempt (for events); earlier attempts are in `past`. */
  aResources: Readonly<Record<string, number>> | undefined;
  aGpuIds: readonly number[] | readonly string[] = NO_GPUS;
  aThreadId = -1;
  aErrorType: string | undefined;
  aErrorMessage: string | undefined;
  past: AttemptRecord[] | undefined;
  stream: ObjectRefGenerator | undefined;
  streamed = 0;
  port: MessagePort | undefined;
  deferred: (() => void) | undefined;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
  readonly promise: Promise<unknown>;
  onAbort: (() => void) | undefined;
  signal: AbortSignal | undefined;

  constructor(
    pool: TaskPool,
    spec: TaskSpec,
    fileUrl: string,
    exportName: string,
    mode: CallMode,
    args: unknown,
    tl: PiscinaRunOptions['transferList'] | undefined,
  ) {
    this.pool = pool;
    this.seq = pool._nextSeq();
    this.spec = spec;
    this.name = spec.name ?? exportName;
    this.fileUrl = fileUrl;
    this.exportName = exportName;
    this.mode = mode;
    this.args = args;
    this.transferList = tl;
    let res!: (v: unknown) => void;
    let rej!: (e: unknown) => void;
    this.promise = new Promise((a, b) => {
      res = a;
      rej = b;
    });
    this.resolve = res;
    this.reject = rej;
    if (spec.visible) {
      this.log = [];
    }
  }

  /** The pool's id of the task (`<pool>-<seq>`), built on first use. */
  get id(): string {
    return (this.#id ??= `${this.pool._idPrefix}${this.seq}`);
  }

  get taskId(): string {
    return this.id;
  }

  cancel(reason?: string): boolean {
    return this.pool._cancel(this, reason ?? 'cancelled');
  }
}

/** FIFO of waiting tasks with one demand and strategy. */
class Bucket {
  readonly key: string;
  items: Task[] = [];
  head = 0;
  constructor(key: string) {
    this.key = key;
  }
  /** First task not yet settled (cancelled tasks are dropped lazily). */
  peek(): Task | undefined {
    while (this.head < this.items.length) {
      const t = this.items[this.head]!;
      if (!t.settled) return t;
      this.head++;
    }
    return undefined;
  }
  shift(): void {
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
  get empty(): boolean {
    return this.peek() === undefined;
  }
}

/**
 * A Piscina pool that enforces Ray-style task options: resource admission (CPU, fractional
 * GPUs, memory, custom resources), GPU pinning through `CUDA_VISIBLE_DEVICES`, `maxCalls`
 * worker recycling, retries with error-class allow-lists and backoff, per-task env vars,
 * scheduling strategies, cancellation and task events.
 *
 * ```ts
 * const pool = new TaskPool({ filename: new URL('./tasks.mjs', import.meta.url), resources: { CPU: 4, GPU: 1 } });
 * await pool.run({ n: 1 });                                  // like Piscina: default export, 1 CPU
 * const embed = pool.remote('embed', { numGpus: 0.5 });
 * const v = await embed.remote('text');                      // an ObjectRef, awaited
 * ```
 */
export class TaskPool {
  /** Task events: `pool.events.on('taskEvent', (e) => …)`. */
  readonly events: EventEmitter<TaskPoolEvents> = new EventEmitter<TaskPoolEvents>();
  /** The underlying Piscina pool (threads, histograms, utilization). Do not call `run` on it directly. */
  readonly piscina: Piscina;
  /** @internal */
  readonly _idPrefix: string;
  /** Undefined until resource detection finished (only when `resources` was not given). */
  #ledger: Ledger | undefined;
  readonly #nodeId: string;
  /** Resolves once the ledger exists (at once when `resources` was given); rejects when detection failed. */
  readonly ready: Promise<void>;
  #detectError: unknown;
  readonly #fileUrl: string;
  readonly #defaultName: string;
  readonly #maxBypass: number;
  readonly #maxHistory: number;
  readonly #defaultSpec: TaskSpec;
  readonly #specCache = new WeakMap<TaskOptions, TaskSpec>();
  readonly #buckets = new Map<string, Bucket>();
  /** Cached reference to the only bucket, when there is one. */
  #sole: Bucket | undefined;
  /** The sole bucket's head when it last had to wait, and the ledger version then. */
  #waiting: Task | undefined;
  #waitingVersion = -1;
  /** Visible tasks in submission order (finished ones trimmed to maxTaskHistory, amortised). */
  #history: Task[] = [];
  #finishedCount = 0;
  /** Every accepted, unsettled task. */
  readonly #active = new Set<Task>();
  /** Attempts whose piscina.run has not settled (they hold allocations). */
  #inFlight = 0;
  readonly #retiring = new Set<number>();
  readonly #calls = new Map<number, Map<string, number>>();
  /** Thread id → spec ids whose static context the thread has cached. */
  readonly #seen = new Map<number, Set<number>>();
  readonly #statics = new WeakMap<TaskSpec, StaticContext>();
  #seq = 0;
  /** Whether anyone listens to 'taskEvent' (kept current through newListener/removeListener). */
  #listening = false;
  #pumping = false;
  #again = false;
  #closing: 'open' | 'closing' | 'destroyed' = 'open';
  #idleWaiters: (() => void)[] = [];

  constructor(options: TaskPoolOptions) {
    const {
      filename,
      resources,
      nodeId,
      labels,
      acceleratorType,
      visibleDevices,
      maxBypass,
      maxTaskHistory,
      loadBalancer: userBalancer,
      ...piscinaOptions
    } = options;
    if (filename === undefined || filename === null)
      throw new TypeError('TaskPool: options.filename (the tasks module) is required');
    if (piscinaOptions.concurrentTasksPerWorker !== undefined && piscinaOptions.concurrentTasksPerWorker !== 1) {
      throw new RangeError(
        'TaskPool: concurrentTasksPerWorker must be 1 — per-task environment, CUDA_VISIBLE_DEVICES and maxCalls are applied per thread, so a thread runs one task at a time',
      );
    }
    if (piscinaOptions.env === SHARE_ENV) {
      throw new RangeError(
        'TaskPool: env: SHARE_ENV is not supported — each task sets its own env vars (and CUDA_VISIBLE_DEVICES) on its thread, which a shared environment would leak between concurrent tasks',
      );
    }
    this.#maxBypass = maxBypass ?? 32;
    if (!Number.isInteger(this.#maxBypass) || this.#maxBypass < 0)
      throw new RangeError(`TaskPool: maxBypass must be an integer ≥ 0, got ${maxBypass}`);
    this.#maxHistory = maxTaskHistory ?? 10_000;
    this.#nodeId = nodeId ?? 'local';
    if (resources !== undefined) {
      this.#ledger = new Ledger(resources, {
        nodeId: this.#nodeId,
        labels: labels ?? {},
        acceleratorType,
        visibleDevices,
      });
      this.ready = Promise.resolve();
    } else {
      // Detection is asynchronous (nvidia-smi, cgroups): tasks queue until it is done.
      this.ready = detectNodeResources({
        nodeId: this.#nodeId,
        ...(labels !== undefined ? { labels } : {}),
        ...(acceleratorType !== undefined ? { acceleratorType } : {}),
      }).then(
        (d) => {
          this.#ledger = new Ledger(d.resources, {
            nodeId: this.#nodeId,
            labels: d.labels,
            acceleratorType: d.acceleratorType,
            visibleDevices: visibleDevices ?? d.nodeOptions.visibleDevices,
          });
          this.#pump();
        },
        (err: unknown) => {
          this.#detectError = err;
          for (const t of [...this.#active]) this.#fail(t, err, undefined);
          throw err;
        },
      );
      this.ready.catch(() => {});
    }
    const total = resources ?? { CPU: availableParallelism() };
    this.#fileUrl = toFileUrl(filename);
    this.#defaultName = piscinaOptions.name ?? 'default';
    this._idPrefix = `${(++poolSeq).toString(36)}-`;

    // §1.7: recycled workers are only replaced up to minThreads, so both must be equal.
    const threads =
      piscinaOptions.maxThreads ??
      piscinaOptions.minThreads ??
      Math.max(1, Math.ceil(total.CPU ?? availableParallelism()));
    if (
      piscinaOptions.minThreads !== undefined &&
      piscinaOptions.maxThreads !== undefined &&
      piscinaOptions.minThreads !== piscinaOptions.maxThreads
    ) {
      throw new RangeError(
        `TaskPool: minThreads (${piscinaOptions.minThreads}) must equal maxThreads (${piscinaOptions.maxThreads}) — Piscina refills retired or crashed workers only up to minThreads, so a smaller minThreads can strand queued tasks`,
      );
    }
    this.#defaultSpec = compileSpec({});

    const retiring = this.#retiring;
    const calls = this.#calls;
    const seen = this.#seen;
    const balancer: PiscinaLoadBalancer = (task: PiscinaTask, workers: PiscinaWorker[]) => {
      let chosen: PiscinaWorker | null = null;
      if (userBalancer !== undefined) {
        chosen = userBalancer(
          task,
          workers.filter((w) => !retiring.has(w.id)),
        );
      } else {
        for (const w of workers) {
          if (w.currentUsage === 0 && !w.terminating && !w.destroyed && !retiring.has(w.id)) {
            chosen = w;
            break;
          }
        }
      }
      if (chosen !== null) {
        const t = (task as unknown as Record<symbol, unknown>)[Piscina.queueOptionsSymbol] as Task | undefined;
        if (t !== undefined) {
          // Tell a thread what it has not seen yet: the pool's module, the spec's static context.
          const env = t.envelope!;
          let known = seen.get(chosen.id);
          if (known === undefined) {
            seen.set(chosen.id, (known = new Set()));
            env.d = this.#fileUrl;
          }
          if (!known.has(t.spec.id)) {
            if (known.size >= 1024) {
              // Bound both caches: the thread drops its cache along with ours.
              known.clear();
              env.C = true;
            }
            known.add(t.spec.id);
            env.S = this.#staticContext(t.spec);
          }
          if (t.settled) {
            // Cancelled while waiting for a thread: run nothing.
            t.envelope!.n = '';
          } else {
            t.threadId = chosen.id;
            if (t.spec.maxCalls > 0) {
              let m = calls.get(chosen.id);
              if (m === undefined) calls.set(chosen.id, (m = new Map()));
              const key = `${t.fileUrl}#${t.exportName}`;
              const n = (m.get(key) ?? 0) + 1;
              m.set(key, n);
              if (n >= t.spec.maxCalls) {
                // Keep other tasks off this thread from now on; it is terminated when *this*
                // task settles (Piscina may hand a thread its next task before the previous
                // task's promise settles, so "any settle on a retiring thread" is too early).
                retiring.add(chosen.id);
                t.retiresThread = true;
              }
            }
            this._running(t);
          }
        }
      }
      return chosen;
    };

    // 'newListener' fires before the listener is added, 'removeListener' after it is removed.
    const plain = this.events as EventEmitter;
    plain.on('newListener', (event: string | symbol) => {
      if (event === 'taskEvent') this.#listening = true;
    });
    plain.on('removeListener', (event: string | symbol) => {
      if (event === 'taskEvent') this.#listening = this.events.listenerCount('taskEvent') > 0;
    });
    this.piscina = new Piscina({
      // Default 'disabled' (Piscina's is 'sync'): TaskPool hands a thread its next task from a
      // promise callback, after the thread parked in Atomics.wait, so 'sync' costs a futex wake
      // per task; an event-loop wait is as fast as raw Piscina and lets timers a task left
      // pending run between tasks. Users may still choose 'sync' or 'async'.
      atomics: 'disabled',
      ...piscinaOptions,
      filename: ENTRY,
      name: 'default',
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: 1,
      loadBalancer: balancer,
    });
    // Crashes surface through the task's run() rejection; keep Piscina's 'error' from throwing.
    this.piscina.on('error', (err: unknown) => {
      if (this.events.listenerCount('error') > 0) this.events.emit('error', err);
    });
  }

  /** @internal */
  _nextSeq(): number {
    return ++this.#seq;
  }

  /** Total and available resources of the node, in the units the user wrote. */
  get resources(): ResourceSnapshot {
    const l = this.#ledger;
    return l === undefined ? { total: {}, available: {} } : { total: l.total, available: l.available };
  }

  /** This pool's node id. */
  get nodeId(): string {
    return this.#nodeId;
  }

  /**
   * Reserves bundles of this node's resources (Ray's placement groups; on one node every
   * strategy packs). Tasks run inside with `schedulingStrategy: { type: 'placementGroup',
   * placementGroup, bundleIndex? }`. The group is `PENDING` until its bundles fit.
   * @throws TaskOptionsError for invalid bundles or strategy.
   */
  createPlacementGroup(options: PlacementGroupOptions): PlacementGroup {
    const pg = this.#readyLedger('createPlacementGroup').createPlacementGroup(options);
    this.#pump();
    return pg;
  }

  /**
   * Removes a placement group: its reservation goes back to the node, tasks running in it are
   * cancelled (TaskCancelledError) and tasks waiting for it fail as infeasible.
   */
  removePlacementGroup(pg: PlacementGroupRef): void {
    const lost = new Set<unknown>(this.#readyLedger('removePlacementGroup').removePlacementGroup(pg));
    if (lost.size > 0) {
      for (const t of [...this.#active]) {
        if (t.allocation !== null && lost.has(t.allocation)) this._cancel(t, `placement group ${pg.id} was removed`);
      }
    }
    this.#pump();
  }

  #readyLedger(what: string): Ledger {
    if (this.#ledger === undefined)
      throw new Error(`TaskPool.${what}: resources are still being detected; await pool.ready first`);
    return this.#ledger;
  }

  /** Tasks accepted and not yet settled. */
  get pendingTasks(): number {
    return this.#active.size;
  }

  /**
   * Runs `task` through the export `runOptions.name` (default: the pool's `name`), like
   * Piscina's `run`, with `runOptions.options` enforced. Rejects with `TaskError` (the
   * function threw; `errorType` is the thrown class name), `WorkerCrashedError`,
   * `InfeasibleTaskError`, `TaskCancelledError`, or `TaskOptionsError` (invalid options).
   */
  run<R = unknown>(task: unknown, runOptions?: TaskRunOptions): Promise<R> {
    let spec = this.#defaultSpec;
    let fileUrl = this.#fileUrl;
    let name = this.#defaultName;
    if (runOptions !== undefined) {
      if (runOptions.options !== undefined) {
        try {
          spec = this.#spec(runOptions.options);
        } catch (err) {
          return Promise.reject(err);
        }
      }
      if (runOptions.filename != null) fileUrl = toFileUrl(runOptions.filename);
      if (runOptions.name != null) name = runOptions.name;
    }
    const t = new Task(this, spec, fileUrl, name, CallMode.Single, task, runOptions?.transferList ?? undefined);
    if (runOptions?.signal != null) this.#watchSignal(t, runOptions.signal);
    this.#submit(t);
    return t.promise as Promise<R>;
  }

  /**
   * A launcher for export `target` (a name, or a core `RemoteFunction` whose function is
   * exported under its own name from the pool's module), with `options` merged onto the
   * remote function's.
   * @throws TaskOptionsError when the options are invalid or unsupported here.
   */
  remote(target: string | RemoteFunction, options?: TaskOptions): PoolRemoteFunction {
    let exportName: string;
    let base: TaskOptions = {};
    if (typeof target === 'string') exportName = target;
    else if (isRemoteFunction(target)) {
      exportName = target.fn.name;
      if (exportName === '')
        throw new TypeError(
          'pool.remote(rf): the remote function must be a named function exported by the pool module',
        );
      base = target.taskOptions;
    } else throw new TypeError('pool.remote(target): target must be an export name or a RemoteFunction');
    // `base` is already validated (a RemoteFunction's options, or {}), and merging two valid
    // option sets gives a valid one (core pins this with a property test): validate once.
    const merged = options === undefined ? base : mergeTaskOptions(base, validateTaskOptions(options));
    return this.#launcher(exportName, merged);
  }

  #launcher(exportName: string, taskOptions: TaskOptions): PoolRemoteFunction {
    const spec = compileSpec(taskOptions);
    const fileUrl = this.#fileUrl;
    const mode = spec.numReturns === 'streaming' ? CallMode.Stream : CallMode.Spread;
    return {
      exportName,
      taskOptions,
      resolvedOptions: spec.resolved,
      options: (overrides: TaskOptions): PoolRemoteFunction => {
        const checked = validateTaskOptions(overrides, { inOptions: true });
        return this.#launcher(exportName, mergeTaskOptions(taskOptions, checked));
      },
      remote: (...args: unknown[]) =>
        this.#submitRemote(new Task(this, spec, fileUrl, exportName, mode, args, undefined)),
    };
  }

  #submitRemote(t: Task): ObjectRef | ObjectRef[] | ObjectRefGenerator | undefined {
    const n = t.spec.numReturns;
    let out: ObjectRef | ObjectRef[] | ObjectRefGenerator | undefined;
    if (n === 'streaming') {
      out = t.stream = new ObjectRefGenerator(t);
      t.promise.catch(() => {});
    } else if (n === 0) {
      t.promise.catch(() => {});
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
    const args = t.args as unknown[];
    if (args.some((a) => a instanceof ObjectRef)) {
      t.state = 'PENDING_ARGS_AVAIL';
      if (!this.#accept(t)) return out;
      this.#record(t, 0); // PENDING_ARGS_AVAIL
      Promise.all(args.map((a) => (a instanceof ObjectRef ? a.promise : a))).then(
        (resolved) => {
          if (t.settled) return;
          t.args = resolved;
          this.#enqueue(t);
        },
        (err: unknown) => {
          if (t.settled) return;
          this.#fail(t, err, undefined);
        },
      );
    } else this.#submit(t);
    return out;
  }

  #spec(options: TaskOptions): TaskSpec {
    let s = this.#specCache.get(options);
    if (s === undefined) {
      s = compileSpec(options);
      this.#specCache.set(options, s);
    }
    return s;
  }

  #watchSignal(t: Task, signal: AbortSignal): void {
    if (signal.aborted) {
      queueMicrotask(() => this._cancel(t, `aborted: ${String(signal.reason)}`));
      return;
    }
    const onAbort = () => this._cancel(t, `aborted: ${String(signal.reason)}`);
    t.onAbort = onAbort;
    t.signal = signal;
    signal.addEventListener('abort', onAbort, { once: true });
  }

  /** Registers an accepted task; false (and rejected) when the pool is closing. */
  #accept(t: Task): boolean {
    if (this.#closing !== 'open' || this.#detectError !== undefined) {
      t.settled = true;
      t.reject(this.#detectError ?? new TaskCancelledError(t.id, 0, 'the pool is closed'));
      return false;
    }
    this.#active.add(t);
    if (t.log !== undefined) this.#remember(t);
    return true;
  }

  #submit(t: Task): void {
    if (!this.#accept(t)) return;
    this.#enqueue(t);
  }

  #enqueue(t: Task): void {
    t.state = 'PENDING_NODE_ASSIGNMENT';
    if (t.log !== undefined) this.#record(t, 1); // PENDING_NODE_ASSIGNMENT
    let b = this.#buckets.get(t.spec.key);
    if (b === undefined) this.#buckets.set(t.spec.key, (b = new Bucket(t.spec.key)));
    b.items.push(t);
    this.#pump();
  }

  /** Admits every waiting task that may start now (see the class comment on fairness). */
  #pump(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        while (this.#admitOne());
      } while (this.#again);
    } finally {
      this.#pumping = false;
    }
  }

  /** Starts at most one task; returns whether it did (or dropped an infeasible one). */
  #admitOne(): boolean {
    const buckets = this.#buckets;
    const ledger = this.#ledger;
    if (buckets.size === 0 || ledger === undefined) return false;
    if (buckets.size === 1) {
      // Fast path: one kind of waiting task; FIFO within the bucket.
      let b = this.#sole;
      if (b === undefined || buckets.get(b.key) !== b) b = this.#sole = buckets.values().next().value!;
      const t = b.peek();
      if (t === undefined) {
        buckets.clear();
        return false;
      }
      // The same head waited and nothing was granted or freed since (e.g. a burst of submissions
      // behind it): it would wait again.
      if (t === this.#waiting && ledger.version === this.#waitingVersion) return false;
      const r = ledger.schedule(t.spec.request, t.spec.strategy, t.spec.labelSelector);
      if (r.status === 'waiting') {
        t.feasibilityChecked = true;
        this.#waiting = t;
        this.#waitingVersion = ledger.version;
        return false;
      }
      this.#waiting = undefined;
      b.shift();
      if (b.empty) buckets.delete(b.key);
      if (r.status === 'scheduled') this.#start(t, r.allocation);
      else this.#fail(t, new InfeasibleTaskError(t.id, r.reason), undefined);
      return true;
    }
    // Bucket heads, oldest first.
    const heads: Task[] = [];
    for (const [k, b] of buckets) {
      const h = b.peek();
      if (h === undefined) buckets.delete(k);
      else heads.push(h);
    }
    heads.sort((a, b) => a.seq - b.seq);
    let blocked: Task | undefined;
    for (const t of heads) {
      if (
        blocked !== undefined &&
        blocked.bypassed >= this.#maxBypass &&
        !ledger.fitsBeyond(blocked.spec.demand, t.spec.demand)
      ) {
        if (!t.feasibilityChecked) {
          // Still tell an infeasible task at once.
          const r = ledger.schedule(t.spec.request, t.spec.strategy, t.spec.labelSelector);
          t.feasibilityChecked = true;
          if (r.status === 'scheduled') ledger.release(r.allocation);
          else if (r.status === 'infeasible') {
            this.#dequeue(t);
            this.#fail(t, new InfeasibleTaskError(t.id, r.reason), undefined);
            return true;
          }
        }
        continue;
      }
      const r = ledger.schedule(t.spec.request, t.spec.strategy, t.spec.labelSelector);
      if (r.status === 'scheduled') {
        this.#dequeue(t);
        if (blocked !== undefined) blocked.bypassed++;
        this.#start(t, r.allocation);
        return true;
      }
      if (r.status === 'infeasible') {
        this.#dequeue(t);
        this.#fail(t, new InfeasibleTaskError(t.id, r.reason), undefined);
        return true;
      }
      t.feasibilityChecked = true;
      blocked ??= t;
    }
    return false;
  }

  #dequeue(t: Task): void {
    const b = this.#buckets.get(t.spec.key)!;
    b.shift();
    if (b.empty) this.#buckets.delete(t.spec.key);
  }

  #start(t: Task, alloc: LedgerAllocation): void {
    t.allocation = alloc;
    t.threadId = -1;
    t.retiresThread = false;
    t.running = false;
    t.state = 'SUBMITTED_TO_WORKER';
    if (t.log !== undefined) {
      t.aResources = alloc.resources;
      t.aGpuIds = t.spec.gpu ? alloc.gpuIds : NO_GPUS;
      this.#record(t, 2); // SUBMITTED_TO_WORKER
    }
    const spec = t.spec;
    // The Task rides along under Piscina's queue-options symbol (for the balancer); structured
    // clone drops symbol keys, so the thread never sees it. In the literal: one object shape.
    const envelope: Envelope = {
      n: t.exportName,
      a: t.args,
      m: t.mode,
      i: t.seq,
      t: t.attempt,
      s: spec.id,
      [QUEUE_OPTIONS]: t,
    };
    if (t.fileUrl !== this.#fileUrl) envelope.f = t.fileUrl;
    if (spec.gpu) envelope.g = alloc.gpuIds;
    const env = attemptEnv(spec, spec.gpu ? alloc.visibleDevices : NO_DEVICES);
    if (env !== undefined) {
      envelope.e = env;
      if (spec.envVars !== undefined) envelope.r = { envVars: pick(env, spec.envVars) };
    }
    let transferList = t.transferList;
    if (t.mode === CallMode.Stream) {
      const ch = new MessageChannel();
      t.port = ch.port1;
      envelope.p = ch.port2;
      transferList = [ch.port2];
      ch.port1.on('message', (m: StreamMessage) => {
        if ('v' in m) {
          t.streamed++;
          t.stream!.push({ value: m.v });
        } else {
          ch.port1.close();
          if (t.port === ch.port1) t.port = undefined;
          const d = t.deferred;
          t.deferred = undefined;
          d?.();
        }
      });
    }
    t.envelope = envelope;
    this.#inFlight++;
    const attempt = t.attempt;
    this.piscina.run(envelope, transferList === undefined ? undefined : { transferList }).then(
      (value: unknown) => this.#settled(t, attempt, true, value),
      (err: unknown) => this.#settled(t, attempt, false, err),
    );
  }

  #staticContext(spec: TaskSpec): StaticContext {
    let st = this.#statics.get(spec);
    if (st === undefined) {
      st = {
        idPrefix: this._idPrefix,
        name: spec.name,
        nodeId: this.#nodeId,
        resources: spec.demand,
        acceleratorType: spec.resolved.acceleratorType,
      };
      this.#statics.set(spec, st);
    }
    return st;
  }

  /** @internal called by the balancer when the attempt is handed to a thread. */
  _running(t: Task): void {
    t.running = true;
    t.state = 'RUNNING';
    if (t.log !== undefined) {
      t.aThreadId = t.threadId;
      this.#record(t, 3); // RUNNING
    }
  }

  #settled(t: Task, attempt: number, ok: boolean, value: unknown): void {
    this.#inFlight--;
    const alloc = t.allocation;
    const threadId = t.threadId;
    const mine = attempt === t.attempt && !t.settled;
    t.allocation = null;
    t.running = false;
    t.envelope = null;
    if (alloc !== null) this.#ledger!.release(alloc);
    let failure: Failure | undefined;
    if (!ok) failure = classify(value);
    if (threadId !== -1) {
      if (failure !== undefined && 'system' in failure) {
        this.#calls.delete(threadId);
        this.#seen.delete(threadId);
        if (failure.system !== 'terminated') this.#retiring.delete(threadId); // the thread is gone
      } else if (t.retiresThread) this.#retire(threadId);
      t.retiresThread = false;
    }
    // Settle (and record FINISHED/FAILED) before the freed resources go to the next task, so
    // events never show more in use than the ledger has. Callers' callbacks run later anyway.
    if (mine) {
      if (t.port === undefined) this.#outcome(t, failure, value);
      else if (failure !== undefined && 'system' in failure) {
        t.port.close();
        t.port = undefined;
        this.#outcome(t, failure, value);
      } else {
        // Stream items travel on their own port and may arrive after the result: finish on the end marker.
        const f = failure;
        t.deferred = () => {
          this.#outcome(t, f, value);
          this.#pump();
        };
      }
    }
    this.#pump();
    this.#checkIdle();
  }

  /** Settles the current attempt: finished, failed (maybe retried), or numReturns mismatch. */
  #outcome(t: Task, f: Failure | undefined, value: unknown): void {
    if (t.settled) return;
    if (f !== undefined) this.#onFailure(t, f);
    else if (t.mode === CallMode.Stream) this.#finish(t, undefined);
    else {
      const n = t.spec.numReturns;
      if (typeof n === 'number' && n > 1 && !(Array.isArray(value) && value.length === n)) {
        const got = Array.isArray(value) ? `an array of ${value.length}` : typeof value;
        const msg = `numReturns is ${n} but the task returned ${got}`;
        const err = new TaskError(
          t.id,
          t.attempt + 1,
          'NumReturnsMismatchError',
          ['NumReturnsMismatchError', 'Error'],
          msg,
        );
        this.#fail(t, err, 'NumReturnsMismatchError');
      } else this.#finish(t, value);
    }
  }

  /** Terminates a thread; the balancer keeps skipping it until it has exited. */
  #retire(threadId: number): void {
    this.#calls.delete(threadId);
    this.#seen.delete(threadId);
    for (const w of this.piscina.threads) {
      if (w.threadId === threadId) {
        this.#retiring.add(threadId);
        w.once('exit', () => this.#retiring.delete(threadId));
        void w.terminate();
        return;
      }
    }
    this.#retiring.delete(threadId);
  }

  #finish(t: Task, value: unknown): void {
    t.settled = true;
    t.state = 'FINISHED';
    if (t.log !== undefined) this.#record(t, 4); // FINISHED
    this.#done(t);
    if (t.stream !== undefined) t.stream.push({ done: true });
    t.args = undefined; // the history keeps the task, not its arguments
    t.resolve(value);
  }

  #onFailure(t: Task, f: Failure): void {
    const attempts = t.attempt + 1;
    let error: Error;
    let retryable: boolean;
    let errorType: string;
    if ('system' in f) {
      error = new WorkerCrashedError(t.id, attempts, f.system, f.message, { cause: f.cause });
      errorType = 'WorkerCrashedError';
      retryable = true;
    } else {
      error = new TaskError(t.id, attempts, f.app.name, f.app.typeChain, f.app.message, { cause: f.cause });
      errorType = f.app.name;
      retryable = matchesRetryExceptions(t.spec.retryExceptions, { name: f.app.name, typeChain: f.app.typeChain });
    }
    const max = t.spec.maxRetries;
    // A stream that already yielded items cannot be replayed without duplicates.
    if (retryable && (max === -1 || t.attempt < max) && t.streamed === 0 && this.#closing !== 'destroyed') {
      if (t.log !== undefined) {
        this.#recordFailure(t, errorType, error.message);
        this.#archiveAttempt(t);
      }
      t.attempt++;
      t.bypassed = 0;
      const delay = backoffDelay(t.spec.backoff, t.attempt);
      if (delay > 0) {
        t.state = 'PENDING_NODE_ASSIGNMENT';
        t.timer = setTimeout(() => {
          t.timer = undefined;
          if (!t.settled) this.#enqueue(t);
        }, delay);
      } else this.#enqueue(t);
      return;
    }
    this.#fail(t, error, errorType);
  }

  /** Settles `t` as failed with `error`. */
  #fail(t: Task, error: unknown, errorType: string | undefined): void {
    if (t.settled) return;
    t.settled = true;
    const type =
      errorType ?? (error instanceof TaskError ? error.errorType : error instanceof Error ? error.name : 'Error');
    if (t.log !== undefined) this.#recordFailure(t, type, error instanceof Error ? error.message : String(error));
    this.#done(t);
    if (t.stream !== undefined) t.stream.push({ error });
    t.args = undefined;
    t.reject(error);
  }

  #done(t: Task): void {
    this.#active.delete(t);
    if (t.timer !== undefined) clearTimeout(t.timer);
    if (t.signal !== undefined && t.onAbort !== undefined) t.signal.removeEventListener('abort', t.onAbort);
    if (t.log !== undefined) {
      if (++this.#finishedCount > this.#maxHistory + Math.max(64, this.#maxHistory >> 2)) this.#trimHistory();
    }
    this.#checkIdle();
  }

  /** @internal */
  _cancel(t: Task, reason: string): boolean {
    if (t.settled) return false;
    const error = new TaskCancelledError(t.id, t.attempt + 1, reason);
    if (t.running && t.threadId !== -1) {
      // Terminating the thread stops the task; the allocation is released when run() settles.
      this.#retire(t.threadId);
    }
    // Handed to Piscina but not to a thread yet: the balancer turns it into a no-op.
    this.#fail(t, error, 'TaskCancelledError');
    this.#pump();
    return true;
  }

  #recordFailure(t: Task, errorType: string, message: string): void {
    t.aErrorType = errorType;
    t.aErrorMessage = message;
    t.state = 'FAILED';
    this.#record(t, 5); // FAILED
  }

  /** Moves the current attempt's facts to `past` before a retry. */
  #archiveAttempt(t: Task): void {
    (t.past ??= [])[t.attempt] = {
      resources: t.aResources,
      gpuIds: t.aGpuIds,
      threadId: t.aThreadId,
      errorType: t.aErrorType,
      errorMessage: t.aErrorMessage,
    };
    t.aResources = undefined;
    t.aGpuIds = NO_GPUS;
    t.aThreadId = -1;
    t.aErrorType = undefined;
    t.aErrorMessage = undefined;
  }

  /** Records state `code` (index in STATES) of the current attempt; emits only when someone listens. */
  #record(t: Task, code: number): void {
    const ts = Date.now();
    t.log!.push(t.attempt, code, ts);
    if (this.#listening) this.events.emit('taskEvent', this.#event(t, t.attempt, STATES[code]!, ts));
  }

  #event(t: Task, attempt: number, state: TaskState, timestamp: number): TaskEvent {
    const code = STATE_CODE[state];
    const cur = attempt === t.attempt;
    const a = cur ? undefined : t.past?.[attempt];
    const threadId = cur ? t.aThreadId : (a?.threadId ?? -1);
    return {
      taskId: t.id,
      name: t.name,
      attempt,
      state,
      timestamp,
      nodeId: this.#nodeId,
      resources: code >= 2 ? (cur ? t.aResources : a?.resources) : undefined,
      gpuIds: code >= 2 ? (cur ? t.aGpuIds : a?.gpuIds) : undefined,
      threadId: code >= 3 && threadId !== -1 ? threadId : undefined,
      errorType: state === 'FAILED' ? (cur ? t.aErrorType : a?.errorType) : undefined,
      errorMessage: state === 'FAILED' ? (cur ? t.aErrorMessage : a?.errorMessage) : undefined,
    };
  }

  #remember(t: Task): void {
    this.#history.push(t);
  }

  /** Drops the oldest finished tasks beyond maxTaskHistory (called every maxTaskHistory/4 completions: O(1) amortised). */
  #trimHistory(): void {
    let drop = this.#finishedCount - this.#maxHistory;
    const kept: Task[] = [];
    for (const t of this.#history) {
      if (drop > 0 && t.settled) drop--;
      else kept.push(t);
    }
    this.#history = kept;
    this.#finishedCount = this.#maxHistory;
  }

  /** Tasks with events enabled, oldest first, with every event of every attempt. */
  listTasks(filter: TaskFilter = {}): TaskInfo[] {
    const out: TaskInfo[] = [];
    let skip = Math.max(0, this.#finishedCount - this.#maxHistory);
    for (const t of this.#history) {
      if (skip > 0 && t.settled) {
        skip--; // beyond the history bound, not trimmed yet
        continue;
      }
      if (filter.taskId !== undefined && t.id !== filter.taskId) continue;
      if (filter.name !== undefined && t.name !== filter.name) continue;
      if (filter.state !== undefined && t.state !== filter.state) continue;
      const events: TaskEvent[] = [];
      const log = t.log!;
      for (let i = 0; i < log.length; i += 3) events.push(this.#event(t, log[i]!, STATES[log[i + 1]!]!, log[i + 2]!));
      const lastErrorType = t.aErrorType;
      out.push({
        taskId: t.id,
        name: t.name,
        state: t.state,
        attempt: t.attempt,
        nodeId: this.#nodeId,
        errorType: t.state === 'FAILED' ? lastErrorType : undefined,
        events,
      });
    }
    return out;
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
    const byState: Partial<Record<TaskState, number>> = {};
    const byName: Record<string, Partial<Record<TaskState, number>>> = {};
    let total = 0;
    let skip = Math.max(0, this.#finishedCount - this.#maxHistory);
    for (const t of this.#history) {
      if (skip > 0 && t.settled) {
        skip--;
        continue;
      }
      total++;
      byState[t.state] = (byState[t.state] ?? 0) + 1;
      const n = (byName[t.name] ??= {});
      n[t.state] = (n[t.state] ?? 0) + 1;
    }
    return { total, byState, byName };
  }

  #checkIdle(): void {
    if (this.#active.size === 0 && this.#inFlight === 0 && this.#idleWaiters.length > 0) {
      const ws = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of ws) w();
    }
  }

  #whenIdle(): Promise<void> {
    if (this.#active.size === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  /**
   * Stops accepting tasks and waits for every accepted one to settle (with `force`, tasks not
   * yet started are cancelled with TaskCancelledError), then closes the threads.
   */
  async close(options: { force?: boolean } = {}): Promise<void> {
    if (this.#closing === 'open') this.#closing = 'closing';
    if (options.force === true) {
      for (const t of [...this.#active])
        if (!t.running && t.envelope === null) this._cancel(t, 'the pool was closed (force)');
    }
    await this.#whenIdle();
    await this.piscina.close();
  }

  /** Cancels every accepted task (TaskCancelledError), terminates the threads, releases every reserved unit. */
  async destroy(): Promise<void> {
    this.#closing = 'destroyed';
    for (const t of [...this.#active]) this._cancel(t, 'the pool was destroyed');
    await this.piscina.destroy();
    await this.#whenIdle();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function classify(err: unknown): Failure {
  if (isWireError(err)) return { app: err, cause: reviveError(err) };
  const e = err as { message?: unknown; code?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY') return { system: 'out_of_memory', message, cause: err };
  if (message.startsWith('worker exited with code')) return { system: 'worker_exit', message, cause: err };
  if (message === 'Terminating worker thread' || message === 'The task has been aborted')
    return { system: 'terminated', message, cause: err };
  // Something Piscina itself reported (e.g. a result that could not be cloned): not retryable app error.
  const w: WireError = {
    __taskfitError: 1,
    name: err instanceof Error ? err.name : 'Error',
    typeChain: err instanceof Error ? [err.name, 'Error'].filter((v, i, a) => a.indexOf(v) === i) : ['Error'],
    message,
    stack: err instanceof Error ? err.stack : undefined,
    props: {},
  };
  return { app: w, cause: err instanceof Error ? err : reviveError(w) };
}

function pick(env: Record<string, string>, keys: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(keys)) out[k] = env[k]!;
  return out;
}

function toFileUrl(f: string | URL): string {
  if (f instanceof URL) return f.href;
  return f.startsWith('file:') ? f : pathToFileURL(f).href;
}

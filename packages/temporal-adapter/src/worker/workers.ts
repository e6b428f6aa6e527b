/**
 * `createTaskWorkers`: one Temporal Worker per task queue this machine serves (each resource
 * class's shared queue, and with `nodeQueues` its node queue), all admitting activities against
 * one ledger through one {@link LedgerGate} — or, with `pool`, through the pool's own admission
 * (one ledger and one queue for activities, pool tasks and their children) — their pollers
 * steered by one {@link PollGate}.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { NodeResources } from '@taskfit/core';
import { detectNodeResources } from '@taskfit/core/node';
import type { TaskOptions } from '@taskfit/core';
import { Worker } from '@temporalio/worker';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import type { SharedLedger, TaskPool } from '@taskfit/piscina-adapter';
import { taskQueueName } from '../shared/naming.js';
import { defaultClasses, selectClasses } from './classes.js';
import { LedgerGate } from './ledger-gate.js';
import type { MachineGate } from './ledger-gate.js';
import { PollGate, soleClassSlots } from './poll-gate.js';
import type { QueueSlots } from './poll-gate.js';
import { checkPool } from './pool-runner.js';
import { wrapActivity } from './wrap.js';
import type { TaskEvent } from './wrap.js';
import { TaskHistory } from './history.js';
import type { WorkerTaskFilter, WorkerTaskInfo, WorkerTaskSummary } from './history.js';
import type { ChromeTrace } from '@taskfit/core';

/** Default of {@link TaskWorkersOptions.pollersPerClass}. */
const DEFAULT_POLLERS_PER_CLASS = 10;
/** Default of {@link TaskWorkersOptions.maxBypass}. */
const DEFAULT_MAX_BYPASS = 32;

/** Options of {@link createTaskWorkers}. */
export interface TaskWorkersOptions {
  connection: NativeConnection;
  /** @default 'default' */
  namespace?: string;
  /** Task-queue base: class queues are named from it by `taskQueueName`. */
  taskQueue: string;
  /** The activity functions (e.g. `import * as activities from './activities.js'`). */
  activities: object;
  /**
   * This machine's resources (`{ CPU: 8, GPU: 2, memory: 64e9, licence: 1 }`), or a ready
   * `NodeResources`. @default `detectNodeResources()` from `@taskfit/core/node`
   */
  resources?: Readonly<Record<string, number>> | NodeResources;
  /** Accelerator type of the GPUs (e.g. `'H100'`): the node advertises `accelerator_type:<T>`. */
  acceleratorType?: string;
  /** This node's id (hard node affinity targets it). @default `os.hostname()` */
  nodeId?: string;
  /** Node labels. */
  labels?: Readonly<Record<string, string>>;
  /** The host's pre-set `CUDA_VISIBLE_DEVICES` ids, mapped into the GPU ids tasks get. */
  visibleDevices?: readonly string[];
  /**
   * The resource classes to serve, as task options (`[{}, { numGpus: 0.5 }, { numGpus: 1, acceleratorType: 'H100' }]`).
   * Classes this node can never fit are skipped and listed in `skippedClasses`; an invalid one
   * throws `TaskOptionsError` with paths under `['classes', i]`.
   * @default `{}` (1 CPU), and with a whole GPU also `{ numGpus: 1 }` (typed with `acceleratorType` when set)
   */
  classes?: readonly TaskOptions[];
  /**
   * Also serve the untyped variant of each GPU class typed with this machine's accelerator type:
   * with `{ numGpus: 1, acceleratorType: 'H100' }` the machine also runs plain `{ numGpus: 1 }`
   * tasks, as Ray runs an untyped GPU task on any GPU node. `false` keeps the GPUs for typed tasks.
   * @default true
   */
  untypedGpuClasses?: boolean;
  /**
   * Most open polls per task queue. An open poll reserves nothing: a queue polls only while its
   * class's demand would be admitted now, keeps one poll whenever that holds, and opens more
   * only while every open poll's task could run at once.
   * @default 10 (the Temporal SDK's default)
   */
  pollersPerClass?: number;
  /**
   * How many later tasks may start ahead of a task that arrived on this machine and does not fit
   * yet (e.g. a whole-GPU task while half-GPU tasks run) before the resources it needs are held
   * back for it — `TaskPool`'s rule and default. `0` = strict arrival order (the GPU drains for
   * every such task); `Infinity` = never hold back (such a task may wait as long as smaller ones
   * keep coming). With `pool`, the pool's own `maxBypass` applies (the pool admits activities);
   * a different value here is refused.
   * @default 32
   */
  maxBypass?: number;
  /**
   * Also poll each class's node queue (`…@node:<id>`), for tasks with hard node affinity to this
   * machine. Listed in `classes` with `nodeQueue: true`. @default false
   */
  nodeQueues?: boolean;
  /**
   * Run activity bodies in this `TaskPool` (Piscina threads, from `@taskfit/piscina-adapter`)
   * instead of inline: each activity calls the pool module's export of the same name with the
   * task's demand, `maxCalls` and env (GPU ids come from the pool's ledger and reach the thread's
   * `process.env.CUDA_VISIBLE_DEVICES`). The pool's ledger is then the machine's one ledger: its
   * `resources` (and accelerator type, labels, visible devices) are the machine's, the pool admits
   * each activity when it arrives — in one queue with the pool's own tasks and with the child
   * tasks activities submit (`pool.remote` from `@taskfit/piscina-adapter/worker`) — so an
   * activity's resources are reserved once and activities plus their children never exceed the
   * machine. `resources`, if given too, must equal the pool's. Retries stay with Temporal (the
   * pool runs each attempt once); a thread that dies is a retried system failure
   * (`WorkerCrashedError`). The caller closes the pool after `shutdown()`.
   */
  pool?: TaskPool;
  /** How many finished tasks `listTasks()` and `timeline()` remember (oldest dropped first). @default 10000 */
  maxTaskHistory?: number;
  /** Other Temporal `WorkerOptions` applied to every class Worker (interceptors, shutdownGraceTime, …); those it sets per class are excluded. */
  workerOptions?: Omit<
    Partial<WorkerOptions>,
    | 'connection'
    | 'namespace'
    | 'taskQueue'
    | 'activities'
    | 'tuner'
    | 'activityTaskPollerBehavior'
    | 'maxConcurrentActivityTaskExecutions'
    | 'maxConcurrentActivityTaskPolls'
    | 'maxConcurrentLocalActivityExecutions'
    | 'maxConcurrentWorkflowTaskExecutions'
    | 'workflowsPath'
    | 'workflowBundle'
  >;
}

/** One task queue this process polls. */
export interface ServedClass {
  /** `resourceClassKey(demand)` (`''` for the default class). */
  readonly key: string;
  readonly demand: Readonly<Record<string, number>>;
  readonly taskQueue: string;
  /** `true` for the class's node queue (hard node affinity to this machine), `false` for its shared queue. */
  readonly nodeQueue: boolean;
}

/** Ledger snapshot in the user's units. */
export interface ResourcesSnapshot {
  total: Record<string, number>;
  /** `total` minus what running tasks hold. */
  available: Record<string, number>;
  /**
   * Held by idle pollers: always zero, since an open poll reserves nothing (tasks are admitted when
   * they arrive). Kept for compatibility. @deprecated
   */
  reservedByIdlePollers: Record<string, number>;
  /** Tasks that arrived on this machine and wait for resources (they hold nothing). */
  waitingTasks: number;
  /** Polls open now, over all task queues. */
  openPolls: number;
}

/** The running class workers of one process. */
export interface TaskWorkers {
  readonly nodeId: string;
  /** The process-wide ledger. */
  readonly node: NodeResources;
  /** Every task queue polled: each class's shared queue, then (with `nodeQueues`) its node queue. */
  readonly classes: readonly ServedClass[];
  readonly skippedClasses: readonly { demand: Readonly<Record<string, number>>; reason: string }[];
  /** Emits `'task'` with a {@link TaskEvent} per state change of every attempt. */
  readonly events: EventEmitter<{ task: [TaskEvent] }>;
  /** Runs every Worker; resolves when all stopped (after `shutdown()`), rejects if one fails. */
  run(): Promise<void>;
  /** Graceful shutdown of every Worker; resolves when they stopped. */
  shutdown(): Promise<void>;
  resources(): ResourcesSnapshot;
  /** Tasks this process ran (bounded by `maxTaskHistory`), oldest first, with their events. */
  listTasks(filter?: WorkerTaskFilter): WorkerTaskInfo[];
  /** Counts of the remembered tasks by latest state, overall and per name. */
  summarizeTasks(): WorkerTaskSummary;
  /**
   * The remembered tasks as a Chrome trace (Perfetto, chrome://tracing): one complete event per
   * attempt, named after the task, in its GPU's lane or a slot lane of its task queue.
   */
  timeline(): ChromeTrace;
}

async function defaultNode(opts: TaskWorkersOptions, nodeId: string): Promise<NodeResources> {
  const detected = await detectNodeResources();
  const o: ConstructorParameters<typeof NodeResources>[1] = { ...detected.nodeOptions, nodeId };
  if (opts.labels !== undefined) o.labels = { ...detected.nodeOptions.labels, ...opts.labels };
  if (opts.acceleratorType !== undefined) o.acceleratorType = opts.acceleratorType;
  if (opts.visibleDevices !== undefined) o.visibleDevices = opts.visibleDevices;
  return new NodeResources(detected.resources, o);
}

function makeNode(total: Readonly<Record<string, number>>, opts: TaskWorkersOptions, nodeId: string): NodeResources {
  const o: ConstructorParameters<typeof NodeResources>[1] = { nodeId };
  if (opts.labels !== undefined) o.labels = opts.labels;
  if (opts.acceleratorType !== undefined) o.acceleratorType = opts.acceleratorType;
  if (opts.visibleDevices !== undefined) o.visibleDevices = opts.visibleDevices;
  return new NodeResources(total, o);
}

/** With a pool, the machine is the pool's node: `resources` and `maxBypass`, if given, must agree with it. */
function checkSameMachine(opts: TaskWorkersOptions, shared: SharedLedger): void {
  const r = opts.resources;
  if (r !== undefined) {
    const mine = r instanceof NodeResources ? r.total : r;
    const theirs = shared.node.total;
    const keys = (o: Readonly<Record<string, number>>) =>
      Object.keys(o).filter((k) => !k.startsWith('node:') && !k.startsWith('accelerator_type:') && (o[k] ?? 0) !== 0);
    const same =
      keys(mine).length === keys(theirs).length &&
      keys(mine).every((k) => Math.abs(mine[k]! - (theirs[k] ?? 0)) < 1e-9);
    if (!same)
      throw new TypeError(
        `createTaskWorkers({ pool, resources }): with a pool, the machine's one ledger is the pool's — give the resources to the TaskPool (it has ${JSON.stringify(theirs)}, resources says ${JSON.stringify(mine)})`,
      );
  }
  if (opts.maxBypass !== undefined && opts.maxBypass !== shared.maxBypass)
    throw new RangeError(
      `createTaskWorkers({ pool, maxBypass }): the pool admits the activities with its own maxBypass (${shared.maxBypass}); give maxBypass to the TaskPool`,
    );
}

function positiveInteger(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer (got ${v})`);
  return v;
}

/**
 * Creates (but does not run) the Temporal Workers of this machine: one per task queue it serves,
 * all sharing one ledger. Activities are admitted against the ledger when they arrive, so the
 * sum of running activities never exceeds the machine's resources, and no poll holds resources
 * while it waits.
 */
export async function createTaskWorkers(opts: TaskWorkersOptions): Promise<TaskWorkers> {
  const nodeId = opts.nodeId ?? hostname();
  const pollers = positiveInteger('pollersPerClass', opts.pollersPerClass ?? DEFAULT_POLLERS_PER_CLASS);
  const maxBypass = opts.maxBypass ?? DEFAULT_MAX_BYPASS;
  if (!(maxBypass === Infinity || (Number.isInteger(maxBypass) && maxBypass >= 0)))
    throw new RangeError(`maxBypass must be a non-negative integer or Infinity (got ${maxBypass})`);
  taskQueueName(opts.taskQueue, {}); // validates the base
  let node: NodeResources;
  let gate: MachineGate;
  let ledgerGate: LedgerGate | undefined;
  let shared: SharedLedger | undefined;
  if (opts.pool !== undefined) {
    checkPool(opts.pool);
    // One ledger per machine: the pool's. It admits the activities too.
    await opts.pool.ready;
    shared = opts.pool.sharedLedger();
    node = shared.node;
    checkSameMachine(opts, shared);
    gate = shared;
  } else {
    node =
      opts.resources instanceof NodeResources
        ? opts.resources
        : opts.resources !== undefined
          ? makeNode(opts.resources, opts, nodeId)
          : await defaultNode(opts, nodeId);
    gate = ledgerGate = new LedgerGate(node, maxBypass);
  }
  const { demands, skipped } = selectClasses(
    opts.classes ?? defaultClasses(node),
    node,
    opts.untypedGpuClasses ?? true,
  );

  const polls = new PollGate(gate, pollers);
  const events = new EventEmitter<{ task: [TaskEvent] }>();
  const history = new TaskHistory(opts.maxTaskHistory ?? 10_000);
  const byQueue = new Map<string, QueueSlots>();
  const classes: ServedClass[] = [];
  const serve = (
    key: string,
    demand: Readonly<Record<string, number>>,
    taskQueue: string,
    nodeQueue: boolean,
    fixedSlots?: number,
  ) => {
    classes.push({ key, demand, taskQueue, nodeQueue });
    byQueue.set(taskQueue, polls.add(taskQueue, demand, fixedSlots));
  };
  // The machine's only queue, on a ledger nothing else uses: sdk-core's own fixed-size slots.
  const sole =
    demands.size === 1 && opts.nodeQueues !== true && shared === undefined && !(opts.resources instanceof NodeResources)
      ? soleClassSlots(node.total, [...demands.values()][0]!)
      : undefined;
  for (const [key, demand] of demands) serve(key, demand, taskQueueName(opts.taskQueue, demand), false, sole);
  if (opts.nodeQueues === true)
    for (const [key, demand] of demands) serve(key, demand, taskQueueName(opts.taskQueue, demand, nodeId), true);

  const wc = {
    nodeId,
    gate: ledgerGate,
    pool: shared,
    slotsForQueue: (q: string) => byQueue.get(q),
    // The history is a listener too: events are built when it keeps them or someone listens.
    listening: () => history.capacity > 0 || events.listenerCount('task') > 0,
    emit: (e: TaskEvent) => {
      history.add(e);
      events.emit('task', e);
    },
  };
  const activities: Record<string, (...args: unknown[]) => unknown> = {};
  for (const [name, fn] of Object.entries(opts.activities)) {
    if (typeof fn === 'function') activities[name] = wrapActivity(name, fn as (...args: unknown[]) => unknown, wc);
  }

  const workers = await Promise.all(
    [...byQueue].map(([taskQueue, slots]) =>
      Worker.create({
        ...opts.workerOptions,
        connection: opts.connection,
        namespace: opts.namespace ?? 'default',
        taskQueue,
        activities,
        tuner: {
          activityTaskSlotSupplier: slots.supplier(),
          workflowTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
          localActivityTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
          nexusTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
        },
        activityTaskPollerBehavior: { type: 'simple-maximum', maximum: pollers },
      }),
    ),
  );

  let running: Promise<void> | undefined;
  return {
    nodeId,
    node,
    classes,
    skippedClasses: skipped,
    events,
    run() {
      const polling = (on: boolean): void => {
        for (const q of byQueue.values()) q.polling = on;
      };
      polling(true);
      running ??= Promise.all(workers.map((w) => w.run())).then(
        () => polling(false),
        async (err: unknown) => {
          polling(false);
          await Promise.allSettled(workers.map(async (w) => (w.getState() === 'RUNNING' ? w.shutdown() : undefined)));
          throw err;
        },
      );
      return running;
    },
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      if (running !== undefined) await running;
    },
    resources() {
      const total = { ...node.total };
      const reservedByIdlePollers: Record<string, number> = {};
      for (const k of Object.keys(total)) reservedByIdlePollers[k] = 0;
      return {
        total,
        available: { ...node.available },
        reservedByIdlePollers,
        waitingTasks: gate.waiting,
        openPolls: polls.openPolls,
      };
    },
    listTasks: (filter) => history.list(filter),
    summarizeTasks: () => history.summarize(),
    timeline: () => history.timeline(),
  };
}

/**
 * `createTaskWorkers`: one Temporal Worker per resource class this machine serves, all sharing
 * one process-wide ledger through a `CustomSlotSupplier` per Worker.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { NodeResources, fromUnits, resourceDemand, toUnits, validateTaskOptions } from '@taskfit/core';
import { detectNodeResources } from '@taskfit/core/node';
import type { TaskOptions } from '@taskfit/core';
import { Worker } from '@temporalio/worker';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import type { TaskPool } from '@taskfit/piscina-adapter';
import { resourceClassKey, taskQueueName } from '../shared/naming.js';
import { ClassSlots } from './class-slots.js';
import { LedgerGate } from './ledger-gate.js';
import { wrapActivity } from './wrap.js';
import type { TaskEvent } from './wrap.js';
import { TaskHistory } from './history.js';
import type { WorkerTaskFilter, WorkerTaskInfo, WorkerTaskSummary } from './history.js';
import type { ChromeTrace } from '@taskfit/core';

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
   * The resource classes to serve, as task options (`[{}, { numGpus: 0.5 }, { numGpus: 1, acceleratorType: 'H100' }]`):
   * exactly these (classes this node can never fit are skipped and listed in `skippedClasses`).
   * @default `{}` (1 CPU), and with GPUs also `{ numGpus: 1 }` (plus `acceleratorType` when set)
   */
  classes?: readonly TaskOptions[];
  /** Concurrent polls per class; each idle poll holds one reservation of the class's demand. @default 1 */
  pollersPerClass?: number;
  /** Also poll each class's worker-specific queue (`…@node:<id>`) for hard node affinity. @default false */
  nodeQueues?: boolean;
  /**
   * Run activity bodies in this `TaskPool` (Piscina threads, from `@taskfit/piscina-adapter`)
   * instead of inline: each activity calls the pool module's export of the same name with the
   * task's demand, `maxCalls` and env (GPU ids then come from the pool's ledger and reach the
   * thread's `process.env.CUDA_VISIBLE_DEVICES`). Retries stay with Temporal (the pool runs
   * each attempt once); a thread that dies is a retried system failure (`WorkerCrashedError`).
   * Give the pool at least this node's resources, so that it never waits where the ledger
   * admitted. The caller closes the pool after `shutdown()`.
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

/** One class this process serves. */
export interface ServedClass {
  /** `resourceClassKey(demand)` (`''` for the default class). */
  readonly key: string;
  readonly demand: Readonly<Record<string, number>>;
  readonly taskQueue: string;
}

/** Ledger snapshot in the user's units. */
export interface ResourcesSnapshot {
  total: Record<string, number>;
  /** `total` minus what running tasks hold (idle pollers' reservations are not counted here). */
  available: Record<string, number>;
  /** Held by idle pollers, waiting for a task of their class. */
  reservedByIdlePollers: Record<string, number>;
}

/** The running class workers of one process. */
export interface TaskWorkers {
  readonly nodeId: string;
  /** The process-wide ledger. */
  readonly node: NodeResources;
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

function sub(a: Record<string, number>, b: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(b)) if (k in a) a[k] = fromUnits(toUnits(a[k] ?? 0) - toUnits(v));
}

/**
 * Creates (but does not run) one Temporal Worker per resource class this machine serves,
 * all sharing one ledger: a class Worker polls only while its class's demand is reserved, so the
 * sum of running activities never exceeds the machine's resources.
 */
export async function createTaskWorkers(opts: TaskWorkersOptions): Promise<TaskWorkers> {
  const nodeId = opts.nodeId ?? hostname();
  const node =
    opts.resources instanceof NodeResources
      ? opts.resources
      : opts.resources !== undefined
        ? makeNode(opts.resources, opts, nodeId)
        : await defaultNode(opts, nodeId);
  const pollers = opts.pollersPerClass ?? 1;
  if (!Number.isInteger(pollers) || pollers < 1)
    throw new RangeError(`pollersPerClass must be a positive integer (got ${pollers})`);
  taskQueueName(opts.taskQueue, {}); // validates the base

  const declared: TaskOptions[] =
    opts.classes !== undefined
      ? [...opts.classes]
      : (node.total['GPU'] ?? 0) >= 1
        ? [
            {},
            node.acceleratorType !== undefined ? { numGpus: 1, acceleratorType: node.acceleratorType } : { numGpus: 1 },
          ]
        : [{}];
  const demands = new Map<string, Readonly<Record<string, number>>>();
  const skippedClasses: { demand: Readonly<Record<string, number>>; reason: string }[] = [];
  for (const [i, c] of declared.entries()) {
    let demand: Record<string, number>;
    try {
      demand = resourceDemand(validateTaskOptions(c));
    } catch (err) {
      throw new TypeError(`classes[${i}] is not valid task options: ${(err as Error).message}`, { cause: err });
    }
    const reason = node.canEverFit(demand);
    if (reason !== null) skippedClasses.push({ demand, reason });
    else demands.set(resourceClassKey(demand), demand);
  }

  const gate = new LedgerGate(node);
  const events = new EventEmitter<{ task: [TaskEvent] }>();
  const history = new TaskHistory(opts.maxTaskHistory ?? 10_000);
  const byQueue = new Map<string, ClassSlots>();
  const classes: ServedClass[] = [];
  for (const [key, demand] of demands) {
    const shared = taskQueueName(opts.taskQueue, demand);
    classes.push({ key, demand, taskQueue: shared });
    byQueue.set(shared, new ClassSlots(gate, demand, pollers));
    if (opts.nodeQueues === true)
      byQueue.set(taskQueueName(opts.taskQueue, demand, nodeId), new ClassSlots(gate, demand, pollers));
  }
  const wc = {
    nodeId,
    pool: opts.pool,
    classForQueue: (q: string) => byQueue.get(q),
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
  const handle: TaskWorkers = {
    nodeId,
    node,
    classes,
    skippedClasses,
    events,
    run() {
      const reclaim = (): void => {
        for (const slots of byQueue.values()) slots.reclaimIdle();
      };
      running ??= Promise.all(workers.map((w) => w.run())).then(
        () => reclaim(),
        async (err: unknown) => {
          await Promise.allSettled(workers.map(async (w) => (w.getState() === 'RUNNING' ? w.shutdown() : undefined)));
          reclaim();
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
      const available = { ...total };
      const reservedByIdlePollers: Record<string, number> = {};
      for (const k of Object.keys(total)) reservedByIdlePollers[k] = 0;
      const used = [...byQueue.values()].flatMap((s) => s.inUse());
      for (const a of used) sub(available, a.resources);
      const free = node.available;
      for (const k of Object.keys(total))
        reservedByIdlePollers[k] = fromUnits(toUnits(available[k] ?? 0) - toUnits(free[k] ?? 0));
      return { total, available, reservedByIdlePollers };
    },
    listTasks: (filter) => history.list(filter),
    summarizeTasks: () => history.summarize(),
    timeline: () => history.timeline(),
  };
  return handle;
}

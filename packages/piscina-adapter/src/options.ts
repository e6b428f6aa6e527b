/**
 * TaskPool's constructor options: read once (own properties only, so `Object.prototype`
 * pollution is never picked up), validated with Piscina's messages for Piscina's options (and
 * clear ones for TaskPool's), and filled with Piscina's defaults.
 */
import { availableParallelism } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHARE_ENV } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { expandEnvVars, validateTaskOptions } from '@taskfit/core';
import type { RuntimeEnv } from '@taskfit/core';
import { plain } from './ledger.js';
import { checkRuntimeEnv } from './spec.js';

export type PiscinaOptions = NonNullable<ConstructorParameters<typeof Piscina>[0]>;
export type PiscinaLoadBalancer = NonNullable<PiscinaOptions['loadBalancer']>;
export type PiscinaWorker = Parameters<PiscinaLoadBalancer>[1][number];
export type PiscinaTask = Parameters<PiscinaLoadBalancer>[0];
export type TaskQueue = NonNullable<PiscinaOptions['taskQueue']>;

/** Options of {@link TaskPool}: every Piscina option, plus the node's resources. */
export interface TaskPoolOptions extends Omit<PiscinaOptions, 'filename'> {
  /**
   * The module whose exports are the tasks (path or file: URL), or null to give one per `run()`.
   * Piscina's `filename`. @default null
   */
  filename?: string | URL | null;
  /**
   * The node's resources (`{ CPU: 8, GPU: 2, memory: 2**34 }`, custom keys allowed). Default:
   * the machine's: `CPU` at once from `os.availableParallelism()` (or `TASKFIT_RESOURCES`), so
   * CPU tasks dispatch from the first `run()`; GPUs, memory, custom resources and cgroup limits
   * from `detectNodeResources()`, which refines the ledger asynchronously (`await pool.ready`).
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
  /**
   * The job's runtime env (Ray's `ray.init(runtime_env=…)`), which every task inherits: a task
   * that sets no `runtimeEnv` runs in it, one that sets one merges over it (`envVars` key by key,
   * the task's winning), and a child task inherits its parent's effective env the same way. Its
   * `envVars` are also set on every worker thread (`${VAR}` expanded against the pool's `env`, or
   * this process's), so plain `run()` tasks see them too. Only `envVars` is supported.
   */
  runtimeEnv?: RuntimeEnv;
  /**
   * Extra threads for tasks blocked on their child tasks: a thread whose task awaits its children
   * does not count towards `maxThreads`, up to this many such threads. When every thread the
   * pool may have runs a blocked task and a child task waits for a thread, the newest blocked task
   * is cancelled (`TaskCancelledError` naming this bound) instead of letting the tree hang.
   * @default max(64, 4 × maxThreads)
   */
  maxBlockedThreads?: number;
}

/** Piscina's options as the pool reports them (`pool.options`): every default filled, null prototype. */
export interface FilledOptions extends Omit<PiscinaOptions, 'filename' | 'maxQueue'> {
  filename: string | null;
  name: string;
  minThreads: number;
  maxThreads: number;
  idleTimeout: number;
  maxQueue: number;
  concurrentTasksPerWorker: number;
  atomics: 'sync' | 'async' | 'disabled';
  taskQueue: TaskQueue;
  niceIncrement: number;
  trackUnmanagedFds: boolean;
  closeTimeout: number;
  recordTiming: boolean;
  stricterFIFO: boolean;
  workerHistogram: boolean;
  [key: string]: unknown;
}

/** Everything the pool takes from its options, read once. */
export interface PoolConfig {
  /** What `pool.options` shows (the user's values, Piscina's defaults). */
  readonly filled: FilledOptions;
  /** Options passed through to Piscina's constructor (TaskPool sets filename, balancer, queue, maxQueue itself). */
  readonly passThrough: PiscinaOptions;
  readonly filename: string | null;
  readonly name: string;
  readonly minThreads: number;
  readonly maxThreads: number;
  readonly concurrentTasksPerWorker: number;
  readonly maxQueue: number;
  readonly closeTimeout: number;
  readonly recordTiming: boolean;
  readonly loadBalancer: PiscinaLoadBalancer | undefined;
  readonly taskQueue: TaskQueue | undefined;
  /**
   * The environment task env vars are expanded against (`${VAR}`): the `env` option, else this
   * process's — without the pool's `runtimeEnv`, which tasks apply themselves.
   */
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  /** The pool's runtime env (validated), inherited by every task. */
  readonly runtimeEnv: RuntimeEnv | undefined;
  /** Its `envVars`, expanded: what plain tasks see in their context. */
  readonly jobEnvVars: Record<string, string> | undefined;
  readonly maxBlockedThreads: number;
  readonly resources: Readonly<Record<string, number>> | undefined;
  readonly nodeId: string;
  readonly labels: Readonly<Record<string, string>> | undefined;
  readonly acceleratorType: string | undefined;
  readonly visibleDevices: readonly string[] | undefined;
  readonly maxBypass: number;
  readonly maxTaskHistory: number;
}

const TASKPOOL_KEYS = new Set([
  'runtimeEnv',
  'maxBlockedThreads',
  'resources',
  'nodeId',
  'labels',
  'acceleratorType',
  'visibleDevices',
  'maxBypass',
  'maxTaskHistory',
]);

/** Piscina's own check of a task queue (`isTaskQueue`). */
export function isTaskQueue(value: unknown): value is TaskQueue {
  return (
    typeof value === 'object' &&
    value !== null &&
    'size' in value &&
    typeof (value as TaskQueue).shift === 'function' &&
    typeof (value as TaskQueue).remove === 'function' &&
    typeof (value as TaskQueue).push === 'function'
  );
}

const isNum = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);

/** A module given as a path, a file: URL string or a URL, as an absolute path (Piscina's `maybeFileURLToPath`). */
export function toPath(f: string | URL): string {
  if (f instanceof URL) return fileURLToPath(f);
  return f.startsWith('file:') ? fileURLToPath(new URL(f)) : resolvePath(f);
}

function stringRecord(v: unknown, what: string): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new TypeError(`options.${what} must be an object of strings`);
  const out = plain(v as Record<string, unknown>);
  for (const [k, x] of Object.entries(out))
    if (typeof x !== 'string') throw new TypeError(`options.${what}.${k} must be a string, got ${typeof x}`);
  return out as Record<string, string>;
}

/**
 * Reads and validates the options of a TaskPool.
 * @throws TypeError / RangeError naming the option (Piscina's messages for Piscina's options).
 */
export function readPoolOptions(input: unknown): PoolConfig {
  if (input !== undefined && (typeof input !== 'object' || input === null))
    throw new TypeError('options must be an object');
  // Own properties, each read once.
  const o = plain((input ?? {}) as Record<string, unknown>);
  const cpus = availableParallelism();

  if (o.filename != null && typeof o.filename !== 'string' && !(o.filename instanceof URL))
    throw new TypeError('options.filename must be a string or null');
  if (o.name != null && typeof o.name !== 'string') throw new TypeError('options.name must be a string or null');
  if (o.minThreads !== undefined && (!isNum(o.minThreads) || o.minThreads < 0 || o.minThreads === Infinity))
    throw new TypeError('options.minThreads must be a non-negative integer');
  if (o.maxThreads !== undefined && (!isNum(o.maxThreads) || o.maxThreads < 1))
    throw new TypeError('options.maxThreads must be a positive integer');
  if (o.minThreads !== undefined && o.maxThreads !== undefined && (o.minThreads as number) > (o.maxThreads as number))
    throw new RangeError('options.minThreads and options.maxThreads must not conflict');
  if (o.idleTimeout !== undefined && (!isNum(o.idleTimeout) || o.idleTimeout < 0))
    throw new TypeError('options.idleTimeout must be a non-negative integer');
  if (o.maxQueue !== undefined && o.maxQueue !== 'auto' && (!isNum(o.maxQueue) || o.maxQueue < 0))
    throw new TypeError('options.maxQueue must be a non-negative integer');
  const k = o.concurrentTasksPerWorker;
  if (k !== undefined && (!isNum(k) || k < 1 || !Number.isInteger(k)))
    throw new TypeError('options.concurrentTasksPerWorker must be a positive integer');
  if (o.atomics != null && (typeof o.atomics !== 'string' || !['sync', 'async', 'disabled'].includes(o.atomics)))
    throw new TypeError('options.atomics should be a value of sync, sync or disabled.');
  if (o.resourceLimits !== undefined && (typeof o.resourceLimits !== 'object' || o.resourceLimits === null))
    throw new TypeError('options.resourceLimits must be an object');
  if (o.taskQueue !== undefined && !isTaskQueue(o.taskQueue))
    throw new TypeError('options.taskQueue must be a TaskQueue object');
  if (
    o.niceIncrement !== undefined &&
    (!isNum(o.niceIncrement) || (o.niceIncrement < 0 && process.platform !== 'win32'))
  )
    throw new TypeError('options.niceIncrement must be a non-negative integer on Unix systems');
  if (o.trackUnmanagedFds !== undefined && typeof o.trackUnmanagedFds !== 'boolean')
    throw new TypeError('options.trackUnmanagedFds must be a boolean value');
  if (o.closeTimeout !== undefined && (!isNum(o.closeTimeout) || o.closeTimeout < 0))
    throw new TypeError('options.closeTimeout must be a non-negative integer');
  if (o.loadBalancer !== undefined && (typeof o.loadBalancer !== 'function' || o.loadBalancer.length < 1))
    throw new TypeError('options.loadBalancer must be a function with at least two args');
  if (o.workerHistogram !== undefined && typeof o.workerHistogram !== 'boolean')
    throw new TypeError('options.workerHistogram must be a boolean');
  if (o.stricterFIFO !== undefined && typeof o.stricterFIFO !== 'boolean')
    throw new TypeError('options.stricterFIFO must be a boolean');
  if (o.recordTiming !== undefined && typeof o.recordTiming !== 'boolean')
    throw new TypeError('options.recordTiming must be a boolean');
  if (o.env === SHARE_ENV) {
    throw new RangeError(
      'options.env: SHARE_ENV is not supported by TaskPool — a task declared with options sets its own environment variables (OMP_NUM_THREADS, CUDA_VISIBLE_DEVICES, runtimeEnv.envVars) on its thread, which a shared environment would leak into the whole process',
    );
  }
  if (o.env != null && (typeof o.env !== 'object' || Array.isArray(o.env)))
    throw new TypeError('options.env must be an object of environment variables');
  for (const key of ['argv', 'execArgv'] as const) {
    const v = o[key];
    if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string')))
      throw new TypeError(`options.${key} must be an array of strings`);
  }
  // A Worker is only created when a thread is needed; find an uncloneable workerData now.
  if (o.workerData !== undefined) structuredClone(o.workerData);

  // TaskPool's own options.
  let resources: Record<string, number> | undefined;
  if (o.resources !== undefined) {
    if (typeof o.resources !== 'object' || o.resources === null || Array.isArray(o.resources))
      throw new TypeError('options.resources must be an object of resource quantities, e.g. { CPU: 8, GPU: 1 }');
    resources = plain(o.resources as Record<string, number>);
  }
  if (o.nodeId !== undefined && (typeof o.nodeId !== 'string' || o.nodeId === ''))
    throw new TypeError('options.nodeId must be a non-empty string');
  const labels = o.labels === undefined ? undefined : stringRecord(o.labels, 'labels');
  if (o.acceleratorType !== undefined && (typeof o.acceleratorType !== 'string' || o.acceleratorType === ''))
    throw new TypeError('options.acceleratorType must be a non-empty string');
  let visibleDevices: string[] | undefined;
  if (o.visibleDevices !== undefined) {
    if (!Array.isArray(o.visibleDevices) || o.visibleDevices.some((d) => typeof d !== 'string'))
      throw new TypeError('options.visibleDevices must be an array of device id strings');
    visibleDevices = [...(o.visibleDevices as string[])];
  }
  const maxBypass = o.maxBypass ?? 32;
  if (!Number.isInteger(maxBypass) || (maxBypass as number) < 0)
    throw new RangeError(`options.maxBypass must be an integer ≥ 0, got ${String(o.maxBypass)}`);
  let runtimeEnv: RuntimeEnv | undefined;
  if (o.runtimeEnv !== undefined) {
    // The task-options rules (paths ['runtimeEnv', …]), and the thread executor's: envVars only.
    runtimeEnv = validateTaskOptions({ runtimeEnv: o.runtimeEnv }).runtimeEnv;
    checkRuntimeEnv(runtimeEnv, ['runtimeEnv']);
  }
  const maxTaskHistory = o.maxTaskHistory ?? 10_000;
  if (!(Number.isInteger(maxTaskHistory) || maxTaskHistory === Infinity) || (maxTaskHistory as number) < 0)
    throw new RangeError(
      `options.maxTaskHistory must be an integer ≥ 0 (or Infinity), got ${String(o.maxTaskHistory)}`,
    );

  // Piscina's defaults and clamping (src/index.ts, ThreadPool's constructor).
  let minThreads = (o.minThreads as number | undefined) ?? Math.max(Math.floor(cpus / 2), 1);
  let maxThreads = (o.maxThreads as number | undefined) ?? cpus * 1.5;
  if (o.maxThreads !== undefined && minThreads >= maxThreads) minThreads = maxThreads;
  if (o.minThreads !== undefined && maxThreads <= minThreads) maxThreads = minThreads;
  const maxQueue = o.maxQueue === 'auto' ? maxThreads ** 2 : ((o.maxQueue as number | undefined) ?? Infinity);
  const filename = o.filename == null ? null : toPath(o.filename as string | URL);
  const concurrentTasksPerWorker = (k as number | undefined) ?? 1;
  const maxBlockedThreads = o.maxBlockedThreads ?? Math.max(64, Math.ceil(4 * maxThreads));
  if (!Number.isInteger(maxBlockedThreads) || (maxBlockedThreads as number) < 0)
    throw new RangeError(`options.maxBlockedThreads must be an integer ≥ 0, got ${String(o.maxBlockedThreads)}`);
  const passThrough = plain(o) as PiscinaOptions & Record<string, unknown>;
  for (const key of TASKPOOL_KEYS) delete passThrough[key];
  const baseEnv: Readonly<Record<string, string | undefined>> =
    o.env != null ? plain(o.env as Record<string, string>) : process.env;
  let jobEnvVars: Record<string, string> | undefined;
  const vars = runtimeEnv?.envVars;
  if (vars !== undefined && Object.keys(vars).length > 0) {
    jobEnvVars = {};
    for (const [k, v] of Object.entries(vars)) jobEnvVars[k] = expandEnvVars(v, baseEnv);
    // Threads start with the job's variables: plain tasks, which set no env, see them too.
    passThrough.env = { ...baseEnv, ...jobEnvVars };
  }

  const filled = Object.assign(Object.create(null) as FilledOptions, {
    name: 'default',
    idleTimeout: 0,
    niceIncrement: 0,
    trackUnmanagedFds: true,
    closeTimeout: 30_000,
    recordTiming: true,
    stricterFIFO: false,
    workerHistogram: false,
    ...o,
    filename,
    minThreads,
    maxThreads,
    maxQueue,
    concurrentTasksPerWorker,
    atomics: (o.atomics as FilledOptions['atomics'] | null | undefined) ?? 'sync',
  }) as FilledOptions;
  if (o.name == null) filled.name = 'default';

  return {
    filled,
    passThrough,
    filename,
    name: filled.name,
    minThreads,
    maxThreads,
    concurrentTasksPerWorker,
    maxQueue,
    closeTimeout: filled.closeTimeout,
    recordTiming: filled.recordTiming,
    loadBalancer: o.loadBalancer as PiscinaLoadBalancer | undefined,
    taskQueue: o.taskQueue as TaskQueue | undefined,
    baseEnv,
    runtimeEnv,
    jobEnvVars,
    maxBlockedThreads: maxBlockedThreads as number,
    resources,
    nodeId: (o.nodeId as string | undefined) ?? 'local',
    labels,
    acceleratorType: o.acceleratorType as string | undefined,
    visibleDevices,
    maxBypass: maxBypass as number,
    maxTaskHistory: maxTaskHistory as number,
  };
}

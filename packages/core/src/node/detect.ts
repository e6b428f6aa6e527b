import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { TaskOptionsError, type TaskOptionsIssue } from '../errors.js';
import { entriesOf, fieldsOf, read as readOwn } from '../input.js';
import { NodeResources, nodeTotalProblem, type NodeResourcesOptions } from '../resources/node-resources.js';
import {
  acceleratorTypeFromName,
  applyCudaVisibleDevices,
  parseCgroupMemoryLimit,
  parseCgroupV1CpuQuota,
  parseCgroupV2CpuMax,
  parseNvidiaSmiCsv,
  parseProcCgroup,
  type DetectedGpu,
} from './parsers.js';

const DETECT_OPTIONS = [
  'resources',
  'labels',
  'acceleratorType',
  'nodeId',
  'env',
  'nvidiaSmi',
  'timeoutMs',
  'runCommand',
  'readFile',
  'hostCpus',
  'hostMemory',
] as const satisfies readonly (keyof DetectOptions)[];

/** An environment variable's value (own property only: a polluted Object.prototype is not an environment). */
function envVar(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const v = readOwn(env, name);
  return typeof v === 'string' ? v : undefined;
}

const DEFAULT_TIMEOUT_MS = 5000;
/** setTimeout's largest delay (larger ones fire at once). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Name of the environment variable whose JSON object overrides detected resources (it wins over everything). */
export const RESOURCES_ENV_VAR = 'TASKFIT_RESOURCES';

/** Arguments passed to `nvidia-smi`. */
export const NVIDIA_SMI_ARGS: readonly string[] = [
  '--query-gpu=index,uuid,name,memory.total',
  '--format=csv,noheader,nounits',
];

/** Runs a command and resolves with its stdout (rejects on failure or timeout). */
export type CommandRunner = (file: string, args: readonly string[], options: { timeoutMs: number }) => Promise<string>;

/** Options of {@link detectNodeResources}. */
export interface DetectOptions {
  /** Resource overrides merged over what was detected (e.g. `{ GPU: 0 }`, `{ licence: 2 }`). `TASKFIT_RESOURCES` still wins. */
  resources?: Readonly<Record<string, number>>;
  /** Extra node labels (merged over the detected ones). */
  labels?: Readonly<Record<string, string>>;
  /** Overrides the accelerator type derived from the GPU name. */
  acceleratorType?: string;
  /** Node id for {@link DetectedNodeResources.nodeOptions}. */
  nodeId?: string;
  /** Environment to read `CUDA_VISIBLE_DEVICES` and `TASKFIT_RESOURCES` from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Path or name of `nvidia-smi`. @default 'nvidia-smi' */
  nvidiaSmi?: string;
  /**
   * Timeout for `nvidia-smi`, in ms (a positive number). On timeout it is killed (SIGKILL) and
   * detection goes on without GPUs, without waiting for it to exit. @default 5000
   */
  timeoutMs?: number;
  /** Command runner (tests inject one). @default execFile */
  runCommand?: CommandRunner;
  /** File reader resolving to undefined when the file cannot be read (tests inject one). @default fs.readFile */
  readFile?: (path: string) => Promise<string | undefined>;
  /** Logical CPUs of the host. @default os.availableParallelism() */
  hostCpus?: number;
  /** Memory of the host in bytes. @default os.totalmem() */
  hostMemory?: number;
}

/** Where a detected value came from. */
export interface DetectionSources {
  cpu: 'cgroup-v2' | 'cgroup-v1' | 'host' | 'override';
  memory: 'cgroup-v2' | 'cgroup-v1' | 'host' | 'override';
  gpu: 'nvidia-smi' | 'none' | 'override';
  /** Why no GPU was detected (nvidia-smi missing, failed, timed out, `CUDA_VISIBLE_DEVICES=""`…). */
  gpuNote?: string;
  /** Resource names overridden by options or by `TASKFIT_RESOURCES`. */
  overridden: string[];
}

/** The result of {@link detectNodeResources}. */
export interface DetectedNodeResources {
  /**
   * Node totals: `CPU` (whole, at least 1), `memory` (bytes), `GPU` (0 when none),
   * `accelerator_type:<T>: 1` when known, plus overrides. Ready for `new NodeResources(resources, nodeOptions)`.
   */
  resources: Record<string, number>;
  /** Labels: `ray.io/accelerator-type` when known, plus user labels. */
  labels: Record<string, string>;
  /** Visible GPUs, in CUDA order. */
  gpus: DetectedGpu[];
  acceleratorType?: string;
  /** The host's pre-set `CUDA_VISIBLE_DEVICES` entries (one per visible GPU), when it was set. */
  visibleDevices?: string[];
  /** Options for `new NodeResources(resources, nodeOptions)`. */
  nodeOptions: NodeResourcesOptions;
  sources: DetectionSources;
}

/** How long detection waits past `timeoutMs` for a runner that ignores its timeout. */
const TIMEOUT_GRACE_MS = 250;

function timedOut(file: string, timeoutMs: number): Error {
  return Object.assign(new Error(`${file} timed out after ${timeoutMs} ms`), { killed: true, code: 'ETIMEDOUT' });
}

/**
 * Runs `file` and resolves with its stdout. On timeout it sends SIGKILL (a wedged `nvidia-smi`
 * may ignore SIGTERM) and rejects at once: it does not wait for the process to exit (one stuck in
 * the kernel may never exit), and the child no longer keeps the event loop alive.
 */
const defaultRunner: CommandRunner = (file, args, { timeoutMs }) =>
  new Promise((resolve, reject) => {
    const child = execFile(file, [...args], { windowsHide: true, encoding: 'utf8' }, (err, stdout) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(stdout);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.unref();
      reject(timedOut(file, timeoutMs));
    }, timeoutMs);
  });

/** `promise`, or a timeout error once `ms` have passed (whatever the runner does). */
function within<T>(promise: Promise<T>, ms: number, file: string, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut(file, timeoutMs)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

const defaultReadFile = async (path: string): Promise<string | undefined> => {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * Detects this machine's resources: CPUs (cgroup v2 `cpu.max` / v1 CFS quota aware, else
 * `os.availableParallelism()`, floored to a whole number, at least 1), memory (cgroup limit
 * aware, else `os.totalmem()`), GPUs from `nvidia-smi` (honouring `CUDA_VISIBLE_DEVICES`), the
 * accelerator type from the first GPU's name, then `options.resources`, then the
 * `TASKFIT_RESOURCES` JSON environment variable (which wins). Without GPUs or `nvidia-smi`
 * the node has `GPU: 0`; detection never fails because of missing hardware. `nvidia-smi` is
 * killed (SIGKILL) after `timeoutMs` and not waited for. `options` is read once, own properties only.
 * @throws TaskOptionsError (path `['TASKFIT_RESOURCES', key]`, `['resources', key]`, `['labels']` or
 *   `['timeoutMs']`) for an invalid override (overrides are node totals: whole numbers, at most
 *   1,024 devices of a unit-instance resource) or a bad `timeoutMs`.
 */
export async function detectNodeResources(input: DetectOptions = {}): Promise<DetectedNodeResources> {
  // Read once, own properties only.
  const options = fieldsOf(input, DETECT_OPTIONS, []) as DetectOptions;
  const env = options.env ?? process.env;
  const read = options.readFile ?? defaultReadFile;
  const envOverride = parseResourcesEnv(envVar(env, RESOURCES_ENV_VAR));
  const optOverride = options.resources === undefined ? {} : checkOverrides(options.resources, 'resources');
  const t = options.timeoutMs;
  if (t !== undefined && !(typeof t === 'number' && t > 0 && t <= MAX_TIMEOUT_MS)) {
    throw new TaskOptionsError([
      {
        path: ['timeoutMs'],
        code: typeof t === 'number' ? 'invalid_value' : 'invalid_type',
        message: `timeoutMs must be a number of milliseconds in (0, ${MAX_TIMEOUT_MS}], got ${String(t)}`,
      },
    ]);
  }

  const [cpu, memory, gpu] = await Promise.all([
    detectCpu(read, options.hostCpus ?? os.availableParallelism()),
    detectMemory(read, options.hostMemory ?? os.totalmem()),
    detectGpus(options, envVar(env, 'CUDA_VISIBLE_DEVICES')),
  ]);

  const acceleratorType =
    options.acceleratorType ?? (gpu.gpus[0] === undefined ? undefined : acceleratorTypeFromName(gpu.gpus[0].name));
  const resources: Record<string, number> = {
    CPU: Math.max(1, Math.floor(cpu.value)),
    memory: memory.value,
    GPU: gpu.gpus.length,
  };
  if (acceleratorType !== undefined) resources[`accelerator_type:${acceleratorType}`] = 1;
  const sources: DetectionSources = {
    cpu: cpu.source,
    memory: memory.source,
    gpu: gpu.gpus.length > 0 ? 'nvidia-smi' : 'none',
    overridden: [],
  };
  if (gpu.note !== undefined) sources.gpuNote = gpu.note;
  for (const o of [optOverride, envOverride]) {
    for (const [k, v] of Object.entries(o)) {
      resources[k] = v;
      if (!sources.overridden.includes(k)) sources.overridden.push(k);
      if (k === 'CPU') sources.cpu = 'override';
      if (k === 'memory') sources.memory = 'override';
      if (k === 'GPU') sources.gpu = 'override';
    }
  }
  const labels: Record<string, string> = {};
  if (acceleratorType !== undefined) labels['ray.io/accelerator-type'] = acceleratorType;
  // Copied as data (an own __proto__ key stays a key, and NodeResources rejects it).
  if (options.labels !== undefined) {
    for (const [k, v] of entriesOf(options.labels, ['labels'], 'an object of strings')) {
      Object.defineProperty(labels, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }

  const nodeOptions: NodeResourcesOptions = { labels };
  if (options.nodeId !== undefined) nodeOptions.nodeId = options.nodeId;
  if (acceleratorType !== undefined) nodeOptions.acceleratorType = acceleratorType;
  const gpuCount = resources.GPU ?? 0;
  if (gpu.visibleDevices !== undefined && gpu.visibleDevices.length >= gpuCount) {
    nodeOptions.visibleDevices = gpu.visibleDevices;
  }
  const out: DetectedNodeResources = { resources, labels, gpus: gpu.gpus, nodeOptions, sources };
  if (acceleratorType !== undefined) out.acceleratorType = acceleratorType;
  if (gpu.visibleDevices !== undefined) out.visibleDevices = gpu.visibleDevices;
  return out;
}

/** Detects this machine ({@link detectNodeResources}) and returns it as a {@link NodeResources}. */
export async function createLocalNode(options: DetectOptions = {}): Promise<NodeResources> {
  const d = await detectNodeResources(options);
  return new NodeResources(d.resources, d.nodeOptions);
}

/**
 * Parses the `TASKFIT_RESOURCES` value: a JSON object of resource quantities (`{"GPU": 0, "licence": 2}`).
 * @throws TaskOptionsError naming the variable for invalid JSON, a non-object, or a bad quantity.
 */
export function parseResourcesEnv(value: string | undefined): Record<string, number> {
  if (value === undefined || value.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (e) {
    throw new TaskOptionsError([
      {
        path: [RESOURCES_ENV_VAR],
        code: 'invalid_value',
        message: `${RESOURCES_ENV_VAR} must be a JSON object of resource quantities, e.g. {"GPU": 0, "licence": 2}; JSON.parse failed: ${(e as Error).message}`,
      },
    ]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TaskOptionsError([
      {
        path: [RESOURCES_ENV_VAR],
        code: 'invalid_type',
        message: `${RESOURCES_ENV_VAR} must be a JSON object of resource quantities, got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}`,
      },
    ]);
  }
  return checkOverrides(parsed, RESOURCES_ENV_VAR);
}

/** Resource overrides are node totals: each must pass the rule `NodeResources` applies (see `nodeTotalProblem`). */
function checkOverrides(o: unknown, root: string): Record<string, number> {
  const issues: TaskOptionsIssue[] = [];
  const out: Record<string, number> = {};
  for (const [k, v] of entriesOf(o, [root], 'an object of resource quantities')) {
    const problem = nodeTotalProblem(k, v);
    if (problem !== undefined)
      issues.push({ path: [root, k], code: problem.code, message: `${root}.${k} ${problem.rule}` });
    else out[k] = v as number;
  }
  if (issues.length > 0) throw new TaskOptionsError(issues);
  return out;
}

type Read = (path: string) => Promise<string | undefined>;

async function cgroupDirs(read: Read): Promise<{ v2: string[]; v1: Map<string, string> }> {
  const entries = parseProcCgroup((await read('/proc/self/cgroup')) ?? '');
  const v2: string[] = [];
  const v1 = new Map<string, string>();
  for (const e of entries) {
    if (e.hierarchy === 0 && e.controllers.length === 0) {
      if (e.path !== '/') v2.push(`/sys/fs/cgroup${e.path}`);
    } else for (const c of e.controllers) v1.set(c, e.path);
  }
  v2.push('/sys/fs/cgroup');
  return { v2, v1 };
}

async function firstReadable(read: Read, paths: string[]): Promise<string | undefined> {
  for (const p of paths) {
    const t = await read(p);
    if (t !== undefined) return t;
  }
  return undefined;
}

function v1Paths(v1: Map<string, string>, controller: string, file: string): string[] {
  const p = v1.get(controller);
  const mounts = controller === 'cpu' ? ['cpu', 'cpu,cpuacct', 'cpuacct,cpu'] : [controller];
  const out: string[] = [];
  for (const m of mounts) {
    if (p !== undefined && p !== '/') out.push(`/sys/fs/cgroup/${m}${p}/${file}`);
    out.push(`/sys/fs/cgroup/${m}/${file}`);
  }
  return out;
}

async function detectCpu(read: Read, host: number): Promise<{ value: number; source: DetectionSources['cpu'] }> {
  const { v2, v1 } = await cgroupDirs(read);
  const max = await firstReadable(
    read,
    v2.map((d) => `${d}/cpu.max`),
  );
  if (max !== undefined) {
    const n = parseCgroupV2CpuMax(max);
    return n !== undefined && n < host ? { value: n, source: 'cgroup-v2' } : { value: host, source: 'host' };
  }
  const quota = await firstReadable(read, v1Paths(v1, 'cpu', 'cpu.cfs_quota_us'));
  const period = await firstReadable(read, v1Paths(v1, 'cpu', 'cpu.cfs_period_us'));
  if (quota !== undefined && period !== undefined) {
    const n = parseCgroupV1CpuQuota(quota, period);
    if (n !== undefined && n < host) return { value: n, source: 'cgroup-v1' };
  }
  return { value: host, source: 'host' };
}

async function detectMemory(read: Read, host: number): Promise<{ value: number; source: DetectionSources['memory'] }> {
  const { v2, v1 } = await cgroupDirs(read);
  const max = await firstReadable(
    read,
    v2.map((d) => `${d}/memory.max`),
  );
  if (max !== undefined) {
    const n = parseCgroupMemoryLimit(max);
    return n !== undefined && n < host
      ? { value: n, source: 'cgroup-v2' }
      : { value: Math.floor(host), source: 'host' };
  }
  const lim = await firstReadable(read, v1Paths(v1, 'memory', 'memory.limit_in_bytes'));
  if (lim !== undefined) {
    const n = parseCgroupMemoryLimit(lim);
    if (n !== undefined && n < host) return { value: n, source: 'cgroup-v1' };
  }
  return { value: Math.floor(host), source: 'host' };
}

async function detectGpus(
  options: DetectOptions,
  cudaVisible: string | undefined,
): Promise<{ gpus: DetectedGpu[]; visibleDevices: string[] | undefined; note?: string }> {
  if (cudaVisible !== undefined && cudaVisible.trim() === '') {
    return { gpus: [], visibleDevices: [], note: 'CUDA_VISIBLE_DEVICES is empty' };
  }
  const run = options.runCommand ?? defaultRunner;
  const file = options.nvidiaSmi ?? 'nvidia-smi';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let stdout: string;
  try {
    // The deadline holds even for a runner that ignores timeoutMs.
    stdout = await within(run(file, NVIDIA_SMI_ARGS, { timeoutMs }), timeoutMs + TIMEOUT_GRACE_MS, file, timeoutMs);
  } catch (e) {
    const err = (typeof e === 'object' && e !== null ? e : {}) as NodeJS.ErrnoException & { killed?: boolean };
    const why =
      err.code === 'ENOENT'
        ? 'nvidia-smi not found'
        : err.killed === true
          ? `nvidia-smi timed out after ${timeoutMs} ms`
          : `nvidia-smi failed: ${String(err.message ?? e).split('\n')[0]}`;
    return { gpus: [], visibleDevices: undefined, note: why };
  }
  const all = parseNvidiaSmiCsv(stdout);
  const { gpus, visibleDevices } = applyCudaVisibleDevices(all, cudaVisible);
  if (gpus.length === 0) {
    return {
      gpus,
      visibleDevices,
      note:
        all.length === 0 ? 'nvidia-smi listed no GPUs' : `CUDA_VISIBLE_DEVICES=${cudaVisible} names none of the GPUs`,
    };
  }
  return { gpus, visibleDevices };
}

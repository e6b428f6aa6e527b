import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { TaskOptionsError, type TaskOptionsIssue } from '../errors.js';
import { NodeResources, type NodeResourcesOptions } from '../resources/node-resources.js';
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
  /** Timeout for `nvidia-smi`. @default 5000 */
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

const defaultRunner: CommandRunner = (file, args, { timeoutMs }) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: timeoutMs, windowsHide: true, encoding: 'utf8' }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });

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
 * the node has `GPU: 0`; detection never fails because of missing hardware.
 * @throws TaskOptionsError (path `['TASKFIT_RESOURCES']` or `['resources', key]`) for an invalid override.
 */
export async function detectNodeResources(options: DetectOptions = {}): Promise<DetectedNodeResources> {
  const env = options.env ?? process.env;
  const read = options.readFile ?? defaultReadFile;
  const envOverride = parseResourcesEnv(env[RESOURCES_ENV_VAR]);
  const optOverride = checkOverrides(options.resources ?? {}, 'resources');

  const [cpu, memory, gpu] = await Promise.all([
    detectCpu(read, options.hostCpus ?? os.availableParallelism()),
    detectMemory(read, options.hostMemory ?? os.totalmem()),
    detectGpus(options, env['CUDA_VISIBLE_DEVICES']),
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
  Object.assign(labels, options.labels ?? {});

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
  return checkOverrides(parsed as Record<string, unknown>, RESOURCES_ENV_VAR);
}

function checkOverrides(o: Readonly<Record<string, unknown>>, root: string): Record<string, number> {
  const issues: TaskOptionsIssue[] = [];
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') {
      issues.push({ path: [root, k], code: 'invalid_value', message: `${root}.${k} is a forbidden resource name` });
    } else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      issues.push({
        path: [root, k],
        code: typeof v === 'number' ? 'invalid_value' : 'invalid_type',
        message: `${root}.${k} must be a finite, non-negative number, got ${typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v))}`,
      });
    } else out[k] = v;
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
  let stdout: string;
  try {
    stdout = await run(options.nvidiaSmi ?? 'nvidia-smi', NVIDIA_SMI_ARGS, { timeoutMs: options.timeoutMs ?? 5000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { killed?: boolean };
    const why =
      err.code === 'ENOENT'
        ? 'nvidia-smi not found'
        : err.killed === true
          ? 'nvidia-smi timed out'
          : `nvidia-smi failed: ${err.message.split('\n')[0]}`;
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

/**
 * Pure parsers for hardware detection (no I/O; exported for tests and reuse).
 */

/** One GPU as reported by `nvidia-smi`. */
export interface DetectedGpu {
  /** `nvidia-smi` index (physical order). */
  readonly index: number;
  /** `GPU-…` UUID. */
  readonly uuid: string;
  /** Product name, e.g. `NVIDIA H200`. */
  readonly name: string;
  /** Total memory in MiB (undefined when `nvidia-smi` reports `[N/A]`). */
  readonly memoryMiB: number | undefined;
}

/**
 * Parses `nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv,noheader,nounits`.
 * Tolerates a header line and ` MiB` units (plain `--format=csv`), blank lines and extra columns.
 * Lines that do not start with an index are skipped.
 */
export function parseNvidiaSmiCsv(text: string): DetectedGpu[] {
  const out: DetectedGpu[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const cols = line.split(',').map((c) => c.trim());
    if (cols.length < 3 || !/^\d+$/.test(cols[0]!)) continue;
    const mem = cols[3] === undefined ? Number.NaN : Number.parseFloat(cols[3]);
    out.push({
      index: Number(cols[0]),
      uuid: cols[1]!,
      name: cols[2]!,
      memoryMiB: Number.isFinite(mem) ? mem : undefined,
    });
  }
  return out;
}

const VENDOR_WORDS = new Set(['NVIDIA', 'TESLA', 'GEFORCE', 'QUADRO']);
const SERIES_WORDS = new Set(['RTX', 'GTX']);

/**
 * Accelerator type from a GPU name: the first alphanumeric run after the vendor words
 * (Ray's rule). `"NVIDIA H200"` → `H200`, `"NVIDIA H100 80GB HBM3"` → `H100`,
 * `"Tesla V100-SXM2-16GB"` → `V100`, `"NVIDIA A100-SXM4-80GB"` → `A100`, `"Tesla T4"` → `T4`.
 * Consumer names skip the brand and join a numeric model to its series:
 * `"NVIDIA GeForce RTX 4090"` → `RTX4090`, `"NVIDIA RTX A6000"` → `A6000`
 * (Ray would answer `G` and `RTX`). Returns undefined when nothing is left.
 */
export function acceleratorTypeFromName(name: string): string | undefined {
  const runs = name.split(/\s+/).map((w) => /^[A-Za-z0-9]+/.exec(w)?.[0] ?? '');
  let i = 0;
  while (i < runs.length && (runs[i] === '' || VENDOR_WORDS.has(runs[i]!.toUpperCase()))) i++;
  const first = runs[i];
  if (first === undefined || first === '') return undefined;
  if (SERIES_WORDS.has(first.toUpperCase())) {
    const next = runs[i + 1];
    if (next !== undefined && /^\d/.test(next)) return `${first.toUpperCase()}${next}`;
    if (next !== undefined && next !== '') return next;
  }
  return first;
}

/**
 * Parses cgroup v2 `cpu.max` (`"<quota> <period>"` or `"max <period>"`): the CPU limit as a
 * (possibly fractional) number of CPUs, or undefined when unlimited or unreadable.
 */
export function parseCgroupV2CpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max') return undefined;
  return cpuRatio(quota, period ?? '100000');
}

/** cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`; quota `-1` means unlimited. */
export function parseCgroupV1CpuQuota(quotaText: string, periodText: string): number | undefined {
  return cpuRatio(quotaText.trim(), periodText.trim());
}

function cpuRatio(quota: string, period: string): number | undefined {
  const q = Number(quota);
  const p = Number(period);
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return undefined;
  return q / p;
}

/** Limits at or above this are "unlimited" (cgroup v1 reports 2^63 rounded down to a page). */
const UNLIMITED_BYTES = 2 ** 60;

/**
 * Parses cgroup v2 `memory.max` (`"max"` or bytes) or v1 `memory.limit_in_bytes`: the memory
 * limit in bytes, or undefined when unlimited or unreadable.
 */
export function parseCgroupMemoryLimit(text: string): number | undefined {
  const t = text.trim();
  if (t === '' || t === 'max') return undefined;
  const n = Number(t);
  if (!Number.isFinite(n) || n <= 0 || n >= UNLIMITED_BYTES) return undefined;
  return Math.floor(n);
}

/** One line of `/proc/self/cgroup`. */
export interface CgroupEntry {
  readonly hierarchy: number;
  /** Controllers (empty for the v2 unified hierarchy). */
  readonly controllers: readonly string[];
  readonly path: string;
}

/** Parses `/proc/self/cgroup` (`hierarchy:controllers:path` per line). */
export function parseProcCgroup(text: string): CgroupEntry[] {
  const out: CgroupEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (m === null) continue;
    out.push({ hierarchy: Number(m[1]), controllers: m[2] === '' ? [] : m[2]!.split(','), path: m[3]! });
  }
  return out;
}

/** The host's pre-set `CUDA_VISIBLE_DEVICES`, resolved against the GPUs `nvidia-smi` lists. */
export interface VisibleGpus {
  /** The visible GPUs, in CUDA's enumeration order (the order listed in the variable). */
  readonly gpus: DetectedGpu[];
  /** The entries as written, one per visible GPU (to map device `i` back for child processes); undefined when unset. */
  readonly visibleDevices: string[] | undefined;
}

/**
 * Applies `CUDA_VISIBLE_DEVICES` like the CUDA runtime: unset → every GPU; `""` → none;
 * otherwise a comma-separated list of indices or UUIDs (`GPU-…`/`MIG-…`, unique prefixes
 * accepted), in that order; the list stops at the first entry that names no GPU (e.g. `-1`),
 * and a GPU listed twice is kept once.
 */
export function applyCudaVisibleDevices(gpus: readonly DetectedGpu[], value: string | undefined): VisibleGpus {
  if (value === undefined) return { gpus: [...gpus], visibleDevices: undefined };
  const picked: DetectedGpu[] = [];
  const ids: string[] = [];
  for (const raw of value.split(',')) {
    const id = raw.trim();
    if (id === '') break;
    let gpu: DetectedGpu | undefined;
    if (/^\d+$/.test(id)) gpu = gpus.find((g) => g.index === Number(id));
    else {
      const matches = gpus.filter((g) => g.uuid === id || g.uuid.startsWith(id));
      gpu = matches.length === 1 ? matches[0] : undefined;
    }
    if (gpu === undefined) break;
    if (picked.includes(gpu)) continue;
    picked.push(gpu);
    ids.push(id);
  }
  return { gpus: picked, visibleDevices: ids };
}

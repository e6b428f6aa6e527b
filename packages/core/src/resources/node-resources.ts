import { TaskOptionsError, type TaskOptionsIssue } from '../errors.js';
import { FORBIDDEN_KEYS, UNIT_INSTANCE_RESOURCES } from './demand.js';
import { entriesOf, fieldsOf, isArray, readList } from '../input.js';
import { INPUT_LIMITS } from '../limits.js';
import { RESOURCE_UNIT_SCALING, quantityToUnits, scaleOf } from './fixed-point.js';
import { SLOT_GPU } from './allocation.js';
import { ResourceLedger, type LedgerEntry } from './ledger.js';

const U = RESOURCE_UNIT_SCALING;

let nextNodeNumber = 0;

/** Options of {@link NodeResources}. */
export interface NodeResourcesOptions {
  /**
   * Node id; when given, the node advertises `node:<id>: 1` (Ray's node resource).
   * @default `node-<n>` (a process-wide counter; no `node:` resource is advertised)
   */
  nodeId?: string;
  /** Node labels, matched by `labelSelector` and the `nodeLabel` strategy. */
  labels?: Readonly<Record<string, string>>;
  /** Accelerator type (e.g. `'H100'`); the node advertises `accelerator_type:<T>: 1`. */
  acceleratorType?: string;
  /**
   * Device ids the host already restricted the process to (its pre-set `CUDA_VISIBLE_DEVICES`,
   * indices or UUIDs). GPU device `i` of this node is `visibleDevices[i]`; allocations then report
   * these ids in `gpuIds` and `visibleDevices`. Must list at least `total.GPU` entries.
   */
  visibleDevices?: readonly string[];
}

/**
 * One node's resources: totals, what is free, and who holds what. Quantities are kept as
 * integer units (see {@link RESOURCE_UNIT_SCALING}), so after any sequence of allocations and
 * releases `available` equals `total` exactly.
 *
 * Unit-instance resources (`GPU`, `neuron_cores`, `TPU`, …) are devices of capacity 1:
 * whole requests take distinct, completely free devices, lowest index first; fractional
 * requests (< 1) go best-fit onto the most-used device that still fits, ties to the lowest index.
 */
export class NodeResources extends ResourceLedger {
  /** Node labels (frozen). */
  readonly labels: Readonly<Record<string, string>>;
  /** The accelerator type this node advertises, if any. */
  readonly acceleratorType: string | undefined;

  /**
   * @param total node totals: finite, non-negative whole numbers (like Ray); zero entries are
   *   dropped; at most `INPUT_LIMITS.maxDevices` devices of a unit-instance resource.
   * @param options read once, own properties only (`total`, `labels` and `visibleDevices` are
   *   copied: later changes to them do not reach the node).
   * @throws TaskOptionsError (path `['total', key]` or `['options', field, …]`) naming the rule broken.
   */
  constructor(total: Readonly<Record<string, number>>, options: NodeResourcesOptions = {}) {
    const issues: TaskOptionsIssue[] = [];
    const bad = (path: (string | number)[], code: 'invalid_type' | 'invalid_value', message: string) =>
      issues.push({ path, code, message });
    const entries: LedgerEntry[] = [];
    for (const [k, q] of snapshot(() => entriesOf(total, ['total'], 'an object of resource quantities'), issues, [])) {
      const problem = nodeTotalProblem(k, q);
      if (problem !== undefined) bad(['total', k], problem.code, `total.${k} ${problem.rule}`);
      else if ((q as number) > 0) entries.push(entryFor(k, q as number));
    }
    const o = snapshot(
      () => fieldsOf(options, ['nodeId', 'labels', 'acceleratorType', 'visibleDevices'] as const, ['options']),
      issues,
      {},
    );
    let nodeId = o.nodeId;
    if (nodeId === undefined) nodeId = `node-${++nextNodeNumber}`;
    else if (typeof nodeId !== 'string' || nodeId === '') {
      bad(['options', 'nodeId'], 'invalid_type', `options.nodeId must be a non-empty string, got ${describe(nodeId)}`);
    }
    const labels: Record<string, string> = {};
    if (o.labels !== undefined) {
      const path = ['options', 'labels'];
      for (const [k, v] of snapshot(() => entriesOf(o.labels, path, 'an object of strings'), issues, [])) {
        if (FORBIDDEN_KEYS.has(k)) bad([...path, k], 'invalid_value', `options.labels.${k} is a forbidden label name`);
        else if (typeof v !== 'string') {
          bad([...path, k], 'invalid_type', `options.labels.${k} must be a string, got ${describe(v)}`);
        } else labels[k] = v;
      }
    }
    const at = o.acceleratorType;
    if (at !== undefined && (typeof at !== 'string' || at === '' || at.includes(':'))) {
      bad(
        ['options', 'acceleratorType'],
        'invalid_value',
        `options.acceleratorType must be a non-empty string without ':', got ${describe(at)}`,
      );
    }
    const gpus = entries.find((e) => e.name === 'GPU')?.devices?.length ?? 0;
    const devices = o.visibleDevices === undefined ? undefined : visibleDevices(o.visibleDevices, gpus, bad);
    if (issues.length > 0) throw new TaskOptionsError(issues);
    const id = nodeId as string;
    const has = (name: string) => entries.some((e) => e.name === name);
    if (o.nodeId !== undefined && !has(`node:${id}`)) entries.push({ name: `node:${id}`, units: U });
    if (typeof at === 'string' && !has(`accelerator_type:${at}`))
      entries.push({ name: `accelerator_type:${at}`, units: U });
    super(id, entries, devices);
    this.labels = Object.freeze(labels);
    this.acceleratorType = at as string | undefined;
  }

  /** Whether the node has GPUs (total `GPU` > 0); CPU-only tasks avoid such nodes under DEFAULT. */
  get isGpuNode(): boolean {
    return this._total[SLOT_GPU]! > 0;
  }
}

/**
 * Why `q` cannot be a node's total of resource `k` (its code, and the rule as a message tail),
 * or `undefined` when it can: a whole number the accounting holds exactly, with at most
 * `INPUT_LIMITS.maxDevices` devices of a unit-instance resource, under a name that cannot
 * pollute prototypes. Shared by `NodeResources` and `TASKFIT_RESOURCES`.
 * @internal
 */
export function nodeTotalProblem(
  k: string,
  q: unknown,
): { code: 'invalid_type' | 'invalid_value'; rule: string } | undefined {
  if (FORBIDDEN_KEYS.has(k)) return { code: 'invalid_value', rule: 'is a forbidden resource name' };
  const u = quantityToUnits(q, scaleOf(k));
  if (typeof u === 'string') return { code: typeof q === 'number' ? 'invalid_value' : 'invalid_type', rule: u };
  if (!Number.isInteger(q)) {
    return {
      code: 'invalid_value',
      rule: `must be a whole number (node quantities are whole numbers), got ${String(q)}`,
    };
  }
  if (UNIT_INSTANCE_RESOURCES.has(k) && (q as number) > INPUT_LIMITS.maxDevices) {
    return {
      code: 'invalid_value',
      rule: `must be at most ${INPUT_LIMITS.maxDevices}: a node holds at most ${INPUT_LIMITS.maxDevices} ${k} devices, got ${String(q)}`,
    };
  }
  return undefined;
}

function entryFor(name: string, q: number): LedgerEntry {
  const units = q * scaleOf(name);
  if (!UNIT_INSTANCE_RESOURCES.has(name)) return { name, units };
  return { name, units, devices: Array.from({ length: q }, (_, index) => ({ index, cap: U })) };
}

/** Runs a snapshot that may throw a TaskOptionsError; its issues join `issues` and `fallback` is used. */
function snapshot<T>(read: () => T, issues: TaskOptionsIssue[], fallback: T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof TaskOptionsError)) throw e;
    issues.push(...e.issues);
    return fallback;
  }
}

/**
 * Checks `options.visibleDevices` (read once): an array of distinct, non-empty device ids without
 * `,` (each becomes one entry of `CUDA_VISIBLE_DEVICES`), at least one per GPU. Returns the frozen copy.
 */
function visibleDevices(
  value: unknown,
  gpus: number,
  bad: (path: (string | number)[], code: 'invalid_type' | 'invalid_value', message: string) => void,
): readonly string[] | undefined {
  const path = ['options', 'visibleDevices'];
  const list = isArray(value) ? readList(value, INPUT_LIMITS.maxDevices) : undefined;
  if (list === undefined) {
    bad(path, 'invalid_type', `options.visibleDevices must be an array of non-empty strings, got ${describe(value)}`);
    return undefined;
  }
  if (typeof list === 'number') {
    bad(
      path,
      'invalid_value',
      `options.visibleDevices lists ${list} devices; at most ${INPUT_LIMITS.maxDevices} are allowed`,
    );
    return undefined;
  }
  const out: string[] = [];
  const seen = new Set<string>();
  let ok = true;
  list.forEach((d, i) => {
    const p = [...path, i];
    const problem =
      typeof d !== 'string'
        ? `must be a string, got ${describe(d)}`
        : d.trim() === ''
          ? 'must be a non-empty device id'
          : d.includes(',')
            ? `must be one device id without ',' (it becomes one entry of CUDA_VISIBLE_DEVICES), got ${describe(d)}`
            : seen.has(d)
              ? `lists device ${describe(d)} a second time (each device may be given to one GPU slot only)`
              : undefined;
    if (problem !== undefined) {
      bad(p, typeof d === 'string' ? 'invalid_value' : 'invalid_type', `options.visibleDevices[${i}] ${problem}`);
      ok = false;
    } else {
      seen.add(d as string);
      out.push(d as string);
    }
  });
  if (ok && out.length < gpus) {
    bad(
      path,
      'invalid_value',
      `options.visibleDevices lists ${out.length} device${out.length === 1 ? '' : 's'} but total.GPU is ${gpus}`,
    );
  }
  return ok ? Object.freeze(out) : undefined;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

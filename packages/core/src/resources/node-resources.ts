import { TaskOptionsError, type TaskOptionsIssue } from '../errors.js';
import type { ResourceRequest } from './demand.js';
import { FORBIDDEN_KEYS, UNIT_INSTANCE_RESOURCES, compileDemand, type ResourceDemand } from './demand.js';
import { entriesOf, fieldsOf, isArray, readList } from '../input.js';
import { INPUT_LIMITS } from '../limits.js';
import { AllocationError } from './errors.js';
import { RESOURCE_UNIT_SCALING, quantityToUnits, scaleOf } from './fixed-point.js';

const U = RESOURCE_UNIT_SCALING;
/** Fixed slots: every ledger has these four, in this order (total 0 when absent). */
const FIXED = ['CPU', 'GPU', 'memory', 'object_store_memory'] as const;
const SLOT_GPU = 1;

const LIVE = 0;
const RELEASED = 1;
const REVOKED = 2;

/** One device's share of an allocation. */
export interface InstanceShare {
  /** Device index on the node (0-based, as in `nvidia-smi`'s order after `CUDA_VISIBLE_DEVICES`). */
  readonly index: number;
  /** Quantity taken from that device (≤ 1). */
  readonly amount: number;
}

/** Plain-data form of an {@link Allocation} (what `toJSON` returns; safe to post to a worker). */
export interface AllocationData {
  nodeId: string;
  resources: Record<string, number>;
  gpuIds: number[] | string[];
  visibleDevices: string[];
  instances: Record<string, InstanceShare[]>;
  placementGroupId?: string;
  bundleIndex?: number;
}

let nextNodeNumber = 0;

/**
 * Resources held by one task on one node, returned by `tryAllocate` / `Cluster.schedule`.
 * Give it back exactly once with `release`.
 */
export class Allocation {
  readonly #brand = true;
  /** Node the resources were taken from. */
  readonly nodeId: string;
  /** Placement group whose bundle the resources came from, if any. */
  readonly placementGroupId: string | undefined;
  /** Bundle index within {@link placementGroupId}, if any. */
  readonly bundleIndex: number | undefined;
  /** @internal */ _ledger: ResourceLedger;
  /** @internal */ _req: ResourceRequest;
  /** @internal flat triples [slot, deviceIndex, units] of unit-instance shares */
  _inst: number[] | null;
  /** @internal 0 live, 1 released, 2 revoked */
  _state: number = LIVE;
  /** @internal its CPU units are given back for now ({@link ResourceLedger.releaseCpu}) */
  _cpuOut = false;
  /** @internal live list */ _prev: Allocation | null = null;
  /** @internal live list */ _next: Allocation | null = null;
  #instances: Readonly<Record<string, readonly InstanceShare[]>> | undefined;

  /** @internal Whether `v` was built by this class (a proxy or look-alike is not; never throws). */
  static _is(v: unknown): v is Allocation {
    return typeof v === 'object' && v !== null && #brand in v;
  }

  /** @internal created by ledgers only */
  constructor(ledger: ResourceLedger, req: ResourceRequest, inst: number[] | null) {
    this._ledger = ledger;
    this._req = req;
    this._inst = inst;
    this.nodeId = ledger.nodeId;
    this.placementGroupId = ledger._pgId;
    this.bundleIndex = ledger._bundleIndex;
  }

  /** What the allocation holds, in the user's units (zero entries dropped). */
  get resources(): Readonly<Record<string, number>> {
    return this._req.resources;
  }

  /**
   * Per unit-instance resource (`GPU`, `neuron_cores`, `TPU`, …): the devices used and the
   * amount taken from each. Resources without devices are not listed.
   */
  get instances(): Readonly<Record<string, readonly InstanceShare[]>> {
    if (this.#instances !== undefined) return this.#instances;
    const lists = new Map<string, InstanceShare[]>();
    const t = this._inst;
    if (t !== null) {
      const names = this._ledger._names;
      for (let i = 0; i < t.length; i += 3) {
        const name = names[t[i]!]!;
        let list = lists.get(name);
        if (list === undefined) lists.set(name, (list = []));
        list.push(Object.freeze({ index: t[i + 1]!, amount: t[i + 2]! / U }));
      }
    }
    const out: Record<string, readonly InstanceShare[]> = {};
    for (const [name, list] of lists) out[name] = Object.freeze(list);
    return (this.#instances = Object.freeze(out));
  }

  /**
   * GPU device indices (ascending), like Ray's `ray.get_gpu_ids()`: numbers, or, when the
   * node was created with `visibleDevices` (the host's pre-set `CUDA_VISIBLE_DEVICES`), the
   * mapped ids as strings (UUIDs included). Empty for a task without GPUs.
   */
  get gpuIds(): readonly number[] | readonly string[] {
    const idx = this.#gpuIndices();
    const dev = this._ledger._devices;
    return dev === undefined ? idx : idx.map((i) => dev[i]!);
  }

  /** GPU ids as strings, ready for `CUDA_VISIBLE_DEVICES` (`visibleDevices.join(',')`). */
  get visibleDevices(): readonly string[] {
    const idx = this.#gpuIndices();
    const dev = this._ledger._devices;
    return idx.map((i) => (dev === undefined ? String(i) : dev[i]!));
  }

  /** True until released (or revoked by node / placement-group removal). */
  get live(): boolean {
    return this._state === LIVE;
  }

  /** True while its CPUs are given back ({@link ResourceLedger.releaseCpu}) and not yet reacquired. */
  get cpuReleased(): boolean {
    return this._cpuOut;
  }

  #gpuIndices(): number[] {
    const out: number[] = [];
    const t = this._inst;
    if (t !== null) for (let i = 0; i < t.length; i += 3) if (t[i] === SLOT_GPU) out.push(t[i + 1]!);
    return out.sort((a, b) => a - b);
  }

  /** Plain data (for logging or posting to a worker thread). */
  toJSON(): AllocationData {
    const instances: Record<string, InstanceShare[]> = {};
    for (const [k, v] of Object.entries(this.instances)) instances[k] = v.map((s) => ({ ...s }));
    const out: AllocationData = {
      nodeId: this.nodeId,
      resources: { ...this.resources },
      gpuIds: [...this.gpuIds] as number[] | string[],
      visibleDevices: [...this.visibleDevices],
      instances,
    };
    if (this.placementGroupId !== undefined) out.placementGroupId = this.placementGroupId;
    if (this.bundleIndex !== undefined) out.bundleIndex = this.bundleIndex;
    return out;
  }
}

/** One entry of a ledger's specification. @internal */
export interface LedgerEntry {
  name: string;
  units: number;
  /** Unit-instance resources: device index and capacity (units) of each device. */
  devices?: { index: number; cap: number }[];
}

/**
 * The accounting engine shared by nodes and placement-group bundles: integer units per
 * resource, per-device units for unit-instance resources, and the list of live allocations.
 * @internal
 */
export class ResourceLedger {
  readonly #brand = true;
  readonly nodeId: string;
  /** @internal slot → name */ readonly _names: string[];
  /** @internal name → slot */ readonly _slot: Map<string, number>;
  /** @internal units per 1 */ readonly _scale: number[];
  /** @internal */ readonly _total: Float64Array;
  /** @internal */ readonly _avail: Float64Array;
  /** @internal per slot: available units per device, or null (single pool) */
  readonly _inst: (Float64Array | null)[];
  /** @internal per slot: capacity per device */ readonly _cap: (Float64Array | null)[];
  /** @internal per slot: node device index per device */ readonly _idx: (Int32Array | null)[];
  /** @internal device ids of the host (pre-set CUDA_VISIBLE_DEVICES) */ readonly _devices:
    readonly string[] | undefined;
  /** @internal */ readonly _pgId: string | undefined;
  /** @internal */ readonly _bundleIndex: number | undefined;
  /** @internal called after every release (the owning cluster retries pending groups) */
  _onRelease: (() => void) | null = null;
  /** @internal owner (a Cluster) */ _owner: object | null = null;
  /** @internal the owner's column store, told about every change */
  _sink: { sync(index: number, ledger: ResourceLedger): void } | null = null;
  /** @internal this ledger's row in {@link _sink} */ _sinkIndex = -1;
  #head: Allocation | null = null;
  #liveCount = 0;
  #version = 0;
  #snapVersion = -1;
  #availSnap: Readonly<Record<string, number>> = {};
  #totalSnap: Readonly<Record<string, number>> | undefined;

  /** @internal */
  constructor(
    nodeId: string,
    entries: readonly LedgerEntry[],
    devices: readonly string[] | undefined,
    pgId?: string,
    bundleIndex?: number,
  ) {
    this.nodeId = nodeId;
    this._devices = devices;
    this._pgId = pgId;
    this._bundleIndex = bundleIndex;
    const names: string[] = [...FIXED];
    const slot = new Map<string, number>(names.map((n, i) => [n, i]));
    for (const e of entries) if (!slot.has(e.name)) slot.set(e.name, names.push(e.name) - 1);
    const n = names.length;
    this._names = names;
    this._slot = slot;
    this._scale = names.map(scaleOf);
    this._total = new Float64Array(n);
    this._avail = new Float64Array(n);
    this._inst = new Array<Float64Array | null>(n).fill(null);
    this._cap = new Array<Float64Array | null>(n).fill(null);
    this._idx = new Array<Int32Array | null>(n).fill(null);
    for (const e of entries) {
      const s = slot.get(e.name)!;
      this._total[s] = e.units;
      this._avail[s] = e.units;
      if (e.devices !== undefined) {
        this._inst[s] = Float64Array.from(e.devices, (d) => d.cap);
        this._cap[s] = Float64Array.from(e.devices, (d) => d.cap);
        this._idx[s] = Int32Array.from(e.devices, (d) => d.index);
      }
    }
    // A GPU slot always has a device array (possibly empty) so the hot path need not test.
    if (this._inst[SLOT_GPU] === null) {
      this._inst[SLOT_GPU] = new Float64Array(0);
      this._cap[SLOT_GPU] = new Float64Array(0);
      this._idx[SLOT_GPU] = new Int32Array(0);
    }
  }

  /** @internal Whether `v` was built by this class or a subclass (a proxy or look-alike is not; never throws). */
  static _is(v: unknown): v is ResourceLedger {
    return typeof v === 'object' && v !== null && #brand in v;
  }

  /** Node totals in the user's units (zero entries dropped). */
  get total(): Readonly<Record<string, number>> {
    if (this.#totalSnap === undefined) this.#totalSnap = this.#snapshot(this._total);
    return this.#totalSnap;
  }

  /** What is free now, in the user's units; same keys as {@link total}. A fresh frozen object after each change. */
  get available(): Readonly<Record<string, number>> {
    if (this.#snapVersion !== this.#version) {
      this.#availSnap = this.#snapshot(this._avail);
      this.#snapVersion = this.#version;
    }
    return this.#availSnap;
  }

  /** Number of live allocations. */
  get allocationCount(): number {
    return this.#liveCount;
  }

  /** The live allocations, oldest first. */
  allocations(): Allocation[] {
    const out: Allocation[] = [];
    for (let a = this.#head; a !== null; a = a._next) out.push(a);
    return out.reverse();
  }

  #snapshot(src: Float64Array): Readonly<Record<string, number>> {
    const out: Record<string, number> = {};
    const t = this._total;
    for (let s = 0; s < t.length; s++) if (t[s]! > 0) out[this._names[s]!] = src[s]! / this._scale[s]!;
    return Object.freeze(out);
  }

  /**
   * Takes `demand` if all of it fits now (all or nothing), else returns `null`.
   * @throws TaskOptionsError for an invalid demand (see {@link compileDemand}).
   */
  tryAllocate(demand: ResourceDemand | ResourceRequest): Allocation | null {
    const req = compileDemand(demand);
    return this._fits(req) ? this._commit(req) : null;
  }

  /** Whether `demand` fits now, without taking it. */
  canAllocate(demand: ResourceDemand | ResourceRequest): boolean {
    return this._fits(compileDemand(demand));
  }

  /**
   * Gives an allocation back. Exactly restores what was taken.
   * @throws AllocationError (`double_release`, `foreign_allocation`, `invalid_allocation`);
   *   nothing changes when it throws.
   */
  release(allocation: Allocation): void {
    this.#checkLive(allocation, 'release');
    this._give(allocation);
    if (this._onRelease !== null) this._onRelease();
  }

  /**
   * Gives back the CPUs of a live allocation while it keeps everything else (GPUs and their ids,
   * memory, custom resources): Ray's rule for a task blocked waiting on its child tasks, whose CPU
   * other tasks may use meanwhile. Returns `false`, changing nothing, when the allocation holds no
   * CPU or its CPUs are already given back. {@link reacquireCpu} takes them back; {@link release}
   * returns only what the allocation still holds.
   * @throws AllocationError (`double_release`, `foreign_allocation`, `invalid_allocation`) as
   *   {@link release} does; nothing changes when it throws.
   */
  releaseCpu(allocation: Allocation): boolean {
    this.#checkLive(allocation, 'releaseCpu');
    const u = allocation._req._cpu;
    if (u === 0 || allocation._cpuOut) return false;
    allocation._cpuOut = true;
    this._avail[0]! += u;
    this.#version++;
    if (this._sink !== null) this._sink.sync(this._sinkIndex, this);
    if (this._onRelease !== null) this._onRelease();
    return true;
  }

  /**
   * Takes back the CPUs {@link releaseCpu} gave back, if they fit now (all of them, or none).
   * Returns `true` when the allocation holds its CPUs again (also when they were never given
   * back), `false` when they do not fit now.
   * @throws AllocationError as {@link release} does.
   */
  reacquireCpu(allocation: Allocation): boolean {
    this.#checkLive(allocation, 'reacquireCpu');
    if (!allocation._cpuOut) return true;
    const u = allocation._req._cpu;
    if (this._avail[0]! < u) return false;
    allocation._cpuOut = false;
    this._avail[0]! -= u;
    this.#version++;
    if (this._sink !== null) this._sink.sync(this._sinkIndex, this);
    return true;
  }

  #checkLive(allocation: Allocation, what: string): void {
    if (!Allocation._is(allocation)) {
      throw new AllocationError(
        'invalid_allocation',
        `${what}() expects an Allocation returned by tryAllocate/schedule`,
      );
    }
    if (allocation._ledger !== this) {
      throw new AllocationError(
        'foreign_allocation',
        `allocation belongs to ${describeLedger(allocation._ledger)}, not to ${describeLedger(this)}`,
      );
    }
    if (allocation._state !== LIVE) {
      throw new AllocationError(
        'double_release',
        allocation._state === RELEASED
          ? `allocation on ${describeLedger(this)} was already released`
          : `allocation on ${describeLedger(this)} was revoked (its node or placement group was removed)`,
      );
    }
  }

  /**
   * Why `demand` can never fit on this node even when idle, or `null` when it can.
   * @throws TaskOptionsError for an invalid demand.
   */
  canEverFit(demand: ResourceDemand | ResourceRequest): string | null {
    const req = compileDemand(demand);
    const keys = req.keys;
    for (let i = 0; i < keys.length; i++) {
      const r = this._neverFits(keys[i]!, req._units[i]!);
      if (r !== null) return r;
    }
    return null;
  }

  /** @internal reason one resource of a demand can never fit, or null */
  _neverFits(name: string, u: number): string | null {
    const s = this._slot.get(name);
    const scale = scaleOf(name);
    if (s === undefined || this._total[s] === 0)
      return `needs ${name} ${fmt(u / scale)}; ${describeLedger(this)} has no ${name}`;
    const cap = this._cap[s];
    if (cap !== null && cap !== undefined) {
      if (u >= U) {
        let whole = 0;
        for (let i = 0; i < cap.length; i++) if (cap[i]! >= U) whole++;
        if (whole * U < u) {
          return `needs ${name} ${fmt(u / scale)}; ${describeLedger(this)} has ${whole} whole ${name} device${whole === 1 ? '' : 's'}`;
        }
      } else {
        let max = 0;
        for (let i = 0; i < cap.length; i++) if (cap[i]! > max) max = cap[i]!;
        if (max < u)
          return `needs ${name} ${fmt(u / scale)} on one device; ${describeLedger(this)}'s largest ${name} share is ${fmt(max / U)}`;
      }
      return null;
    }
    if (this._total[s]! < u)
      return `needs ${name} ${fmt(u / scale)}; ${describeLedger(this)} has ${name} ${fmt(this._total[s]! / scale)}`;
    return null;
  }

  /** @internal whether req fits now */
  _fits(req: ResourceRequest): boolean {
    const a = this._avail;
    if (req._cpu > a[0]! || req._mem > a[2]! || req._osm > a[3]!) return false;
    if (req._gpu > 0 && !instFits(this._inst[SLOT_GPU]!, req._gpu)) return false;
    const ck = req._customKeys;
    for (let i = 0; i < ck.length; i++) {
      const s = this._slot.get(ck[i]!);
      if (s === undefined) return false;
      const u = req._customUnits[i]!;
      const inst = this._inst[s]!;
      if (inst !== null ? !instFits(inst, u) : a[s]! < u) return false;
    }
    return true;
  }

  /** @internal whether req fits on the idle ledger */
  _feasible(req: ResourceRequest): boolean {
    const keys = req.keys;
    for (let i = 0; i < keys.length; i++) if (this._neverFits(keys[i]!, req._units[i]!) !== null) return false;
    return true;
  }

  /** @internal takes req (caller checked _fits) */
  _commit(req: ResourceRequest): Allocation {
    const a = this._avail;
    a[0]! -= req._cpu;
    a[2]! -= req._mem;
    a[3]! -= req._osm;
    let inst: number[] | null = null;
    if (req._gpu > 0) inst = this.#take(SLOT_GPU, req._gpu, inst);
    const ck = req._customKeys;
    for (let i = 0; i < ck.length; i++) {
      const s = this._slot.get(ck[i]!)!;
      const u = req._customUnits[i]!;
      if (this._inst[s] !== null) inst = this.#take(s, u, inst);
      else a[s]! -= u;
    }
    const alloc = new Allocation(this, req, inst);
    const h = this.#head;
    if (h !== null) h._prev = alloc;
    alloc._next = h;
    this.#head = alloc;
    this.#liveCount++;
    this.#version++;
    if (this._sink !== null) this._sink.sync(this._sinkIndex, this);
    return alloc;
  }

  /** Takes u units of unit-instance slot s: whole → distinct free devices lowest first; fraction → best fit. */
  #take(s: number, u: number, out: number[] | null): number[] {
    const inst = this._inst[s]!;
    const idx = this._idx[s]!;
    const o = out ?? [];
    this._avail[s]! -= u;
    if (u >= U) {
      let need = u / U;
      for (let i = 0; need > 0; i++) {
        if (inst[i] === U) {
          inst[i] = 0;
          o.push(s, idx[i]!, U);
          need--;
        }
      }
    } else {
      let best = -1;
      let bestLeft = Infinity;
      for (let i = 0; i < inst.length; i++) {
        const left = inst[i]! - u;
        if (left >= 0 && left < bestLeft) {
          best = i;
          bestLeft = left;
        }
      }
      inst[best] = bestLeft;
      o.push(s, idx[best]!, u);
    }
    return o;
  }

  /** @internal returns an allocation's units (caller checked it is live and ours) */
  _give(alloc: Allocation): void {
    const req = alloc._req;
    const a = this._avail;
    if (!alloc._cpuOut) a[0]! += req._cpu;
    a[2]! += req._mem;
    a[3]! += req._osm;
    const ck = req._customKeys;
    for (let i = 0; i < ck.length; i++) {
      const s = this._slot.get(ck[i]!)!;
      if (this._inst[s] === null) a[s]! += req._customUnits[i]!;
    }
    const t = alloc._inst;
    if (t !== null) {
      for (let i = 0; i < t.length; i += 3) {
        const s = t[i]!;
        const inst = this._inst[s]!;
        const idx = this._idx[s]!;
        let j = 0;
        while (idx[j] !== t[i + 1]) j++;
        inst[j]! += t[i + 2]!;
        a[s]! += t[i + 2]!;
      }
    }
    alloc._state = RELEASED;
    this.#unlink(alloc);
    if (this._sink !== null) this._sink.sync(this._sinkIndex, this);
  }

  #unlink(alloc: Allocation): void {
    const p = alloc._prev;
    const n = alloc._next;
    if (p !== null) p._next = n;
    else this.#head = n;
    if (n !== null) n._prev = p;
    alloc._prev = alloc._next = null;
    this.#liveCount--;
    this.#version++;
  }

  /**
   * @internal Revokes every live allocation (node or placement group removed): returns them,
   * oldest first, and restores the ledger to idle. Releasing a revoked allocation through a
   * Cluster is a no-op; through the ledger it throws.
   */
  _revokeAll(): Allocation[] {
    const live = this.allocations();
    for (const a of live) {
      this._give(a);
      a._state = REVOKED;
    }
    return live;
  }
}

/** Formats a quantity without float noise (at most 4 decimals). */
export function fmt(q: number): string {
  return String(Math.round(q * U) / U);
}

function instFits(inst: Float64Array, u: number): boolean {
  if (u >= U) {
    let need = u / U;
    for (let i = 0; i < inst.length; i++) if (inst[i] === U && --need === 0) return true;
    return false;
  }
  for (let i = 0; i < inst.length; i++) if (inst[i]! >= u) return true;
  return false;
}

function describeLedger(l: ResourceLedger): string {
  return l._pgId === undefined
    ? `node ${l.nodeId}`
    : `bundle ${l._bundleIndex} of placement group ${l._pgId} (node ${l.nodeId})`;
}

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

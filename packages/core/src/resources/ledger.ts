import { AllocationError } from './errors.js';
import type { ResourceRequest } from './demand.js';
import { compileDemand, type ResourceDemand } from './demand.js';
import { RESOURCE_UNIT_SCALING, scaleOf } from './fixed-point.js';
import { Allocation, FIXED, LIVE, RELEASED, REVOKED, SLOT_GPU } from './allocation.js';

const U = RESOURCE_UNIT_SCALING;

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

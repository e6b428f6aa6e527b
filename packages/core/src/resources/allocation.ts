import type { ResourceRequest } from './demand.js';
import { RESOURCE_UNIT_SCALING } from './fixed-point.js';
import type { ResourceLedger } from './ledger.js';

const U = RESOURCE_UNIT_SCALING;
/** @internal Fixed slots: every ledger has these four, in this order (total 0 when absent). */
export const FIXED = ['CPU', 'GPU', 'memory', 'object_store_memory'] as const;
/** @internal */
export const SLOT_GPU = 1;

/** @internal */
export const LIVE = 0;
/** @internal */
export const RELEASED = 1;
/** @internal */
export const REVOKED = 2;

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

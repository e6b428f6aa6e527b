import { TaskOptionsError, type TaskOptionsIssue } from '../errors.js';
import type { PlacementGroupRef } from '../types.js';
import type { ResourceRequest } from './demand.js';
import { describe, fieldsOf, isArray, readList, readMap } from '../input.js';
import { INPUT_LIMITS } from '../limits.js';
import { UNIT_INSTANCE_RESOURCES, compileMap, requestFromUnits, type ResourceDemand } from './demand.js';
import { RESOURCE_UNIT_SCALING } from './fixed-point.js';
import type { Allocation } from './allocation.js';
import { ResourceLedger, type LedgerEntry } from './ledger.js';
import type { NodeResources } from './node-resources.js';

const U = RESOURCE_UNIT_SCALING;

/** How a placement group's bundles are laid out over nodes (Ray's strategies). */
export type PlacementStrategy = 'PACK' | 'SPREAD' | 'STRICT_PACK' | 'STRICT_SPREAD';

/** State of a placement group. */
export type PlacementGroupState = 'CREATED' | 'PENDING' | 'INFEASIBLE' | 'REMOVED';

/** Input of `Cluster.createPlacementGroup`. */
export interface PlacementGroupOptions {
  /** Resource bundles; each non-empty, with at least one non-zero quantity. */
  bundles: readonly ResourceDemand[];
  /** @default 'PACK' */
  strategy?: PlacementStrategy;
  /** Display name. */
  name?: string;
}

/** One bundle of a placement group. */
export interface Bundle {
  readonly index: number;
  readonly resources: Readonly<Record<string, number>>;
  /** Node holding the reservation; absent while the group is not CREATED. */
  readonly nodeId?: string;
}

const STRATEGIES: readonly PlacementStrategy[] = ['PACK', 'SPREAD', 'STRICT_PACK', 'STRICT_SPREAD'];

/** Internal per-bundle state. @internal */
export interface BundleSlot {
  readonly index: number;
  readonly req: ResourceRequest;
  node: NodeResources | null;
  reservation: Allocation | null;
  ledger: ResourceLedger | null;
}

/**
 * A set of resource bundles reserved atomically (all or none) on one or more nodes. Tasks
 * scheduled with `{ type: 'placementGroup', placementGroup, bundleIndex? }` draw from a
 * bundle's reservation, not from the node's free pool. The object is live: `state` and
 * `bundles` reflect the cluster's current view.
 */
export class PlacementGroup implements PlacementGroupRef {
  /** Brand: only objects this class built have it (a proxy or a look-alike does not). */
  readonly #brand = true;
  readonly id: string;
  readonly name: string | undefined;
  readonly strategy: PlacementStrategy;
  /** @internal */ _state: PlacementGroupState = 'PENDING';
  /** @internal */ _reason: string | undefined;
  /** @internal */ readonly _slots: BundleSlot[];
  /** @internal */ readonly _owner: object;
  /** @internal creation order in its cluster */ readonly _seq: number;

  /** @internal created by Cluster.createPlacementGroup */
  constructor(
    owner: object,
    id: string,
    seq: number,
    name: string | undefined,
    strategy: PlacementStrategy,
    reqs: ResourceRequest[],
  ) {
    this._owner = owner;
    this._seq = seq;
    this.id = id;
    this.name = name;
    this.strategy = strategy;
    this._slots = reqs.map((req, index) => ({ index, req, node: null, reservation: null, ledger: null }));
  }

  /**
   * Whether `v` is a placement group a `Cluster` created (not a proxy or a look-alike: its `id`
   * can be trusted not to change). Never throws.
   */
  static isPlacementGroup(v: unknown): v is PlacementGroup {
    return typeof v === 'object' && v !== null && #brand in v && v.#brand;
  }

  /** `CREATED` (all bundles reserved), `PENDING` (could fit later), `INFEASIBLE` (no current node set can ever hold it), `REMOVED`. */
  get state(): PlacementGroupState {
    return this._state;
  }

  /** Why the group is PENDING or INFEASIBLE (undefined when CREATED). */
  get reason(): string | undefined {
    return this._reason;
  }

  /** The bundles, in the order given, with the node holding each once reserved. */
  get bundles(): readonly Bundle[] {
    return this._slots.map((s) =>
      s.node === null || this._state !== 'CREATED'
        ? { index: s.index, resources: s.req.resources }
        : { index: s.index, resources: s.req.resources, nodeId: s.node.nodeId },
    );
  }

  toJSON(): { id: string; name?: string; strategy: PlacementStrategy; state: PlacementGroupState; bundles: Bundle[] } {
    const out: {
      id: string;
      name?: string;
      strategy: PlacementStrategy;
      state: PlacementGroupState;
      bundles: Bundle[];
    } = { id: this.id, strategy: this.strategy, state: this._state, bundles: [...this.bundles] };
    if (this.name !== undefined) out.name = this.name;
    return out;
  }
}

/**
 * Validates placement-group options (Ray's rules, §6.7), reading each bundle once. At most
 * `INPUT_LIMITS.maxBundles` bundles.
 * @throws TaskOptionsError with paths like `['bundles', 1, 'CPU']`, `['strategy']`.
 * @internal
 */
export function validatePlacementGroupOptions(opts: PlacementGroupOptions): {
  reqs: ResourceRequest[];
  strategy: PlacementStrategy;
  name: string | undefined;
} {
  if (typeof opts !== 'object' || opts === null) {
    throw new TaskOptionsError([
      {
        path: [],
        code: 'invalid_type',
        message: 'createPlacementGroup expects an object { bundles, strategy?, name? }',
      },
    ]);
  }
  const o = fieldsOf(opts, ['bundles', 'strategy', 'name'], []);
  const issues: TaskOptionsIssue[] = [];
  const reqs: ResourceRequest[] = [];
  const b = o.bundles;
  const list = isArray(b) ? readList(b, INPUT_LIMITS.maxBundles) : undefined;
  if (list === undefined || (Array.isArray(list) && list.length === 0)) {
    issues.push({
      path: ['bundles'],
      code: isArray(b) ? 'invalid_value' : 'invalid_type',
      message: 'bundles must be a non-empty array of resource objects, e.g. [{ CPU: 1 }, { GPU: 1 }]',
    });
  } else if (typeof list === 'number') {
    issues.push({
      path: ['bundles'],
      code: 'invalid_value',
      message: `bundles lists ${list} bundles; at most ${INPUT_LIMITS.maxBundles} are allowed`,
    });
  } else {
    list.forEach((bundle, i) => {
      const path = ['bundles', i];
      try {
        const map = readMap(bundle, path, 'an object of resource quantities');
        for (const k of map.keys) {
          if (k === 'bundle' || k.includes('_group_')) {
            issues.push({
              path: [...path, k],
              code: 'invalid_value',
              message: `bundles[${i}].${k} is a reserved resource name`,
            });
          }
        }
        const req = compileMap(map, path);
        if (req.keys.length === 0) {
          issues.push({
            path,
            code: 'invalid_value',
            message: `bundles[${i}] cannot be empty or hold only zero quantities`,
          });
        }
        reqs.push(req);
      } catch (e) {
        if (!(e instanceof TaskOptionsError)) throw e;
        issues.push(...e.issues);
      }
    });
  }
  const strategy = o.strategy ?? 'PACK';
  if (!(STRATEGIES as readonly unknown[]).includes(strategy)) {
    issues.push({
      path: ['strategy'],
      code: 'invalid_value',
      message: `strategy must be one of ${STRATEGIES.map((s) => `'${s}'`).join(', ')}, got ${describe(strategy)}`,
    });
  }
  const name = o.name;
  if (name !== undefined && typeof name !== 'string') {
    issues.push({ path: ['name'], code: 'invalid_type', message: 'name must be a string' });
  }
  if (issues.length > 0) throw new TaskOptionsError(issues);
  return { reqs, strategy: strategy as PlacementStrategy, name: name as string | undefined };
}

/** Builds the ledger of a reserved bundle: its resources, with the node's device indices. @internal */
export function bundleLedger(pg: PlacementGroup, slot: BundleSlot): ResourceLedger {
  const node = slot.node!;
  const res = slot.reservation!;
  const entries: LedgerEntry[] = [];
  const req = slot.req;
  for (let i = 0; i < req.keys.length; i++) {
    const name = req.keys[i]!;
    const s = node._slot.get(name)!;
    const e: LedgerEntry = { name, units: req._units[i]! };
    if (node._inst[s] !== null) {
      e.devices = [];
      const t = res._inst ?? [];
      for (let j = 0; j < t.length; j += 3) if (t[j] === s) e.devices.push({ index: t[j + 1]!, cap: t[j + 2]! });
    }
    entries.push(e);
  }
  return new ResourceLedger(node.nodeId, entries, node._devices, pg.id, slot.index);
}

/** Whether a bundle's resources could ever hold `req` (key by key; device shape approximated). @internal */
export function bundleCouldHold(bundle: ResourceRequest, req: ResourceRequest): boolean {
  for (let i = 0; i < req.keys.length; i++) {
    const j = bundle.keys.indexOf(req.keys[i]!);
    if (j < 0 || bundle._units[j]! < req._units[i]!) return false;
  }
  return true;
}

/** Ray's bundle order: more GPU first, then more custom resources, memory, CPU (stable). @internal */
export function bundleOrder(slots: readonly BundleSlot[]): BundleSlot[] {
  const custom = (r: ResourceRequest) => r._customUnits.reduce((a, b) => a + b, 0);
  return [...slots].sort(
    (a, b) =>
      b.req._gpu - a.req._gpu ||
      custom(b.req) - custom(a.req) ||
      b.req._osm - a.req._osm ||
      b.req._mem - a.req._mem ||
      b.req._cpu - a.req._cpu ||
      a.index - b.index,
  );
}

/**
 * Ray's LeastResourceScorer: -1 if `req` does not fit now, else Σ (available − requested) / available
 * over the requested resources. Higher is better.
 * @internal
 */
export function bundleScore(node: NodeResources, req: ResourceRequest): number {
  if (!node._fits(req)) return -1;
  let score = 0;
  for (let i = 0; i < req.keys.length; i++) {
    const s = node._slot.get(req.keys[i]!)!;
    const a = node._avail[s]!;
    if (a > 0) score += (a - req._units[i]!) / a;
  }
  return score;
}

/**
 * Sum of several requests (for STRICT_PACK feasibility), in units. A sum of fractional device
 * demands may exceed 1 without being whole (0.5 + 0.7 GPU); it is rounded up for the
 * feasibility estimate only.
 * @internal
 */
export function sumRequests(reqs: readonly ResourceRequest[]): ResourceRequest {
  const sums = new Map<string, number>();
  for (const r of reqs) r.keys.forEach((k, i) => sums.set(k, (sums.get(k) ?? 0) + r._units[i]!));
  const keys = [...sums.keys()];
  const units = keys.map((k) => {
    const u = sums.get(k)!;
    return u > U && u % U !== 0 && UNIT_INSTANCE_RESOURCES.has(k) ? Math.ceil(u / U) * U : u;
  });
  return requestFromUnits(keys, units);
}

import { describe, fieldsOf, own, read } from '../input.js';
import { validateSchedulingStrategy } from '../options/validate-strategy.js';
import type {
  NodeAffinityStrategy,
  NodeLabelStrategy,
  PlacementGroupRef,
  PlacementGroupStrategy,
  SchedulingStrategy,
} from '../types.js';
import type { ResourceRequest } from './demand.js';
import { compileDemand, type ResourceDemand } from './demand.js';
import { Columns } from './columns.js';
import { AllocationError } from './errors.js';
import { matchesExpressions, matchesTerms, parseLabelSelector, type LabelSelector, type LabelTerm } from './labels.js';
import { Allocation } from './allocation.js';
import { groupInfeasible, reserveBundles } from './bundle-placement.js';
import { describeDemand, describeExpressions, describeTerms, infeasibleReason } from './infeasible.js';
import { ResourceLedger } from './ledger.js';
import { NodeResources } from './node-resources.js';
import {
  PlacementGroup,
  type PlacementGroupState,
  bundleCouldHold,
  bundleLedger,
  validatePlacementGroupOptions,
  type BundleSlot,
  type PlacementGroupOptions,
} from './placement-group.js';

/** The answer of {@link Cluster.schedule}. */
export type ScheduleResult =
  | { readonly status: 'scheduled'; readonly nodeId: string; readonly allocation: Allocation }
  | { readonly status: 'waiting' }
  | { readonly status: 'infeasible'; readonly reason: string };

/** Extra inputs of {@link Cluster.schedule}. */
export interface ScheduleOptions {
  /** Ray's `label_selector`: every term must match the node's labels (applies to every strategy). */
  labelSelector?: LabelSelector;
  /** DEFAULT only: take this node when it is available and scores no worse than the best (Ray's locality preference). */
  preferredNodeId?: string;
}

/** Errors of cluster membership. */
export class ClusterError extends Error {
  override readonly name = 'ClusterError';
  readonly code: 'duplicate_node' | 'node_in_other_cluster' | 'unknown_node' | 'foreign_placement_group';
  constructor(code: ClusterError['code'], message: string) {
    super(message);
    this.code = code;
    Object.defineProperty(this, Symbol.for('taskfit.ClusterError'), { value: true });
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[Symbol.for('taskfit.ClusterError')] === true
    );
  }
}

const WAITING: ScheduleResult = Object.freeze({ status: 'waiting' });
const NO_OPTIONS: Readonly<Partial<Record<'labelSelector' | 'preferredNodeId', unknown>>> = Object.freeze(
  Object.create(null) as object,
);
const EMPTY: readonly NodeResources[] = Object.freeze([]);

type Decision = NodeResources | ResourceLedger | string | null; // ledger = go; string = infeasible; null = wait

/**
 * A set of nodes and the scheduler that places tasks on them, following Ray's policies:
 *
 * - `'DEFAULT'` — hybrid (Ray's `scheduler_spread_threshold` 0.5): pack onto the first node (in
 *   the order added) where the task fits and critical utilisation — max over CPU, memory and
 *   object_store_memory of used/total — stays below 0.5 after placing it; once no node can take it
 *   below 0.5, spread onto the node with the lowest current critical utilisation (compared in steps
 *   of 1/64; ties to the node added first). CPU-only tasks avoid GPU nodes when a node without GPUs
 *   can take them now. `preferredNodeId` wins when it ranks no worse. An index (bitsets per
 *   utilisation step) keeps a decision near-constant-time on 10,000 nodes.
 * - `'SPREAD'` — round robin over nodes in the order added, skipping nodes where the task does not fit now.
 * - node affinity, node labels, label selectors and placement groups (see {@link schedule}).
 *
 * Deterministic: the same calls give the same placements (Ray picks at random among its best 20%).
 */
export class Cluster {
  #nodes: NodeResources[] = [];
  #cols = new Columns();
  #byId = new Map<string, NodeResources>();
  /** custom resource name → nodes having it (in the order added) */
  #withResource = new Map<string, NodeResources[]>();
  #spreadNext = 0;
  #spreadPick = 0;
  /** Live placement groups (removed ones are forgotten). */
  #pgs = new Map<string, PlacementGroup>();
  #pgCounter = 0;
  /** Groups waiting for capacity (retried on release) and for new nodes (retried on topology change). */
  #pending = new Set<PlacementGroup>();
  #infeasible = new Set<PlacementGroup>();
  #reservations = new Set<Allocation>();
  #retrying = false;
  readonly #onRelease = (): void => {
    if (this.#pending.size > 0 && !this.#retrying) this.retryPlacementGroups();
  };

  /** The nodes, in the order added. */
  get nodes(): readonly NodeResources[] {
    return this.#nodes;
  }

  /** The node with this id, if any. */
  getNode(nodeId: string): NodeResources | undefined {
    return this.#byId.get(nodeId);
  }

  /**
   * Adds a node. Pending (and infeasible) placement groups are retried.
   * @throws ClusterError `duplicate_node` / `node_in_other_cluster`.
   */
  addNode(node: NodeResources): this {
    if (!ResourceLedger._is(node) || !(node instanceof NodeResources)) {
      throw new TypeError('addNode expects a NodeResources');
    }
    if (this.#byId.has(node.nodeId))
      throw new ClusterError('duplicate_node', `node ${node.nodeId} is already in the cluster`);
    if (node._owner !== null) {
      throw new ClusterError('node_in_other_cluster', `node ${node.nodeId} already belongs to another cluster`);
    }
    node._owner = this;
    node._onRelease = this.#onRelease;
    this.#nodes.push(node);
    this.#cols.add(node);
    this.#byId.set(node.nodeId, node);
    for (let s = 4; s < node._names.length; s++) {
      if (node._total[s] === 0) continue;
      const name = node._names[s]!;
      let list = this.#withResource.get(name);
      if (list === undefined) this.#withResource.set(name, (list = []));
      list.push(node);
    }
    this.#retryGroups(true);
    return this;
  }

  /**
   * Removes a node and returns the task allocations that were live on it (including those
   * drawn from placement-group bundles on it), oldest first, so that an executor can retry
   * them. Those allocations are revoked: releasing them later through the cluster is a no-op.
   * Placement groups that had bundles there go back to PENDING and are re-placed when they fit.
   * @throws ClusterError `unknown_node`.
   */
  removeNode(nodeId: string): Allocation[] {
    const node = this.#byId.get(nodeId);
    if (node === undefined) throw new ClusterError('unknown_node', `node ${nodeId} is not in the cluster`);
    const lost: Allocation[] = [];
    for (const pg of this.#pgs.values()) {
      if (pg._state !== 'CREATED') continue;
      let hit = false;
      for (const slot of pg._slots) {
        if (slot.node !== node) continue;
        hit = true;
        lost.push(...slot.ledger!._revokeAll());
        slot.node = slot.ledger = slot.reservation = null;
      }
      if (hit) this.#setState(pg, 'PENDING', `node ${nodeId} holding some of its bundles was removed`);
    }
    for (const a of node._revokeAll()) if (!this.#reservations.delete(a)) lost.push(a);
    node._owner = null;
    node._onRelease = null;
    node._sink = null;
    node._sinkIndex = -1;
    this.#nodes.splice(this.#nodes.indexOf(node), 1);
    this.#cols.rebuild(this.#nodes);
    this.#byId.delete(nodeId);
    for (const [name, list] of this.#withResource) {
      const i = list.indexOf(node);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.#withResource.delete(name);
    }
    this.#retryGroups(true);
    return lost;
  }

  /**
   * Releases an allocation made by {@link schedule}. Returns `false` (and does nothing) for an
   * allocation revoked by {@link removeNode} or {@link removePlacementGroup}; pending placement
   * groups are retried when node capacity frees.
   * @throws AllocationError `double_release`, `foreign_allocation`, `invalid_allocation`.
   */
  release(allocation: Allocation): boolean {
    const ledger = this.#ledgerOf(allocation, 'release');
    if (ledger === null) return false;
    ledger.release(allocation);
    return true;
  }

  /**
   * Gives back the CPUs of an allocation made by {@link schedule} while it keeps the rest (its
   * node's or bundle's ledger: `NodeResources.releaseCpu`), for a task blocked waiting on its
   * children. Returns `false` for a revoked allocation, one without CPU, or one whose CPUs are
   * already given back.
   * @throws AllocationError as {@link release} does.
   */
  releaseCpu(allocation: Allocation): boolean {
    const ledger = this.#ledgerOf(allocation, 'releaseCpu');
    return ledger !== null && ledger.releaseCpu(allocation);
  }

  /**
   * Takes back the CPUs {@link releaseCpu} gave back when they fit now (from the same node or
   * bundle); `true` when the allocation holds its CPUs again, `false` when they do not fit yet or
   * the allocation was revoked.
   * @throws AllocationError as {@link release} does.
   */
  reacquireCpu(allocation: Allocation): boolean {
    const ledger = this.#ledgerOf(allocation, 'reacquireCpu');
    return ledger !== null && ledger.reacquireCpu(allocation);
  }

  /** The ledger of one of this cluster's allocations; null when it was revoked. */
  #ledgerOf(allocation: Allocation, what: string): ResourceLedger | null {
    if (!Allocation._is(allocation)) {
      throw new AllocationError(
        'invalid_allocation',
        `${what}() expects an Allocation returned by tryAllocate/schedule`,
      );
    }
    if (allocation._state === 2) return null;
    const ledger = allocation._ledger;
    if (ledger._owner !== this) {
      throw new AllocationError(
        'foreign_allocation',
        `allocation belongs to node ${allocation.nodeId}, which is not in this cluster`,
      );
    }
    return ledger;
  }

  /**
   * Places a task. Returns `scheduled` with the allocation (release it when the task ends),
   * `waiting` when a node could hold it later, or `infeasible` with a reason naming the
   * resource or constraint no node can ever meet.
   *
   * Strategies: `'DEFAULT'`, `'SPREAD'`;
   * `{ type: 'nodeAffinity', nodeId, soft, spillOnUnavailable, failOnUnavailable }` — hard: only
   * that node (missing/never fits → infeasible; busy → waiting, or infeasible with
   * `failOnUnavailable`); soft: falls back to DEFAULT when the node is missing or can never fit
   * (or is busy, with `spillOnUnavailable`);
   * `{ type: 'nodeLabel', hard, soft }` — only nodes matching `hard`, preferring those matching `soft`;
   * `{ type: 'placementGroup', placementGroup, bundleIndex }` — draws from that bundle's reservation
   * (`bundleIndex` -1/undefined: the first bundle, in index order, where it fits now).
   * @throws TaskOptionsError for an invalid demand, strategy or label selector.
   */
  schedule(
    demand: ResourceDemand | ResourceRequest,
    strategy: SchedulingStrategy = 'DEFAULT',
    opts?: ScheduleOptions,
  ): ScheduleResult {
    const req = compileDemand(demand);
    const s = validateSchedulingStrategy(strategy);
    const d = this.#decide(req, s, opts);
    if (d === null) return WAITING;
    if (typeof d === 'string') return { status: 'infeasible', reason: d };
    const allocation = d._commit(req);
    if (s === 'SPREAD') this.#spreadNext = this.#spreadPick + 1;
    return { status: 'scheduled', nodeId: d.nodeId, allocation };
  }

  /**
   * Cheap admission check: why the task can never be placed under `strategy` with the current
   * nodes, or `null` when it can run now or later. Allocates nothing.
   */
  feasibility(
    demand: ResourceDemand | ResourceRequest,
    strategy: SchedulingStrategy = 'DEFAULT',
    opts?: ScheduleOptions,
  ): string | null {
    const d = this.#decide(compileDemand(demand), validateSchedulingStrategy(strategy), opts);
    return typeof d === 'string' ? d : null;
  }

  /** `strategy` was validated (validateSchedulingStrategy); `opts` is user input, read here once. */
  #decide(req: ResourceRequest, strategy: SchedulingStrategy, opts: ScheduleOptions | undefined): Decision {
    const o = opts === undefined ? NO_OPTIONS : fieldsOf(opts, ['labelSelector', 'preferredNodeId'] as const, []);
    const terms = o.labelSelector === undefined ? null : parseLabelSelector(o.labelSelector as LabelSelector);
    const preferred = typeof o.preferredNodeId === 'string' ? o.preferredNodeId : undefined;
    if (strategy === 'DEFAULT') return this.#hybrid(req, terms, preferred);
    if (strategy === 'SPREAD') return this.#spread(req, terms);
    switch (strategy.type) {
      case 'nodeAffinity':
        return this.#affinity(req, terms, strategy);
      case 'nodeLabel':
        return this.#nodeLabel(req, terms, strategy);
      case 'placementGroup':
        return this.#placementGroup(req, terms, strategy);
    }
  }

  /** Nodes that might hold req: those having its rarest custom resource, else all. */
  #candidates(req: ResourceRequest): readonly NodeResources[] {
    const ck = req._customKeys;
    if (ck.length === 0) return this.#nodes;
    let best: readonly NodeResources[] | undefined;
    for (let i = 0; i < ck.length; i++) {
      const list = this.#withResource.get(ck[i]!);
      if (list === undefined) return EMPTY;
      if (best === undefined || list.length < best.length) best = list;
    }
    return best!;
  }

  /**
   * DEFAULT: Ray's hybrid policy, deterministic. Per class of node (CPU-only requests try nodes
   * without GPUs first, then the rest): pack onto the lowest-index node where the task fits and
   * critical utilisation after placement stays below 0.5; otherwise spread onto the node with
   * the lowest current critical utilisation, compared in steps of 1/64 (Ray picks at random among
   * its best 20%), ties to the lowest index. A preferred node wins when it ranks no worse.
   */
  #hybrid(req: ResourceRequest, terms: LabelTerm[] | null, preferredId?: string, exclude?: NodeResources): Decision {
    const cols = this.#cols;
    const nodes = this.#nodes;
    const slow = terms !== null || exclude !== undefined;
    const avoidGpu = req._gpu === 0;
    const pref = preferredId === undefined ? undefined : this.#byId.get(preferredId);
    let prefRank = Infinity;
    if (
      pref !== undefined &&
      pref !== exclude &&
      pref._fits(req) &&
      (terms === null || matchesTerms(terms, pref.labels))
    ) {
      prefRank = cols.rank(pref._sinkIndex, req);
      if (prefRank === -1 && !(avoidGpu && cols.isGpu(pref._sinkIndex))) return pref;
    }
    const cands = this.#candidates(req);
    for (let cls = avoidGpu ? 0 : 1; cls <= 1; cls++) {
      // Requests without label selectors or exclusions use the index; the scan gives the same answer.
      const row = slow ? this.#hybridScan(cands, cls, req, terms, exclude) : cols.bestHybrid(cls, req);
      if (row >= 0) {
        const usePref = pref !== undefined && prefRank <= cols.lastRank && (cls === 1 || !cols.isGpu(pref._sinkIndex));
        return usePref ? pref : nodes[row]!;
      }
    }
    return this.#waitOrInfeasible(req, cands, terms, exclude);
  }

  /** Linear form of {@link Columns.bestHybrid} over candidate nodes (custom resources, labels, exclusions). */
  #hybridScan(
    cands: readonly NodeResources[],
    cls: number,
    req: ResourceRequest,
    terms: LabelTerm[] | null,
    exclude: NodeResources | undefined,
  ): number {
    const cols = this.#cols;
    let best = -1;
    let bestRank = Infinity;
    for (let k = 0; k < cands.length; k++) {
      const n = cands[k]!;
      const i = n._sinkIndex;
      if ((cols.isGpu(i) ? 1 : 0) !== cls || n === exclude || !cols.fits(i, req) || !n._fits(req)) continue;
      if (terms !== null && !matchesTerms(terms, n.labels)) continue;
      const r = cols.rank(i, req);
      if (r === -1) {
        cols.lastRank = -1;
        return i;
      }
      if (r < bestRank) {
        best = i;
        bestRank = r;
      }
    }
    cols.lastRank = bestRank;
    return best;
  }

  #spread(req: ResourceRequest, terms: LabelTerm[] | null): Decision {
    const nodes = this.#nodes;
    const cols = this.#cols;
    const slow = req._customKeys.length > 0 || terms !== null;
    const n = nodes.length;
    for (let k = 0; k < n; k++) {
      const i = (this.#spreadNext + k) % n;
      if (!cols.fits(i, req)) continue;
      const node = nodes[i]!;
      if (slow && (!node._fits(req) || (terms !== null && !matchesTerms(terms, node.labels)))) continue;
      this.#spreadPick = i;
      return node;
    }
    return this.#waitOrInfeasible(req, this.#candidates(req), terms);
  }

  #affinity(req: ResourceRequest, terms: LabelTerm[] | null, s: NodeAffinityStrategy): Decision {
    const target = this.#byId.get(s.nodeId);
    const soft = own(s, 'soft') === true;
    let why: string | null = null;
    if (target === undefined) why = `node ${s.nodeId} (nodeAffinity) is not in the cluster`;
    else if (terms !== null && !matchesTerms(terms, target.labels)) {
      why = `node ${target.nodeId} (nodeAffinity) does not match labelSelector ${describeTerms(terms)}`;
    } else if (!target._feasible(req)) why = `${target.canEverFit(req)} (nodeAffinity)`;
    if (why === null) {
      const t = target!;
      if (t._fits(req)) return t;
      if (own(s, 'failOnUnavailable') === true) {
        return `node ${t.nodeId} is busy and nodeAffinity.failOnUnavailable is set`;
      }
      if (soft && own(s, 'spillOnUnavailable') === true) {
        const d = this.#hybrid(req, terms, undefined, t);
        return typeof d === 'string' ? null : d; // the target itself could run it later
      }
      return null;
    }
    if (soft) return this.#hybrid(req, terms);
    return why;
  }

  #nodeLabel(req: ResourceRequest, terms: LabelTerm[] | null, s: NodeLabelStrategy): Decision {
    const hard = s.hard;
    const soft = own(s, 'soft');
    const cands = this.#candidates(req).filter(
      (n) => (terms === null || matchesTerms(terms, n.labels)) && matchesExpressions(hard, n.labels),
    );
    if (cands.length === 0) {
      return `no node matches nodeLabel hard constraints ${describeExpressions(hard)}${terms === null ? '' : ' and the labelSelector'}`;
    }
    let fallback: NodeResources | null = null;
    for (const n of cands) {
      if (!n._fits(req)) continue;
      if (soft === undefined || matchesExpressions(soft, n.labels)) return n;
      fallback ??= n;
    }
    if (fallback !== null) return fallback;
    for (const n of cands) if (n._feasible(req)) return null;
    return infeasibleReason(req, cands, ` on nodes matching nodeLabel ${describeExpressions(hard)}`);
  }

  #placementGroup(req: ResourceRequest, terms: LabelTerm[] | null, s: PlacementGroupStrategy): Decision {
    const ref = s.placementGroup;
    const id = ref.id;
    const pg = this.#group(ref);
    if (pg === undefined || pg._state === 'REMOVED') {
      return pg !== undefined || this.#removedHere(ref)
        ? `placement group ${id} was removed`
        : `placement group ${id} does not exist in this cluster`;
    }
    if (pg._state === 'INFEASIBLE') return `placement group ${pg.id} is infeasible: ${pg._reason}`;
    const index = own(s, 'bundleIndex') ?? -1;
    const slots = pg._slots;
    if (index !== -1 && !(Number.isInteger(index) && index >= 0 && index < slots.length)) {
      return `placementGroup.bundleIndex ${index} is out of range: placement group ${pg.id} has ${slots.length} bundle${slots.length === 1 ? '' : 's'}`;
    }
    const chosen = index === -1 ? slots : [slots[index]!];
    if (!chosen.some((b) => (b.ledger !== null ? b.ledger._feasible(req) : bundleCouldHold(b.req, req)))) {
      const where =
        index === -1 ? `any bundle of placement group ${pg.id}` : `bundle ${index} of placement group ${pg.id}`;
      return `demand ${describeDemand(req)} does not fit ${where} (${chosen.map((b) => describeDemand(b.req)).join(', ')})`;
    }
    if (pg._state !== 'CREATED') return null;
    for (const b of chosen) {
      if (terms !== null && !matchesTerms(terms, b.node!.labels)) continue;
      if (b.ledger!._fits(req)) return b.ledger!;
    }
    if (terms !== null && !chosen.some((b) => matchesTerms(terms, b.node!.labels))) {
      return `no bundle of placement group ${pg.id} is on a node matching the labelSelector`;
    }
    return null;
  }

  #waitOrInfeasible(
    req: ResourceRequest,
    cands: readonly NodeResources[],
    terms: LabelTerm[] | null,
    exclude?: NodeResources,
  ): string | null {
    const cols = this.#cols;
    const slow = req._customKeys.length > 0;
    for (let k = 0; k < cands.length; k++) {
      const n = cands[k]!;
      if (n === exclude || !cols.feasible(n._sinkIndex, req)) continue;
      if (slow && !n._feasible(req)) continue;
      if (terms === null || matchesTerms(terms, n.labels)) return null;
    }
    if (this.#nodes.length === 0) return 'the cluster has no nodes';
    let pool: readonly NodeResources[] = this.#nodes;
    if (terms !== null) {
      pool = pool.filter((n) => matchesTerms(terms, n.labels));
      if (pool.length === 0) return `no node matches labelSelector ${describeTerms(terms)}`;
    }
    return infeasibleReason(
      req,
      pool,
      terms === null ? '' : ` on nodes matching labelSelector ${describeTerms(terms)}`,
    );
  }

  // ---------------------------------------------------------------- placement groups

  /**
   * Creates a placement group and tries to reserve all its bundles at once (all or none).
   * State: `CREATED` when reserved, `PENDING` when it could fit later (retried whenever node
   * capacity is released or a node is added), `INFEASIBLE` when the current nodes can never
   * hold it (e.g. STRICT_SPREAD with more bundles than nodes; retried when a node is added).
   *
   * PACK / SPREAD / STRICT_PACK / STRICT_SPREAD follow Ray's GCS bundle policy: bundles in
   * priority order (GPU first), nodes scored by least remaining resources.
   * @throws TaskOptionsError for invalid bundles, strategy or name (paths `['bundles', i, key]`, `['strategy']`).
   */
  createPlacementGroup(options: PlacementGroupOptions): PlacementGroup {
    const { reqs, strategy, name } = validatePlacementGroupOptions(options);
    const seq = ++this.#pgCounter;
    const pg = new PlacementGroup(this, `pg-${seq}`, seq, name, strategy, reqs);
    this.#pgs.set(pg.id, pg);
    this.#pending.add(pg);
    this.#tryPlace(pg, true);
    return pg;
  }

  /**
   * Removes a placement group: every reserved unit goes back to its node. Tasks still holding
   * bundle units are revoked (their allocations are returned, oldest first; releasing them later
   * through the cluster is a no-op) — the executor should cancel or fail them, as Ray does.
   * Removing twice is a no-op.
   * @throws ClusterError `foreign_placement_group` for a group of another cluster.
   */
  removePlacementGroup(pg: PlacementGroupRef): Allocation[] {
    const g = this.#group(pg);
    if (g === undefined) {
      if (this.#removedHere(pg)) return [];
      const id = PlacementGroup.isPlacementGroup(pg) ? pg.id : read(pg ?? {}, 'id');
      throw new ClusterError(
        'foreign_placement_group',
        `placement group ${typeof id === 'string' ? id : describe(id)} does not belong to this cluster`,
      );
    }
    if (g._state === 'REMOVED') return [];
    const lost: Allocation[] = [];
    for (const slot of g._slots) {
      if (slot.ledger !== null) lost.push(...slot.ledger._revokeAll());
      this.#unreserve(slot);
    }
    this.#setState(g, 'REMOVED', undefined);
    this.#pgs.delete(g.id); // forgotten: a cluster keeps only live groups
    this.#retryGroups(false);
    return lost;
  }

  /** The live placement group with this id, if any (removed groups are forgotten). */
  getPlacementGroup(id: string): PlacementGroup | undefined {
    return this.#pgs.get(id);
  }

  /** Number of live placement groups (created, pending or infeasible; removed ones are forgotten). */
  get placementGroupCount(): number {
    return this.#pgs.size;
  }

  /**
   * Retries PENDING placement groups (oldest first); returns those now CREATED. Runs
   * automatically on release; its work is proportional to the groups waiting, not to all groups.
   */
  retryPlacementGroups(): PlacementGroup[] {
    return this.#retryGroups(false);
  }

  /** This cluster's group for a handle: a PlacementGroup it created, or the live group with the handle's id. */
  #group(ref: PlacementGroupRef): PlacementGroup | undefined {
    if (PlacementGroup.isPlacementGroup(ref)) return ref._owner === this ? ref : undefined;
    if (typeof ref !== 'object' || ref === null) return undefined;
    const id = read(ref, 'id');
    return typeof id === 'string' ? this.#pgs.get(id) : undefined;
  }

  /**
   * Whether a handle names a group this cluster created and has since removed: one of its own
   * PlacementGroups, or an id `pg-<n>` it handed out (n counts up) that is no longer live.
   */
  #removedHere(ref: PlacementGroupRef): boolean {
    if (PlacementGroup.isPlacementGroup(ref)) return ref._owner === this && ref._state === 'REMOVED';
    const id = typeof ref === 'object' && ref !== null ? read(ref, 'id') : undefined;
    const m = typeof id === 'string' ? /^pg-([1-9]\d{0,15})$/.exec(id) : null;
    return m !== null && Number(m[1]) <= this.#pgCounter && !this.#pgs.has(id as string);
  }

  /** Sets a group's state and keeps the waiting sets in step. */
  #setState(pg: PlacementGroup, state: PlacementGroupState, reason: string | undefined): void {
    pg._reason = reason;
    if (pg._state === state) return; // the sets already match the state
    this.#pending.delete(pg);
    this.#infeasible.delete(pg);
    if (state === 'PENDING') this.#pending.add(pg);
    else if (state === 'INFEASIBLE') this.#infeasible.add(pg);
    pg._state = state;
  }

  /** topology: nodes were added or removed (re-check feasibility, INFEASIBLE groups too); else capacity freed. */
  #retryGroups(topology: boolean): PlacementGroup[] {
    if (this.#retrying || (this.#pending.size === 0 && (!topology || this.#infeasible.size === 0))) return [];
    this.#retrying = true;
    const done: PlacementGroup[] = [];
    try {
      const waiting = topology ? [...this.#pending, ...this.#infeasible] : [...this.#pending];
      waiting.sort((a, b) => a._seq - b._seq); // oldest first
      for (const pg of waiting) {
        if (pg._state === 'PENDING' || (topology && pg._state === 'INFEASIBLE')) {
          if (this.#tryPlace(pg, topology)) done.push(pg);
        }
      }
    } finally {
      this.#retrying = false;
    }
    return done;
  }

  #unreserve(slot: BundleSlot): void {
    if (slot.reservation !== null && slot.reservation._state === 0) {
      this.#reservations.delete(slot.reservation);
      slot.node!._give(slot.reservation);
    }
    slot.node = slot.ledger = slot.reservation = null;
  }

  /** Tries to reserve every unplaced bundle of pg; sets its state. Returns true when CREATED. */
  #tryPlace(pg: PlacementGroup, checkFeasible: boolean): boolean {
    if (checkFeasible) {
      const why = groupInfeasible(pg, this.#nodes);
      if (why !== null) {
        this.#setState(pg, 'INFEASIBLE', why);
        return false;
      }
    }
    const made = reserveBundles(pg, this.#nodes);
    if (made === null) {
      this.#setState(
        pg,
        'PENDING',
        'not enough free resources now; retried when resources are released or nodes are added',
      );
      return false;
    }
    for (const slot of made) {
      this.#reservations.add(slot.reservation!);
      slot.ledger = bundleLedger(pg, slot);
      slot.ledger._owner = this;
    }
    this.#setState(pg, 'CREATED', undefined);
    return true;
  }
}

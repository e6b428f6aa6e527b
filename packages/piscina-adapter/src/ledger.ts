/**
 * The pool's view of the local node: `@taskfit/core`'s accounting (one `NodeResources` in a
 * one-node `Cluster`, so scheduling strategies and placement groups work unchanged), plus what
 * the admission queue needs beyond it: "fits beside a reservation", what placement groups hold,
 * a provisional ledger (CPUs known at once, everything else after detection) and the debt left
 * when detection finds fewer CPUs than the provisional ledger had handed out.
 */
import { Cluster, NodeResources, RESOURCE_UNIT_SCALING, compileDemand } from '@taskfit/core';
import type {
  Allocation,
  LabelSelector,
  PlacementGroup,
  PlacementGroupOptions,
  PlacementGroupRef,
  ResourceRequest,
  ScheduleResult,
  SchedulingStrategy,
} from '@taskfit/core';

export type { ScheduleResult };

const U = RESOURCE_UNIT_SCALING;
const WAITING: ScheduleResult = Object.freeze({ status: 'waiting' });

/** Resources a task keeps after detection replaced the provisional ledger and they no longer fit (paid back on release). */
export class Debt {
  readonly resources: Readonly<Record<string, number>>;
  constructor(resources: Readonly<Record<string, number>>) {
    this.resources = resources;
  }
  /** A debt has no devices: the provisional ledger held CPUs only. */
  readonly gpuIds: readonly number[] = [];
  readonly visibleDevices: readonly string[] = [];
}

/** What a task holds: an allocation of the node, or a debt (see {@link Debt}). */
export type Holding = Allocation | Debt;

export interface LedgerOptions {
  nodeId: string;
  labels: Readonly<Record<string, string>>;
  acceleratorType?: string | undefined;
  visibleDevices?: readonly string[] | undefined;
  /** Only CPUs are known yet: every other demand, strategy or selector waits for the real ledger. */
  provisional?: boolean;
}

/** A null-prototype copy (no inherited keys reach core's `for…in` loops). */
export function plain<T>(o: Readonly<Record<string, T>>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, o);
}

const units = (q: number): number => Math.round(q * U);

/** One node's resources, in a one-node cluster. */
export class Ledger {
  readonly node: NodeResources;
  readonly cluster = new Cluster();
  readonly provisional: boolean;
  /**
   * Bumped on every change of what is allocated or reserved (a grant, a release, a placement
   * group): while it is unchanged, a request that had to wait would wait again.
   */
  version = 0;
  /** Placement groups made through this ledger and not removed. */
  readonly #groups = new Set<PlacementGroup>();
  /** Outstanding debt per resource, in units. */
  readonly #debt = new Map<string, number>();

  /** @throws TaskOptionsError for an invalid total (core's validation). */
  constructor(total: Readonly<Record<string, number>>, opts: LedgerOptions) {
    this.node = new NodeResources(plain(total), {
      nodeId: opts.nodeId,
      labels: plain(opts.labels),
      ...(opts.acceleratorType !== undefined ? { acceleratorType: opts.acceleratorType } : {}),
      ...(opts.visibleDevices !== undefined ? { visibleDevices: opts.visibleDevices } : {}),
    });
    this.provisional = opts.provisional === true;
    this.cluster.addNode(this.node);
  }

  get nodeId(): string {
    return this.node.nodeId;
  }

  get total(): Record<string, number> {
    return { ...this.node.total };
  }

  get available(): Record<string, number> {
    const out = { ...this.node.available };
    for (const [k, u] of this.#debt) out[k] = Math.max(0, units(out[k] ?? 0) - u) / U;
    return out;
  }

  compile(demand: Readonly<Record<string, number>>): ResourceRequest {
    return compileDemand(plain(demand));
  }

  /** Whether `demand` fits in the node's free resources after `reserved` (and any debt) is set aside. */
  fitsBeyond(reserved: Readonly<Record<string, number>>, demand: Readonly<Record<string, number>>): boolean {
    const avail = this.node.available;
    for (const k of Object.keys(demand)) {
      const need = units(demand[k]!);
      if (need === 0) continue;
      const left = units(avail[k] ?? 0) - units(reserved[k] ?? 0) - (this.#debt.get(k) ?? 0);
      if (need > left) return false;
    }
    return true;
  }

  /**
   * Whether `demand` could fit once every running task has finished: within the node's total
   * less what placement groups reserve. A task that cannot is waiting for a group to go, not for
   * tasks to finish, so it must not hold a reservation against tasks.
   */
  fitsOutsideGroups(demand: Readonly<Record<string, number>>): boolean {
    const total = this.node.total;
    const held = new Map<string, number>();
    for (const pg of this.#groups) {
      if (pg.state !== 'CREATED') continue;
      for (const b of pg.bundles)
        for (const [k, q] of Object.entries(b.resources)) held.set(k, (held.get(k) ?? 0) + units(q));
    }
    for (const k of Object.keys(demand)) {
      const need = units(demand[k]!);
      if (need > units(total[k] ?? 0) - (held.get(k) ?? 0)) return false;
    }
    return true;
  }

  /** Whether a provisional ledger can decide this request now (CPU-only, default placement). */
  #decidable(demand: ResourceRequest, strategy: SchedulingStrategy, labelSelector: LabelSelector | undefined): boolean {
    if (!this.provisional) return true;
    if (strategy !== 'DEFAULT' || labelSelector !== undefined) return false;
    for (const k of Object.keys(demand.resources)) if (k !== 'CPU') return false;
    return true;
  }

  schedule(
    demand: ResourceRequest,
    strategy: SchedulingStrategy,
    labelSelector: LabelSelector | undefined,
  ): ScheduleResult {
    if (!this.#decidable(demand, strategy, labelSelector)) return WAITING;
    if (this.#debt.size > 0 && !this.fitsBeyond({}, demand.resources)) {
      const f = this.cluster.feasibility(demand, strategy, labelSelector === undefined ? undefined : { labelSelector });
      return f === null ? WAITING : { status: 'infeasible', reason: f };
    }
    if (strategy === 'DEFAULT' && labelSelector === undefined) {
      // One node: DEFAULT placement is that node when the task fits there now (what the
      // cluster's hybrid policy decides for a one-node cluster), without ranking nodes.
      const allocation = this.node.tryAllocate(demand);
      if (allocation !== null) {
        this.version++;
        return { status: 'scheduled', nodeId: this.node.nodeId, allocation };
      }
      const f = this.cluster.feasibility(demand, strategy);
      return f === null ? WAITING : { status: 'infeasible', reason: f };
    }
    const r =
      labelSelector === undefined
        ? this.cluster.schedule(demand, strategy)
        : this.cluster.schedule(demand, strategy, { labelSelector });
    if (r.status === 'scheduled') this.version++;
    return r;
  }

  release(h: Holding): void {
    this.version++;
    if (h instanceof Debt) {
      for (const [k, q] of Object.entries(h.resources)) {
        const left = (this.#debt.get(k) ?? 0) - units(q);
        if (left > 0) this.#debt.set(k, left);
        else this.#debt.delete(k);
      }
    } else this.cluster.release(h);
  }

  /**
   * Gives back the CPUs a task holds while it is blocked on its children (a debt has none to give
   * back); true when something was given back.
   */
  releaseCpu(h: Holding): boolean {
    if (h instanceof Debt || !this.cluster.releaseCpu(h)) return false;
    this.version++;
    return true;
  }

  /** Takes back the CPUs {@link releaseCpu} gave back, when they fit now; true when the task holds them again. */
  reacquireCpu(h: Holding): boolean {
    if (h instanceof Debt || !h.cpuReleased) return true;
    if (this.#debt.size > 0 && !this.fitsBeyond({}, { CPU: h.resources.CPU ?? 0 })) return false;
    if (!this.cluster.reacquireCpu(h)) return h.live ? false : true;
    this.version++;
    return true;
  }

  /**
   * Takes over what tasks hold on `old` (the provisional ledger): each holding is allocated
   * here again, or becomes a debt when it no longer fits. Returns the new holdings, in order.
   */
  adopt(old: readonly Holding[]): Holding[] {
    return old.map((h) => {
      const r = this.cluster.schedule(this.compile(h.resources), 'DEFAULT');
      if (r.status === 'scheduled') return r.allocation;
      for (const [k, q] of Object.entries(h.resources)) this.#debt.set(k, (this.#debt.get(k) ?? 0) + units(q));
      return new Debt(h.resources);
    });
  }

  createPlacementGroup(options: PlacementGroupOptions): PlacementGroup {
    this.version++;
    const pg = this.cluster.createPlacementGroup(options);
    this.#groups.add(pg);
    return pg;
  }

  removePlacementGroup(pg: PlacementGroupRef): Allocation[] {
    this.version++;
    const lost = this.cluster.removePlacementGroup(pg);
    for (const g of this.#groups) if (g.id === pg.id) this.#groups.delete(g);
    return lost;
  }
}

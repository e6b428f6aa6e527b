/**
 * The pool's view of the local node: `@taskfit/core`'s accounting (one `NodeResources` in a
 * one-node `Cluster`, so scheduling strategies and placement groups work unchanged), plus the
 * one check the admission queue needs beyond it (fits beside a reservation).
 */
import { Cluster, NodeResources, compileDemand } from '@taskfit/core';
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

export type { Allocation as LedgerAllocation, ScheduleResult };

export interface LedgerOptions {
  nodeId: string;
  labels: Record<string, string>;
  acceleratorType?: string | undefined;
  visibleDevices?: readonly string[] | undefined;
}

/** One node's resources, in a one-node cluster. */
export class Ledger {
  readonly node: NodeResources;
  readonly cluster = new Cluster();
  /**
   * Bumped on every change of what is allocated or reserved (a grant, a release, a placement
   * group): while it is unchanged, a request that had to wait would wait again.
   */
  version = 0;

  constructor(total: Record<string, number>, opts: LedgerOptions) {
    this.node = new NodeResources(total, {
      nodeId: opts.nodeId,
      labels: opts.labels,
      ...(opts.acceleratorType !== undefined ? { acceleratorType: opts.acceleratorType } : {}),
      ...(opts.visibleDevices !== undefined ? { visibleDevices: opts.visibleDevices } : {}),
    });
    this.cluster.addNode(this.node);
  }

  get nodeId(): string {
    return this.node.nodeId;
  }

  get total(): Record<string, number> {
    return { ...this.node.total };
  }

  get available(): Record<string, number> {
    return { ...this.node.available };
  }

  compile(demand: Readonly<Record<string, number>>): ResourceRequest {
    return compileDemand(demand);
  }

  /** Whether `demand` fits in the node's free resources after `reserved` is set aside (aggregate check). */
  fitsBeyond(reserved: Readonly<Record<string, number>>, demand: Readonly<Record<string, number>>): boolean {
    const avail = this.node.available;
    for (const k in demand) {
      const need = demand[k]!;
      if (need === 0) continue;
      // Compare in integer units to avoid float drift.
      const left = Math.round((avail[k] ?? 0) * 10_000) - Math.round((reserved[k] ?? 0) * 10_000);
      if (Math.round(need * 10_000) > left) return false;
    }
    return true;
  }

  schedule(
    demand: ResourceRequest,
    strategy: SchedulingStrategy,
    labelSelector: LabelSelector | undefined,
  ): ScheduleResult {
    const r =
      labelSelector === undefined
        ? this.cluster.schedule(demand, strategy)
        : this.cluster.schedule(demand, strategy, { labelSelector });
    if (r.status === 'scheduled') this.version++;
    return r;
  }

  release(a: Allocation): void {
    this.version++;
    this.cluster.release(a);
  }

  createPlacementGroup(options: PlacementGroupOptions): PlacementGroup {
    this.version++;
    return this.cluster.createPlacementGroup(options);
  }

  removePlacementGroup(pg: PlacementGroupRef): Allocation[] {
    this.version++;
    return this.cluster.removePlacementGroup(pg);
  }
}

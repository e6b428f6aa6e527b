// Placement-group bundle reservation on a set of nodes, by Ray's GCS bundle policy (PACK, SPREAD,
// STRICT_PACK, STRICT_SPREAD), and whether a group can ever be placed there.
import type { ResourceRequest } from './demand.js';
import { infeasibleReason } from './infeasible.js';
import type { NodeResources } from './node-resources.js';
import { bundleOrder, bundleScore, sumRequests, type BundleSlot, type PlacementGroup } from './placement-group.js';

/**
 * Reserves every unplaced bundle of pg on `nodes` by its strategy (Ray's GCS bundle policy:
 * bundles in priority order, nodes by least remaining resources). Returns the slots reserved
 * now, or null (nothing reserved) when they do not all fit now.
 */
export function reserveBundles(pg: PlacementGroup, nodes: readonly NodeResources[]): BundleSlot[] | null {
  const todo = bundleOrder(pg._slots.filter((s) => s.node === null));
  const placed = pg._slots.filter((s) => s.node !== null);
  const made: BundleSlot[] = [];
  const reserve = (slot: BundleSlot, node: NodeResources): boolean => {
    if (!node._fits(slot.req)) return false;
    slot.node = node;
    slot.reservation = node._commit(slot.req);
    made.push(slot);
    return true;
  };
  let ok = true;
  switch (pg.strategy) {
    case 'STRICT_PACK': {
      const target = placed[0]?.node ?? undefined;
      const order = target !== undefined ? [target] : rankNodes(nodes, sumRequests(todo.map((s) => s.req)));
      ok = false;
      for (const node of order) {
        if (todo.every((s) => reserve(s, node))) {
          ok = true;
          break;
        }
        rollback(made);
      }
      break;
    }
    case 'STRICT_SPREAD': {
      const used = new Set(placed.map((s) => s.node!));
      for (const slot of todo) {
        const node = bestNode(nodes, slot.req, used, true);
        if (node === null || !reserve(slot, node)) {
          ok = false;
          break;
        }
        used.add(node);
      }
      break;
    }
    case 'SPREAD': {
      const used = new Set(placed.map((s) => s.node!));
      for (const slot of todo) {
        const node = bestNode(nodes, slot.req, used, true) ?? bestNode([...used], slot.req, null, false);
        if (node === null || !reserve(slot, node)) {
          ok = false;
          break;
        }
        used.add(node);
      }
      break;
    }
    default: {
      // PACK: best node for the first remaining bundle, then every other bundle that fits there.
      const dropped = new Set<NodeResources>();
      let rest = todo;
      while (rest.length > 0) {
        const node = bestNode(nodes, rest[0]!.req, dropped, true);
        if (node === null) {
          ok = false;
          break;
        }
        rest = rest.filter((slot) => !reserve(slot, node));
        dropped.add(node);
      }
    }
  }
  if (ok) return made;
  rollback(made);
  return null;
}

function rollback(made: BundleSlot[]): void {
  for (const slot of made) {
    slot.node!._give(slot.reservation!);
    slot.node = slot.reservation = null;
  }
  made.length = 0;
}

/** Why pg can never be placed on the current nodes (idle), or null. */
export function groupInfeasible(pg: PlacementGroup, nodes: readonly NodeResources[]): string | null {
  if (nodes.length === 0) return 'the cluster has no nodes';
  for (const slot of pg._slots) {
    if (!nodes.some((n) => n._feasible(slot.req)))
      return infeasibleReason(slot.req, nodes, '', `bundle ${slot.index} `);
  }
  if (pg.strategy === 'STRICT_PACK') {
    const sum = sumRequests(pg._slots.map((s) => s.req));
    if (!nodes.some((n) => n._feasible(sum))) {
      return `STRICT_PACK ${infeasibleReason(sum, nodes, '', 'needs all bundles on one node: ')}`;
    }
  }
  if (pg.strategy === 'STRICT_SPREAD') {
    const n = pg._slots.length;
    if (n > nodes.length) {
      return `STRICT_SPREAD needs ${n} distinct nodes (one per bundle); the cluster has ${nodes.length}`;
    }
    if (!perfectMatching(pg._slots, nodes))
      return `STRICT_SPREAD: no assignment of the ${n} bundles to distinct nodes can ever fit`;
  }
  return null;
}

/** Best node by Ray's LeastResourceScorer, skipping (skip=true) or restricted to a set. */
function bestNode(
  nodes: readonly NodeResources[],
  req: ResourceRequest,
  set: ReadonlySet<NodeResources> | null,
  skip: boolean,
): NodeResources | null {
  let best: NodeResources | null = null;
  let bestScore = -1;
  for (const n of nodes) {
    if (set !== null && set.has(n) === skip) continue;
    const s = bundleScore(n, req);
    if (s > bestScore) {
      best = n;
      bestScore = s;
    }
  }
  return best;
}

function rankNodes(nodes: readonly NodeResources[], req: ResourceRequest): NodeResources[] {
  return nodes
    .map((n, i) => ({ n, i, s: bundleScore(n, req) }))
    .filter((x) => x.s >= 0)
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map((x) => x.n);
}

/** Kuhn's algorithm on idle feasibility: can every bundle get its own node? */
function perfectMatching(slots: readonly BundleSlot[], nodes: readonly NodeResources[]): boolean {
  const owner = new Map<NodeResources, number>();
  const can = slots.map((s) => nodes.filter((n) => n._feasible(s.req)));
  const tryAssign = (b: number, seen: Set<NodeResources>): boolean => {
    for (const n of can[b]!) {
      if (seen.has(n)) continue;
      seen.add(n);
      const o = owner.get(n);
      if (o === undefined || tryAssign(o, seen)) {
        owner.set(n, b);
        return true;
      }
    }
    return false;
  };
  return slots.every((_, b) => tryAssign(b, new Set()));
}

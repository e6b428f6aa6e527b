import { describe, expect, it } from 'vitest';
import { TaskOptionsError } from '../errors.js';
import { Cluster, type ScheduleResult } from './cluster.js';
import { NodeResources } from './node-resources.js';
import type { PlacementGroupOptions } from './placement-group.js';

function cluster(...nodes: [string, Record<string, number>][]): Cluster {
  const c = new Cluster();
  for (const [id, total] of nodes) c.addNode(new NodeResources(total, { nodeId: id }));
  return c;
}
function alloc(r: ScheduleResult) {
  if (r.status !== 'scheduled') throw new Error(`expected scheduled, got ${JSON.stringify(r)}`);
  return r.allocation;
}
function issues(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TaskOptionsError);
    return (e as TaskOptionsError).issues;
  }
  throw new Error('expected TaskOptionsError');
}

describe('placement groups', () => {
  it('PACK puts bundles together on the best node; SPREAD on distinct nodes', () => {
    const c = cluster(['a', { CPU: 8 }], ['b', { CPU: 8 }]);
    const pack = c.createPlacementGroup({ bundles: [{ CPU: 2 }, { CPU: 2 }], strategy: 'PACK', name: 'p' });
    expect(pack.state).toBe('CREATED');
    expect(pack.name).toBe('p');
    expect(pack.id).toMatch(/^pg-\d+$/);
    expect(pack.bundles).toEqual([
      { index: 0, resources: { CPU: 2 }, nodeId: 'a' },
      { index: 1, resources: { CPU: 2 }, nodeId: 'a' },
    ]);
    const spread = c.createPlacementGroup({ bundles: [{ CPU: 1 }, { CPU: 1 }], strategy: 'SPREAD' });
    expect(spread.bundles.map((b) => b.nodeId)).toEqual(['b', 'a']);
    expect(c.getNode('a')!.available.CPU).toBe(3);
  });

  it('STRICT_PACK follows Ray’s example: the node with the most room wins', () => {
    const c = cluster(['local', { CPU: 8 }], ['remote', { CPU: 2 }], ['remote2', { CPU: 4 }]);
    const pg = c.createPlacementGroup({ bundles: [{ CPU: 2 }, { CPU: 2 }], strategy: 'STRICT_PACK' });
    expect(pg.bundles.map((b) => b.nodeId)).toEqual(['local', 'local']);
    const big = c.createPlacementGroup({ bundles: [{ CPU: 6 }, { CPU: 6 }], strategy: 'STRICT_PACK' });
    expect(big.state).toBe('INFEASIBLE');
    expect(big.reason).toBe('STRICT_PACK needs all bundles on one node: needs CPU 12; largest node has CPU 8');
  });

  it('STRICT_SPREAD with more bundles than nodes is INFEASIBLE; with enough nodes one bundle per node', () => {
    const c = cluster(['a', { CPU: 4 }], ['b', { CPU: 4 }]);
    const pg = c.createPlacementGroup({ bundles: [{ CPU: 1 }, { CPU: 1 }, { CPU: 1 }], strategy: 'STRICT_SPREAD' });
    expect(pg.state).toBe('INFEASIBLE');
    expect(pg.reason).toBe('STRICT_SPREAD needs 3 distinct nodes (one per bundle); the cluster has 2');
    expect(pg.bundles.every((b) => b.nodeId === undefined)).toBe(true);
    expect(c.schedule({ CPU: 1 }, { type: 'placementGroup', placementGroup: pg })).toEqual({
      status: 'infeasible',
      reason: `placement group ${pg.id} is infeasible: STRICT_SPREAD needs 3 distinct nodes (one per bundle); the cluster has 2`,
    });
    // a third node makes it feasible: retried on addNode
    c.addNode(new NodeResources({ CPU: 4 }, { nodeId: 'c' }));
    expect(pg.state).toBe('CREATED');
    expect(new Set(pg.bundles.map((b) => b.nodeId))).toEqual(new Set(['a', 'b', 'c']));
    const sized = cluster(['x', { CPU: 4, GPU: 1 }], ['y', { CPU: 4 }]);
    expect(sized.createPlacementGroup({ bundles: [{ GPU: 1 }, { GPU: 1 }], strategy: 'STRICT_SPREAD' }).reason).toBe(
      'STRICT_SPREAD: no assignment of the 2 bundles to distinct nodes can ever fit',
    );
  });

  it('reserves atomically: all bundles or none; PENDING until capacity frees', () => {
    const c = cluster(['a', { CPU: 4 }], ['b', { CPU: 4 }]);
    const t = alloc(c.schedule({ CPU: 3 }, { type: 'nodeAffinity', nodeId: 'b' }));
    const pg = c.createPlacementGroup({ bundles: [{ CPU: 3 }, { CPU: 3 }], strategy: 'SPREAD' });
    expect(pg.state).toBe('PENDING');
    expect(pg.reason).toContain('not enough free resources now');
    expect(c.getNode('a')!.available.CPU).toBe(4); // nothing half-reserved
    expect(c.schedule({ CPU: 1 }, { type: 'placementGroup', placementGroup: pg })).toEqual({ status: 'waiting' });
    c.release(t);
    expect(pg.state).toBe('CREATED');
    expect(c.getNode('a')!.available.CPU).toBe(1);
    expect(c.getNode('b')!.available.CPU).toBe(1);
  });

  it('tasks draw from the bundle’s reservation, not the node’s free pool', () => {
    const c = cluster(['n', { CPU: 4 }]); // a single-node cluster works too
    const pg = c.createPlacementGroup({ bundles: [{ CPU: 2 }, { CPU: 1 }] });
    expect(c.getNode('n')!.available.CPU).toBe(1);
    const strat = { type: 'placementGroup', placementGroup: pg, bundleIndex: 0 } as const;
    const a = alloc(c.schedule({ CPU: 2 }, strat));
    expect(a.placementGroupId).toBe(pg.id);
    expect(a.bundleIndex).toBe(0);
    expect(a.nodeId).toBe('n');
    expect(c.getNode('n')!.available.CPU).toBe(1); // node pool untouched
    expect(c.schedule({ CPU: 1 }, strat)).toEqual({ status: 'waiting' });
    // any bundle (-1 / undefined): the first bundle where it fits now
    const b = alloc(c.schedule({ CPU: 1 }, { type: 'placementGroup', placementGroup: pg }));
    expect(b.bundleIndex).toBe(1);
    expect(c.schedule({ CPU: 1 }, { type: 'placementGroup', placementGroup: pg, bundleIndex: -1 })).toEqual({
      status: 'waiting',
    });
    // DEFAULT tasks use only the node's free pool
    expect(c.schedule({ CPU: 2 })).toEqual({ status: 'waiting' });
    alloc(c.schedule({ CPU: 1 }));
    c.release(a);
    alloc(c.schedule({ CPU: 2 }, strat));
  });

  it('rejects demands no bundle can hold and bad bundle indices', () => {
    const c = cluster(['n', { CPU: 4, GPU: 1 }]);
    const pg = c.createPlacementGroup({ bundles: [{ GPU: 1 }] });
    expect(c.schedule({ CPU: 1 }, { type: 'placementGroup', placementGroup: pg })).toEqual({
      status: 'infeasible',
      reason: `demand {CPU: 1} does not fit any bundle of placement group ${pg.id} ({GPU: 1})`,
    });
    expect(c.schedule({ GPU: 1 }, { type: 'placementGroup', placementGroup: pg, bundleIndex: 1 })).toEqual({
      status: 'infeasible',
      reason: `placementGroup.bundleIndex 1 is out of range: placement group ${pg.id} has 1 bundle`,
    });
    expect(c.schedule({ GPU: 1 }, { type: 'placementGroup', placementGroup: { id: 'nope' } })).toEqual({
      status: 'infeasible',
      reason: 'placement group nope does not exist in this cluster',
    });
    expect(c.feasibility({ CPU: 1 }, { type: 'placementGroup', placementGroup: pg })).toContain('does not fit');
    expect(c.feasibility({ GPU: 0.5 }, { type: 'placementGroup', placementGroup: pg })).toBeNull();
  });

  it('bundles keep GPU device alignment: a task in bundle 1 sees that bundle’s GPU', () => {
    const c = new Cluster().addNode(new NodeResources({ CPU: 4, GPU: 2 }, { nodeId: 'g', visibleDevices: ['3', '7'] }));
    const pg = c.createPlacementGroup({ bundles: [{ GPU: 1 }, { GPU: 1 }], strategy: 'STRICT_PACK' });
    const t = alloc(c.schedule({ GPU: 0.5 }, { type: 'placementGroup', placementGroup: pg, bundleIndex: 1 }));
    expect(t.instances.GPU).toEqual([{ index: 1, amount: 0.5 }]);
    expect(t.gpuIds).toEqual(['7']);
    expect(t.visibleDevices).toEqual(['7']);
    const u = alloc(c.schedule({ GPU: 1 }, { type: 'placementGroup', placementGroup: pg }));
    expect(u.gpuIds).toEqual(['3']);
    expect(c.schedule({ GPU: 1 }, { type: 'placementGroup', placementGroup: pg, bundleIndex: 1 })).toEqual({
      status: 'waiting',
    });
  });

  it('removePlacementGroup returns every unit and revokes tasks still holding bundle units', () => {
    const c = cluster(['n', { CPU: 4, GPU: 1 }]);
    const pg = c.createPlacementGroup({ bundles: [{ CPU: 2, GPU: 0.5 }] });
    const t = alloc(c.schedule({ CPU: 1, GPU: 0.5 }, { type: 'placementGroup', placementGroup: pg }));
    expect(c.removePlacementGroup(pg)).toEqual([t]);
    expect(pg.state).toBe('REMOVED');
    expect(t.live).toBe(false);
    expect(c.release(t)).toBe(false);
    const n = c.getNode('n')!;
    expect(n.available).toEqual(n.total);
    expect(c.removePlacementGroup(pg)).toEqual([]);
    expect(c.schedule({ CPU: 1 }, { type: 'placementGroup', placementGroup: pg })).toEqual({
      status: 'infeasible',
      reason: `placement group ${pg.id} was removed`,
    });
    expect(() => new Cluster().removePlacementGroup(pg)).toThrow(
      `placement group ${pg.id} does not belong to this cluster`,
    );
  });

  it('removed groups are forgotten; removing one again (by handle or by { id }) stays a no-op', () => {
    const c = cluster(['n', { CPU: 4 }]);
    const pg = c.createPlacementGroup({ bundles: [{ CPU: 1 }] });
    const id = pg.id;
    expect(c.placementGroupCount).toBe(1);
    c.removePlacementGroup(pg);
    expect(c.placementGroupCount).toBe(0);
    expect(c.getPlacementGroup(id)).toBeUndefined();
    expect(c.removePlacementGroup({ id })).toEqual([]);
    expect(c.removePlacementGroup(pg)).toEqual([]);
    expect(c.schedule({ CPU: 1 }, { type: 'placementGroup', placementGroup: { id } })).toEqual({
      status: 'infeasible',
      reason: `placement group ${id} was removed`,
    });
    expect(() => c.removePlacementGroup({ id: 'pg-99' })).toThrow(
      'placement group pg-99 does not belong to this cluster',
    );
    // A group of another cluster is not confused with this cluster's group of the same id.
    const other = cluster(['m', { CPU: 4 }]).createPlacementGroup({ bundles: [{ CPU: 1 }] });
    const mine = c.createPlacementGroup({ bundles: [{ CPU: 1 }] });
    expect(other.id).not.toBe(mine.id);
    expect(c.schedule({ CPU: 1 }, { type: 'placementGroup', placementGroup: other })).toMatchObject({
      status: 'infeasible',
      reason: `placement group ${other.id} does not exist in this cluster`,
    });
  });

  it('10,000 create/remove cycles leave nothing behind, and a release only retries groups that wait (item 12)', () => {
    const c = cluster(['big', { CPU: 1000 }]);
    const created = Array.from({ length: 1000 }, () => c.createPlacementGroup({ bundles: [{ CPU: 0.5 }] }));
    const hog = alloc(c.schedule({ CPU: 499.5 }));
    const waiting = c.createPlacementGroup({ bundles: [{ CPU: 1 }] }); // 0.5 CPU free: it waits
    expect(waiting.state).toBe('PENDING');
    for (let i = 0; i < 10_000; i++) c.removePlacementGroup(c.createPlacementGroup({ bundles: [{ CPU: 1 }] }));
    expect(c.placementGroupCount).toBe(1001); // the created ones and the one waiting
    // Count how often a release looks at the 1000 CREATED groups: never.
    let looks = 0;
    for (const g of created) {
      let state = g._state;
      Object.defineProperty(g, '_state', {
        get: () => (looks++, state),
        set: (v: typeof state) => (state = v),
        configurable: true,
      });
    }
    const small = alloc(c.schedule({ CPU: 0.5 }));
    c.release(small); // capacity freed: the waiting group is retried (it still does not fit)
    expect(waiting.state).toBe('PENDING');
    expect(looks).toBe(0);
    c.release(hog);
    expect(waiting.state).toBe('CREATED');
    expect(looks).toBe(0);
  });

  it('PENDING groups are retried oldest first, also after a node removal sent an older one back', () => {
    const c = cluster(['a', { CPU: 2 }], ['b', { CPU: 2 }]);
    const older = c.createPlacementGroup({ bundles: [{ CPU: 2 }] });
    expect(older.bundles[0]!.nodeId).toBe('a');
    const hog = alloc(c.schedule({ CPU: 2 }));
    const newer = c.createPlacementGroup({ bundles: [{ CPU: 2 }] });
    expect(newer.state).toBe('PENDING');
    c.removeNode('a'); // older goes back to PENDING, behind newer in the waiting set
    expect(older.state).toBe('PENDING');
    c.release(hog); // room for one group: the older one gets it
    expect(older.state).toBe('CREATED');
    expect(newer.state).toBe('PENDING');
  });

  it('removing a node re-places its bundles (PENDING until they fit) and reports lost tasks', () => {
    const c = cluster(['a', { CPU: 2 }], ['b', { CPU: 2 }]);
    const pg = c.createPlacementGroup({ bundles: [{ CPU: 2 }, { CPU: 2 }], strategy: 'SPREAD' });
    expect(pg.bundles.map((b) => b.nodeId)).toEqual(['a', 'b']);
    const t = alloc(c.schedule({ CPU: 1 }, { type: 'placementGroup', placementGroup: pg, bundleIndex: 1 }));
    const keep = alloc(c.schedule({ CPU: 1 }, { type: 'placementGroup', placementGroup: pg, bundleIndex: 0 }));
    expect(c.removeNode('b')).toEqual([t]);
    expect(pg.state).toBe('PENDING');
    expect(keep.live).toBe(true);
    c.addNode(new NodeResources({ CPU: 2 }, { nodeId: 'c' }));
    expect(pg.state).toBe('CREATED');
    expect(pg.bundles.map((b) => b.nodeId)).toEqual(['a', 'c']);
    c.release(keep);
    c.removePlacementGroup(pg);
    for (const n of c.nodes) expect(n.available).toEqual(n.total);
  });

  it('retryPlacementGroups re-places pending groups explicitly', () => {
    const n = new NodeResources({ CPU: 2 }, { nodeId: 'n' });
    const c = new Cluster().addNode(n);
    const direct = n.tryAllocate({ CPU: 2 })!;
    const pg = c.createPlacementGroup({ bundles: [{ CPU: 1 }] });
    expect(pg.state).toBe('PENDING');
    expect(c.retryPlacementGroups()).toEqual([]);
    n.release(direct); // releasing on the node directly also triggers the retry
    expect(pg.state).toBe('CREATED');
    expect(c.getPlacementGroup(pg.id)).toBe(pg);
    expect(JSON.parse(JSON.stringify(pg))).toEqual({
      id: pg.id,
      strategy: 'PACK',
      state: 'CREATED',
      bundles: [{ index: 0, resources: { CPU: 1 }, nodeId: 'n' }],
    });
  });

  it('bundle that no node can hold → INFEASIBLE naming it', () => {
    const c = cluster(['a', { CPU: 2 }]);
    const pg = c.createPlacementGroup({ bundles: [{ CPU: 1 }, { GPU: 1 }] });
    expect(pg.state).toBe('INFEASIBLE');
    expect(pg.reason).toBe('bundle 1 needs GPU 1; largest node has no GPU');
    expect(new Cluster().createPlacementGroup({ bundles: [{ CPU: 1 }] }).reason).toBe('the cluster has no nodes');
  });

  it('validates options with code and path', () => {
    const c = cluster(['a', { CPU: 2 }]);
    const create = (o: unknown) => () => c.createPlacementGroup(o as PlacementGroupOptions);
    expect(issues(create({ bundles: [] }))).toEqual([
      {
        path: ['bundles'],
        code: 'invalid_value',
        message: 'bundles must be a non-empty array of resource objects, e.g. [{ CPU: 1 }, { GPU: 1 }]',
      },
    ]);
    expect(issues(create({ bundles: 'x' }))[0]!.code).toBe('invalid_type');
    expect(issues(create({ bundles: [{ CPU: 0 }] }))).toEqual([
      {
        path: ['bundles', 0],
        code: 'invalid_value',
        message: 'bundles[0] cannot be empty or hold only zero quantities',
      },
    ]);
    expect(issues(create({ bundles: [{ CPU: 1 }, { CPU: -1 }] }))).toEqual([
      { path: ['bundles', 1, 'CPU'], code: 'invalid_value', message: 'bundles[1].CPU must be non-negative, got -1' },
    ]);
    expect(issues(create({ bundles: [7] }))[0]).toEqual({
      path: ['bundles', 0],
      code: 'invalid_type',
      message: 'bundles[0] must be an object of resource quantities, got 7',
    });
    expect(issues(create({ bundles: [{ bundle: 1 }] }))[0]).toEqual({
      path: ['bundles', 0, 'bundle'],
      code: 'invalid_value',
      message: 'bundles[0].bundle is a reserved resource name',
    });
    expect(issues(create({ bundles: [{ CPU: 1 }], strategy: 'pack' }))).toEqual([
      {
        path: ['strategy'],
        code: 'invalid_value',
        message: `strategy must be one of 'PACK', 'SPREAD', 'STRICT_PACK', 'STRICT_SPREAD', got "pack"`,
      },
    ]);
    expect(issues(create({ bundles: [{ CPU: 1 }], name: 3 }))[0]).toEqual({
      path: ['name'],
      code: 'invalid_type',
      message: 'name must be a string',
    });
    expect(issues(create(null))[0]!.message).toBe(
      'createPlacementGroup expects an object { bundles, strategy?, name? }',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { TaskOptionsError } from '../errors.js';
import type { NodeLabelStrategy } from '../types.js';
import { AllocationError } from './errors.js';
import { Cluster, ClusterError, type ScheduleResult } from './cluster.js';
import { NodeResources } from './node-resources.js';

function nodeOf(r: ScheduleResult): string {
  if (r.status !== 'scheduled') throw new Error(`expected scheduled, got ${JSON.stringify(r)}`);
  return r.nodeId;
}

function cluster(...nodes: [string, Record<string, number>, Record<string, string>?][]): Cluster {
  const c = new Cluster();
  for (const [id, total, labels] of nodes) c.addNode(new NodeResources(total, { nodeId: id, labels: labels ?? {} }));
  return c;
}

describe('Cluster: DEFAULT', () => {
  it('routes Ray’s example: CPU 11 → first, GPU 2 → second, {CPU 6, GPU 1} → third', () => {
    const c = cluster(['a', { CPU: 11 }], ['b', { CPU: 5, GPU: 5 }], ['c', { CPU: 10, GPU: 1 }]);
    expect(nodeOf(c.schedule({ CPU: 11 }))).toBe('a');
    expect(nodeOf(c.schedule({ CPU: 1, GPU: 2 }))).toBe('b');
    expect(nodeOf(c.schedule({ CPU: 6, GPU: 1 }))).toBe('c');
  });

  it('packs until critical utilisation reaches 0.5, then spreads', () => {
    const c = cluster(['a', { CPU: 4 }], ['b', { CPU: 4 }]);
    // after placement: a 0.25 → 0 (truncated), a 0.5 → 0.5 vs b 0.25 → 0
    const order = Array.from({ length: 6 }, () => nodeOf(c.schedule({ CPU: 1 })));
    expect(order).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    const c2 = cluster(['a', { CPU: 8 }], ['b', { CPU: 8 }]);
    const order2 = Array.from({ length: 5 }, () => nodeOf(c2.schedule({ CPU: 1 })));
    expect(order2).toEqual(['a', 'a', 'a', 'b', 'b']);
  });

  it('CPU-only tasks avoid GPU nodes when another node fits, and use them otherwise', () => {
    const c = cluster(['gpu', { CPU: 8, GPU: 1 }], ['cpu', { CPU: 2 }]);
    expect(nodeOf(c.schedule({ CPU: 1 }))).toBe('cpu');
    expect(nodeOf(c.schedule({ CPU: 1 }))).toBe('cpu');
    expect(nodeOf(c.schedule({ CPU: 1 }))).toBe('gpu');
    expect(nodeOf(c.schedule({ CPU: 1, GPU: 1 }))).toBe('gpu');
  });

  it('honours preferredNodeId when it is available and scores no worse', () => {
    const c = cluster(['a', { CPU: 4 }], ['b', { CPU: 4 }]);
    expect(nodeOf(c.schedule({ CPU: 1 }, 'DEFAULT', { preferredNodeId: 'b' }))).toBe('b');
    c.schedule({ CPU: 2 }, { type: 'nodeAffinity', nodeId: 'b' });
    // b would be at 1.0, a at 0.25 → a
    expect(nodeOf(c.schedule({ CPU: 1 }, 'DEFAULT', { preferredNodeId: 'b' }))).toBe('a');
  });

  it('custom resource 2.7 in use: 0.7 waits while 0.3 fits', () => {
    const c = cluster(['a', { CPU: 4, Custom: 3 }]);
    nodeOf(c.schedule({ Custom: 2.7 }));
    expect(c.schedule({ Custom: 0.7 })).toEqual({ status: 'waiting' });
    expect(nodeOf(c.schedule({ Custom: 0.3 }))).toBe('a');
  });

  it('six 0.5-GPU tasks on a 3-GPU node use each GPU exactly twice', () => {
    const c = cluster(['g', { CPU: 8, GPU: 3 }]);
    const ids = Array.from({ length: 6 }, () => {
      const r = c.schedule({ CPU: 1, GPU: 0.5 });
      if (r.status !== 'scheduled') throw new Error('not scheduled');
      return r.allocation.gpuIds[0];
    });
    expect([...ids].sort()).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('infeasible reasons name the missing resource and constraint', () => {
    const c = cluster(['a', { CPU: 4, GPU: 1 }], ['b', { CPU: 8 }]);
    c.getNode('a');
    const c2 = new Cluster()
      .addNode(new NodeResources({ CPU: 4, GPU: 1 }, { nodeId: 'x', acceleratorType: 'A100' }))
      .addNode(new NodeResources({ CPU: 4, GPU: 4 }, { nodeId: 'y', acceleratorType: 'H100' }));
    expect(c2.schedule({ CPU: 1, GPU: 2, 'accelerator_type:A100': 0.001 })).toEqual({
      status: 'infeasible',
      reason: 'needs GPU 2 with accelerator_type:A100; largest A100 node has GPU 1',
    });
    expect(c2.schedule({ CPU: 1, 'accelerator_type:V100': 0.001 })).toEqual({
      status: 'infeasible',
      reason: 'needs accelerator_type:V100; no node has it (accelerator types: A100, H100)',
    });
    expect(c.schedule({ CPU: 16 })).toEqual({ status: 'infeasible', reason: 'needs CPU 16; largest node has CPU 8' });
    expect(c.schedule({ TPU: 1 })).toEqual({ status: 'infeasible', reason: 'needs TPU 1; largest node has no TPU' });
    expect(c.schedule({ CPU: 6, GPU: 1 })).toEqual({
      status: 'infeasible',
      reason: 'needs {CPU: 6, GPU: 1}; no single node has all of it',
    });
    expect(new Cluster().schedule({ CPU: 1 })).toEqual({ status: 'infeasible', reason: 'the cluster has no nodes' });
    expect(c.feasibility({ CPU: 16 })).toBe('needs CPU 16; largest node has CPU 8');
    expect(c.feasibility({ CPU: 1 })).toBeNull();
    expect(c.feasibility({ CPU: 8 }, 'SPREAD')).toBeNull();
  });

  it('rejects an unknown strategy with code and path', () => {
    const c = cluster(['a', { CPU: 1 }]);
    try {
      c.schedule({ CPU: 1 }, 'PACK' as never);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TaskOptionsError);
      expect((e as TaskOptionsError).issues[0]).toMatchObject({
        path: ['schedulingStrategy'],
        code: 'invalid_value',
        message: `schedulingStrategy must be 'DEFAULT', 'SPREAD', or an object whose type is 'nodeAffinity', 'placementGroup' or 'nodeLabel' (got "PACK")`,
      });
    }
  });
});

describe('Cluster: SPREAD', () => {
  it('SPREAD over 4 idle nodes uses all 4', () => {
    const c = cluster(['a', { CPU: 8 }], ['b', { CPU: 8 }], ['c', { CPU: 8 }], ['d', { CPU: 8 }]);
    const used = Array.from({ length: 4 }, () => nodeOf(c.schedule({ CPU: 1 }, 'SPREAD')));
    expect(used).toEqual(['a', 'b', 'c', 'd']);
    expect(nodeOf(c.schedule({ CPU: 1 }, 'SPREAD'))).toBe('a');
  });

  it('skips nodes where the task does not fit, waits or fails like DEFAULT', () => {
    const c = cluster(['a', { CPU: 1 }], ['b', { CPU: 2 }]);
    expect(nodeOf(c.schedule({ CPU: 2 }, 'SPREAD'))).toBe('b');
    expect(nodeOf(c.schedule({ CPU: 1 }, 'SPREAD'))).toBe('a');
    expect(c.schedule({ CPU: 1 }, 'SPREAD')).toEqual({ status: 'waiting' });
    expect(c.schedule({ CPU: 3 }, 'SPREAD')).toEqual({
      status: 'infeasible',
      reason: 'needs CPU 3; largest node has CPU 2',
    });
  });
});

describe('Cluster: node affinity', () => {
  const setup = () => cluster(['a', { CPU: 2 }], ['b', { CPU: 2 }]);
  it('hard: runs on the node, waits when busy, infeasible when missing or too small', () => {
    const c = setup();
    const s = { type: 'nodeAffinity', nodeId: 'b' } as const;
    expect(nodeOf(c.schedule({ CPU: 2 }, s))).toBe('b');
    expect(c.schedule({ CPU: 1 }, s)).toEqual({ status: 'waiting' });
    expect(c.schedule({ CPU: 1 }, { type: 'nodeAffinity', nodeId: 'zz' })).toEqual({
      status: 'infeasible',
      reason: 'node zz (nodeAffinity) is not in the cluster',
    });
    expect(c.schedule({ CPU: 3 }, s)).toEqual({
      status: 'infeasible',
      reason: 'needs CPU 3; node b has CPU 2 (nodeAffinity)',
    });
  });
  it('failOnUnavailable: busy node → infeasible with a reason', () => {
    const c = setup();
    c.schedule({ CPU: 2 }, { type: 'nodeAffinity', nodeId: 'a' });
    expect(c.schedule({ CPU: 1 }, { type: 'nodeAffinity', nodeId: 'a', failOnUnavailable: true })).toEqual({
      status: 'infeasible',
      reason: 'node a is busy and nodeAffinity.failOnUnavailable is set',
    });
  });
  it('soft: falls back when missing; waits when busy unless spillOnUnavailable', () => {
    const c = setup();
    expect(nodeOf(c.schedule({ CPU: 1 }, { type: 'nodeAffinity', nodeId: 'zz', soft: true }))).toBe('a');
    c.schedule({ CPU: 2 }, { type: 'nodeAffinity', nodeId: 'b' });
    expect(c.schedule({ CPU: 1 }, { type: 'nodeAffinity', nodeId: 'b', soft: true })).toEqual({ status: 'waiting' });
    expect(
      nodeOf(c.schedule({ CPU: 1 }, { type: 'nodeAffinity', nodeId: 'b', soft: true, spillOnUnavailable: true })),
    ).toBe('a');
    // spill with nowhere else to go: wait for the target
    expect(c.schedule({ CPU: 2 }, { type: 'nodeAffinity', nodeId: 'b', soft: true, spillOnUnavailable: true })).toEqual(
      {
        status: 'waiting',
      },
    );
  });
});

describe('Cluster: labels', () => {
  const setup = () =>
    cluster(
      ['w1', { CPU: 2 }, { region: 'us-west1', tier: 'spot' }],
      ['w2', { CPU: 2 }, { region: 'us-west2' }],
      ['e1', { CPU: 2 }, { region: 'us-east1', tier: 'ondemand' }],
    );
  it('labelSelector grammar: value, !value, in(), !in()', () => {
    const c = setup();
    const on = (sel: Record<string, string>) => nodeOf(c.schedule({ CPU: 0.1 }, 'DEFAULT', { labelSelector: sel }));
    expect(on({ region: 'us-east1' })).toBe('e1');
    expect(on({ region: '!us-west1' })).toBe('w2');
    expect(on({ region: 'in(us-east1, us-west2)' })).toBe('w2');
    expect(on({ region: '!in(us-west1,us-west2)' })).toBe('e1');
    expect(on({ tier: '!spot' })).toBe('w2'); // absent label matches a negation
    expect(on({ tier: 'in(ondemand)' })).toBe('e1');
    expect(on({ zone: '' })).toBe('w1'); // '' matches an absent or empty label
    expect(c.schedule({ CPU: 1 }, 'DEFAULT', { labelSelector: { region: 'eu' } })).toEqual({
      status: 'infeasible',
      reason: 'no node matches labelSelector {region: "eu"}',
    });
    expect(c.schedule({ CPU: 3 }, 'SPREAD', { labelSelector: { region: '!eu' } })).toEqual({
      status: 'infeasible',
      reason: 'needs CPU 3 on nodes matching labelSelector {region: "!eu"}; largest node has CPU 2',
    });
  });
  it('rejects malformed selector values with code and path', () => {
    const c = setup();
    try {
      c.schedule({ CPU: 1 }, 'DEFAULT', { labelSelector: { region: 'in()' } });
      expect.unreachable();
    } catch (e) {
      expect((e as TaskOptionsError).issues[0]).toEqual({
        path: ['labelSelector', 'region'],
        code: 'invalid_value',
        message: `labelSelector.region must be 'value', '!value', 'in(a,b)' or '!in(a,b)' with non-empty values, got "in()"`,
      });
    }
    expect(() => c.schedule({ CPU: 1 }, 'DEFAULT', { labelSelector: { region: 1 as unknown as string } })).toThrow(
      'labelSelector.region must be a string',
    );
  });
  it('nodeLabel strategy: hard filters, soft prefers', () => {
    const c = setup();
    const s = {
      type: 'nodeLabel',
      hard: { region: { operator: 'in', values: ['us-west1', 'us-east1'] } },
      soft: { tier: { operator: 'in', values: ['ondemand'] } },
    } satisfies NodeLabelStrategy;
    expect(nodeOf(c.schedule({ CPU: 2 }, s))).toBe('e1');
    expect(nodeOf(c.schedule({ CPU: 2 }, s))).toBe('w1');
    expect(c.schedule({ CPU: 1 }, s)).toEqual({ status: 'waiting' });
    expect(nodeOf(c.schedule({ CPU: 1 }, { type: 'nodeLabel', hard: { tier: { operator: 'doesNotExist' } } }))).toBe(
      'w2',
    );
    expect(c.schedule({ CPU: 1 }, { type: 'nodeLabel', hard: { zone: { operator: 'exists' } } })).toEqual({
      status: 'infeasible',
      reason: 'no node matches nodeLabel hard constraints {zone exists}',
    });
    expect(
      c.schedule({ CPU: 4 }, { type: 'nodeLabel', hard: { region: { operator: 'notIn', values: ['x'] } } }),
    ).toEqual({
      status: 'infeasible',
      reason: 'needs CPU 4 on nodes matching nodeLabel {region notIn (x)}; largest node has CPU 2',
    });
  });

  it('a malformed nodeLabel strategy is a TaskOptionsError naming the field, never an internal TypeError', () => {
    const c = setup();
    const bad = (hard: unknown) => {
      try {
        c.schedule({ CPU: 1 }, { type: 'nodeLabel', hard } as never);
      } catch (e) {
        expect(e).toBeInstanceOf(TaskOptionsError);
        return (e as TaskOptionsError).issues[0]!;
      }
      throw new Error('expected a TaskOptionsError');
    };
    expect(bad({ region: null })).toEqual({
      path: ['schedulingStrategy', 'hard', 'region'],
      code: 'invalid_type',
      message:
        "schedulingStrategy.hard.region must be a match expression { operator: 'in', 'notIn', 'exists' or 'doesNotExist', values? } (got null)",
    });
    expect(bad({ region: { operator: 'in' } })).toEqual({
      path: ['schedulingStrategy', 'hard', 'region', 'values'],
      code: 'invalid_type',
      message: 'schedulingStrategy.hard.region.values must be a non-empty array of label values (got undefined)',
    });
    expect(bad(null).path).toEqual(['schedulingStrategy', 'hard']);
    expect(() => c.feasibility({ CPU: 1 }, { type: 'nodeLabel', hard: { r: null } } as never)).toThrow(
      TaskOptionsError,
    );
  });

  it("nodeLabel values must be an array of strings, matched exactly ('abc' does not match 'a' or 'b')", () => {
    const c = cluster(['x', { CPU: 2 }, { region: 'a' }], ['y', { CPU: 2 }, { region: 'abc' }]);
    expect(() =>
      c.schedule({ CPU: 1 }, { type: 'nodeLabel', hard: { region: { operator: 'in', values: 'abc' } } } as never),
    ).toThrow(
      expect.objectContaining({
        path: ['schedulingStrategy', 'hard', 'region', 'values'],
        code: 'invalid_type',
      }),
    );
    const exact = (values: string[]) =>
      c.schedule({ CPU: 1 }, { type: 'nodeLabel', hard: { region: { operator: 'in', values } } });
    expect(nodeOf(exact(['abc']))).toBe('y');
    expect(exact(['ab'])).toMatchObject({ status: 'infeasible' });
    expect(
      nodeOf(c.schedule({ CPU: 1 }, { type: 'nodeLabel', hard: { region: { operator: 'notIn', values: ['abc'] } } })),
    ).toBe('x');
  });
});

describe('Cluster: membership and release', () => {
  it('removeNode reports live allocations (revoked: release is then a no-op)', () => {
    const c = cluster(['a', { CPU: 2 }], ['b', { CPU: 2 }]);
    const r1 = c.schedule({ CPU: 1 }, { type: 'nodeAffinity', nodeId: 'a' });
    const r2 = c.schedule({ CPU: 1 }, { type: 'nodeAffinity', nodeId: 'a' });
    const r3 = c.schedule({ CPU: 1 }, { type: 'nodeAffinity', nodeId: 'b' });
    if (r1.status !== 'scheduled' || r2.status !== 'scheduled' || r3.status !== 'scheduled') throw new Error();
    c.release(r2.allocation);
    const lost = c.removeNode('a');
    expect(lost).toEqual([r1.allocation]);
    expect(r1.allocation.live).toBe(false);
    expect(c.release(r1.allocation)).toBe(false);
    expect(c.nodes.map((n) => n.nodeId)).toEqual(['b']);
    expect(c.schedule({ CPU: 1 }, { type: 'nodeAffinity', nodeId: 'a' })).toMatchObject({ status: 'infeasible' });
    expect(c.release(r3.allocation)).toBe(true);
    expect(() => c.release(r3.allocation)).toThrow(AllocationError);
    // the scheduler's index follows the removal
    expect(nodeOf(c.schedule({ CPU: 2 }))).toBe('b');
    expect(c.schedule({ CPU: 1 })).toEqual({ status: 'waiting' });
    c.addNode(new NodeResources({ CPU: 4, GPU: 1 }, { nodeId: 'g' }));
    expect(nodeOf(c.schedule({ CPU: 1 }))).toBe('g');
    expect(() => c.removeNode('a')).toThrow(new ClusterError('unknown_node', 'node a is not in the cluster'));
  });

  it('rejects duplicate nodes, nodes of another cluster, foreign allocations', () => {
    const n = new NodeResources({ CPU: 1 }, { nodeId: 'n' });
    const c = new Cluster().addNode(n);
    expect(() => c.addNode(new NodeResources({ CPU: 1 }, { nodeId: 'n' }))).toThrow('node n is already in the cluster');
    expect(() => new Cluster().addNode(n)).toThrow('node n already belongs to another cluster');
    const other = new NodeResources({ CPU: 1 }, { nodeId: 'o' });
    const a = other.tryAllocate({ CPU: 1 })!;
    expect(() => c.release(a)).toThrow('allocation belongs to node o, which is not in this cluster');
    try {
      c.addNode(n);
    } catch (e) {
      expect((e as ClusterError).code).toBe('duplicate_node');
    }
  });
});

import { describe, expect, it } from 'vitest';
import { Cluster, NodeResources, compileDemand } from '@taskfit/core';
import { Debt, Ledger } from './ledger.js';

const node = { nodeId: 'n', labels: {} };
const cpu = (n: number) => compileDemand({ CPU: n });

describe('Ledger', () => {
  it('a provisional ledger decides CPU-only default tasks and leaves every other request waiting', () => {
    const l = new Ledger({ CPU: 2 }, { ...node, provisional: true });
    expect(l.schedule(cpu(1), 'DEFAULT', undefined).status).toBe('scheduled');
    expect(l.schedule(cpu(3), 'DEFAULT', undefined).status).toBe('infeasible');
    expect(l.schedule(compileDemand({ CPU: 1, GPU: 1 }), 'DEFAULT', undefined).status).toBe('waiting');
    expect(l.schedule(cpu(1), 'SPREAD', undefined).status).toBe('waiting');
    expect(l.schedule(cpu(1), 'DEFAULT', { zone: 'a' }).status).toBe('waiting');
  });

  it('adopting holdings that no longer fit makes a debt admission respects until it is paid', () => {
    const provisional = new Ledger({ CPU: 4 }, { ...node, provisional: true });
    const held = [1, 2, 3].map(() => {
      const r = provisional.schedule(cpu(1), 'DEFAULT', undefined);
      if (r.status !== 'scheduled') throw new Error('not scheduled');
      return r.allocation;
    });
    const real = new Ledger({ CPU: 2 }, node);
    const moved = real.adopt(held);
    expect(moved.filter((h) => h instanceof Debt)).toHaveLength(1);
    expect(real.available.CPU).toBe(0);
    expect(real.schedule(cpu(1), 'DEFAULT', undefined).status).toBe('waiting');
    expect(real.schedule(cpu(3), 'DEFAULT', undefined).status).toBe('infeasible');
    real.release(moved[2]!); // the debt
    expect(real.available.CPU).toBe(0);
    real.release(moved[0]!);
    expect(real.available.CPU).toBe(1);
    expect(real.schedule(cpu(1), 'DEFAULT', undefined).status).toBe('scheduled');
  });

  it('knows what placement groups hold: a demand that fits only without them', () => {
    const l = new Ledger({ CPU: 2, GPU: 1 }, node);
    const pg = l.createPlacementGroup({ bundles: [{ GPU: 0.5 }], strategy: 'PACK' });
    expect(l.fitsOutsideGroups({ CPU: 2, GPU: 0.5 })).toBe(true);
    expect(l.fitsOutsideGroups({ CPU: 2, GPU: 1 })).toBe(false);
    l.removePlacementGroup(pg);
    expect(l.fitsOutsideGroups({ CPU: 2, GPU: 1 })).toBe(true);
  });

  it("decides DEFAULT placement as the node's cluster does: GPUs, placement groups, waiting, infeasible", () => {
    const total = { CPU: 2, GPU: 2, memory: 4e9, acc: 1 };
    const l = new Ledger(total, node);
    // The reference: the same node in a one-node core Cluster, asked through Cluster.schedule.
    const ref = new Cluster();
    ref.addNode(new NodeResources(total, { nodeId: 'n' }));
    const g = { bundles: [{ GPU: 0.5, CPU: 1 }], strategy: 'PACK' } as const;
    l.createPlacementGroup(g);
    ref.createPlacementGroup(g);
    const demands = [
      { CPU: 1, GPU: 0.5 },
      { CPU: 0.5, GPU: 1 },
      { CPU: 1, memory: 1e9, acc: 1 },
      { GPU: 0.5 },
      { CPU: 1 },
      { CPU: 3 },
      { GPU: 3 },
      { other: 1 },
      { acc: 1 },
    ];
    const shape = (r: ReturnType<Ledger['schedule']>) =>
      r.status === 'scheduled'
        ? { status: r.status, nodeId: r.nodeId, resources: r.allocation.resources, gpuIds: r.allocation.gpuIds }
        : r;
    for (const d of demands) {
      const got = l.schedule(compileDemand(d), 'DEFAULT', undefined);
      const want = ref.schedule(compileDemand(d), 'DEFAULT');
      expect(shape(got), JSON.stringify(d)).toEqual(shape(want));
    }
  });
});

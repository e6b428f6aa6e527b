import { describe, expect, it } from 'vitest';
import { compileDemand } from '@taskfit/core';
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
});

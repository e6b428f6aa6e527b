import { describe, expect, it } from 'vitest';
import { Cluster } from './cluster.js';
import type { Allocation } from './allocation.js';
import { NodeResources } from './node-resources.js';

/** mulberry32: a small seeded PRNG so the soak is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRACTIONS = [0.1, 0.25, 0.3, 0.33, 0.5, 0.57, 0.7, 0.0001, 0.9999];

describe('randomized soak', () => {
  it('100,000 allocate/release ops on 64 nodes never exceed capacity and end with available == total', () => {
    const rnd = prng(0xc0ffee);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const c = new Cluster();
    for (let i = 0; i < 64; i++) {
      const total: Record<string, number> = { CPU: 1 + (i % 16), memory: (1 + (i % 4)) * 2 ** 30 };
      if (i % 3 === 0) total.GPU = 1 + (i % 8);
      if (i % 5 === 0) total.Custom = 3;
      c.addNode(new NodeResources(total, { nodeId: `n${i}` }));
    }
    const held: Allocation[] = [];
    // shadow accounting in integer units per node and resource, independent of NodeResources
    const shadow = new Map<string, Map<string, number>>();
    const add = (a: Allocation, sign: number) => {
      let m = shadow.get(a.nodeId);
      if (m === undefined) shadow.set(a.nodeId, (m = new Map()));
      for (const [k, q] of Object.entries(a.resources)) {
        const u = k === 'memory' ? q : Math.round(q * 10000);
        m.set(k, (m.get(k) ?? 0) + sign * u);
      }
    };
    // plain comparisons (expect() per op is too slow); throws with the first violation
    const check = (nodeId: string) => {
      const n = c.getNode(nodeId)!;
      const m = shadow.get(nodeId) ?? new Map<string, number>();
      const avail = n.available;
      for (const [k, t] of Object.entries(n.total)) {
        const used = m.get(k) ?? 0;
        const scale = k === 'memory' ? 1 : 10000;
        const want = (Math.round(t * scale) - used) / scale;
        if (avail[k] !== want || want < 0)
          throw new Error(`node ${nodeId} ${k}: available ${avail[k]}, expected ${want}`);
      }
      // no device is ever over-committed
      const perDevice = new Map<number, number>();
      for (const a of n.allocations())
        for (const s of a.instances.GPU ?? [])
          perDevice.set(s.index, (perDevice.get(s.index) ?? 0) + Math.round(s.amount * 10000));
      for (const [d, u] of perDevice)
        if (u > 10000) throw new Error(`node ${nodeId} GPU ${d} over-committed: ${u} units`);
    };
    let scheduled = 0;
    for (let op = 0; op < 100_000; op++) {
      if (held.length > 0 && (rnd() < 0.45 || held.length > 400)) {
        const i = Math.floor(rnd() * held.length);
        const a = held[i]!;
        held[i] = held[held.length - 1]!;
        held.pop();
        if (!c.release(a)) throw new Error('release returned false');
        add(a, -1);
        check(a.nodeId);
        continue;
      }
      const demand: Record<string, number> = { CPU: pick(FRACTIONS) * (rnd() < 0.2 ? 2 : 1) };
      const g = rnd();
      if (g < 0.15) demand.GPU = pick(FRACTIONS);
      else if (g < 0.2) demand.GPU = pick([1, 2, 3]);
      if (rnd() < 0.2) demand.Custom = pick(FRACTIONS);
      if (rnd() < 0.2) demand.memory = Math.floor(rnd() * 2 ** 28);
      const r = c.schedule(demand, rnd() < 0.3 ? 'SPREAD' : 'DEFAULT');
      if (r.status === 'scheduled') {
        scheduled++;
        held.push(r.allocation);
        add(r.allocation, 1);
        check(r.nodeId);
      } else if (r.status === 'infeasible') throw new Error(`unexpected infeasible: ${r.reason}`);
    }
    for (const a of held) c.release(a);
    expect(scheduled).toBeGreaterThan(40_000);
    for (const n of c.nodes) {
      expect(n.available).toEqual(n.total);
      expect(n.allocationCount).toBe(0);
    }
  }, 30_000);
});

describe('DEFAULT index', () => {
  it('the indexed DEFAULT path picks the same node as the linear scan (20,000 random decisions)', () => {
    const rnd = prng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const make = () => {
      const c = new Cluster();
      for (let i = 0; i < 300; i++) {
        const total: Record<string, number> = { CPU: [2, 4, 8, 3][i % 4]!, memory: [4, 8, 16][i % 3]! * 2 ** 20 };
        if (i % 5 === 0) total.GPU = 1 + (i % 4);
        if (i % 7 === 0) total.object_store_memory = 2 ** 20;
        if (i % 3 === 0) total.licence = 2;
        if (i % 6 === 0) total.seat = 1;
        c.addNode(new NodeResources(total, { nodeId: `n${i}` }));
      }
      return c;
    };
    const fast = make();
    const slow = make();
    const held: [Allocation, Allocation][] = [];
    let compared = 0;
    for (let op = 0; op < 20_000; op++) {
      if (held.length > 0 && (rnd() < 0.4 || held.length > 900)) {
        const i = Math.floor(rnd() * held.length);
        const [a, b] = held[i]!;
        held[i] = held[held.length - 1]!;
        held.pop();
        fast.release(a);
        slow.release(b);
        continue;
      }
      const demand: Record<string, number> = { CPU: pick([0.5, 1, 1, 2, 0.25, 3]) };
      if (rnd() < 0.2) demand.GPU = pick([0.5, 1, 0.25, 2]);
      if (rnd() < 0.3) demand.memory = Math.floor(rnd() * 2 ** 22);
      if (rnd() < 0.05) demand.object_store_memory = 2 ** 18;
      if (rnd() < 0.15) demand.licence = pick([0.5, 1]);
      if (rnd() < 0.05) demand.seat = 0.5;
      const pref = rnd() < 0.1 ? { preferredNodeId: `n${Math.floor(rnd() * 300)}` } : {};
      const a = fast.schedule(demand, 'DEFAULT', pref);
      const b = slow.schedule(demand, 'DEFAULT', { ...pref, labelSelector: {} }); // forces the linear scan
      if (a.status !== b.status || (a.status === 'scheduled' && b.status === 'scheduled' && a.nodeId !== b.nodeId)) {
        throw new Error(
          `op ${op}: indexed ${JSON.stringify(a)} vs scan ${JSON.stringify(b)} for ${JSON.stringify(demand)}`,
        );
      }
      if (a.status === 'scheduled' && b.status === 'scheduled') {
        held.push([a.allocation, b.allocation]);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(5000);
    // the run must have reached the loaded regime (every node past the 0.5 threshold at some point)
    expect(fast.nodes.filter((n) => n.available.CPU! <= n.total.CPU! / 2).length).toBeGreaterThan(100);
  });
});

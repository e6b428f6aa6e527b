import { describe, expect, it } from 'vitest';
import { NodeResources, compileDemand } from '@taskfit/core';
import { LedgerGate } from './ledger-gate.js';

const settled = () => new Promise((r) => setTimeout(r, 0));
const half = compileDemand({ CPU: 1, GPU: 0.5 });
const whole = compileDemand({ CPU: 1, GPU: 1 });

describe('LedgerGate', () => {
  it('a waiting task may be passed maxBypass times, then what it needs is held back for it', async () => {
    const gate = new LedgerGate(new NodeResources({ CPU: 4, GPU: 1 }), 1);
    const h1 = gate.tryAcquire(half)!;
    const order: string[] = [];
    void gate.acquire(whole).then(() => order.push('whole'));
    await settled();
    expect(gate.waiting).toBe(1);
    // One half-GPU task may fill the idle half (the whole-GPU task waits anyway) …
    expect(gate.admits(half)).toBe(true);
    const h2 = gate.tryAcquire(half)!;
    expect(h2).not.toBeNull();
    gate.release(h1);
    // … but no second one: the freed half is held for the whole-GPU task.
    expect(gate.admits(half)).toBe(false);
    expect(gate.tryAcquire(half)).toBeNull();
    // CPU-only work never passes it while CPUs are plenty.
    expect(gate.admits(compileDemand({ CPU: 1 }))).toBe(true);
    gate.release(h2);
    await settled();
    expect(order).toEqual(['whole']);
    expect(gate.waiting).toBe(0);
  });

  it('maxBypass 0 is strict arrival order for the resources a waiter needs', async () => {
    const gate = new LedgerGate(new NodeResources({ CPU: 4, GPU: 1 }), 0);
    const h1 = gate.tryAcquire(half)!;
    const order: string[] = [];
    void gate.acquire(whole).then(() => order.push('whole'));
    void gate.acquire(half).then(() => order.push('half'));
    await settled();
    expect(order).toEqual([]);
    gate.release(h1);
    await settled();
    expect(order).toEqual(['whole']);
  });

  it('rejects with the abort reason, drops the waiter and admits the next', async () => {
    const gate = new LedgerGate(new NodeResources({ CPU: 1 }), 0);
    const held = gate.tryAcquire(compileDemand({ CPU: 1 }))!;
    const ac = new AbortController();
    const p = gate.acquire(compileDemand({ CPU: 1 }), ac.signal);
    const reason = new Error('stop');
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
    expect(gate.waiting).toBe(0);
    gate.release(held);
    expect(gate.node.available['CPU']).toBe(1);
  });
});

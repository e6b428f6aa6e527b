import { describe, expect, it } from 'vitest';
import { NodeResources } from '@taskfit/core';
import { LedgerGate } from './ledger-gate.js';
import { ClassSlots } from './class-slots.js';

const settled = () => new Promise((r) => setTimeout(r, 0));

describe('LedgerGate', () => {
  it('serves waiters in order; a later waiter may not take what an earlier one is short of', async () => {
    const gate = new LedgerGate(new NodeResources({ CPU: 2, GPU: 1 }));
    const half = gate.tryAcquire({ GPU: 0.5 })!;
    const order: string[] = [];
    void gate.acquire({ CPU: 1, GPU: 1 }).then(() => order.push('whole'));
    void gate.acquire({ GPU: 0.5 }).then(() => order.push('half'));
    void gate.acquire({ CPU: 1 }).then(() => order.push('cpu'));
    await settled();
    // The whole-GPU waiter is short of GPU: the 0.5 waiter may not overtake it; the CPU one may.
    expect(order).toEqual(['cpu']);
    expect(gate.tryAcquire({ GPU: 0.5 })).toBeNull();
    gate.release(half);
    await settled();
    expect(order).toEqual(['cpu', 'whole']);
  });

  it('rejects with the abort reason and drops the waiter', async () => {
    const gate = new LedgerGate(new NodeResources({ CPU: 1 }));
    const held = gate.tryAcquire({ CPU: 1 })!;
    const ac = new AbortController();
    const p = gate.acquire({ CPU: 1 }, ac.signal);
    const reason = new Error('stop');
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
    gate.release(held);
    expect(gate.node.available['CPU']).toBe(1);
  });
});

describe('ClassSlots', () => {
  it('holds at most one idle reservation per poller and hands allocations to activities exactly once', async () => {
    const node = new NodeResources({ CPU: 4, GPU: 1 });
    const slots = new ClassSlots(new LedgerGate(node), { GPU: 0.5 }, 1);
    const sup = slots.supplier();
    const ac = new AbortController();
    const p1 = await sup.reserveSlot({} as never, ac.signal);
    let second: unknown;
    const pending = sup.reserveSlot({} as never, ac.signal).then((p) => (second = p));
    await settled();
    expect(second).toBeUndefined(); // one idle reservation per poller
    expect(node.available['GPU']).toBe(0.5);
    sup.markSlotUsed({ slotInfo: { type: 'activity', activityType: 'a' }, permit: p1 });
    await pending;
    expect(node.available['GPU']).toBe(0);
    const a1 = await slots.claim();
    expect(a1.resources).toEqual({ GPU: 0.5 });
    expect(slots.inUse()).toEqual([a1]);
    slots.done(a1);
    sup.releaseSlot({ slotInfo: { type: 'activity', activityType: 'a' }, permit: p1 });
    sup.releaseSlot({ permit: second as never });
    expect(node.available).toEqual(node.total);
  });
});

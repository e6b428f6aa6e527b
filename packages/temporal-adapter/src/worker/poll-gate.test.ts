import { describe, expect, it } from 'vitest';
import { NodeResources, compileDemand } from '@taskfit/core';
import type { SlotPermit } from '@temporalio/worker';
import { LedgerGate } from './ledger-gate.js';
import { PollGate, STAGGER_MS } from './poll-gate.js';

const settled = () => new Promise((r) => setTimeout(r, 0));
const half = compileDemand({ CPU: 1, GPU: 0.5 });
const whole = compileDemand({ CPU: 1, GPU: 1 });

describe('PollGate', () => {
  const ctx = {} as never;
  const used = (permit: SlotPermit) => ({ slotInfo: { type: 'activity' as const, activityType: 'a' }, permit });

  it('an open poll reserves nothing; competing classes open polls in turn; more polls only while all fit at once', async () => {
    const node = new NodeResources({ CPU: 4, GPU: 1 });
    let clock = 0;
    const polls = new PollGate(new LedgerGate(node, 1), 10, () => clock);
    const halves = polls.add('q@half', half.resources);
    const wholes = polls.add('q@whole', whole.resources);
    const h = halves.supplier();
    const w = wholes.supplier();
    const ac = new AbortController();
    const hp1 = await h.reserveSlot(ctx, ac.signal);
    expect(node.available).toEqual(node.total); // nothing reserved by an open poll
    // The whole-GPU class competes with the fresh half-GPU poll: it waits until that poll has
    // stayed empty for STAGGER_MS (its queue is empty), then polls too.
    let wp1: SlotPermit | undefined;
    const whole1 = w.reserveSlot(ctx, ac.signal).then((p) => (wp1 = p));
    await settled();
    expect(wp1).toBeUndefined();
    clock += STAGGER_MS;
    polls.pump();
    await whole1;
    // A second half-GPU poll would not fit together with the open ones.
    let hp2: SlotPermit | undefined;
    const half2 = h.reserveSlot(ctx, ac.signal).then((p) => (hp2 = p));
    await settled();
    expect(hp2).toBeUndefined();
    expect(h.tryReserveSlot(ctx)).toBeNull();
    // The whole-GPU poll returns empty (long poll expired): now two halves fit at once.
    w.releaseSlot({ permit: wp1! });
    await half2;
    expect(halves.idle).toBe(2);
    // Both deliver. While they are on their way in, no class may poll what could not run with them.
    h.markSlotUsed(used(hp1));
    h.markSlotUsed(used(hp2!));
    expect(halves.arriving).toBe(2);
    clock += STAGGER_MS;
    expect(w.tryReserveSlot(ctx)).toBeNull();
    halves.claim();
    halves.claim();
    const a1 = polls.gate.tryAcquire(half)!;
    const a2 = polls.gate.tryAcquire(half)!;
    expect(node.available['GPU']).toBe(0);
    expect(w.tryReserveSlot(ctx)).toBeNull();
    polls.gate.release(a1);
    polls.gate.release(a2);
    h.releaseSlot(used(hp1));
    h.releaseSlot(used(hp2!));
    // The GPU is free again: the whole-GPU class may poll.
    expect(w.tryReserveSlot(ctx)).not.toBeNull();
    ac.abort();
  });

  it('a class refused for a fresh poll that turns stale during the same pass still gets its wake-up', async () => {
    // The clock moves on at every reading (as real time does between two reads): the pass that
    // refuses the whole-GPU class reads "fresh" just before the half-GPU poll's STAGGER_MS end.
    // Planning the wake-up with a later reading ("stale") planned none, and the whole-GPU class
    // waited until the half-GPU poll's long poll expired (a minute: 50–55 s seen in the suite).
    const node = new NodeResources({ CPU: 4, GPU: 1 });
    let clock = 0;
    let step = 0;
    const polls = new PollGate(new LedgerGate(node, 1), 10, () => (clock += step));
    const h = polls.add('q@half', half.resources).supplier();
    const w = polls.add('q@whole', whole.resources).supplier();
    const ac = new AbortController();
    await h.reserveSlot(ctx, ac.signal); // opened at 0
    let wp: SlotPermit | undefined;
    const whole1 = w.reserveSlot(ctx, ac.signal).then((p) => (wp = p));
    await settled();
    expect(wp).toBeUndefined();
    // The wake-up planned for the poll's STAGGER_MS end fires with the clock just short of it.
    clock = STAGGER_MS - 0.5;
    step = 0.3;
    await Promise.race([whole1, new Promise((r) => setTimeout(r, 500))]);
    expect(wp).toBeDefined();
    ac.abort();
  });

  it('a class that does not fit does not poll; it polls as soon as it fits', async () => {
    const node = new NodeResources({ CPU: 4, GPU: 1 });
    const polls = new PollGate(new LedgerGate(node, 1), 10, () => 0);
    const w = polls.add('q@whole', whole.resources).supplier();
    const held = polls.gate.tryAcquire(half)!;
    let permit: SlotPermit | undefined;
    const ac = new AbortController();
    const pending = w.reserveSlot(ctx, ac.signal).then((p) => (permit = p));
    await settled();
    expect(permit).toBeUndefined();
    polls.gate.release(held);
    await pending;
    expect(permit).toBeDefined();
  });

  it("a wrapper's claim that comes before its slot's markSlotUsed still counts once", async () => {
    const polls = new PollGate(new LedgerGate(new NodeResources({ CPU: 2 }), 0), 2, () => 0);
    const q = polls.add('q', { CPU: 1 });
    const s = q.supplier();
    const ac = new AbortController();
    const p = await s.reserveSlot(ctx, ac.signal);
    q.claim(); // the activity reached the wrapper first
    s.markSlotUsed(used(p));
    expect(q.arriving).toBe(0);
    s.releaseSlot(used(p));
    expect([q.used, q.claimed, q.arriving]).toEqual([0, 0, 0]);
  });

  it('a reservation aborted by sdk-core rejects with the signal reason and is forgotten', async () => {
    const polls = new PollGate(new LedgerGate(new NodeResources({ CPU: 1 }), 0), 1);
    const q = polls.add('q', { CPU: 1 });
    const s = q.supplier();
    const ac = new AbortController();
    await s.reserveSlot(ctx, ac.signal);
    const p = s.reserveSlot(ctx, ac.signal); // pollers: 1 → waits
    ac.abort(new Error('shutdown'));
    await expect(p).rejects.toThrow('shutdown');
    expect(q.requests).toHaveLength(0);
  });
});

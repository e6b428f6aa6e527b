import { describe, expect, it } from 'vitest';
import { NodeResources, compileDemand } from '@taskfit/core';
import type { SlotPermit } from '@temporalio/worker';
import { LedgerGate } from './ledger-gate.js';
import { PollGate, STAGGER_MS, soleClassSlots } from './poll-gate.js';

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
    const h = halves.customSupplier();
    const w = wholes.customSupplier();
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
    const h = polls.add('q@half', half.resources).customSupplier();
    const w = polls.add('q@whole', whole.resources).customSupplier();
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
    const w = polls.add('q@whole', whole.resources).customSupplier();
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
    const s = q.customSupplier();
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
    const s = q.customSupplier();
    const ac = new AbortController();
    await s.reserveSlot(ctx, ac.signal);
    const p = s.reserveSlot(ctx, ac.signal); // pollers: 1 → waits
    ac.abort(new Error('shutdown'));
    await expect(p).rejects.toThrow('shutdown');
    expect(q.requests).toHaveLength(0);
  });

  it('a reservation granted at once leaves no abort listener on the signal; one that waits removes its own', async () => {
    const polls = new PollGate(new LedgerGate(new NodeResources({ CPU: 1 }), 0), 1);
    const s = polls.add('q', { CPU: 1 }).customSupplier();
    const signal = new AbortController().signal;
    const added: string[] = [];
    const removed: string[] = [];
    signal.addEventListener = ((type: string) => added.push(type)) as never;
    signal.removeEventListener = ((type: string) => removed.push(type)) as never;
    const first = await s.reserveSlot(ctx, signal);
    expect(added).toEqual([]);
    const second = s.reserveSlot(ctx, signal); // pollers: 1 → waits
    expect(added).toEqual(['abort']);
    s.releaseSlot({ permit: first });
    await second;
    expect(removed).toEqual(['abort']);
  });
});

describe('soleClassSlots', () => {
  it('how many tasks of the class fit the machine, over every resource it needs', () => {
    expect(soleClassSlots({ CPU: 200 }, { CPU: 1 })).toBe(200);
    expect(soleClassSlots({ CPU: 8, GPU: 2 }, { CPU: 1, GPU: 0.5 })).toBe(4);
    expect(soleClassSlots({ CPU: 2, GPU: 1 }, { CPU: 1, GPU: 0.1 + 0.2 })).toBe(2); // float noise
    expect(soleClassSlots({ CPU: 0.3 }, { CPU: 0.1 })).toBe(3);
  });

  it("equals how many tasks of the class the machine's ledger admits at once (fractions of a GPU fit per device)", () => {
    const cases: [Record<string, number>, Record<string, number>][] = [
      [
        { CPU: 8, GPU: 2 },
        { CPU: 1, GPU: 0.4 },
      ],
      [
        { CPU: 8, GPU: 3 },
        { CPU: 0.5, GPU: 0.3 },
      ],
      [
        { CPU: 16, GPU: 2 },
        { CPU: 1, GPU: 0.3333 },
      ],
      [
        { CPU: 8, GPU: 4 },
        { CPU: 1, GPU: 2 },
      ],
      [
        { CPU: 3, GPU: 8, memory: 4e9 },
        { CPU: 0.5, GPU: 0.25, memory: 1e9 },
      ],
    ];
    for (const [total, demand] of cases) {
      const node = new NodeResources(total);
      let admitted = 0;
      while (node.tryAllocate(demand) !== null) admitted++;
      expect(soleClassSlots(total, compileDemand(demand).resources), JSON.stringify([total, demand])).toBe(admitted);
    }
  });

  it('none for a demand of nothing or one that fits too many times (the custom supplier then)', () => {
    expect(soleClassSlots({ CPU: 4 }, {})).toBeUndefined();
    expect(soleClassSlots({ CPU: 4 }, { CPU: 0 })).toBeUndefined();
    expect(soleClassSlots({ memory: 64e9 }, { memory: 1 })).toBeUndefined();
  });

  it('a queue with fixed slots gives sdk-core a fixed-size supplier and reports a poll per free slot while it runs, up to pollers', () => {
    const polls = new PollGate(new LedgerGate(new NodeResources({ CPU: 12 }), 0), 10);
    const q = polls.add('q', { CPU: 1 }, 12);
    expect(q.supplier()).toEqual({ type: 'fixed-size', numSlots: 12 });
    expect(polls.openPolls).toBe(0); // not running yet
    q.polling = true;
    expect(polls.openPolls).toBe(10);
    for (let i = 0; i < 5; i++) q.claim();
    expect(polls.openPolls).toBe(7);
    for (let i = 0; i < 5; i++) q.finish();
    expect(polls.openPolls).toBe(10);
    expect(q.arriving).toBe(0);
  });
});

/**
 * Slots of one resource class (one Temporal Worker, one task queue): a `CustomSlotSupplier`
 * that reserves the class's demand from the shared {@link LedgerGate} before each poll, and the
 * hand-over of allocations to the activities that run in those slots.
 *
 * Temporal does not tell an activity which permit it runs under (`markSlotUsed` sees only the
 * activity type), so allocations are matched to activities here: a used slot's allocation is
 * claimed by the next activity that starts on this worker, and when Temporal releases a used
 * slot, the allocation given back is one whose activity has finished. All allocations of a
 * class have the same shape, so the ledger's totals are exact either way, and no allocation
 * (GPU ids included) is returned while its activity still runs.
 *
 * sdk-core asks for the next slot while a poll is still in flight, so a class would hold more
 * idle reservations than it has pollers; here a class holds at most `maxIdle` (its poller
 * count) reservations that no task uses yet, and further requests wait at the class before they
 * may take anything from the ledger.
 */
import type { Allocation } from '@taskfit/core';
import type { ActivitySlotInfo, CustomSlotSupplier, SlotPermit } from '@temporalio/worker';
import type { LedgerGate } from './ledger-gate.js';

interface Permit extends SlotPermit {
  allocation: Allocation;
}

/** @internal */
export class ClassSlots {
  readonly demand: Readonly<Record<string, number>>;
  private readonly gate: LedgerGate;
  /** Allocations of used slots not yet claimed by an activity. */
  private readonly unclaimed: Allocation[] = [];
  private readonly claimWaiters: ((a: Allocation) => void)[] = [];
  /** Allocations claimed by a running activity. */
  private readonly running = new Set<Allocation>();
  /** Allocations whose activity ended, waiting for Temporal to release a used slot. */
  private readonly finished: Allocation[] = [];
  /** Allocations reserved by pollers that have not received a task. */
  private readonly idle = new Set<Allocation>();

  private readonly maxIdle: number;
  /** Reservations that are idle or being acquired from the gate. */
  private pending = 0;
  private readonly turnWaiters: (() => void)[] = [];

  constructor(gate: LedgerGate, demand: Readonly<Record<string, number>>, maxIdle: number) {
    this.gate = gate;
    this.demand = demand;
    this.maxIdle = maxIdle;
  }

  /** Waits until this class may hold one more unused reservation. */
  private async turn(signal: AbortSignal): Promise<void> {
    while (this.pending >= this.maxIdle) {
      if (signal.aborted) throw signal.reason;
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const i = this.turnWaiters.indexOf(wake);
          if (i >= 0) this.turnWaiters.splice(i, 1);
          reject(signal.reason);
        };
        const wake = (): void => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        this.turnWaiters.push(wake);
      });
    }
    this.pending++;
  }

  /** One unused reservation ended (used by a task, released idle, or its acquisition failed). */
  private endPending(): void {
    this.pending--;
    this.turnWaiters.shift()?.();
  }

  /** Allocations held for tasks (claimed or about to be), i.e. not by idle pollers. */
  inUse(): Allocation[] {
    return [...this.unclaimed, ...this.running, ...this.finished];
  }

  /** The slot supplier of this class's Worker. */
  supplier(): CustomSlotSupplier<ActivitySlotInfo> {
    return {
      type: 'custom',
      reserveSlot: async (_ctx, abortSignal) => {
        await this.turn(abortSignal);
        let allocation: Allocation;
        try {
          allocation = await this.gate.acquire(this.demand, abortSignal);
        } catch (err) {
          this.endPending();
          throw err;
        }
        if (abortSignal.aborted) {
          // The poller gave up while we acquired: the permit would never be used nor released.
          this.endPending();
          this.gate.release(allocation);
          throw abortSignal.reason;
        }
        this.idle.add(allocation);
        return { allocation } satisfies Permit;
      },
      tryReserveSlot: () => {
        if (this.pending >= this.maxIdle) return null;
        const allocation = this.gate.tryAcquire(this.demand);
        if (allocation === null) return null;
        this.pending++;
        this.idle.add(allocation);
        return { allocation } satisfies Permit;
      },
      markSlotUsed: (ctx) => {
        const { allocation } = ctx.permit as Permit;
        if (this.idle.delete(allocation)) this.endPending();
        const waiter = this.claimWaiters.shift();
        if (waiter !== undefined) {
          this.running.add(allocation);
          waiter(allocation);
        } else {
          this.unclaimed.push(allocation);
        }
      },
      releaseSlot: (ctx) => {
        const { allocation } = ctx.permit as Permit;
        if (!allocation.live) return; // already reclaimed by reclaimIdle() after shutdown
        if (this.idle.delete(allocation)) {
          this.endPending();
          this.gate.release(allocation);
          return;
        }
        this.gate.release(this.pickReleasable(allocation));
      },
    };
  }

  private pickReleasable(own: Allocation): Allocation {
    const take = (list: Allocation[], a: Allocation): Allocation => {
      list.splice(list.indexOf(a), 1);
      return a;
    };
    if (this.finished.includes(own)) return take(this.finished, own);
    const done = this.finished[0];
    if (done !== undefined) return take(this.finished, done);
    // The activity never ran (e.g. the task was rejected before our wrapper): its allocation is unclaimed.
    if (this.unclaimed.includes(own)) return take(this.unclaimed, own);
    const other = this.unclaimed[0];
    if (other !== undefined) return take(this.unclaimed, other);
    // Cannot happen: a used slot is released only after its activity ended.
    this.running.delete(own);
    return own;
  }

  /**
   * After the Worker stopped: returns what idle pollers still hold (sdk-core may drop a permit of
   * a poll cut short by shutdown without releasing it). Late `releaseSlot` calls are then ignored.
   */
  reclaimIdle(): void {
    for (const a of this.idle) {
      this.idle.delete(a);
      this.endPending();
      if (a.live) this.gate.release(a);
    }
  }

  /** Claims the allocation of the slot this activity runs in (waits for `markSlotUsed` if it has not arrived yet). */
  claim(): Promise<Allocation> {
    const a = this.unclaimed.shift();
    if (a !== undefined) {
      this.running.add(a);
      return Promise.resolve(a);
    }
    return new Promise((resolve) => this.claimWaiters.push(resolve));
  }

  /** The activity holding `allocation` ended. */
  done(allocation: Allocation): void {
    if (this.running.delete(allocation)) this.finished.push(allocation);
  }
}

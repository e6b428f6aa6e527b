/**
 * The process-wide admission gate in front of a core `NodeResources` ledger. Every class
 * worker's slot supplier acquires its class's demand here before its poller may poll.
 *
 * Waiters are served in arrival order, with one relaxation: a later waiter may go ahead of an
 * earlier one only if it needs none of the resources the earlier one is short of. So a GPU
 * class waiting for a GPU is never overtaken on GPUs (no starvation of large shapes by small
 * ones), while CPU-only classes keep running meanwhile.
 */
import { toUnits } from '@taskfit/core';
import type { Allocation, NodeResources } from '@taskfit/core';

interface Waiter {
  demand: Readonly<Record<string, number>>;
  resolve: (a: Allocation) => void;
  reject: (e: unknown) => void;
  cleanup: () => void;
}

/** The SDK expects a reservation aborted by its signal to reject with exactly `signal.reason`. */
function reasonOf(signal: AbortSignal | undefined): unknown {
  if (signal?.reason !== undefined) return signal.reason;
  const e = new Error('slot reservation aborted');
  e.name = 'AbortError';
  return e;
}

/** @internal */
export class LedgerGate {
  readonly node: NodeResources;
  private readonly waiters: Waiter[] = [];

  constructor(node: NodeResources) {
    this.node = node;
  }

  /** Non-blocking acquire; `null` when it does not fit or others are waiting for what it needs. */
  tryAcquire(demand: Readonly<Record<string, number>>): Allocation | null {
    if (this.blockedNames().some((n) => (demand[n] ?? 0) > 0)) return null;
    return this.node.tryAllocate(demand);
  }

  /** Resolves with an allocation of `demand` once it fits; rejects with an `AbortError` when `signal` fires. */
  acquire(demand: Readonly<Record<string, number>>, signal?: AbortSignal): Promise<Allocation> {
    if (signal?.aborted === true) return Promise.reject(reasonOf(signal));
    const now = this.waiters.length === 0 ? this.node.tryAllocate(demand) : this.tryAcquire(demand);
    if (now !== null) return Promise.resolve(now);
    return new Promise<Allocation>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(reasonOf(signal));
        this.pump();
      };
      const waiter: Waiter = { demand, resolve, reject, cleanup: () => signal?.removeEventListener('abort', onAbort) };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Returns an allocation to the ledger and wakes whoever now fits. */
  release(allocation: Allocation): void {
    this.node.release(allocation);
    this.pump();
  }

  /** Resource names some waiter is short of (later waiters may not take them). */
  private blockedNames(): string[] {
    const avail = this.node.available;
    const names: string[] = [];
    for (const w of this.waiters) {
      for (const [k, q] of Object.entries(w.demand)) {
        if (q > 0 && toUnits(avail[k] ?? 0) < toUnits(q) && !names.includes(k)) names.push(k);
      }
    }
    return names;
  }

  private pump(): void {
    const blocked = new Set<string>();
    for (let i = 0; i < this.waiters.length;) {
      const w = this.waiters[i]!;
      const touchesBlocked = Object.keys(w.demand).some((k) => (w.demand[k] ?? 0) > 0 && blocked.has(k));
      const a = touchesBlocked ? null : this.node.tryAllocate(w.demand);
      if (a !== null) {
        this.waiters.splice(i, 1);
        w.cleanup();
        w.resolve(a);
        continue;
      }
      const avail = this.node.available;
      for (const [k, q] of Object.entries(w.demand)) if (q > 0 && toUnits(avail[k] ?? 0) < toUnits(q)) blocked.add(k);
      i++;
    }
  }
}

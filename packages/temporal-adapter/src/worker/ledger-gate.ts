/**
 * The machine's admission gate: the ONE place where a Temporal worker process takes resources
 * from its ledger (a core `NodeResources`). Every activity acquires its class's demand here when
 * it arrives and releases it when it ends; the pollers only ask whether a demand would be
 * admitted now ({@link LedgerGate.admits}) and listen for changes ({@link LedgerGate.onChange}).
 * Nothing else on the machine touches the ledger, so a future runner that admits against the
 * same ledger (one ledger per machine) replaces this class behind the same four calls.
 *
 * Order: tasks that arrived and do not fit wait here (they hold nothing) and are served in
 * arrival order, with bounded bypass. A later task may start ahead of an earlier waiter only
 * while that waiter has been passed fewer than `maxBypass` times; a task "passes" a waiter when
 * it takes a resource the waiter needs and leaves less of it than the waiter needs. So a whole-GPU
 * task that arrived while half-GPU tasks run lets at most `maxBypass` later half-GPU tasks use
 * the GPU, then the GPU drains for it; CPU-only tasks never pass it while CPUs are plenty.
 */
import type { Allocation, NodeResources, ResourceRequest } from '@taskfit/core';

type Demand = Readonly<Record<string, number>>;

interface Waiter {
  readonly demand: ResourceRequest;
  /** Times a later task started ahead of this one while it waited. */
  bypassed: number;
  resolve: (a: Allocation) => void;
  reject: (e: unknown) => void;
  cleanup: () => void;
}

/** The SDK expects a reservation aborted by its signal to reject with exactly `signal.reason`. */
export function abortReason(signal: AbortSignal | undefined): unknown {
  if (signal?.reason !== undefined) return signal.reason;
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * @internal What the pollers (PollGate) read of a machine's admission: the ledger's free
 * resources, the tasks waiting for them, whether a class's demand would be admitted now, and
 * change notifications. A {@link LedgerGate} for inline activities; with
 * `createTaskWorkers({ pool })`, the pool's own admission (`TaskPool.sharedLedger()`): one ledger
 * and one queue for the machine's activities, pool tasks and their children.
 */
export interface MachineGate {
  readonly node: { readonly available: Readonly<Record<string, number>> };
  readonly waiting: number;
  admits(demand: ResourceRequest): boolean;
  onChange(fn: () => void): () => void;
}

/** @internal */
export class LedgerGate implements MachineGate {
  readonly node: NodeResources;
  /** Times a waiting task may be passed by later ones before it holds back what it needs (≥ 0; `Infinity` = never). */
  readonly maxBypass: number;
  private readonly waiters: Waiter[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(node: NodeResources, maxBypass: number) {
    this.node = node;
    this.maxBypass = maxBypass;
  }

  /** Tasks waiting for resources on this machine. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Whether `demand` would be admitted now (it fits and passes no waiter that used up its bypass
   * budget). Demands are compiled once (`compileDemand`): these calls are on every poll's path.
   */
  admits(demand: ResourceRequest): boolean {
    return this.node.canAllocate(demand) && this.passed(demand, this.waiters.length) !== null;
  }

  /** Takes `demand` if {@link admits} it, else `null`. */
  tryAcquire(demand: ResourceRequest): Allocation | null {
    const passed = this.node.canAllocate(demand) ? this.passed(demand, this.waiters.length) : null;
    if (passed === null) return null;
    const a = this.node.tryAllocate(demand);
    if (a === null) return null;
    for (const w of passed) w.bypassed++;
    this.changed();
    return a;
  }

  /**
   * Resolves with an allocation of `demand` once it is admitted (at once when it is); rejects
   * with `signal.reason` when `signal` fires first.
   */
  acquire(demand: ResourceRequest, signal?: AbortSignal): Promise<Allocation> {
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    const now = this.tryAcquire(demand);
    if (now !== null) return Promise.resolve(now);
    return new Promise<Allocation>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortReason(signal));
        this.pump();
      };
      const waiter: Waiter = {
        demand,
        bypassed: 0,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.changed();
    });
  }

  /** Returns an allocation to the ledger and starts whoever is now admitted. */
  release(allocation: Allocation): void {
    this.node.release(allocation);
    this.pump();
  }

  /** Calls `fn` after every change of the ledger or of the waiters; returns the unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * The waiters among the first `upTo` that `demand` would pass, or `null` when one of them may
   * not be passed any more.
   */
  private passed(demand: ResourceRequest, upTo: number): Waiter[] | null {
    if (upTo === 0) return [];
    const avail = this.node.available;
    const out: Waiter[] = [];
    for (let i = 0; i < upTo; i++) {
      const w = this.waiters[i]!;
      if (!passes(demand.resources, w.demand.resources, avail)) continue;
      if (w.bypassed >= this.maxBypass) return null;
      out.push(w);
    }
    return out;
  }

  private pump(): void {
    for (let i = 0; i < this.waiters.length;) {
      const w = this.waiters[i]!;
      const passed = this.node.canAllocate(w.demand) ? this.passed(w.demand, i) : null;
      const a = passed === null ? null : this.node.tryAllocate(w.demand);
      if (a === null) {
        i++;
        continue;
      }
      for (const p of passed!) p.bypassed++;
      this.waiters.splice(i, 1);
      w.cleanup();
      w.resolve(a);
    }
    this.changed();
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }
}

/** Quantities are whole units of 1e-4 (or bytes): a tolerance far below one unit absorbs float noise. */
const EPS = 1e-6;

/** Whether taking `demand` leaves less of some resource than `waiter` needs of it. */
function passes(demand: Demand, waiter: Demand, avail: Demand): boolean {
  for (const [k, q] of Object.entries(demand)) {
    const need = waiter[k] ?? 0;
    if (q > 0 && need > 0 && (avail[k] ?? 0) - q < need - EPS) return true;
  }
  return false;
}

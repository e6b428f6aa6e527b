/**
 * One ledger per machine: what an executor that shares a pool's ledger (the Temporal adapter's
 * slot supplier) hears from the pool — every change of the ledger or of the waiting tasks, and
 * what a task it submitted holds once admitted. Nothing is kept while nobody listens.
 */
import type { Holding } from './ledger.js';
import type { Task } from './task.js';

export class LedgerWatchers {
  /** Listeners of ledger and queue changes; undefined while none. */
  #listeners: Set<() => void> | undefined;
  /** Tasks whose grant an executor sharing the ledger waits to hear of. */
  #onGrant: Map<Task, (h: Holding) => void> | undefined;

  /** Whether anyone listens to changes or waits to hear of a grant. */
  get busy(): boolean {
    return this.#listeners !== undefined || (this.#onGrant !== undefined && this.#onGrant.size > 0);
  }

  /** Calls `fn` after every change of the ledger or of the waiting tasks; returns the unsubscribe function. */
  onChange(fn: () => void): () => void {
    const set = (this.#listeners ??= new Set());
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.#listeners === set) this.#listeners = undefined;
    };
  }

  /** Tells `fn` what `t` holds once it is admitted. */
  onGranted(t: Task, fn: (h: Holding) => void): void {
    (this.#onGrant ??= new Map()).set(t, fn);
  }

  /** The ledger or the waiting tasks changed. */
  changed(): void {
    if (this.#listeners !== undefined) for (const fn of [...this.#listeners]) fn();
  }

  /** `t` was admitted holding `h`. */
  granted(t: Task, h: Holding): void {
    if (this.#onGrant === undefined) return;
    const f = this.#onGrant.get(t);
    if (f !== undefined) {
      this.#onGrant.delete(t);
      f(h);
    }
  }

  /** `t` settled: nobody waits for its grant any more. */
  forget(t: Task): void {
    if (this.#onGrant !== undefined) this.#onGrant.delete(t);
  }
}

/**
 * The pool going quiet and Piscina's back-pressure signal: waiters for "every accepted task
 * settled" (close) and "…and every reserved unit is back" (destroy), and `needsDrain` /
 * 'needsDrain' / 'drain'.
 */

/** Callers waiting for the pool to settle or go idle. */
export class Waiters {
  #idle: (() => void)[] = [];
  #settled: (() => void)[] = [];

  /** Wakes those whose condition holds now. */
  check(settled: boolean, idle: boolean): void {
    if (this.#settled.length > 0 && settled) {
      const ws = this.#settled;
      this.#settled = [];
      for (const w of ws) w();
    }
    if (this.#idle.length > 0 && idle) {
      const ws = this.#idle;
      this.#idle = [];
      for (const w of ws) w();
    }
  }

  /** Resolves once `check` sees the pool idle (at once when `idle`). */
  whenIdle(idle: boolean): Promise<void> {
    if (idle) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  /** Resolves once `check` sees every task settled (at once when `settled`). */
  whenSettled(settled: boolean): Promise<void> {
    if (settled) return Promise.resolve();
    return new Promise((r) => this.#settled.push(r));
  }
}

/**
 * `needsDrain` / 'needsDrain' / 'drain': Piscina's back-pressure signal. The pool needs draining
 * while `saturated()` (its threads at capacity, or a task waiting for resources); 'drain' says a
 * new task could start again. Checked once per microtask, however many changes there were.
 */
export class Drain {
  needsDrain = false;
  #queued = false;
  readonly #saturated: () => boolean;
  readonly #emit: (event: 'needsDrain' | 'drain') => void;

  constructor(saturated: () => boolean, emit: (event: 'needsDrain' | 'drain') => void) {
    this.#saturated = saturated;
    this.#emit = emit;
  }

  /** Checks (in a microtask) whether the signal changes. */
  maybe(): void {
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(this.#check);
  }

  /** One closure for every check (a settle queues one per task). */
  readonly #check = (): void => {
    this.#queued = false;
    const saturated = this.#saturated();
    if (saturated && !this.needsDrain) {
      this.needsDrain = true;
      this.#emit('needsDrain');
    } else if (!saturated && this.needsDrain) {
      this.needsDrain = false;
      this.#emit('drain');
    }
  };
}

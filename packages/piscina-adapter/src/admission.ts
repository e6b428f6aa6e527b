/**
 * The admission queue: tasks waiting for resources, and the fairness rule that picks which may
 * start when the ledger changes.
 *
 * Waiting tasks sit in FIFO buckets, one per (demand, strategy). The oldest waiting task is
 * tried first; when it does not fit, younger tasks that fit may start ahead of it ("backfill"),
 * but each one that does counts as a bypass, and after `maxBypass` bypasses the oldest task
 * holds a reservation: only tasks that fit beside its whole demand may still pass. A large task
 * therefore waits for at most `maxBypass` overtakes plus the running tasks' completion.
 *
 * A reservation is held only against tasks: a head that could not fit even on an idle node
 * (because placement groups hold what it needs) waits for a group to go, not for tasks to
 * finish, and reserves nothing; a task placed in a placement group draws from its bundle, so it
 * neither holds nor is blocked by a reservation of node capacity.
 *
 * Child tasks (nested tasks) wait in a queue of their own, served depth-first: the deepest
 * waiting child first, the newest among equals (LIFO buckets), so a tree of nested tasks is
 * finished branch by branch and few parents are blocked at once. That queue holds no
 * reservations: a blocked parent may wait for any child, and a reservation that holds a child
 * back could wait for what the parent holds.
 */
import type { Ledger, Holding } from './ledger.js';
import { Phase } from './task.js';
import type { Task } from './task.js';

/** What the queue decided for one task. */
export type Admission = { task: Task; holding: Holding } | { task: Task; infeasible: string };

/** FIFO (or, for child tasks, LIFO) of waiting tasks with one demand and strategy. */
class Bucket {
  readonly key: string;
  readonly #lifo: boolean;
  items: Task[] = [];
  head = 0;
  constructor(key: string, lifo: boolean) {
    this.key = key;
    this.#lifo = lifo;
  }
  /** First task still waiting (cancelled tasks are dropped lazily). */
  peek(): Task | undefined {
    if (this.#lifo) {
      const items = this.items;
      while (items.length > 0) {
        const t = items[items.length - 1]!;
        if (t.queued) return t;
        items.pop();
      }
      return undefined;
    }
    while (this.head < this.items.length) {
      const t = this.items[this.head]!;
      if (t.queued) return t;
      this.head++;
    }
    return undefined;
  }
  shift(): void {
    if (this.#lifo) {
      this.items.pop();
      return;
    }
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
  get empty(): boolean {
    return this.peek() === undefined;
  }
}

const inGroup = (t: Task): boolean => typeof t.spec.strategy === 'object' && t.spec.strategy.type === 'placementGroup';

/** Oldest first (seq ascending). */
const oldestFirst = (a: Task, b: Task): number => a.seq - b.seq;
/** Deepest first, then newest first (child tasks). */
const deepestFirst = (a: Task, b: Task): number => b.nest!.depth - a.nest!.depth || b.seq - a.seq;

export class AdmissionQueue {
  readonly #maxBypass: number;
  readonly #lifo: boolean;
  readonly #order: (a: Task, b: Task) => number;
  readonly #buckets = new Map<string, Bucket>();
  /** Cached reference to the only bucket, when there is one. */
  #sole: Bucket | undefined;
  /** The sole bucket's head when it last had to wait, and the ledger version then. */
  #waiting: Task | undefined;
  #waitingLedger: Ledger | undefined;
  #waitingVersion = -1;
  #size = 0;

  /** `depthFirst`: the queue of child tasks (deepest, then newest first; no reservations). */
  constructor(maxBypass: number, depthFirst = false) {
    this.#maxBypass = depthFirst ? Infinity : maxBypass;
    this.#lifo = depthFirst;
    this.#order = depthFirst ? deepestFirst : oldestFirst;
  }

  /** Tasks waiting for resources. */
  get size(): number {
    return this.#size;
  }

  push(t: Task): void {
    t.phase = Phase.Queued;
    t.queued = true;
    let b = this.#buckets.get(t.spec.key);
    if (b === undefined) this.#buckets.set(t.spec.key, (b = new Bucket(t.spec.key, this.#lifo)));
    b.items.push(t);
    this.#size++;
  }

  /** A waiting task leaves the queue (cancelled): it is dropped lazily. */
  remove(t: Task): void {
    if (!t.queued) return;
    t.queued = false;
    this.#size--;
  }

  /** Decides at most one task: admitted (with its holding) or infeasible; undefined when none may start. */
  next(ledger: Ledger): Admission | undefined {
    const buckets = this.#buckets;
    if (buckets.size === 0) return undefined;
    if (buckets.size === 1) {
      // Fast path: one kind of waiting task; FIFO within the bucket.
      let b = this.#sole;
      if (b === undefined || buckets.get(b.key) !== b) b = this.#sole = buckets.values().next().value!;
      const t = b.peek();
      if (t === undefined) {
        buckets.clear();
        return undefined;
      }
      // The same head waited and nothing was granted or freed since (e.g. a burst of submissions
      // behind it): it would wait again.
      if (t === this.#waiting && ledger === this.#waitingLedger && ledger.version === this.#waitingVersion)
        return undefined;
      const r = ledger.schedule(t.spec.request, t.spec.strategy, t.spec.labelSelector);
      if (r.status === 'waiting') {
        t.feasibilityChecked = true;
        this.#waiting = t;
        this.#waitingLedger = ledger;
        this.#waitingVersion = ledger.version;
        return undefined;
      }
      this.#waiting = undefined;
      this.#take(b, t);
      return r.status === 'scheduled' ? { task: t, holding: r.allocation } : { task: t, infeasible: r.reason };
    }
    // Bucket heads, oldest first.
    const heads: Task[] = [];
    for (const [k, b] of buckets) {
      const h = b.peek();
      if (h === undefined) buckets.delete(k);
      else heads.push(h);
    }
    heads.sort(this.#order);
    let blocked: Task | undefined;
    for (const t of heads) {
      if (
        blocked !== undefined &&
        blocked.bypassed >= this.#maxBypass &&
        !inGroup(t) &&
        !ledger.fitsBeyond(blocked.spec.demand, t.spec.demand)
      ) {
        if (!t.feasibilityChecked) {
          // Still tell an infeasible task at once.
          const r = ledger.schedule(t.spec.request, t.spec.strategy, t.spec.labelSelector);
          t.feasibilityChecked = true;
          if (r.status === 'scheduled') ledger.release(r.allocation);
          else if (r.status === 'infeasible') {
            this.#take(buckets.get(t.spec.key)!, t);
            return { task: t, infeasible: r.reason };
          }
        }
        continue;
      }
      const r = ledger.schedule(t.spec.request, t.spec.strategy, t.spec.labelSelector);
      if (r.status === 'scheduled') {
        this.#take(buckets.get(t.spec.key)!, t);
        if (blocked !== undefined) blocked.bypassed++;
        return { task: t, holding: r.allocation };
      }
      if (r.status === 'infeasible') {
        this.#take(buckets.get(t.spec.key)!, t);
        return { task: t, infeasible: r.reason };
      }
      t.feasibilityChecked = true;
      // Only a head that competes for node capacity, and could get it once tasks finish, reserves.
      if (blocked === undefined && !inGroup(t) && ledger.fitsOutsideGroups(t.spec.demand)) blocked = t;
    }
    return undefined;
  }

  /**
   * Whether a new task demanding `demand` (outside placement groups) may pass the tasks waiting
   * here now: no waiting task holds a reservation it would eat into. (Whether it fits is the
   * ledger's question.)
   */
  mayPass(ledger: Ledger, demand: Readonly<Record<string, number>>): boolean {
    if (this.#size === 0 || this.#maxBypass === Infinity) return true;
    const heads: Task[] = [];
    for (const b of this.#buckets.values()) {
      const h = b.peek();
      if (h !== undefined && !inGroup(h)) heads.push(h);
    }
    heads.sort(this.#order);
    // The head that reserves (as next() picks it): the oldest competing for node capacity that could get it.
    const blocked = heads.find((h) => ledger.fitsOutsideGroups(h.spec.demand));
    if (blocked === undefined || blocked.bypassed < this.#maxBypass) return true;
    return ledger.fitsBeyond(blocked.spec.demand, demand);
  }

  #take(b: Bucket, t: Task): void {
    b.shift();
    t.queued = false;
    if (b.empty) this.#buckets.delete(b.key);
    this.#size--;
  }
}

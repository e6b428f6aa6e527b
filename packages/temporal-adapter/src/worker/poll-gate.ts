/**
 * When each task queue of this machine may poll: one `CustomSlotSupplier` per queue (a class's
 * shared queue or its node queue), all decided together against the machine's {@link LedgerGate}.
 *
 * Temporal reserves a slot before it polls and cannot take a poll back, and a poll that finds
 * nothing stays open for the server's whole long poll (a minute by default). So a slot here
 * reserves NOTHING in the ledger: the activity takes its demand from the gate when it arrives
 * (`wrap.ts`), waiting there, heartbeating and holding nothing, in the rare case that it does
 * not fit. What the slots decide is only which queues poll:
 *
 * - a queue polls only while its class's demand would be admitted now: it fits what running
 *   tasks and tasks already on their way in leave free, and it would not pass a waiting task
 *   that may not be passed any more;
 * - each queue may keep its FIRST poll whenever that holds, whatever polls other queues have had
 *   open for a moment ({@link STAGGER_MS}) without receiving anything, so a task queued for any
 *   class that fits is handed over within that moment plus one poll round trip; polls of
 *   competing classes open one after the other (in turn), so that two of them rarely receive
 *   a task at the same time;
 * - further polls of a queue (up to `pollers`) open only while the tasks of every open poll
 *   could run at once too, so one class never accepts more tasks than fit.
 *
 * What this costs: a poll open while its class still fitted stays open when another class then
 * takes the room, and may still bring a task, which waits here for the room (bounded bypass, see
 * `LedgerGate`) — on a fleet, a task that another machine could have started at once. See
 * docs/decisions.md for the measured trade-off.
 */
import { UNIT_INSTANCE_RESOURCES, compileDemand } from '@taskfit/core';
import type { ResourceRequest } from '@taskfit/core';
import type { ActivitySlotInfo, CustomSlotSupplier, SlotPermit, SlotSupplier } from '@temporalio/worker';
import { abortReason } from './ledger-gate.js';
import type { MachineGate } from './ledger-gate.js';

type Demand = Readonly<Record<string, number>>;

interface Permit extends SlotPermit {
  readonly queue: QueueSlots;
  used: boolean;
}

/** Tolerance far below one resource unit (1e-4), absorbing float noise in sums. */
const EPS = 1e-6;

/** @internal The slots of one task queue. */
export class QueueSlots {
  readonly taskQueue: string;
  /** The class's demand, compiled once. */
  readonly request: ResourceRequest;
  readonly demand: Demand;
  /** Permits given to sdk-core whose poll has not delivered a task (open polls). */
  idle = 0;
  /** Permits whose poll delivered a task, until sdk-core releases them. */
  used = 0;
  /** Of the used permits, tasks the activity wrapper has taken over. */
  claimed = 0;
  /** Wrapper claims that came before their slot's `markSlotUsed` (the two reach JS separately). */
  private early = 0;
  /** Reservations sdk-core is waiting for. */
  readonly requests: (() => void)[] = [];
  /** When this queue last opened a poll (ms, the gate's clock). */
  lastOpened = -Infinity;
  /**
   * With sole-class slots ({@link soleClassSlots}): how many tasks of the class fit the machine,
   * the size of the Worker's own fixed-size slot supplier. `undefined`: the custom supplier.
   */
  readonly fixedSlots: number | undefined;
  /** With {@link fixedSlots}: whether the Worker runs (its pollers are open while slots are free). */
  polling = false;
  /** With {@link fixedSlots}: tasks in the activity wrapper (claimed, not finished). */
  private active = 0;
  private readonly polls: PollGate;

  constructor(polls: PollGate, taskQueue: string, demand: Demand, fixedSlots?: number) {
    this.polls = polls;
    this.taskQueue = taskQueue;
    this.request = compileDemand(demand);
    this.demand = this.request.resources;
    this.fixedSlots = fixedSlots;
  }

  /**
   * Open polls: the permits given for polls, or with {@link fixedSlots} the polls sdk-core keeps
   * open while it runs (up to `pollers`, one per free slot).
   */
  get openPolls(): number {
    if (this.fixedSlots === undefined) return this.idle;
    return this.polling ? Math.max(0, Math.min(this.polls.pollers, this.fixedSlots - this.active)) : 0;
  }

  /** Tasks delivered that the wrapper has not yet taken to the gate: counted like open polls. */
  get arriving(): number {
    return this.used - this.claimed;
  }

  /** The activity wrapper takes over one delivered task (it acquires from the gate next). */
  claim(): void {
    if (this.fixedSlots !== undefined) this.active++;
    else if (this.claimed < this.used) this.claimed++;
    else this.early++;
  }

  /** The activity wrapper is done with a task it claimed. */
  finish(): void {
    if (this.fixedSlots !== undefined) this.active--;
  }

  /** The slot supplier of this queue's Worker: fixed-size with {@link fixedSlots}, else {@link customSupplier}. */
  supplier(): SlotSupplier<ActivitySlotInfo> {
    return this.fixedSlots !== undefined ? { type: 'fixed-size', numSlots: this.fixedSlots } : this.customSupplier();
  }

  /** The custom slot supplier: polls as {@link PollGate} decides. */
  customSupplier(): CustomSlotSupplier<ActivitySlotInfo> {
    return {
      type: 'custom',
      reserveSlot: (_ctx, signal) => {
        if (signal.aborted) return Promise.reject(abortReason(signal));
        // The common case, granted at once: no abort listener to add and remove.
        if (this.polls.grantNow(this)) return Promise.resolve({ queue: this, used: false } satisfies Permit);
        return new Promise<SlotPermit>((resolve, reject) => {
          const grant = (): void => {
            signal.removeEventListener('abort', onAbort);
            resolve({ queue: this, used: false } satisfies Permit);
          };
          const onAbort = (): void => {
            const i = this.requests.indexOf(grant);
            if (i >= 0) this.requests.splice(i, 1);
            reject(abortReason(signal));
          };
          signal.addEventListener('abort', onAbort, { once: true });
          this.requests.push(grant);
          this.polls.pump();
        });
      },
      tryReserveSlot: () => {
        if (!this.polls.mayPoll(this)) return null;
        this.idle++;
        return { queue: this, used: false } satisfies Permit;
      },
      markSlotUsed: (ctx) => {
        const p = ctx.permit as Permit;
        if (p.used) return;
        p.used = true;
        this.idle--;
        this.used++;
        if (this.early > 0) {
          this.early--;
          this.claimed++;
        }
      },
      releaseSlot: (ctx) => {
        const p = ctx.permit as Permit;
        if (p.used) {
          this.used--;
          if (this.claimed > this.used) this.claimed = this.used;
        } else {
          this.idle--;
        }
        this.polls.pump();
      },
    };
  }
}

/**
 * How long a freshly opened poll has to bring a task before a competing class may open its own:
 * a queue with tasks waiting delivers within one poll round trip (milliseconds on a local
 * server), so a poll still empty after this means its queue is empty.
 */
export const STAGGER_MS = 100;

type OpenPolls = 'all' | 'fresh';

/** @internal Decides, for every queue of one machine, when it may poll. */
export class PollGate<G extends MachineGate = MachineGate> {
  readonly gate: G;
  /** Most open polls per queue. */
  readonly pollers: number;
  private readonly queues: QueueSlots[] = [];
  private readonly now: () => number;
  /** Round-robin start, so that no queue is always served first. */
  private next = 0;
  private pumping = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;

  constructor(gate: G, pollers: number, now: () => number = () => performance.now()) {
    this.gate = gate;
    this.pollers = pollers;
    this.now = now;
    gate.onChange(() => this.pump());
  }

  /** Registers one task queue serving `demand` (with `fixedSlots`, see {@link soleClassSlots}). */
  add(taskQueue: string, demand: Demand, fixedSlots?: number): QueueSlots {
    const q = new QueueSlots(this, taskQueue, demand, fixedSlots);
    this.queues.push(q);
    return q;
  }

  /** Open polls across all queues. */
  get openPolls(): number {
    let n = 0;
    for (const q of this.queues) n += q.openPolls;
    return n;
  }

  /**
   * Whether `q` may open one more poll now: its demand is admitted by the gate and fits together
   * with the tasks on their way in and, for its first poll, with the other queues' polls opened
   * less than {@link STAGGER_MS} ago (so two classes competing for the same GPU do not both
   * receive a task at the same moment), for a further poll with every open poll.
   */
  mayPoll(q: QueueSlots, now: number = this.now()): boolean {
    if (q.idle >= this.pollers || !this.gate.admits(q.request)) return false;
    return this.fits(q.demand, q.idle > 0 ? 'all' : 'fresh', now);
  }

  /**
   * Opens a poll of `q` at once when no reservation waits (of any queue, so that the turn order
   * holds) and `q` may poll now: what {@link pump} would grant a reservation of `q` just queued.
   */
  grantNow(q: QueueSlots): boolean {
    if (this.pumping || this.queues.some((o) => o.requests.length > 0)) return false;
    const now = this.now();
    if (!this.mayPoll(q, now)) return false;
    this.open(q, now);
    this.next = (this.queues.indexOf(q) + 1) % this.queues.length;
    return true;
  }

  private open(q: QueueSlots, now: number): void {
    q.idle++;
    q.lastOpened = now;
  }

  /** Grants waiting reservations that may poll now, one queue at a time in turn. */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      // One clock reading for the whole pass: a poll that was fresh when a queue was refused must
      // still count as fresh when the wake-up is planned, or no wake-up comes (a timer that fires
      // a moment early read "still fresh" and then "stale": the GPU idled for a whole long poll).
      const now = this.now();
      const n = this.queues.length;
      for (let granted = true; granted;) {
        granted = false;
        for (let i = 0; i < n; i++) {
          const k = (this.next + i) % n;
          const q = this.queues[k]!;
          if (q.requests.length === 0 || !this.mayPoll(q, now)) continue;
          this.open(q, now);
          q.requests.shift()!();
          this.next = (k + 1) % n;
          granted = true;
          break;
        }
      }
      this.wakeWhenStale(now);
    } finally {
      this.pumping = false;
    }
  }

  /**
   * If a first poll waits for a competing poll that is fresh at `now` (the time its refusal was
   * decided at) to turn stale, pumps again then.
   */
  private wakeWhenStale(now: number): void {
    let at = Infinity;
    for (const q of this.queues)
      if (q.idle > 0 && q.lastOpened + STAGGER_MS > now) at = Math.min(at, q.lastOpened + STAGGER_MS);
    const waiting = this.queues.some((q) => q.requests.length > 0 && q.idle === 0);
    if (!waiting || at === Infinity || at >= this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(1, at - now),
    );
    this.timer.unref?.();
  }

  /**
   * Whether `demand` fits in what running tasks leave free together with every task on its way
   * in and with the task each open poll may bring: every open poll, or only those opened less
   * than {@link STAGGER_MS} before `now`.
   */
  private fits(demand: Demand, open: OpenPolls, now: number): boolean {
    const avail = this.gate.node.available;
    for (const [k, need] of Object.entries(demand)) {
      if (need <= 0) continue;
      let sum = need;
      for (const q of this.queues) {
        const polls = open === 'all' || q.lastOpened + STAGGER_MS > now ? q.idle : 0;
        const n = q.arriving + polls;
        if (n > 0) sum += n * (q.demand[k] ?? 0);
      }
      if (sum > (avail[k] ?? 0) + EPS) return false;
    }
    return true;
  }
}

/** Most slots a sole-class queue gets from a fixed-size supplier (beyond: the custom one). */
const MAX_FIXED_SLOTS = 10_000;

/**
 * @internal The size of a fixed-size slot supplier that polls exactly when {@link PollGate} would
 * let a queue poll, or `undefined` when there is none. That holds for a queue that is the only
 * user of its machine's ledger (the only queue served, no pool, a ledger `createTaskWorkers`
 * built): its tasks all have the same demand, so "this demand fits with every open poll's and
 * every arriving task's" is "fewer than `floor(total / demand)` slots are taken", which sdk-core
 * counts itself — no reservation crosses the native bridge (three calls into JavaScript per
 * activity). A demand of nothing (no limit) or one that fits more than
 * {@link MAX_FIXED_SLOTS} times keeps the custom supplier.
 */
export function soleClassSlots(total: Demand, demand: Demand): number | undefined {
  let n = Infinity;
  for (const [k, need] of Object.entries(demand)) {
    if (!(need > 0)) continue;
    const have = total[k] ?? 0;
    // A fraction of a unit-instance resource (a GPU) must fit on one device: 0.4 GPU fits twice
    // per GPU, so four times on two GPUs, not five.
    const fits =
      need < 1 && UNIT_INSTANCE_RESOURCES.has(k)
        ? Math.floor(have + EPS) * Math.floor((1 + EPS) / need)
        : Math.floor((have + EPS) / need);
    n = Math.min(n, fits);
  }
  return n >= 1 && n <= MAX_FIXED_SLOTS ? n : undefined;
}

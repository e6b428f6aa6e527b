/**
 * Task events and the bounded history behind `listTasks()` / `summarizeTasks()`. A history entry
 * is metadata only (ids, states, timestamps, resources, thread, error type): never a task's
 * arguments or result, so a dropped result is collectable however long the history is.
 */
import { EventEmitter } from 'node:events';
import type { TaskState } from '@taskfit/core';
import { STATES } from './events.js';
import type { TaskEvent, TaskFilter, TaskInfo, TaskPoolEvents, TaskSummary } from './events.js';

/** Index of each state in {@link STATES}: the code stored in a record's log. */
export const State = { PendingArgs: 0, PendingNode: 1, Submitted: 2, Running: 3, Finished: 4, Failed: 5 } as const;
export type State = (typeof State)[keyof typeof State];

const NO_GPUS: readonly number[] = Object.freeze([]);

/** Facts of one attempt, for its events. */
interface AttemptFacts {
  resources: Readonly<Record<string, number>> | undefined;
  gpuIds: readonly number[] | readonly string[];
  threadId: number;
  errorType: string | undefined;
  errorMessage: string | undefined;
}

/**
 * What the history keeps of one visible task. Kept small, since the history holds thousands:
 * the id is built on first use, the current attempt's facts are fields of the record (earlier
 * attempts' are in `past`), and timestamps are logged relative to the history's epoch (small
 * integers, so the log stays an array of small integers).
 */
export class TaskRecord implements AttemptFacts {
  #taskId: string | undefined;
  readonly #idPrefix: string;
  readonly #seq: number;
  readonly name: string;
  /** The task that submitted this one (a child task). */
  readonly parentTaskId: string | undefined;
  state: TaskState = 'PENDING_NODE_ASSIGNMENT';
  attempt = 0;
  settled = false;
  /** Flat log: [attempt, state code, timestamp − epoch, …]. */
  readonly log: number[] = [];
  // Facts of the current attempt.
  resources: Readonly<Record<string, number>> | undefined = undefined;
  gpuIds: readonly number[] | readonly string[] = NO_GPUS;
  threadId = -1;
  errorType: string | undefined = undefined;
  errorMessage: string | undefined = undefined;
  /** Facts of earlier attempts, by attempt. */
  past: AttemptFacts[] | undefined;

  /** `taskId`: a child task's id; undefined for a top-level task (`<idPrefix><seq>`, built on first use). */
  constructor(
    idPrefix: string,
    seq: number,
    taskId: string | undefined,
    name: string,
    parentTaskId: string | undefined,
  ) {
    this.#idPrefix = idPrefix;
    this.#seq = seq;
    this.#taskId = taskId;
    this.name = name;
    this.parentTaskId = parentTaskId;
  }

  get taskId(): string {
    return (this.#taskId ??= `${this.#idPrefix}${this.#seq}`);
  }
}

/** The pool's task events and bounded history. */
export class TaskHistory {
  /** `pool.events`: 'taskEvent' for every state change of every visible task. */
  readonly events: EventEmitter<TaskPoolEvents> = new EventEmitter<TaskPoolEvents>();
  readonly #nodeId: string;
  readonly #max: number;
  #records: TaskRecord[] = [];
  #finished = 0;
  /**
   * Gates (see {@link gate}), oldest first: the gated task, whether its outcome is in, and the
   * state changes recorded after it (and before the next gate): [record, attempt, code, …].
   */
  readonly #gates: { rec: TaskRecord; open: boolean; parked: (TaskRecord | number)[] }[] = [];
  /** The held-back changes being emitted now (a listener's own changes join them). */
  #flushing: (TaskRecord | number)[] | undefined;
  /** Date.now() when the history began: logged timestamps are relative to it. */
  readonly #epoch = Date.now();
  /** Whether anyone listens to 'taskEvent' (kept current through newListener/removeListener). */
  #listening = false;

  constructor(nodeId: string, maxHistory: number) {
    this.#nodeId = nodeId;
    this.#max = maxHistory;
    // 'newListener' fires before the listener is added, 'removeListener' after it is removed.
    const plain = this.events as EventEmitter;
    plain.on('newListener', (event: string | symbol) => {
      if (event === 'taskEvent') this.#listening = true;
    });
    plain.on('removeListener', (event: string | symbol) => {
      if (event === 'taskEvent') this.#listening = this.events.listenerCount('taskEvent') > 0;
    });
  }

  /** Starts remembering a visible task. */
  add(rec: TaskRecord): void {
    this.#records.push(rec);
  }

  /** Records state `code` of the current attempt; emits only when someone listens. */
  record(rec: TaskRecord, code: State): void {
    const gates = this.#gates;
    if (gates.length > 0) {
      for (const g of gates) {
        if (g.rec !== rec || g.open) continue;
        // The gated task's outcome: first in its gate's queue, which opens once the gates before it have.
        g.parked.unshift(rec, rec.attempt, code);
        g.open = true;
        return this.#flush();
      }
      gates[gates.length - 1]!.parked.push(rec, rec.attempt, code);
    } else if (this.#flushing !== undefined) {
      // Recorded by a listener while held-back changes are emitted: after them.
      this.#flushing.push(rec, rec.attempt, code);
    } else this.#apply(rec, rec.attempt, code, Date.now());
  }

  #apply(rec: TaskRecord, attempt: number, code: State, ts: number): void {
    rec.state = STATES[code]!;
    rec.log.push(attempt, code, ts - this.#epoch);
    if (this.#listening) this.events.emit('taskEvent', this.#event(rec, attempt, code, ts));
  }

  /**
   * The resources of `rec`'s running attempt went back before its outcome is known (it ended on
   * its thread: the early hand-off, handoff.ts): the state changes of every task from now on wait
   * until `rec`'s next one (its outcome) is recorded, so that events never show what was granted
   * from those resources before they show `rec` giving them back.
   */
  gate(rec: TaskRecord): void {
    this.#gates.push({ rec, open: false, parked: [] });
  }

  /** Records, in order and timestamped now, the changes held back by the gates that have opened. */
  #flush(): void {
    if (this.#flushing !== undefined) return; // a listener's change: the flush under way goes on
    const gates = this.#gates;
    while (gates.length > 0 && gates[0]!.open) {
      const parked = (this.#flushing = gates.shift()!.parked);
      const ts = Date.now();
      for (let i = 0; i < parked.length; i += 3)
        this.#apply(parked[i] as TaskRecord, parked[i + 1] as number, parked[i + 2] as State, ts);
      this.#flushing = undefined;
    }
  }

  /** SUBMITTED_TO_WORKER with the resources (and GPU ids) the attempt holds. */
  submitted(
    rec: TaskRecord,
    resources: Readonly<Record<string, number>>,
    gpuIds: readonly number[] | readonly string[],
  ): void {
    rec.resources = resources;
    rec.gpuIds = gpuIds;
    this.record(rec, State.Submitted);
  }

  running(rec: TaskRecord, threadId: number): void {
    rec.threadId = threadId;
    this.record(rec, State.Running);
  }

  failed(rec: TaskRecord, errorType: string, message: string): void {
    rec.errorType = errorType;
    rec.errorMessage = message;
    this.record(rec, State.Failed);
  }

  /** Starts the next attempt: the current attempt's facts move to `past`. */
  nextAttempt(rec: TaskRecord): void {
    (rec.past ??= [])[rec.attempt] = {
      resources: rec.resources,
      gpuIds: rec.gpuIds,
      threadId: rec.threadId,
      errorType: rec.errorType,
      errorMessage: rec.errorMessage,
    };
    rec.resources = undefined;
    rec.gpuIds = NO_GPUS;
    rec.threadId = -1;
    rec.errorType = undefined;
    rec.errorMessage = undefined;
    rec.attempt++;
  }

  /** The task settled: it counts towards the history bound. */
  settled(rec: TaskRecord): void {
    rec.settled = true;
    if (++this.#finished > this.#max + Math.max(64, this.#max >> 2)) this.#trim();
  }

  /** Drops the oldest finished records beyond the bound (every max/4 completions: O(1) amortised). */
  #trim(): void {
    let drop = this.#finished - this.#max;
    const kept: TaskRecord[] = [];
    for (const r of this.#records) {
      if (drop > 0 && r.settled) drop--;
      else kept.push(r);
    }
    this.#records = kept;
    this.#finished = this.#max;
  }

  /** Records within the bound, oldest first (finished ones beyond it are skipped until trimmed). */
  *#visible(): Generator<TaskRecord> {
    let skip = Math.max(0, this.#finished - this.#max);
    for (const r of this.#records) {
      if (skip > 0 && r.settled) {
        skip--;
        continue;
      }
      yield r;
    }
  }

  list(filter: TaskFilter): TaskInfo[] {
    const out: TaskInfo[] = [];
    for (const r of this.#visible()) {
      if (filter.taskId !== undefined && r.taskId !== filter.taskId) continue;
      if (filter.name !== undefined && r.name !== filter.name) continue;
      if (filter.state !== undefined && r.state !== filter.state) continue;
      if (filter.parentTaskId !== undefined && r.parentTaskId !== filter.parentTaskId) continue;
      const events: TaskEvent[] = [];
      const log = r.log;
      for (let i = 0; i < log.length; i += 3)
        events.push(this.#event(r, log[i]!, log[i + 1]!, this.#epoch + log[i + 2]!));
      out.push({
        taskId: r.taskId,
        name: r.name,
        state: r.state,
        attempt: r.attempt,
        nodeId: this.#nodeId,
        errorType: r.state === 'FAILED' ? r.errorType : undefined,
        parentTaskId: r.parentTaskId,
        events,
      });
    }
    return out;
  }

  summarize(): TaskSummary {
    const byState: Partial<Record<TaskState, number>> = {};
    const byName: Record<string, Partial<Record<TaskState, number>>> = {};
    let total = 0;
    for (const r of this.#visible()) {
      total++;
      byState[r.state] = (byState[r.state] ?? 0) + 1;
      const n = (byName[r.name] ??= {});
      n[r.state] = (n[r.state] ?? 0) + 1;
    }
    return { total, byState, byName };
  }

  #event(r: TaskRecord, attempt: number, code: number, timestamp: number): TaskEvent {
    const f: AttemptFacts | undefined = attempt === r.attempt ? r : r.past?.[attempt];
    const state = STATES[code]!;
    return {
      taskId: r.taskId,
      name: r.name,
      attempt,
      state,
      timestamp,
      nodeId: this.#nodeId,
      resources: code >= State.Submitted ? f?.resources : undefined,
      gpuIds: code >= State.Submitted ? f?.gpuIds : undefined,
      threadId: code >= State.Running && f !== undefined && f.threadId !== -1 ? f.threadId : undefined,
      errorType: code === State.Failed ? f?.errorType : undefined,
      errorMessage: code === State.Failed ? f?.errorMessage : undefined,
      parentTaskId: r.parentTaskId,
    };
  }
}

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

const freshFacts = (): AttemptFacts => ({
  resources: undefined,
  gpuIds: NO_GPUS,
  threadId: -1,
  errorType: undefined,
  errorMessage: undefined,
});

/** What the history keeps of one visible task. */
export class TaskRecord {
  readonly taskId: string;
  readonly name: string;
  /** The task that submitted this one (a child task). */
  readonly parentTaskId: string | undefined;
  state: TaskState = 'PENDING_NODE_ASSIGNMENT';
  attempt = 0;
  settled = false;
  /** Flat log: [attempt, state code, timestamp, …]. */
  readonly log: number[] = [];
  /** Facts of the current attempt; earlier attempts are in `past`. */
  cur: AttemptFacts = freshFacts();
  past: AttemptFacts[] | undefined;

  constructor(taskId: string, name: string, parentTaskId: string | undefined) {
    this.taskId = taskId;
    this.name = name;
    this.parentTaskId = parentTaskId;
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
    const ts = Date.now();
    rec.state = STATES[code]!;
    rec.log.push(rec.attempt, code, ts);
    if (this.#listening) this.events.emit('taskEvent', this.#event(rec, rec.attempt, code, ts));
  }

  /** SUBMITTED_TO_WORKER with the resources (and GPU ids) the attempt holds. */
  submitted(
    rec: TaskRecord,
    resources: Readonly<Record<string, number>>,
    gpuIds: readonly number[] | readonly string[],
  ): void {
    rec.cur.resources = resources;
    rec.cur.gpuIds = gpuIds;
    this.record(rec, State.Submitted);
  }

  running(rec: TaskRecord, threadId: number): void {
    rec.cur.threadId = threadId;
    this.record(rec, State.Running);
  }

  failed(rec: TaskRecord, errorType: string, message: string): void {
    rec.cur.errorType = errorType;
    rec.cur.errorMessage = message;
    this.record(rec, State.Failed);
  }

  /** Starts the next attempt: the current attempt's facts move to `past`. */
  nextAttempt(rec: TaskRecord): void {
    (rec.past ??= [])[rec.attempt] = rec.cur;
    rec.cur = freshFacts();
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
      for (let i = 0; i < log.length; i += 3) events.push(this.#event(r, log[i]!, log[i + 1]!, log[i + 2]!));
      out.push({
        taskId: r.taskId,
        name: r.name,
        state: r.state,
        attempt: r.attempt,
        nodeId: this.#nodeId,
        errorType: r.state === 'FAILED' ? r.cur.errorType : undefined,
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
    const f = attempt === r.attempt ? r.cur : r.past?.[attempt];
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

/**
 * The task history of one `createTaskWorkers` process: a bounded record of the activities this
 * machine ran, fed by its `'task'` events, for `listTasks()`, `summarizeTasks()` and
 * `timeline()` (the same views a `TaskPool` gives). Temporal keeps the durable history; this is
 * what this machine saw: a retry that ran elsewhere is not here.
 */
import { chromeTrace, taskAttempts } from '@taskfit/core';
import type { ChromeTrace, TaskState } from '@taskfit/core';
import type { TaskSummary } from '@taskfit/piscina-adapter';
import type { TaskEvent } from './wrap.js';

/** An activity task as this machine saw it (`workers.listTasks()`). */
export interface WorkerTaskInfo {
  /** `<workflowId>/<runId>/<activityId>`. */
  readonly taskId: string;
  /** The `name` option, else the activity type. */
  readonly name: string;
  readonly activityType: string;
  /** Latest state seen here. */
  readonly state: TaskState;
  /** Latest attempt seen here (0-based). */
  readonly attempt: number;
  readonly nodeId: string;
  readonly taskQueue: string;
  /** Error type of the last failure, when the latest state is FAILED. */
  readonly errorType?: string | undefined;
  /** Every event seen here, oldest first. */
  readonly events: readonly TaskEvent[];
}

/** Filter of `workers.listTasks()`: every given field must match. */
export interface WorkerTaskFilter {
  readonly taskId?: string;
  readonly name?: string;
  readonly state?: TaskState;
}

/** Counts of tasks by latest state, overall and per name (what `TaskPool.summarizeTasks()` returns). */
export type WorkerTaskSummary = TaskSummary;

const TERMINAL = new Set<TaskState>(['FINISHED', 'FAILED']);

/** The display name of a worker event: the `name` option, else the activity type. */
export function displayName(e: TaskEvent): string {
  return e.name ?? e.activityType;
}

/** @internal Bounded task history (oldest finished tasks dropped first). */
export class TaskHistory {
  readonly #max: number;
  /** Insertion order = first seen; a Map keeps it. */
  readonly #tasks = new Map<string, TaskEvent[]>();
  #finished = 0;

  constructor(maxTasks: number) {
    if (!Number.isInteger(maxTasks) || maxTasks < 0)
      throw new RangeError(`maxTaskHistory must be an integer ≥ 0 (got ${maxTasks})`);
    this.#max = maxTasks;
  }

  /** How many finished tasks it keeps (0: none, and events need not be built for it). */
  get capacity(): number {
    return this.#max;
  }

  /** Records one event (the `'task'` listener). */
  add(e: TaskEvent): void {
    let list = this.#tasks.get(e.taskId);
    if (list === undefined) this.#tasks.set(e.taskId, (list = []));
    const wasDone = list.length > 0 && TERMINAL.has(list[list.length - 1]!.state);
    list.push(e);
    const isDone = TERMINAL.has(e.state);
    if (isDone !== wasDone) this.#finished += isDone ? 1 : -1;
    if (this.#finished > this.#max) this.#trim();
  }

  #trim(): void {
    for (const [id, list] of this.#tasks) {
      if (this.#finished <= this.#max) return;
      if (TERMINAL.has(list[list.length - 1]!.state)) {
        this.#tasks.delete(id);
        this.#finished--;
      }
    }
  }

  list(filter: WorkerTaskFilter = {}): WorkerTaskInfo[] {
    const out: WorkerTaskInfo[] = [];
    for (const [taskId, events] of this.#tasks) {
      const last = events[events.length - 1]!;
      const name = displayName(last);
      if (filter.taskId !== undefined && taskId !== filter.taskId) continue;
      if (filter.name !== undefined && name !== filter.name) continue;
      if (filter.state !== undefined && last.state !== filter.state) continue;
      out.push({
        taskId,
        name,
        activityType: last.activityType,
        state: last.state,
        attempt: last.attempt,
        nodeId: last.nodeId,
        taskQueue: last.taskQueue,
        errorType: last.state === 'FAILED' ? last.errorType : undefined,
        events: [...events],
      });
    }
    return out;
  }

  summarize(): WorkerTaskSummary {
    const byState: Partial<Record<TaskState, number>> = {};
    const byName: Record<string, Partial<Record<TaskState, number>>> = {};
    for (const events of this.#tasks.values()) {
      const last = events[events.length - 1]!;
      byState[last.state] = (byState[last.state] ?? 0) + 1;
      const n = (byName[displayName(last)] ??= {});
      n[last.state] = (n[last.state] ?? 0) + 1;
    }
    return { total: this.#tasks.size, byState, byName };
  }

  /** Chrome trace: one complete event per attempt, in its GPU's lane or a slot lane of its task queue. */
  timeline(): ChromeTrace {
    const events: (TaskEvent & { name: string })[] = [];
    for (const list of this.#tasks.values()) for (const e of list) events.push({ ...e, name: displayName(e) });
    return chromeTrace(taskAttempts(events, (e) => (e as TaskEvent).taskQueue));
  }
}

import type { TaskState } from '@taskfit/core';

/** One state change of one attempt of a task. */
export interface TaskEvent {
  readonly taskId: string;
  /** The `name` option, else the export name. */
  readonly name: string;
  /** 0 for the first attempt, 1 for the first retry, … (Ray's `attempt_number`). */
  readonly attempt: number;
  readonly state: TaskState;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly nodeId: string;
  /** Resources reserved for the attempt (from SUBMITTED_TO_WORKER on). */
  readonly resources?: Readonly<Record<string, number>> | undefined;
  /** GPU ids assigned to the attempt (from SUBMITTED_TO_WORKER on). */
  readonly gpuIds?: readonly number[] | readonly string[] | undefined;
  /** Thread that ran the attempt (RUNNING and later). */
  readonly threadId?: number | undefined;
  /** On FAILED: the error's class name (`TaskError`'s `errorType`, or `WorkerCrashedError`, `TaskCancelledError`). */
  readonly errorType?: string | undefined;
  /** On FAILED: the error message. */
  readonly errorMessage?: string | undefined;
  /** The task that submitted this one (a child task submitted with `pool.remote` inside a task). */
  readonly parentTaskId?: string | undefined;
}

/** A task as `listTasks()` reports it. */
export interface TaskInfo {
  readonly taskId: string;
  readonly name: string;
  /** Latest state. */
  readonly state: TaskState;
  /** Latest attempt (0-based). */
  readonly attempt: number;
  readonly nodeId: string;
  /** Error type of the last failure, if the task failed. */
  readonly errorType?: string | undefined;
  /** The task that submitted this one (a child task). */
  readonly parentTaskId?: string | undefined;
  /** Every event of every attempt, oldest first. */
  readonly events: readonly TaskEvent[];
}

/** Filter of `listTasks()`: every given field must match. */
export interface TaskFilter {
  readonly taskId?: string;
  readonly name?: string;
  /** The task's latest state. */
  readonly state?: TaskState;
  /** Only the children of this task (the tasks it submitted with `pool.remote`). */
  readonly parentTaskId?: string;
}

/** Counts of tasks by latest state, overall and per name. */
export interface TaskSummary {
  readonly total: number;
  readonly byState: Readonly<Partial<Record<TaskState, number>>>;
  readonly byName: Readonly<Record<string, Readonly<Partial<Record<TaskState, number>>>>>;
}

/** Events emitted by `pool.events`. */
export interface TaskPoolEvents {
  /** Every state change of every visible task. */
  taskEvent: [TaskEvent];
  /** Errors Piscina reports outside any task (e.g. a close timeout). */
  error: [unknown];
}

export const STATES: readonly TaskState[] = [
  'PENDING_ARGS_AVAIL',
  'PENDING_NODE_ASSIGNMENT',
  'SUBMITTED_TO_WORKER',
  'RUNNING',
  'FINISHED',
  'FAILED',
];

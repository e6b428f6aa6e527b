/**
 * What the dashboard reads from a `TaskPool` and from `createTaskWorkers`, as structural types (so
 * this package depends on neither adapter), and their normalisation into one internal shape.
 */
import type { ChromeTrace, TaskState, TimelineTaskEvent } from '@taskfit/core';

/**
 * A task event as either executor emits it (the fields the dashboard reads): the timeline's fields
 * (`TimelineTaskEvent`) and what Temporal adds.
 */
export interface DashboardTaskEvent extends Omit<TimelineTaskEvent, 'name' | 'nodeId'> {
  /** Display name; Temporal events may leave it out (the activity type is used then). */
  readonly name?: string | undefined;
  /** Temporal: the activity type. */
  readonly activityType?: string | undefined;
  readonly nodeId: string;
  /** Temporal: the task queue (resource class) the activity came from. */
  readonly taskQueue?: string | undefined;
  /** Temporal: the workflow that scheduled the activity. */
  readonly workflowId?: string | undefined;
  /** Temporal: the workflow's run id. */
  readonly runId?: string | undefined;
  /** Temporal: the namespace. */
  readonly namespace?: string | undefined;
  /** Temporal, on FAILED: whether another attempt follows. */
  readonly retrying?: boolean | undefined;
}

/** Counts of tasks by latest state, overall and per name (`summarizeTasks()`). */
export interface DashboardTaskSummary {
  readonly total: number;
  readonly byState: Readonly<Partial<Record<TaskState, number>>>;
  readonly byName: Readonly<Record<string, Readonly<Partial<Record<TaskState, number>>>>>;
}

/** A task as `listTasks()` reports it (the fields the dashboard reads). */
export interface DashboardTaskInfo {
  readonly taskId: string;
  readonly state: TaskState;
  /** Latest attempt (0-based); during a retry's backoff, the attempt that comes next. */
  readonly attempt: number;
  readonly events: readonly DashboardTaskEvent[];
}

/** What the dashboard needs of a `TaskPool` (`@taskfit/piscina-adapter`). */
export interface DashboardPool {
  readonly events: {
    on(event: 'taskEvent', listener: (e: DashboardTaskEvent) => void): unknown;
    off(event: 'taskEvent', listener: (e: DashboardTaskEvent) => void): unknown;
  };
  listTasks(filter?: { taskId?: string; state?: TaskState }): readonly DashboardTaskInfo[];
  summarizeTasks(): DashboardTaskSummary;
  readonly resources: {
    readonly total: Readonly<Record<string, number>>;
    readonly available: Readonly<Record<string, number>>;
  };
  readonly nodeId: string;
  /** The pool's threads (Piscina's `threads`): the dashboard shows how many. */
  readonly threads: readonly unknown[];
  /** Tasks waiting for resources or for a thread (Piscina's `queueSize`). */
  readonly queueSize: number;
  timeline(): ChromeTrace;
}

/** A resource class a Temporal worker process serves (`workers.classes`). */
export interface DashboardServedClass {
  readonly key: string;
  readonly demand: Readonly<Record<string, number>>;
  readonly taskQueue: string;
  /** `true` for the class's node queue (tasks with hard node affinity to this machine). */
  readonly nodeQueue: boolean;
}

/** What the dashboard needs of `createTaskWorkers(...)` (`@taskfit/temporal-adapter/worker`). */
export interface DashboardWorkers {
  readonly events: {
    on(event: 'task', listener: (e: DashboardTaskEvent) => void): unknown;
    off(event: 'task', listener: (e: DashboardTaskEvent) => void): unknown;
  };
  readonly classes: readonly DashboardServedClass[];
  readonly nodeId: string;
  resources(): {
    total: Readonly<Record<string, number>>;
    available: Readonly<Record<string, number>>;
    /** Tasks that arrived on this machine and wait for resources (they hold nothing). */
    waitingTasks: number;
    /** Polls open now, over all task queues (an open poll reserves nothing). */
    openPolls: number;
  };
  listTasks(): readonly DashboardTaskInfo[];
  summarizeTasks(): DashboardTaskSummary;
  timeline(): ChromeTrace;
}

/** Resource snapshot of a source, with what its executor reports about its load. */
export interface SourceResources {
  readonly total: Readonly<Record<string, number>>;
  /** Reserved by tasks. */
  readonly reserved: Readonly<Record<string, number>>;
  /** Pools: threads now. */
  readonly threads?: number;
  /** Pools: tasks waiting for resources or for a thread. */
  readonly queueSize?: number;
  /** Workers: polls open now (they reserve nothing). */
  readonly openPolls?: number;
  /** Workers: tasks that arrived and wait for resources on the machine. */
  readonly waitingTasks?: number;
}

/** @internal One pool or worker process, normalised. */
export interface Source {
  readonly index: number;
  /** Unique label (`pool:<nodeId>`, `workers:<nodeId>`, with `#n` when repeated). */
  readonly id: string;
  readonly kind: 'pool' | 'workers';
  readonly nodeId: string;
  readonly classes: readonly DashboardServedClass[];
  subscribe(listener: (e: DashboardTaskEvent) => void): () => void;
  tasks(): readonly DashboardTaskInfo[];
  summarize(): DashboardTaskSummary;
  resources(): SourceResources;
  timeline(): ChromeTrace;
  /** Pools: ids of tasks that failed for good (their last attempt failed; a retry in backoff does not count). */
  failedNow?(): Set<string>;
  /** Pools: whether the pool still remembers the task. */
  remembers?(taskId: string): boolean;
}

function minus(
  total: Readonly<Record<string, number>>,
  available: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(total)) out[k] = Math.round((v - (available[k] ?? 0)) * 10_000) / 10_000;
  return out;
}

/** @internal */
export function toSources(pools: readonly DashboardPool[], workers: readonly DashboardWorkers[]): Source[] {
  const out: Source[] = [];
  const seen = new Map<string, number>();
  const label = (base: string): string => {
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  };
  for (const p of pools) {
    out.push({
      index: out.length,
      id: label(`pool:${p.nodeId}`),
      kind: 'pool',
      nodeId: p.nodeId,
      classes: [],
      subscribe(listener) {
        p.events.on('taskEvent', listener);
        return () => void p.events.off('taskEvent', listener);
      },
      tasks: () => p.listTasks(),
      summarize: () => p.summarizeTasks(),
      resources() {
        const { total, available } = p.resources;
        return { total, reserved: minus(total, available), threads: p.threads.length, queueSize: p.queueSize };
      },
      timeline: () => p.timeline(),
      // A task waiting out a retry's backoff reports FAILED with its next attempt already counted:
      // only a task whose latest attempt is the one that failed has settled.
      failedNow: () =>
        new Set(
          p
            .listTasks({ state: 'FAILED' })
            .filter((t) => t.events.at(-1)?.attempt === t.attempt)
            .map((t) => t.taskId),
        ),
      remembers: (taskId) => p.listTasks({ taskId }).length > 0,
    });
  }
  for (const w of workers) {
    out.push({
      index: out.length,
      id: label(`workers:${w.nodeId}`),
      kind: 'workers',
      nodeId: w.nodeId,
      classes: w.classes,
      subscribe(listener) {
        w.events.on('task', listener);
        return () => void w.events.off('task', listener);
      },
      tasks: () => w.listTasks(),
      summarize: () => w.summarizeTasks(),
      resources() {
        // An open poll reserves nothing: what tasks hold is all that is reserved.
        const r = w.resources();
        return {
          total: r.total,
          reserved: minus(r.total, r.available),
          openPolls: r.openPolls,
          waitingTasks: r.waitingTasks,
        };
      },
      timeline: () => w.timeline(),
    });
  }
  return out;
}

/** The task context: what a running activity may read about its task (`getTaskContext()`). */
import { Context } from '@temporalio/activity';

/** What a taskfit activity knows about the task it runs. */
export interface TaskContext {
  /** `<workflowId>/<runId>/<activityId>`: stable across the attempts of one task. */
  readonly taskId: string;
  /** The task's `name` option, if set. */
  readonly name: string | undefined;
  readonly activityType: string;
  /** 0 for the first attempt, 1 for the first retry, … (Ray's attempt number). */
  readonly attempt: number;
  /** The node (this worker process's `nodeId`). */
  readonly nodeId: string;
  readonly taskQueue: string;
  /** What the task holds in the ledger while it runs. */
  readonly resources: Readonly<Record<string, number>>;
  /** GPU ids assigned to the task (empty without GPUs). */
  readonly gpuIds: readonly (number | string)[];
  /**
   * The task's own variables, by core's `taskEnvVars` (the rule both executors apply):
   * `runtimeEnv.envVars` (with `${VAR}` expanded against the worker's environment),
   * `CUDA_VISIBLE_DEVICES` for a task with GPUs, and Ray's `OMP_NUM_THREADS` default (the task's
   * CPU count, at least 1) unless the task or the worker's environment sets it.
   */
  readonly envVars: Readonly<Record<string, string>>;
  /**
   * The full environment for child processes: the worker's `process.env` with {@link envVars}
   * on top, e.g. `spawn(cmd, args, { env: getTaskContext().env })`. Activities share the worker
   * process, so `process.env` itself is never modified.
   */
  readonly env: Readonly<Record<string, string>>;
  /** Aborted when the task is cancelled (or the worker shuts down). */
  readonly signal: AbortSignal;
}

// Kept on Temporal's own activity context (found through its AsyncLocalStorage), rather than in
// a second AsyncLocalStorage: each one enabled adds work to every promise of the process.
const contexts = new WeakMap<Context, TaskContext>();

/** @internal Makes `ctx` the task context of the activity whose Temporal context is `activity`. */
export function setTaskContext(activity: Context, ctx: TaskContext): void {
  contexts.set(activity, ctx);
}

/**
 * The context of the taskfit task running now. Throws outside an activity run by
 * `createTaskWorkers` (call it synchronously in the activity or from code it awaits).
 */
export function getTaskContext(): TaskContext {
  let activity: Context | undefined;
  try {
    activity = Context.current();
  } catch {
    activity = undefined;
  }
  const ctx = activity === undefined ? undefined : contexts.get(activity);
  if (ctx === undefined)
    throw new Error('getTaskContext() called outside a taskfit activity (run by createTaskWorkers)');
  return ctx;
}

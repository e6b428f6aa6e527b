/**
 * Error classes of the Temporal executor that `@taskfit/core` does not (yet) have. Sandbox-safe.
 * Like core's, each has a stable `name`, survives structured cloning as plain data (`toJSON`) and
 * is recognised across realms (the workflow sandbox, worker threads) through a `Symbol.for` brand.
 */
import { TaskFailure } from '@taskfit/core';

/** Temporal's activity timeout types. */
export type TaskTimeoutType = 'SCHEDULE_TO_START' | 'START_TO_CLOSE' | 'SCHEDULE_TO_CLOSE' | 'HEARTBEAT';

const BRAND = Symbol.for('taskfit.TaskTimeoutError');

/**
 * A task ran out of one of its Temporal timeouts (`_metadata['temporal.io/activity']`), other
 * than a lost worker (a `HEARTBEAT` timeout is a `WorkerCrashedError`):
 * - `SCHEDULE_TO_START`: no machine serving the task's resource class started it within
 *   `scheduleToStartTimeout` (none polls its task queue, or every one stayed busy);
 * - `START_TO_CLOSE`: its last attempt ran longer than `startToCloseTimeout`;
 * - `SCHEDULE_TO_CLOSE`: the task, retries and waits included, took longer than `scheduleToCloseTimeout`.
 *
 * `attempts` counts the attempts that started, as far as Temporal reports them: exact after
 * `START_TO_CLOSE` (the retries ran out) and for a `SCHEDULE_TO_START` of the first attempt (0);
 * for `SCHEDULE_TO_CLOSE`, and for a `SCHEDULE_TO_START` of a retry, Temporal does not report
 * how many attempts ran before, and `attempts` is the number known to have run (a lower bound).
 */
export class TaskTimeoutError extends TaskFailure {
  override readonly name = 'TaskTimeoutError';
  readonly timeoutType: TaskTimeoutType;
  /** The task queue the task was routed to, when known. */
  readonly taskQueue: string | undefined;
  constructor(
    taskId: string,
    attempts: number,
    timeoutType: TaskTimeoutType,
    message: string,
    options?: { cause?: unknown; taskQueue?: string | undefined },
  ) {
    super(`task ${taskId} timed out (${timeoutType}): ${message}`, taskId, attempts, options);
    this.timeoutType = timeoutType;
    this.taskQueue = options?.taskQueue;
    Object.defineProperty(this, BRAND, { value: true });
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), timeoutType: this.timeoutType, taskQueue: this.taskQueue };
  }
}

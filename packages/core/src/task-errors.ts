/**
 * Error classes every executor uses to report a task's end, so that callers can branch on
 * them whichever executor ran the task. Each has a stable `name`, survives structured
 * cloning as plain data (`toJSON`) and is recognised across realms (worker threads, VM
 * contexts) by `instanceof` through a `Symbol.for` brand.
 */

/** Why a system failure happened. */
export type SystemFailureKind = 'worker_exit' | 'out_of_memory' | 'terminated' | 'worker_lost' | 'timeout';

function brandClass(brand: symbol) {
  return (value: unknown): boolean =>
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

const TASK_ERROR = Symbol.for('taskfit.TaskError');
const SYSTEM_ERROR = Symbol.for('taskfit.WorkerCrashedError');
const CANCELLED = Symbol.for('taskfit.TaskCancelledError');
const INFEASIBLE = Symbol.for('taskfit.InfeasibleTaskError');
const TIMEOUT = Symbol.for('taskfit.TaskTimeoutError');

/** Base of every executor error: carries the task id and how many attempts were made. */
export abstract class TaskFailure extends Error {
  /** The executor's id of the task. */
  readonly taskId: string;
  /** Attempts made, the first included. */
  readonly attempts: number;
  constructor(message: string, taskId: string, attempts: number, options?: { cause?: unknown }) {
    super(message, options);
    this.taskId = taskId;
    this.attempts = attempts;
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, taskId: this.taskId, attempts: this.attempts };
  }
}

/**
 * The task's own code threw (an application error). `errorType` is the class name of what
 * was thrown and `typeChain` its prototype chain (`['HttpError', 'Error']`), kept even when
 * the class itself could not cross a thread or process boundary. `cause` is the thrown error
 * (or its reconstruction, with the original name, message, stack and own properties).
 */
export class TaskError extends TaskFailure {
  override readonly name = 'TaskError';
  readonly errorType: string;
  readonly typeChain: readonly string[];
  constructor(
    taskId: string,
    attempts: number,
    errorType: string,
    typeChain: readonly string[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`task ${taskId} failed with ${errorType}: ${message}`, taskId, attempts, options);
    this.errorType = errorType;
    this.typeChain = typeChain;
    Object.defineProperty(this, TASK_ERROR, { value: true });
  }
  static override [Symbol.hasInstance] = brandClass(TASK_ERROR);
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), errorType: this.errorType, typeChain: this.typeChain };
  }
}

/** The task could not finish because its worker died, ran out of memory, was terminated or lost. */
export class WorkerCrashedError extends TaskFailure {
  override readonly name = 'WorkerCrashedError';
  readonly kind: SystemFailureKind;
  constructor(
    taskId: string,
    attempts: number,
    kind: SystemFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`task ${taskId}: ${message}`, taskId, attempts, options);
    this.kind = kind;
    Object.defineProperty(this, SYSTEM_ERROR, { value: true });
  }
  static override [Symbol.hasInstance] = brandClass(SYSTEM_ERROR);
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), kind: this.kind };
  }
}

/** The task was cancelled (by `ref.cancel()`, an AbortSignal, or the executor closing). */
export class TaskCancelledError extends TaskFailure {
  override readonly name = 'TaskCancelledError';
  constructor(taskId: string, attempts: number, reason: string, options?: { cause?: unknown }) {
    super(`task ${taskId} was cancelled: ${reason}`, taskId, attempts, options);
    Object.defineProperty(this, CANCELLED, { value: true });
  }
  static override [Symbol.hasInstance] = brandClass(CANCELLED);
}

/** No node can ever satisfy the task's demand or constraints; `reason` names what is missing. */
export class InfeasibleTaskError extends TaskFailure {
  override readonly name = 'InfeasibleTaskError';
  readonly reason: string;
  constructor(taskId: string, reason: string) {
    super(`task ${taskId} is infeasible: ${reason}`, taskId, 0);
    this.reason = reason;
    Object.defineProperty(this, INFEASIBLE, { value: true });
  }
  static override [Symbol.hasInstance] = brandClass(INFEASIBLE);
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason };
  }
}

/**
 * Which timeout a task ran out of (Temporal's names for them):
 * - `SCHEDULE_TO_START`: no worker serving the task started it in time;
 * - `START_TO_CLOSE`: an attempt ran longer than it may;
 * - `SCHEDULE_TO_CLOSE`: the task as a whole, retries and waits included, took longer than it may;
 * - `HEARTBEAT`: a running attempt stopped reporting progress. Executors report that as a lost
 *   worker ({@link WorkerCrashedError}, `kind: 'worker_lost'`), not as a {@link TaskTimeoutError}.
 */
export type TaskTimeoutType = 'SCHEDULE_TO_START' | 'START_TO_CLOSE' | 'SCHEDULE_TO_CLOSE' | 'HEARTBEAT';

/**
 * The task ran out of one of its timeouts (other than a lost worker, which is a
 * {@link WorkerCrashedError}); `timeoutType` names it, and `taskQueue` is where the task was routed,
 * when the executor has queues (the Temporal adapter raises it for the timeouts set in
 * `_metadata['temporal.io/activity']`).
 *
 * `attempts` counts the attempts that started, as far as the executor knows them: where it cannot
 * know how many ran before the timeout (Temporal reports no count with a `SCHEDULE_TO_CLOSE`, or
 * with a `SCHEDULE_TO_START` of a retry), it is the number known to have run (a lower bound).
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
    Object.defineProperty(this, TIMEOUT, { value: true });
  }
  static override [Symbol.hasInstance] = brandClass(TIMEOUT);
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), timeoutType: this.timeoutType, taskQueue: this.taskQueue };
  }
}

/**
 * What a Temporal activity timeout means for a taskfit task. The one rule used twice:
 * `remoteActivity(...).remote()` in the workflow names the timeout in the failure it rethrows
 * (it knows the task's class, queue and retry budget), and `toTaskFailure` maps that failure —
 * or a bare `TimeoutFailure` of a plain `proxyActivities` call — to a typed error. Sandbox-safe.
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import type { RetryState } from '@temporalio/common';
import type { TaskTimeoutType } from './errors.js';
import type { TaskFailureDetails } from './failures.js';

/** What the workflow knows about the task whose activity timed out. */
export interface TimedOutTask {
  /** The task queue it was routed to. */
  taskQueue: string;
  /** `resourceClassKey` of its demand. */
  classKey: string;
  maxRetries: number;
  /** Hard node affinity with `failOnUnavailable`: the node, else `undefined`. */
  unavailableNode: string | undefined;
  /** The timeouts in force, ms (`undefined` = none). */
  timeoutsMs: Readonly<Record<TaskTimeoutType, number | undefined>>;
}

/** The typed error a timeout becomes: its class name, message and attempts. */
export interface TimeoutMeaning {
  type: 'TaskTimeoutError' | 'WorkerCrashedError' | 'InfeasibleTaskError';
  timeoutType: TaskTimeoutType;
  attempts: number;
  message: string;
}

const after = (ms: number | undefined): string => (ms === undefined ? '' : ` (${ms} ms)`);

/**
 * The meaning of a `timeoutType` timeout ending a task with `retryState`. `task` (known in the
 * workflow) makes the message name the class and the attempts exact where Temporal allows.
 */
export function timeoutMeaning(
  type: TaskTimeoutType | undefined,
  retryState: RetryState,
  task?: TimedOutTask,
): TimeoutMeaning {
  // Temporal always names the timeout; an unnamed one is read as the attempt's own.
  const timeoutType = type ?? 'START_TO_CLOSE';
  const ms = task?.timeoutsMs[timeoutType];
  // After HEARTBEAT or START_TO_CLOSE the retries ran out (else Temporal would retry): every
  // attempt ran. Without the task's retry budget, the one that timed out is all we know of.
  const ranOut =
    retryState === 'MAXIMUM_ATTEMPTS_REACHED' && task !== undefined && task.maxRetries >= 0 ? task.maxRetries + 1 : 1;
  switch (timeoutType) {
    case 'HEARTBEAT':
      return {
        type: 'WorkerCrashedError',
        timeoutType,
        attempts: ranOut,
        message: `the worker running it stopped heartbeating for heartbeatTimeout${after(ms)}: its process died or lost its connection, or its event loop was blocked`,
      };
    case 'START_TO_CLOSE':
      return {
        type: 'TaskTimeoutError',
        timeoutType,
        attempts: ranOut,
        message: `its last attempt ran longer than startToCloseTimeout${after(ms)}`,
      };
    case 'SCHEDULE_TO_CLOSE':
      return {
        type: 'TaskTimeoutError',
        timeoutType,
        attempts: 0,
        message: `it did not finish within scheduleToCloseTimeout${after(ms)}, waits and retries included`,
      };
    case 'SCHEDULE_TO_START': {
      if (task?.unavailableNode !== undefined) {
        return {
          type: 'InfeasibleTaskError',
          timeoutType,
          attempts: 0,
          message: `node ${task.unavailableNode} is unavailable (nodeAffinity with failOnUnavailable): no worker with that nodeId started the task from its node queue ${task.taskQueue} within${after(ms)}; the node is gone, does not serve this resource class with nodeQueues: true, or stayed busy`,
        };
      }
      const cls = task === undefined ? 'its resource class' : `resource class ${describeClass(task.classKey)}`;
      const queue = task === undefined ? '' : ` (task queue ${task.taskQueue})`;
      return {
        type: 'TaskTimeoutError',
        timeoutType,
        attempts: 0,
        message: `no machine serving ${cls}${queue} started it within scheduleToStartTimeout${after(ms)}: no worker polls that queue (see createTaskWorkers' classes), or every machine serving it stayed busy`,
      };
    }
  }
}

function describeClass(key: string): string {
  return key === '' ? "'' (the default: 1 CPU)" : key === '-' ? "'-' (no resources)" : `'${key}'`;
}

/**
 * In the workflow: when `err` is an `ActivityFailure` caused by a timeout, the same failure with
 * an `ApplicationFailure` in between whose `type` names the taskfit error (`TaskTimeoutError`,
 * `WorkerCrashedError` for a lost worker, `InfeasibleTaskError` for an unavailable node), whose
 * message says what happened and whose details carry the attempts; Temporal's `TimeoutFailure`
 * (with `lastHeartbeatDetails`) stays its cause. Anything else is returned unchanged.
 */
export function explainTimeout(err: unknown, task: TimedOutTask): unknown {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof TimeoutFailure)) return err;
  const timeout = err.cause;
  const m = timeoutMeaning(timeout.timeoutType, err.retryState, task);
  const details: TaskFailureDetails = {
    typeChain: [m.type, 'TaskFailure', 'Error'],
    errorName: m.type,
    attempt: m.attempts,
    timeoutType: m.timeoutType,
    taskQueue: task.taskQueue,
  };
  if (m.type === 'WorkerCrashedError') details.kind = 'worker_lost';
  const explained = ApplicationFailure.create({
    type: m.type,
    message: m.message,
    nonRetryable: true,
    details: [details],
    cause: timeout,
  });
  return new ActivityFailure(err.message, err.activityType, err.activityId, err.retryState, err.identity, explained);
}

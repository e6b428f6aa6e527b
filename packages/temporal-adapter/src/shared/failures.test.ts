import { describe, expect, it } from 'vitest';
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import type { TimeoutType as TimeoutTypeT } from '@temporalio/common';
import { InfeasibleTaskError, TaskTimeoutError as CoreTaskTimeoutError, WorkerCrashedError } from '@taskfit/core';
import { TaskTimeoutError } from './errors.js';
import { toTaskFailure } from './failures.js';
import { explainTimeout } from './timeouts.js';
import type { TimedOutTask } from './timeouts.js';

const activityFailure = (cause: Error, retryState: RetryState = RetryState.MAXIMUM_ATTEMPTS_REACHED) =>
  new ActivityFailure('activity failed', 'work', '7', retryState, 'w', cause);

describe('toTaskFailure', () => {
  it('maps an application failure to TaskError with type, chain and attempts', () => {
    const cause = ApplicationFailure.create({
      message: 'boom',
      type: 'HttpError',
      nonRetryable: true,
      details: [{ typeChain: ['HttpError', 'IOError', 'Error'], errorName: 'HttpError', attempt: 2 }],
    });
    expect(toTaskFailure(activityFailure(cause))).toMatchObject({
      name: 'TaskError',
      taskId: '7',
      errorType: 'HttpError',
      typeChain: ['HttpError', 'IOError', 'Error'],
      attempts: 2,
    });
  });

  it('maps a crashed pool thread to WorkerCrashedError; finds the failure inside a cause chain', () => {
    const crash = ApplicationFailure.create({
      type: 'WorkerCrashedError',
      message: 'thread exited',
      details: [
        {
          typeChain: ['WorkerCrashedError', 'Error'],
          errorName: 'WorkerCrashedError',
          attempt: 1,
          kind: 'worker_exit',
        },
      ],
    });
    const wrapped = Object.assign(new Error('workflow failed'), { cause: activityFailure(crash) });
    expect(toTaskFailure(wrapped)).toMatchObject({ name: 'WorkerCrashedError', kind: 'worker_exit', attempts: 1 });
    expect(toTaskFailure(new Error('no activity here'))).toBeUndefined();
  });

  it("raises core's TaskTimeoutError (the adapter re-exports it)", () => {
    expect(TaskTimeoutError).toBe(CoreTaskTimeoutError);
  });

  it('a bare timeout (plain proxyActivities): only HEARTBEAT is a lost worker; the others name the timeout', () => {
    const bare = (type: TimeoutTypeT, retry?: RetryState) =>
      toTaskFailure(activityFailure(new TimeoutFailure('timed out', undefined, type), retry));
    expect(bare(TimeoutType.HEARTBEAT)).toMatchObject({ name: 'WorkerCrashedError', kind: 'worker_lost' });
    for (const type of [TimeoutType.START_TO_CLOSE, TimeoutType.SCHEDULE_TO_CLOSE] as const) {
      const f = bare(type, RetryState.TIMEOUT);
      expect(f).toBeInstanceOf(TaskTimeoutError);
      expect(f).toMatchObject({ name: 'TaskTimeoutError', timeoutType: type });
    }
    expect(bare(TimeoutType.SCHEDULE_TO_START, RetryState.TIMEOUT)).toMatchObject({
      name: 'TaskTimeoutError',
      timeoutType: 'SCHEDULE_TO_START',
      attempts: 0,
    });
  });
});

describe('explainTimeout (remoteActivity in the workflow) and toTaskFailure', () => {
  const task: TimedOutTask = {
    taskQueue: 'jobs@CPU=1,GPU=1',
    classKey: 'CPU=1,GPU=1',
    maxRetries: 2,
    unavailableNode: undefined,
    timeoutsMs: { SCHEDULE_TO_START: 1000, START_TO_CLOSE: 5000, SCHEDULE_TO_CLOSE: undefined, HEARTBEAT: 2000 },
  };
  const explained = (type: TimeoutTypeT, retry: RetryState, t: TimedOutTask = task) =>
    explainTimeout(activityFailure(new TimeoutFailure('timed out', { progress: 42 }, type), retry), t);

  it("keeps the ActivityFailure; its cause names the taskfit error, and Temporal's TimeoutFailure stays below", () => {
    const err = explained(TimeoutType.START_TO_CLOSE, RetryState.MAXIMUM_ATTEMPTS_REACHED) as ActivityFailure;
    expect(err).toBeInstanceOf(ActivityFailure);
    expect(err.cause).toBeInstanceOf(ApplicationFailure);
    expect((err.cause as ApplicationFailure).type).toBe('TaskTimeoutError');
    expect(err.cause?.cause).toBeInstanceOf(TimeoutFailure);
    expect((err.cause?.cause as TimeoutFailure).lastHeartbeatDetails).toEqual({ progress: 42 });
    const other = new Error('not a timeout');
    expect(explainTimeout(other, task)).toBe(other);
  });

  it('each timeout type becomes an error that names it, with the attempts made', () => {
    expect(toTaskFailure(explained(TimeoutType.START_TO_CLOSE, RetryState.MAXIMUM_ATTEMPTS_REACHED))).toMatchObject({
      name: 'TaskTimeoutError',
      timeoutType: 'START_TO_CLOSE',
      attempts: 3,
      taskQueue: 'jobs@CPU=1,GPU=1',
    });
    const lost = toTaskFailure(explained(TimeoutType.HEARTBEAT, RetryState.MAXIMUM_ATTEMPTS_REACHED));
    expect(lost).toBeInstanceOf(WorkerCrashedError);
    expect(lost).toMatchObject({ kind: 'worker_lost', attempts: 3 });
    expect(lost?.message).toMatch(/stopped heartbeating for heartbeatTimeout \(2000 ms\)/);
    const notStarted = toTaskFailure(explained(TimeoutType.SCHEDULE_TO_START, RetryState.TIMEOUT));
    expect(notStarted).toMatchObject({ name: 'TaskTimeoutError', timeoutType: 'SCHEDULE_TO_START', attempts: 0 });
    expect(notStarted?.message).toMatch(
      /no machine serving resource class 'CPU=1,GPU=1' \(task queue jobs@CPU=1,GPU=1\) started it within scheduleToStartTimeout \(1000 ms\)/,
    );
    expect(toTaskFailure(explained(TimeoutType.SCHEDULE_TO_CLOSE, RetryState.TIMEOUT))).toMatchObject({
      name: 'TaskTimeoutError',
      timeoutType: 'SCHEDULE_TO_CLOSE',
    });
  });

  it('hard node affinity with failOnUnavailable: an unavailable node is InfeasibleTaskError naming it', () => {
    const f = toTaskFailure(
      explained(TimeoutType.SCHEDULE_TO_START, RetryState.TIMEOUT, {
        ...task,
        taskQueue: 'jobs@node:ghost',
        unavailableNode: 'ghost',
      }),
    );
    expect(f).toBeInstanceOf(InfeasibleTaskError);
    expect(f?.message).toMatch(/node ghost is unavailable \(nodeAffinity with failOnUnavailable\)/);
  });
});

import { describe, expect, it } from 'vitest';
import { ActivityFailure, ApplicationFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { decodeTaskEnvelope, encodeTaskEnvelope, ENVELOPE_KEY } from './envelope.js';
import type { TaskWireOptions } from './envelope.js';
import { toTaskFailure } from './failures.js';

const wire: TaskWireOptions = {
  v: 1,
  demand: { CPU: 1 },
  numReturns: 1,
  maxRetries: 3,
  retryExceptions: false,
  enableTaskEvents: true,
  maxCalls: 0,
};

describe('task envelope', () => {
  it('round-trips options and arguments through JSON', () => {
    const env = JSON.parse(JSON.stringify(encodeTaskEnvelope(wire, [1, 'a', { b: [2] }]))) as unknown;
    expect(decodeTaskEnvelope([env])).toEqual({ options: wire, args: [1, 'a', { b: [2] }] });
  });

  it('leaves plain activity input alone', () => {
    expect(decodeTaskEnvelope([])).toBeUndefined();
    expect(decodeTaskEnvelope([1, 2])).toBeUndefined();
    expect(decodeTaskEnvelope([{ args: [] }])).toBeUndefined();
  });

  it('rejects a malformed envelope with a TypeError naming the expected shape', () => {
    expect(() => decodeTaskEnvelope([{ [ENVELOPE_KEY]: { v: 2, demand: {} }, args: [] }])).toThrow(TypeError);
    expect(() => decodeTaskEnvelope([{ [ENVELOPE_KEY]: { v: 1, demand: {} }, args: 'x' }])).toThrow(
      /malformed taskfit envelope/,
    );
  });
});

describe('toTaskFailure', () => {
  const activityFailure = (cause: Error) =>
    new ActivityFailure('activity failed', 'work', '7', RetryState.MAXIMUM_ATTEMPTS_REACHED, 'w', cause);

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

  it('maps a crashed pool thread and a timeout to WorkerCrashedError; finds the failure inside a cause chain', () => {
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
    expect(toTaskFailure(activityFailure(crash))).toMatchObject({
      name: 'WorkerCrashedError',
      kind: 'worker_exit',
      attempts: 1,
    });
    const timeout = new TimeoutFailure('heartbeat', undefined, TimeoutType.HEARTBEAT);
    const wrapped = Object.assign(new Error('workflow failed'), { cause: activityFailure(timeout) });
    expect(toTaskFailure(wrapped)).toMatchObject({ name: 'WorkerCrashedError', kind: 'timeout' });
    expect(toTaskFailure(new Error('no activity here'))).toBeUndefined();
  });
});

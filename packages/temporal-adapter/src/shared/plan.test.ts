import { describe, expect, it } from 'vitest';
import { TaskOptionsError } from '@taskfit/core';
import { resolveActivitySettings } from './activity-settings.js';
import { maximumAttemptsFor, toActivityPlan } from './plan.js';

function issuesOf(fn: () => unknown): { code: string; path: readonly (string | number)[] }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TaskOptionsError);
    return (err as TaskOptionsError).issues.map((i) => ({ code: i.code, path: i.path }));
  }
  throw new Error('expected a TaskOptionsError');
}

describe('retry mapping', () => {
  it('maxRetries n → maximumAttempts n + 1; -1 → unlimited (omitted); never 0', () => {
    expect(maximumAttemptsFor(0)).toBe(1);
    expect(maximumAttemptsFor(2)).toBe(3);
    expect(maximumAttemptsFor(-1)).toBeUndefined();
    expect(toActivityPlan({}).activityOptions.retry?.maximumAttempts).toBe(4);
    expect(toActivityPlan({ maxRetries: 0 }).activityOptions.retry?.maximumAttempts).toBe(1);
    expect(toActivityPlan({ maxRetries: -1 }).activityOptions.retry).not.toHaveProperty('maximumAttempts');
  });

  it('fills sensible defaults: heartbeat 10 s, start-to-close 1 h, backoff 1 s × 2, no eager dispatch', () => {
    const p = toActivityPlan({});
    expect(p.activityOptions).toMatchObject({
      heartbeatTimeout: 10_000,
      startToCloseTimeout: 3_600_000,
      retry: { initialInterval: 1_000, backoffCoefficient: 2 },
      allowEagerDispatch: false,
      cancellationType: 'WAIT_CANCELLATION_COMPLETED',
    });
  });

  it('reads timeouts and backoff from _metadata["temporal.io/activity"]', () => {
    const p = toActivityPlan({
      name: 'train',
      _metadata: {
        'temporal.io/activity': {
          heartbeatTimeout: '2s',
          startToCloseTimeout: '5 minutes',
          scheduleToCloseTimeout: 60_000,
          initialInterval: '250ms',
          backoffCoefficient: 1.5,
          maximumInterval: '10s',
          taskQueue: 'gpu-jobs',
          cancellationType: 'TRY_CANCEL',
        },
      },
    });
    expect(p.activityOptions).toMatchObject({
      heartbeatTimeout: 2_000,
      startToCloseTimeout: 300_000,
      scheduleToCloseTimeout: 60_000,
      retry: { initialInterval: 250, backoffCoefficient: 1.5, maximumInterval: 10_000 },
      summary: 'train',
      cancellationType: 'TRY_CANCEL',
    });
    expect(p.taskQueue('default-queue')).toBe('gpu-jobs');
  });
});

describe('routing', () => {
  it('hard node affinity with failOnUnavailable gets a bounded wait (scheduleToStartTimeout, 10 s unless set)', () => {
    const ghost = { type: 'nodeAffinity', nodeId: 'ghost', failOnUnavailable: true } as const;
    const p = toActivityPlan({ schedulingStrategy: ghost });
    expect(p.unavailableNode).toBe('ghost');
    expect(p.activityOptions.scheduleToStartTimeout).toBe(10_000);
    expect(p.timedOut('q@node:ghost')).toMatchObject({ unavailableNode: 'ghost', taskQueue: 'q@node:ghost' });
    const set = toActivityPlan({
      schedulingStrategy: ghost,
      _metadata: { 'temporal.io/activity': { scheduleToStartTimeout: '2s' } },
    });
    expect(set.activityOptions.scheduleToStartTimeout).toBe(2_000);
    // Without failOnUnavailable a hard-affinity task waits for its node, as in Ray.
    const waits = toActivityPlan({ schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n1' } });
    expect(waits.unavailableNode).toBeUndefined();
    expect(waits.activityOptions.scheduleToStartTimeout).toBeUndefined();
  });

  it('derives the queue from the demand; hard affinity adds the node, soft does not', () => {
    expect(toActivityPlan({}).taskQueue('q')).toBe('q');
    expect(toActivityPlan({ numGpus: 0.5 }).taskQueue('q')).toBe('q@CPU=1,GPU=0.5');
    expect(toActivityPlan({ numGpus: 1, acceleratorType: 'H100' }).taskQueue('q')).toBe(
      'q@CPU=1,GPU=1,accelerator_type:H100=0.001',
    );
    expect(toActivityPlan({ resources: { licence: 1 }, numCpus: 0 }).taskQueue('q')).toBe('q@licence=1');
    expect(toActivityPlan({ schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n1' } }).taskQueue('q')).toBe(
      'q@node:n1',
    );
    expect(
      toActivityPlan({ schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n1', soft: true } }).taskQueue('q'),
    ).toBe('q');
  });

  it('carries what the worker needs in the wire options', () => {
    class TransientError extends Error {}
    const { wire } = toActivityPlan({
      name: 't',
      numGpus: 1,
      numReturns: 2,
      retryExceptions: [TransientError, 'IOError'],
      runtimeEnv: { envVars: { A: '1' } },
    });
    expect(wire).toEqual({
      v: 1,
      name: 't',
      demand: { CPU: 1, GPU: 1 },
      numReturns: 2,
      maxRetries: 3,
      retryExceptions: ['TransientError', 'IOError'],
      envVars: { A: '1' },
      enableTaskEvents: true,
      maxCalls: 1,
    });
  });
});

describe('rejections', () => {
  it('rejects what the Temporal executor cannot honour, naming the option', () => {
    expect(issuesOf(() => toActivityPlan({ numReturns: 'streaming' }))).toEqual([
      { code: 'invalid_value', path: ['numReturns'] },
    ]);
    expect(issuesOf(() => toActivityPlan({ labelSelector: { region: 'eu' } }))).toEqual([
      { code: 'invalid_value', path: ['labelSelector'] },
    ]);
    expect(issuesOf(() => toActivityPlan({ runtimeEnv: { workingDir: '/tmp' } }))).toEqual([
      { code: 'invalid_value', path: ['runtimeEnv', 'workingDir'] },
    ]);
    expect(
      issuesOf(() => toActivityPlan({ schedulingStrategy: { type: 'placementGroup', placementGroup: { id: 'pg' } } })),
    ).toEqual([{ code: 'invalid_value', path: ['schedulingStrategy', 'type'] }]);
  });

  it('validates every temporal.io/activity field, reporting all issues with code and path', () => {
    const ns = ['_metadata', 'temporal.io/activity'];
    const bad = (v: Record<string, unknown>) => issuesOf(() => resolveActivitySettings({ 'temporal.io/activity': v }));
    expect(bad({ heartbeatTimeout: '10 parsecs' })).toEqual([
      { code: 'invalid_value', path: [...ns, 'heartbeatTimeout'] },
    ]);
    expect(bad({ heartbeatTimeout: 0 })).toEqual([{ code: 'invalid_value', path: [...ns, 'heartbeatTimeout'] }]);
    expect(bad({ startToCloseTimeout: Number.NaN })).toEqual([
      { code: 'invalid_value', path: [...ns, 'startToCloseTimeout'] },
    ]);
    expect(bad({ scheduleToStartTimeout: true })).toEqual([
      { code: 'invalid_type', path: [...ns, 'scheduleToStartTimeout'] },
    ]);
    expect(bad({ backoffCoefficient: 0.5 })).toEqual([{ code: 'invalid_value', path: [...ns, 'backoffCoefficient'] }]);
    expect(bad({ backoffCoefficient: '2' })).toEqual([{ code: 'invalid_type', path: [...ns, 'backoffCoefficient'] }]);
    expect(bad({ taskQueue: 'a@b' })).toEqual([{ code: 'invalid_value', path: [...ns, 'taskQueue'] }]);
    expect(bad({ cancellationType: 'NEVER' })).toEqual([{ code: 'invalid_value', path: [...ns, 'cancellationType'] }]);
    expect(bad({ heartbeat: '1s' })).toEqual([{ code: 'unknown_option', path: [...ns, 'heartbeat'] }]);
    expect(bad({ initialInterval: '10s', maximumInterval: '1s' })).toEqual([
      { code: 'conflict', path: [...ns, 'maximumInterval'] },
    ]);
    expect(bad({ heartbeatTimeout: 'x', backoffCoefficient: 0 })).toHaveLength(2);
    expect(issuesOf(() => resolveActivitySettings({ 'temporal.io/activity': 'fast' as never }))).toEqual([
      { code: 'invalid_type', path: ns },
    ]);
  });

  it('names the field and the rule in the message', () => {
    expect(() => resolveActivitySettings({ 'temporal.io/activity': { heartbeatTimeout: '10 parsecs' } })).toThrow(
      /_metadata\['temporal.io\/activity'\]\.heartbeatTimeout must be a positive duration/,
    );
  });
});

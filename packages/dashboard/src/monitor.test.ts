// The monitor against a real TaskPool: what it keeps for the metrics stays within its caps.
import { describe, expect, it } from 'vitest';
import { TaskPool } from '@taskfit/piscina-adapter';
import type { ObjectRef } from '@taskfit/piscina-adapter';
import { resolveLimits } from './limits.js';
import { Monitor } from './monitor.js';
import { toSources } from './sources.js';

const TASKS = new URL('../test/fixtures/tasks.mjs', import.meta.url);

describe('Monitor', () => {
  it('keeps its metric counts by name label: 200 task names with maxMetricNames 3 keep 3 names and "other"', async () => {
    await using pool = new TaskPool({ filename: TASKS, resources: { CPU: 2 }, maxThreads: 2 });
    const monitor = new Monitor(toSources([pool], []), resolveLimits({ maxMetricNames: 3 }));
    try {
      // Each name fails once (allow-listed, retried) and then finishes; every tenth fails for good.
      const limited = pool.remote('limitedUntil', { maxRetries: 1, retryExceptions: ['RateLimitError'] });
      const fail = pool.remote('fail');
      await Promise.allSettled(
        Array.from(
          { length: 200 },
          (_, i) =>
            (i % 10 === 0
              ? fail.options({ name: `t-${i}` }).remote(i)
              : limited.options({ name: `t-${i}` }).remote(1)) as ObjectRef,
        ),
      );
      monitor.resolveFailures();
      const { tasksEnded, attemptsEnded, retries, failures } = monitor.counts;
      const names = (m: Map<string, Map<string, unknown>>) => [...(m.get('pool:local')?.keys() ?? [])].sort();
      const expected = ['other', 't-0', 't-1', 't-2'];
      expect(names(tasksEnded)).toEqual(expected);
      expect(names(attemptsEnded)).toEqual(expected);
      expect(names(failures)).toEqual(expected);
      expect(names(retries)).toEqual(['other', 't-1', 't-2']);
      // Nothing is lost by folding: every task counted once, every retry counted.
      const sum = (per: Map<string, Map<string, number>> | undefined) =>
        [...(per?.values() ?? [])].reduce((n, states) => n + [...states.values()].reduce((a, b) => a + b, 0), 0);
      expect(sum(tasksEnded.get('pool:local'))).toBe(200);
      expect([...retries.get('pool:local')!.values()].reduce((a, b) => a + b, 0)).toBe(180);
    } finally {
      monitor.close();
    }
  });

  it('does not count a task as failed while it waits out a retry backoff (the pool then reports FAILED)', async () => {
    await using pool = new TaskPool({ filename: TASKS, resources: { CPU: 1 } });
    const monitor = new Monitor(toSources([pool], []), resolveLimits());
    let ref: ObjectRef | undefined;
    try {
      ref = pool
        .remote('limitedUntil', {
          name: 'backoff',
          maxRetries: 1,
          retryExceptions: ['RateLimitError'],
          _metadata: { 'taskfit.io/retry': { initialDelayMs: 60_000 } },
        })
        .remote(1) as ObjectRef;
      // In the backoff: the pool reports the task FAILED (its next attempt counted).
      while (pool.listTasks({ taskId: ref.taskId })[0]?.state !== 'FAILED') await new Promise((r) => setTimeout(r, 10));
      expect(pool.listTasks({ taskId: ref.taskId })[0]!.attempt).toBe(1);
      monitor.resolveFailures();
      expect(monitor.counts.tasksEnded.get('pool:local')?.get('backoff')?.get('FAILED')).toBeUndefined();
      expect(monitor.counts.attemptsEnded.get('pool:local')?.get('backoff')?.get('FAILED')).toBe(1);
      // Cancelled in the backoff: now it failed for good, once.
      ref.cancel();
      await expect(ref).rejects.toThrow('cancelled');
      monitor.resolveFailures();
      expect(monitor.counts.tasksEnded.get('pool:local')?.get('backoff')).toEqual(new Map([['FAILED', 1]]));
    } finally {
      ref?.cancel(); // never leave the pool's close waiting for the backoff
      monitor.close();
    }
  });
});

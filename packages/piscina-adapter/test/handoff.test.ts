// The early hand-off (src/handoff.ts): a thread that finished its task gets the next waiting
// task before Piscina settles the finished one, and the history holds other tasks' state changes
// back until the finished task's outcome is recorded. What must hold whatever the timing.
import { describe, expect, it } from 'vitest';
import type { TaskEvent } from '@taskfit/piscina-adapter';
import { makePool } from './helpers.js';

const held = (e: TaskEvent): number => e.resources?.CPU ?? 0;

describe('early hand-off', () => {
  it('replayed in the order emitted, events never hold more CPU than the ledger has, nor show a task out of order (mixed demands, failures, retries)', async () => {
    const pool = makePool({ resources: { CPU: 2 }, minThreads: 2, maxThreads: 2, maxTaskHistory: 10_000 });
    const total = 2;
    const inUse = new Map<string, number>(); // task → CPUs its current attempt holds, as events show
    const seen = new Map<string, TaskEvent[]>();
    const violations: string[] = [];
    const extra: Promise<unknown>[] = [];
    pool.events.on('taskEvent', (e) => {
      const list = seen.get(e.taskId) ?? [];
      list.push(e);
      seen.set(e.taskId, list);
      if (e.state === 'SUBMITTED_TO_WORKER') inUse.set(e.taskId, held(e));
      else if (e.state === 'FINISHED' || e.state === 'FAILED') inUse.delete(e.taskId);
      let shown = 0;
      for (const v of inUse.values()) shown += v;
      if (shown > total) violations.push(`${e.taskId} ${e.state}: events show ${shown} CPUs in use`);
      // A listener that submits tasks itself (while held-back events are emitted, too).
      if (e.state === 'FINISHED' && extra.length < 300) extra.push(pool.run(extra.length, { name: 'noop' }));
    });
    // Mostly bare run() tasks (the ones handed off early), some failing; among them tasks declared
    // with options (run alone on their thread: the regular path), one demanding both CPUs.
    const two = { numCpus: 2 };
    const retried = pool.remote('failUntil', { numCpus: 1, maxRetries: 1, retryExceptions: true });
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 17 === 3) jobs.push(pool.run(i, { options: two }));
      else if (i % 19 === 5) jobs.push(retried.remote('TransientError', 1) as unknown as Promise<unknown>);
      else if (i % 13 === 6) jobs.push(pool.run('x', { name: 'throwValue' }).catch((e: unknown) => e));
      else jobs.push(pool.run(i));
    }
    const results = await Promise.all(jobs);
    expect(await Promise.all(extra)).toEqual(new Array(300).fill(undefined));
    expect(violations).toEqual([]);
    for (let i = 0; i < 3000; i++) {
      if (i % 19 === 5 && i % 17 !== 3) expect(results[i]).toBe(1);
      else if (i % 13 === 6 && i % 17 !== 3 && i % 19 !== 5)
        expect(results[i]).toMatchObject({ name: 'TaskError', message: 'x' });
      else expect(results[i]).toBe(i * 2);
    }
    // Each task's events, in the order emitted, follow its attempts' lifecycles; the history says the same.
    const order = ['PENDING_NODE_ASSIGNMENT', 'SUBMITTED_TO_WORKER', 'RUNNING'];
    const tasks = pool.listTasks();
    expect(tasks).toHaveLength(3300);
    for (const t of tasks) {
      const events = seen.get(t.taskId)!;
      expect(t.events).toEqual(events);
      let expected = 0;
      for (const e of events) {
        const step = order.indexOf(e.state);
        if (step === -1) {
          expect(expected).toBe(3); // an outcome only after RUNNING
          expected = 0;
        } else {
          expect(step).toBe(expected);
          expected++;
        }
      }
      expect(expected).toBe(0);
      expect(t.state).toBe(events.at(-1)!.state);
    }
    expect(pool.summarizeTasks().byState).toEqual({
      FINISHED: 3300 - tasks.filter((t) => t.state === 'FAILED').length,
      FAILED: tasks.filter((t) => t.state === 'FAILED').length,
    });
    expect(pool.resources.available).toEqual(pool.resources.total);
  }, 60_000);

  it('a caller awaiting each result in turn sees every task settle once, and the history keeps its bound', async () => {
    const pool = makePool({ resources: { CPU: 1 }, minThreads: 1, maxThreads: 1, maxTaskHistory: 100 });
    let finished = 0;
    pool.events.on('taskEvent', (e) => {
      if (e.state === 'FINISHED') finished++;
    });
    // Two streams of tasks: one waits for resources while the other runs, so each completion hands off.
    const a = Array.from({ length: 500 }, (_, i) => pool.run(i));
    const b: number[] = [];
    for (let i = 0; i < 50; i++) b.push(await pool.run<number>(1000 + i));
    expect(await Promise.all(a)).toEqual(Array.from({ length: 500 }, (_, i) => i * 2));
    expect(b).toEqual(Array.from({ length: 50 }, (_, i) => (1000 + i) * 2));
    expect(finished).toBe(550);
    expect(pool.listTasks()).toHaveLength(100);
    expect(pool.completed).toBe(550);
  }, 60_000);
});

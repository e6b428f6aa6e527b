// Fault soak: 10,000 tasks, a random 5% of which crash their worker thread once.
import { describe, expect, it } from 'vitest';
import { TaskPool } from '@taskfit/piscina-adapter';
import type { ObjectRef } from '@taskfit/piscina-adapter';

const FIXTURE = new URL('./fixtures/tasks.mjs', import.meta.url);

describe('fault soak', () => {
  it('10,000 tasks, 5% crash their worker once: each completes exactly once with the right result, nothing leaked', async () => {
    const pool = new TaskPool({
      filename: FIXTURE,
      resources: { CPU: 4 },
      minThreads: 4,
      maxThreads: 4,
      maxTaskHistory: 20_000,
    });
    const n = 10_000;
    let seed = 42; // fixed seed: reproducible failures
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const crash = Array.from({ length: n }, () => rand() < 0.05);
    const crashes = crash.filter(Boolean).length;
    expect(crashes).toBeGreaterThan(400);

    const finishedEvents = new Map<string, number>();
    let failedEvents = 0;
    pool.events.on('taskEvent', (e) => {
      if (e.state === 'FINISHED') finishedEvents.set(e.taskId, (finishedEvents.get(e.taskId) ?? 0) + 1);
      if (e.state === 'FAILED') failedEvents++;
    });
    const soak = pool.remote('soak', { maxRetries: 1 });
    const settleCount = new Array<number>(n).fill(0);
    const results = new Array<unknown>(n);
    const refs = Array.from({ length: n }, (_, i) => soak.remote(i, crash[i]) as ObjectRef<number>);
    await Promise.all(
      refs.map((ref, i) =>
        ref.then(
          (v) => {
            settleCount[i]!++;
            results[i] = v;
          },
          (e: unknown) => {
            settleCount[i]!++;
            results[i] = e;
          },
        ),
      ),
    );

    expect(settleCount.every((c) => c === 1)).toBe(true);
    const wrong = results.map((v, i) => (v === i * 3 ? -1 : i)).filter((i) => i >= 0);
    expect(wrong).toEqual([]);
    expect(finishedEvents.size).toBe(n);
    expect([...finishedEvents.values()].every((c) => c === 1)).toBe(true);
    expect(failedEvents).toBe(crashes); // one crashed attempt per crashing task, nothing else
    const tasks = pool.listTasks();
    expect(tasks.filter((t) => t.attempt === 1).length).toBe(crashes);
    expect(pool.summarizeTasks().byState).toEqual({ FINISHED: n });
    // Nothing leaked: every unit back, no task pending, the thread count restored.
    expect(pool.resources.available).toEqual(pool.resources.total);
    expect(pool.pendingTasks).toBe(0);
    const deadline = Date.now() + 10_000;
    while (pool.piscina.threads.length !== 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(pool.piscina.threads.length).toBe(4);
    await pool.close();
  }, 120_000);
});

// pool.timeline(): the task history as a Chrome trace, checked against real Piscina threads.
import { describe, expect, it } from 'vitest';
import { TaskPool } from '@taskfit/piscina-adapter';
import type { ObjectRef } from '@taskfit/piscina-adapter';
import type { ChromeTraceEvent } from '@taskfit/core';

const FIXTURE = new URL('./fixtures/tasks.mjs', import.meta.url);

describe('pool.timeline()', () => {
  it('one complete event per attempt, named after the task, in its thread or GPU lane', async () => {
    await using pool = new TaskPool({ filename: FIXTURE, resources: { CPU: 4, GPU: 2 }, maxThreads: 4 });
    const spin = pool.remote('spin');
    const runs: ObjectRef[] = [];
    for (let i = 0; i < 3; i++) runs.push(spin.options({ name: `cpu-${i}` }).remote(20) as ObjectRef);
    for (let i = 0; i < 4; i++)
      runs.push(spin.options({ name: `half-${i}`, numGpus: 0.5, numCpus: 0.5 }).remote(30) as ObjectRef);
    runs.push(pool.remote('exitFirst', { name: 'crash-once', maxRetries: 1 }).remote('ok') as ObjectRef);
    await Promise.all(runs);

    const trace = pool.timeline();
    const parsed = JSON.parse(JSON.stringify(trace)) as { traceEvents: ChromeTraceEvent[] };
    const events = parsed.traceEvents;
    const lane = new Map<string, string>();
    for (const e of events)
      if (e.ph === 'M' && e.name === 'thread_name') lane.set(`${e.pid}/${e.tid}`, String(e.args?.['name']));
    const complete = events.filter((e) => e.ph === 'X');

    const tasks = pool.listTasks();
    const attempts = tasks.reduce((n, t) => n + t.attempt + 1, 0);
    expect(attempts).toBe(9); // 8 tasks, one retried
    expect(complete).toHaveLength(attempts);
    for (const t of tasks) {
      for (let a = 0; a <= t.attempt; a++) {
        const mine = complete.filter((e) => e.args?.['taskId'] === t.taskId && e.args['attempt'] === a);
        expect(mine, `${t.name} attempt ${a}`).toHaveLength(1);
        const x = mine[0]!;
        expect(x.name).toBe(t.name);
        const running = t.events.find((e) => e.attempt === a && e.state === 'RUNNING')!;
        const end = t.events.find((e) => e.attempt === a && (e.state === 'FINISHED' || e.state === 'FAILED'))!;
        expect(x.ts).toBe(running.timestamp * 1000);
        expect(x.dur).toBe((end.timestamp - running.timestamp) * 1000);
        expect(x.args?.['threadId']).toBe(running.threadId);
        const name = lane.get(`${x.pid}/${x.tid}`)!;
        if (t.name.startsWith('half-')) {
          // A GPU attempt: the lane of the GPU it held (a sub-lane when another share overlapped).
          expect(running.gpuIds).toHaveLength(1);
          expect(name).toMatch(new RegExp(`^GPU ${String(running.gpuIds![0])}( · \\d+)?$`));
        } else {
          expect(name).toBe(`thread ${running.threadId}`);
          expect(x.tid).toBe(running.threadId);
        }
      }
    }
    const crash = complete.filter((e) => e.name === 'crash-once');
    expect(crash.map((e) => [e.args?.['attempt'], e.args?.['state'], e.args?.['errorType'] ?? null])).toEqual([
      [0, 'FAILED', 'WorkerCrashedError'],
      [1, 'FINISHED', null],
    ]);
    expect(crash[1]!.cat).toContain('retry');
  });
});

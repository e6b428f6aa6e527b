// One ledger per machine (issue 11 item 7): with createTaskWorkers({ pool }), the pool's ledger is
// the machine's and the pool's admission queue is its one queue — activities, the pool's own tasks
// and the children activities submit are admitted there, each reserved once. Real dev server.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskPool } from '@taskfit/piscina-adapter';
import type { ObjectRef } from '@taskfit/piscina-adapter';
import * as tasks from '../../../testing/tasks.mjs';
import { scratchDir } from '../../../testing/tasks.mjs';
import { TemporalTestbed } from './helpers/harness.js';

const bed = new TemporalTestbed();
beforeAll(async () => {
  await bed.start();
});
afterAll(async () => {
  await bed.teardown();
});

const until = async (cond: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 30_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('createTaskWorkers({ pool }): one ledger, one queue', () => {
  it("the machine's ledger is the pool's: an activity waits in the pool's queue behind the pool's own task, and its children run on the same ledger", async () => {
    const pool = new TaskPool({
      filename: new URL('../../../testing/tasks.mjs', import.meta.url),
      resources: { CPU: 1 },
      maxThreads: 4,
    });
    try {
      const q = await bed.queue('one-ledger');
      const machine = await bed.machine(q, { nodeId: 'one', classes: [{}], activities: tasks, pool });
      expect(machine.workers.node).toBe(pool.sharedLedger().node);
      // The pool's own task holds the machine's only CPU …
      const key = `one-ledger-${Date.now()}`;
      const own = pool.remote('holdUntil').remote(key) as ObjectRef;
      await until(() => machine.workers.resources().available.CPU === 0, 'the pool task to hold the CPU');
      // … so an activity (a tree of child tasks) that arrives now waits for it, holding nothing.
      const activity = bed.run<number>('runTask', q, ['fib', [5], { name: 'fib-activity' }]);
      writeFileSync(join(scratchDir(), `${key}.release`), '');
      await own;
      expect(await activity).toBe(5);
      const ranAt = machine.events.find((e) => e.name === 'fib-activity' && e.state === 'RUNNING')!.timestamp;
      const freedAt = pool.listTasks({ taskId: own.taskId })[0]!.events.at(-1)!.timestamp;
      expect(ranAt).toBeGreaterThanOrEqual(freedAt);
      // The activity's children ran in the pool, on the machine's one CPU (fib(5): 14 children).
      expect(pool.listTasks().filter((t) => t.name === 'fib')).toHaveLength(14);
      await until(() => machine.workers.resources().available.CPU === 1, 'the CPU back');
      expect(pool.resources.available).toEqual(machine.workers.resources().available);
    } finally {
      await bed.stopAll();
      await pool.close();
    }
  });
});

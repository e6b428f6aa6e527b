// Shared by the TaskPool integration tests: the fixture module, pools closed (and checked) after
// each test, polling on a condition, and file latches a task can wait on.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { TaskPool } from '@taskfit/piscina-adapter';
import type { TaskPoolOptions } from '@taskfit/piscina-adapter';

export const FIXTURE = new URL('./fixtures/tasks.mjs', import.meta.url);

/** What the fixture's `whoami` task reports. */
export interface WhoAmI {
  threadId: number;
  taskId: string;
  attempt: number;
  name: string;
  nodeId: string;
  resources: Record<string, number>;
  gpuIds: number[];
  acceleratorType: string | undefined;
  runtimeEnv: { envVars?: Record<string, string> } | undefined;
  cuda: string | null;
  childCuda?: string;
  env?: Record<string, string | null>;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'taskfit-pool-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pools: TaskPool[] = [];

/** A pool on the fixture module (4 CPUs, 1 GPU, 4 threads unless overridden), destroyed after the test. */
export function makePool(options: Partial<TaskPoolOptions> = {}): TaskPool {
  const pool = new TaskPool({ filename: FIXTURE, resources: { CPU: 4, GPU: 1 }, maxThreads: 4, ...options });
  pools.push(pool);
  return pool;
}

/** Destroys `pool` after the test, without the ledger check (for pools a test leaves busy on purpose). */
export function track(pool: TaskPool): TaskPool {
  pools.push(pool);
  return pool;
}

export async function waitFor(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let latchSeq = 0;
/** A file path a fixture task (`hold`) waits for; `open(path)` releases it. */
export const latch = (): string => join(dir, `release-${++latchSeq}`);
export const open = (file: string): void => writeFileSync(file, '');

/** Every test leaves every ledger back at full capacity, and closes its pools. */
afterEach(async () => {
  for (const pool of pools.splice(0)) {
    await waitFor(
      () => JSON.stringify(pool.resources.available) === JSON.stringify(pool.resources.total),
      `ledger back to full: ${JSON.stringify(pool.resources)}`,
    );
    expect(pool.pendingTasks).toBe(0);
    await pool.destroy();
  }
});

export function stateOf(pool: TaskPool, taskId: string): string | undefined {
  return pool.listTasks({ taskId })[0]?.state;
}

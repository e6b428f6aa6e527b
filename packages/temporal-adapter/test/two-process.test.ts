import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WorkerCrashedError } from '@taskfit/core';
import { toTaskFailure } from '@taskfit/temporal-adapter';
import { getTaskContext } from '@taskfit/temporal-adapter/worker';
import { TemporalTestbed } from './helpers/harness.js';

const bed = new TemporalTestbed();
const dir = mkdtempSync(join(tmpdir(), 'taskfit-crash-'));
let child: ChildProcess | undefined;

beforeAll(() => bed.start());
afterAll(async () => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await bed.teardown();
  rmSync(dir, { recursive: true, force: true });
});

async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts test/fixtures/worker-child.mjs on `q`; its activity writes `marker` when it starts. */
async function startChild(q: string, marker: string): Promise<ChildProcess> {
  const c = spawn(
    process.execPath,
    [fileURLToPath(new URL('./fixtures/worker-child.mjs', import.meta.url)), bed.env.address, q, marker],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  child = c;
  let out = '';
  c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await until(() => out.includes('ready'), 'the child worker to start');
  return c;
}

async function kill(c: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => c.once('exit', resolve));
  c.kill('SIGKILL');
  await exited;
}

it('a worker process killed mid-activity: the task completes on another worker and nothing stays reserved', async () => {
  const q = await bed.queue('crash');
  const marker = join(dir, 'started.json');
  child = await startChild(q, marker);

  const handle = await bed.env.client.workflow.start('runTask', {
    taskQueue: q,
    workflowId: `crash-${Date.now()}`,
    args: [
      'slowStep',
      ['payload'],
      { maxRetries: 2, _metadata: { 'temporal.io/activity': { heartbeatTimeout: '2s', initialInterval: '100ms' } } },
    ],
  });
  await until(() => existsSync(marker), 'the activity to start in the child');
  const started = JSON.parse(readFileSync(marker, 'utf8')) as { pid: number; attempt: number };
  expect(started).toMatchObject({ pid: child.pid, attempt: 0 });

  const survivor = await bed.machine(q, {
    nodeId: 'survivor',
    resources: { CPU: 2 },
    activities: {
      async slowStep(label: string) {
        const ctx = getTaskContext();
        return { by: ctx.nodeId, attempt: ctx.attempt, label };
      },
    },
  });
  await kill(child);

  expect(await handle.result()).toEqual({ by: 'survivor', attempt: 1, label: 'payload' });
  expect(survivor.events.filter((e) => e.state === 'FINISHED').map((e) => e.attempt)).toEqual([1]);
  expect(survivor.workers.resources().available).toEqual(survivor.workers.resources().total);
  await survivor.workers.shutdown();
  // After shutdown even the idle pollers' reservations are back: the ledger is full.
  expect(survivor.workers.node.available).toEqual(survivor.workers.node.total);
});

it('a lost worker with no retries left reaches the workflow as WorkerCrashedError (worker_lost), with the attempts made', async () => {
  const q = await bed.queue('lost');
  const marker = join(dir, 'lost.json');
  const c = await startChild(q, marker);
  const handle = await bed.env.client.workflow.start('runTask', {
    taskQueue: q,
    workflowId: `lost-${Date.now()}`,
    args: [
      'slowStep',
      ['payload'],
      { maxRetries: 0, _metadata: { 'temporal.io/activity': { heartbeatTimeout: '2s' } } },
    ],
  });
  await until(() => existsSync(marker), 'the activity to start in the child');
  await kill(c);
  const f = toTaskFailure(await handle.result().catch((e: unknown) => e));
  expect(f).toBeInstanceOf(WorkerCrashedError);
  expect(f).toMatchObject({ kind: 'worker_lost', attempts: 1 });
  expect(f?.message).toMatch(/stopped heartbeating for heartbeatTimeout \(2000 ms\)/);
});

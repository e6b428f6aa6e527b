// The page against Temporal workers (createTaskWorkers) on a real dev server, in headless Chromium.
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTaskWorkers } from '@taskfit/temporal-adapter/worker';
import type { TaskEvent, TaskWorkers, TaskWorkersOptions } from '@taskfit/temporal-adapter/worker';
import { serveDashboard } from '@taskfit/dashboard';
import { startDevServer, uniqueQueue } from '../../temporal-adapter/test/helpers/temporal-env.js';
import * as activities from './fixtures/activities.js';
import { artifactPath, launchBrowser, openDashboard, pageErrors } from './helpers/browser.js';

let env: TestWorkflowEnvironment;
let browser: Browser;
let bundle: WorkflowBundleWithSourceMap;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  [env, browser, bundle] = await Promise.all([
    startDevServer(),
    launchBrowser(),
    bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./fixtures/workflows.ts', import.meta.url)),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    }),
  ]);
});
afterEach(async () => {
  activities.gate.open = true; // never leave an activity (and a worker's shutdown) hanging
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await browser?.close();
  await env?.teardown();
});

/** A workflow worker and this machine's class workers on a fresh task queue, running, with a dashboard. */
async function start(
  options: Omit<TaskWorkersOptions, 'connection' | 'taskQueue' | 'activities'>,
): Promise<{ taskQueue: string; workers: TaskWorkers; events: TaskEvent[]; url: string; page: Page }> {
  activities.gate.open = false;
  const taskQueue = uniqueQueue('dash');
  const wfWorker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle });
  const wfRunning = wfWorker.run();
  cleanups.push(async () => {
    wfWorker.shutdown();
    await wfRunning;
  });
  const connection = await NativeConnection.connect({ address: env.address });
  cleanups.push(() => connection.close());
  const workers = await createTaskWorkers({ connection, taskQueue, activities, ...options });
  const events: TaskEvent[] = [];
  workers.events.on('task', (e) => events.push(e));
  const running = workers.run();
  cleanups.push(async () => {
    await workers.shutdown();
    await running;
  });
  const dash = await serveDashboard({ workers: [workers], temporalWebUrl: 'http://localhost:8233/' });
  cleanups.push(() => dash.close());
  const page = await openDashboard(browser, dash.url);
  cleanups.push(() => page.close());
  return { taskQueue, workers, events, url: dash.url, page };
}

/** The value the page shows for one of a source's load figures (`openPolls`, `waitingTasks`, …). */
async function shownLoad(page: Page, key: string): Promise<string | null> {
  return await page.locator(`#workers .src-title [data-load="${key}"]`).getAttribute('data-value');
}

describe('the page against Temporal workers on the dev server', () => {
  it('shows classes and node queues, GPU shares, both attempts of a retried activity and links to the workflow', async () => {
    const { taskQueue, workers, events, url, page } = await start({
      nodeId: 'gpu-box',
      resources: { CPU: 4, GPU: 1 },
      classes: [{}, { numGpus: 0.5 }],
      nodeQueues: true,
    });
    // Classes (task queues) this machine serves: shared queues, then node queues, marked.
    const queues = await page
      .locator('#workers tr[data-task-queue]')
      .evaluateAll((rows) =>
        rows.map((r) => [
          r.getAttribute('data-task-queue'),
          r.getAttribute('data-node-queue'),
          r.querySelector('td.kind')?.textContent,
        ]),
      );
    expect(queues).toEqual([
      [taskQueue, 'false', 'shared'],
      [`${taskQueue}@CPU=1,GPU=0.5`, 'false', 'shared'],
      [`${taskQueue}@node:gpu-box`, 'true', 'node gpu-box'],
      [`${taskQueue}@CPU=1,GPU=0.5@node:gpu-box`, 'true', 'node gpu-box'],
    ]);
    expect(queues.map(([q, node]) => [q, node === 'true'])).toEqual(
      workers.classes.map((c) => [c.taskQueue, c.nodeQueue]),
    );

    const workflowId = uniqueQueue('wf-mixed');
    const handle = await env.client.workflow.start('mixed', { taskQueue, workflowId });
    // Both detect activities hold half the GPU each: drawn per GPU, and reserved.
    await page.waitForFunction(() => document.querySelectorAll('#gpus [data-gpu="0"] .share').length === 2, undefined, {
      timeout: 60_000,
    });
    const fractions = await page
      .locator('#gpus [data-gpu="0"] .share')
      .evaluateAll((s) => s.map((x) => x.getAttribute('data-fraction')));
    expect(fractions).toEqual(['0.5', '0.5']);
    // Reserved is what tasks hold: polls reserve nothing.
    expect(await page.locator('#resources [data-resource="GPU"] .muted').textContent()).toBe('1 / 1 · 100%');
    // The GPU is full: the half-GPU class no longer fits (so it does not poll); the CPU class does.
    await page.waitForFunction(
      (q) =>
        document.querySelector(`#workers tr[data-task-queue="${q}@CPU=1,GPU=0.5"] td.running`)?.textContent === '2',
      taskQueue,
      { timeout: 30_000 },
    );
    const fits = await page
      .locator('#workers tr[data-task-queue]')
      .evaluateAll((rows) => rows.map((r) => r.querySelector('td.fits')?.getAttribute('data-fits')));
    expect(fits).toEqual(['true', 'false', 'true', 'false']);
    await page.screenshot({ path: artifactPath('dashboard-temporal.png'), fullPage: true });
    activities.gate.open = true;
    expect(await handle.result()).toEqual(['detected a', 'detected b', 'f ok']);

    // The retried activity: both attempts on the timeline, the error in the table.
    const flakyId = events.find((e) => e.name === 'flaky-once')!.taskId;
    await page.waitForFunction(
      (id) =>
        document.querySelector(`#gantt rect[data-task-id="${id}"][data-attempt="0"][data-state="FAILED"]`) &&
        document.querySelector(`#gantt rect[data-task-id="${id}"][data-attempt="1"][data-state="FINISHED"]`),
      flakyId,
      { timeout: 30_000 },
    );
    const row = page.locator(`#task-table tr[data-task-id="${flakyId}"]`);
    expect(await row.locator('td.etype').textContent()).toBe('FlakyError');
    expect(await row.locator('td.msg').textContent()).toBe('f: first call fails');
    expect(await row.locator('td.node').textContent()).toBe('gpu-box');
    // A link to the workflow in the Temporal Web UI.
    const runId = handle.firstExecutionRunId;
    expect(await row.locator('a.wf').getAttribute('href')).toBe(
      `http://localhost:8233/namespaces/default/workflows/${encodeURIComponent(workflowId)}/${runId}/history`,
    );
    expect(pageErrors(page)).toEqual([]);

    // The worker events carry what the page needs.
    const failed = events.find((e) => e.taskId === flakyId && e.state === 'FAILED')!;
    expect(failed).toMatchObject({
      workflowId,
      runId,
      namespace: 'default',
      errorType: 'FlakyError',
      errorMessage: 'f: first call fails',
      retrying: true,
    });
    const gpuRun = events.find((e) => e.name === 'detect-a' && e.state === 'RUNNING')!;
    expect(gpuRun).toMatchObject({ gpuIds: [0], resources: { CPU: 1, GPU: 0.5 } });

    // workers.timeline(): one complete event per attempt; GPU attempts in the GPU lane.
    const trace = workers.timeline();
    const lanes = new Map<string, string>();
    for (const e of trace.traceEvents)
      if (e.ph === 'M' && e.name === 'thread_name') lanes.set(`${e.pid}/${e.tid}`, String(e.args?.['name']));
    const x = trace.traceEvents.filter((e) => e.ph === 'X');
    expect(x.map((e) => `${e.name}#${String(e.args?.['attempt'])}`).sort()).toEqual([
      'detect-a#0',
      'detect-b#0',
      'flaky-once#0',
      'flaky-once#1',
    ]);
    for (const e of x.filter((t) => t.name.startsWith('detect')))
      expect(lanes.get(`${e.pid}/${e.tid}`)).toMatch(/^GPU 0( · 2)?$/);
    for (const e of x.filter((t) => t.name === 'flaky-once'))
      expect(lanes.get(`${e.pid}/${e.tid}`)).toMatch(new RegExp(`^${taskQueue} · \\d+$`));

    // Metrics of a workers source agree with its summarizeTasks() and resources().
    const metrics = await (await fetch(new URL('/metrics', url))).text();
    expect(metrics).not.toContain('idle_reserved');
    expect(metrics).toMatch(/^taskfit_worker_waiting_tasks\{source="workers:gpu-box"\} 0$/m);
    const polls = Number(/^taskfit_worker_open_polls\{source="workers:gpu-box"\} (\d+)$/m.exec(metrics)?.[1]);
    expect(polls).toBeGreaterThanOrEqual(1); // idle again: its classes poll, holding nothing
    expect(polls).toBeLessThanOrEqual(4 * 10);
    const summary = workers.summarizeTasks();
    expect(summary.byName).toEqual({
      'detect-a': { FINISHED: 1 },
      'detect-b': { FINISHED: 1 },
      'flaky-once': { FINISHED: 1 },
    });
    for (const [name, states] of Object.entries(summary.byName))
      for (const [state, n] of Object.entries(states)) {
        expect(metrics).toContain(`taskfit_tasks{source="workers:gpu-box",name="${name}",state="${state}"} ${n}`);
        expect(metrics).toContain(`taskfit_tasks_total{source="workers:gpu-box",name="${name}",state="${state}"} ${n}`);
      }
  });

  it('shows open polls, and a task that arrived while another class took the room as waiting for resources', async () => {
    // Two classes compete for one CPU. Once idle, each keeps its first poll open (an open poll
    // reserves nothing), so tasks of both arrive at once and one waits on the machine.
    const { taskQueue, workers, events, url, page } = await start({
      nodeId: 'small-box',
      resources: { CPU: 1 },
      classes: [{}, { numCpus: 0.5 }],
    });
    await page.waitForFunction(
      () => document.querySelector('#workers [data-load="openPolls"]')?.getAttribute('data-value') === '2',
      undefined,
      { timeout: 30_000 },
    );
    expect(workers.resources().openPolls).toBe(2);
    expect(await shownLoad(page, 'waitingTasks')).toBe('0');

    const handle = await env.client.workflow.start('contend', { taskQueue, workflowId: uniqueQueue('wf-contend') });
    await page.waitForFunction(
      () => document.querySelector('#workers [data-load="waitingTasks"]')?.getAttribute('data-value') === '1',
      undefined,
      { timeout: 30_000 },
    );
    expect(workers.resources().waitingTasks).toBe(1);
    expect(await page.locator('#workers [data-load="waitingTasks"]').textContent()).toBe(
      '1 task waiting for resources',
    );
    // Which queue's task waits (holding nothing) and which runs: from the task events.
    const started = events.find((e) => e.state === 'SUBMITTED_TO_WORKER')!;
    const waiting = events.find((e) => e.state === 'PENDING_NODE_ASSIGNMENT' && e.taskId !== started.taskId)!;
    const cell = (q: string | undefined, c: string) =>
      page.locator(`#workers tr[data-task-queue="${q}"] td.${c}`).textContent();
    await page.waitForFunction(
      (q) => document.querySelector(`#workers tr[data-task-queue="${q}"] td.waiting`)?.textContent === '1',
      waiting.taskQueue,
      { timeout: 30_000 },
    );
    expect([await cell(waiting.taskQueue, 'waiting'), await cell(waiting.taskQueue, 'running')]).toEqual(['1', '0']);
    expect([await cell(started.taskQueue, 'waiting'), await cell(started.taskQueue, 'running')]).toEqual(['0', '1']);
    expect(await page.locator(`#task-table tr[data-task-id="${waiting.taskId}"]`).getAttribute('data-state')).toBe(
      'PENDING_NODE_ASSIGNMENT',
    );
    const metrics = await (await fetch(new URL('/metrics', url))).text();
    expect(metrics).toMatch(/^taskfit_worker_waiting_tasks\{source="workers:small-box"\} 1$/m);
    expect(metrics).toMatch(/^taskfit_resource_reserved\{source="workers:small-box",resource="CPU"\} (1|0\.5)$/m);
    expect(pageErrors(page)).toEqual([]);

    activities.gate.open = true;
    expect(await handle.result()).toEqual(['detected w', 'detected h']);
    await page.waitForFunction(
      () => document.querySelector('#workers [data-load="waitingTasks"]')?.getAttribute('data-value') === '0',
      undefined,
      { timeout: 30_000 },
    );
  });
});

// The page against Temporal workers (createTaskWorkers) on a real dev server, in headless Chromium.
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskWorkers } from '@taskfit/temporal-adapter/worker';
import type { TaskEvent } from '@taskfit/temporal-adapter/worker';
import { serveDashboard } from '@taskfit/dashboard';
import { startDevServer, uniqueQueue } from '../../temporal-adapter/test/helpers/temporal-env.js';
import * as activities from './fixtures/activities.js';
import { artifactPath, launchBrowser, openDashboard, pageErrors } from './helpers/browser.js';

let env: TestWorkflowEnvironment;
let browser: Browser;

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  [env, browser] = await Promise.all([startDevServer(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await env?.teardown();
});

describe('the page against Temporal workers on the dev server', () => {
  it('shows classes, reservations, GPU shares, both attempts of a retried activity and links to the workflow', async () => {
    const taskQueue = uniqueQueue('dash');
    const bundle = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./fixtures/workflows.ts', import.meta.url)),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    const wfWorker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle });
    const wfRunning = wfWorker.run();
    const connection = await NativeConnection.connect({ address: env.address });
    const workers = await createTaskWorkers({
      connection,
      taskQueue,
      nodeId: 'gpu-box',
      resources: { CPU: 4, GPU: 1 },
      classes: [{}, { numGpus: 0.5 }],
      activities,
    });
    const events: TaskEvent[] = [];
    workers.events.on('task', (e) => events.push(e));
    const running = workers.run();
    const dash = await serveDashboard({ workers: [workers], temporalWebUrl: 'http://localhost:8233/' });
    try {
      const page = await openDashboard(browser, dash.url);
      // Classes (task queues) this machine serves.
      const queues = await page
        .locator('#workers tr[data-task-queue]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-task-queue')));
      expect(queues).toEqual([taskQueue, `${taskQueue}@CPU=1,GPU=0.5`]);

      const workflowId = uniqueQueue('wf-mixed');
      const handle = await env.client.workflow.start('mixed', { taskQueue, workflowId });
      // Both detect activities hold half the GPU each: drawn per GPU, and reserved.
      await page.waitForFunction(
        () => document.querySelectorAll('#gpus [data-gpu="0"] .share').length === 2,
        undefined,
        {
          timeout: 60_000,
        },
      );
      const fractions = await page
        .locator('#gpus [data-gpu="0"] .share')
        .evaluateAll((s) => s.map((x) => x.getAttribute('data-fraction')));
      expect(fractions).toEqual(['0.5', '0.5']);
      expect(await page.locator('#resources [data-resource="GPU"] .muted').textContent()).toMatch(
        /^1( \(\+[\d.]+ idle\))? \/ 1 · 100%$/,
      );
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

      // Metrics of a workers source agree with its summarizeTasks().
      const metrics = await (await fetch(new URL('/metrics', dash.url))).text();
      expect(metrics).toMatch(/^taskfit_resource_idle_reserved\{source="workers:gpu-box",resource="CPU"\} \d/m);
      const summary = workers.summarizeTasks();
      expect(summary.byName).toEqual({
        'detect-a': { FINISHED: 1 },
        'detect-b': { FINISHED: 1 },
        'flaky-once': { FINISHED: 1 },
      });
      for (const [name, states] of Object.entries(summary.byName))
        for (const [state, n] of Object.entries(states)) {
          expect(metrics).toContain(`taskfit_tasks{source="workers:gpu-box",name="${name}",state="${state}"} ${n}`);
          expect(metrics).toContain(
            `taskfit_tasks_total{source="workers:gpu-box",name="${name}",state="${state}"} ${n}`,
          );
        }
    } finally {
      activities.gate.open = true;
      await dash.close();
      await workers.shutdown();
      await running;
      await connection.close();
      wfWorker.shutdown();
      await wfRunning;
    }
  });
});

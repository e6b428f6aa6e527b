// What README's "Temporal: workflow code" section promises about invalid options in workflow
// code, against a real dev server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import * as activities from './activities.js';
import { TemporalTestbed } from './helpers/harness.js';
import { uniqueQueue } from './helpers/temporal-env.js';

const bed = new TemporalTestbed();
let invalid: WorkflowBundleWithSourceMap;
let atModuleLevel: WorkflowBundleWithSourceMap;
let v1: WorkflowBundleWithSourceMap;
let v2: WorkflowBundleWithSourceMap;
let v2Patched: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  await bed.start();
  [invalid, atModuleLevel, v1, v2, v2Patched] = await Promise.all([
    bed.bundleOf('workflows/invalid-options.ts'),
    bed.bundleOf('workflows/invalid-at-module-level.ts'),
    bed.bundleOf('workflows/train-v1.ts'),
    bed.bundleOf('workflows/train-v2.ts'),
    bed.bundleOf('workflows/train-v2-patched.ts'),
  ]);
});
afterEach(() => bed.stopAll());
afterAll(() => bed.teardown());

/** Waits until the workflow task has been attempted `n` times; returns the failure message recorded in history. */
async function workflowTaskRetried(handle: WorkflowHandle, n: number): Promise<string> {
  for (;;) {
    const d = await handle.describe();
    expect(d.status.name).toBe('RUNNING');
    if ((d.raw.pendingWorkflowTask?.attempt ?? 0) >= n) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const history = await handle.fetchHistory();
  const failed = history.events?.find((e) => e.workflowTaskFailedEventAttributes != null);
  return failed?.workflowTaskFailedEventAttributes?.failure?.message ?? '';
}

async function start(q: string, workflow: string): Promise<WorkflowHandle> {
  return await bed.env.client.workflow.start(workflow, { taskQueue: q, workflowId: uniqueQueue(workflow) });
}

describe('invalid options in workflow code', () => {
  it('by default the workflow task fails and Temporal retries it: the execution stays running, the message in its history', async () => {
    const q = await bed.queue('invalid', { bundle: invalid });
    const handle = await start(q, 'invalidInside');
    expect(await workflowTaskRetried(handle, 2)).toMatch(/numGpus must be .*whole number/);
    await handle.terminate('test done');
  });

  it("the workflow worker's workflowFailureErrorTypes { '*': ['TaskOptionsError'] } fails the workflow instead", async () => {
    const q = await bed.queue('invalid-failing', {
      bundle: invalid,
      workerOptions: { workflowFailureErrorTypes: { '*': ['TaskOptionsError'] } },
    });
    const err = await bed.env.client.workflow
      .execute('invalidInside', { taskQueue: q, workflowId: uniqueQueue('invalid') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: 'TaskOptionsError' });
    expect(cause?.message).toMatch(/numGpus/);
  });

  it("the workflow's own setWorkflowOptions({ failureExceptionTypes: [TaskOptionsError] }) fails it instead", async () => {
    const q = await bed.queue('invalid-own', { bundle: invalid });
    const err = await bed.env.client.workflow
      .execute('invalidInsideFailing', { taskQueue: q, workflowId: uniqueQueue('invalid') })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'TaskOptionsError' });
  });

  it('declared at module level: the workflow task fails when the module loads, whatever failureExceptionTypes say', async () => {
    const q = await bed.queue('invalid-module', {
      bundle: atModuleLevel,
      workerOptions: { workflowFailureErrorTypes: { '*': ['TaskOptionsError'] } },
    });
    const handle = await start(q, 'invalidAtModuleLevel');
    expect(await workflowTaskRetried(handle, 2)).toMatch(/numGpus/);
    await handle.terminate('test done');
  });
});

describe('replay and changed routing options', () => {
  type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
  const scheduledQueues = (h: History): (string | null | undefined)[] =>
    (h.events ?? []).flatMap((e) =>
      e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.taskQueue?.name] : [],
    );

  it('a changed numGpus replays silently (the recorded call keeps its queue); patched() keeps old runs on the old options', async () => {
    const q = await bed.queue('replay-v1', { bundle: v1 });
    await bed.machine(q, {
      nodeId: 'gpu',
      resources: { CPU: 2, GPU: 1 },
      classes: [{ numGpus: 0.5 }, { numGpus: 1 }],
      activities,
    });
    const run1 = await bed.env.client.workflow.start('train', { taskQueue: q, workflowId: uniqueQueue('train') });
    expect(await run1.result()).toMatchObject({ taskQueue: `${q}@CPU=1,GPU=0.5` });
    const history1 = await run1.fetchHistory();
    expect(scheduledQueues(history1)).toEqual([`${q}@CPU=1,GPU=0.5`]);

    // Temporal's replayer does not compare an activity's task queue or options: version 2
    // (numGpus: 1) replays version 1's history without a word, though it would route the call
    // elsewhere. Nothing tells an in-flight run that its later calls changed class.
    await expect(Worker.runReplayHistory({ workflowBundle: v2 }, history1)).resolves.toBeUndefined();

    // With patched(), the run recorded without the patch replays with the old options …
    await expect(Worker.runReplayHistory({ workflowBundle: v2Patched }, history1)).resolves.toBeUndefined();
    // … and new runs take the new ones.
    const q2 = await bed.queue('replay-v2', { bundle: v2Patched });
    await bed.machine(q2, {
      nodeId: 'gpu-2',
      resources: { CPU: 2, GPU: 1 },
      classes: [{ numGpus: 0.5 }, { numGpus: 1 }],
      activities,
    });
    const run2 = await bed.env.client.workflow.start('train', { taskQueue: q2, workflowId: uniqueQueue('train') });
    expect(await run2.result()).toMatchObject({ taskQueue: `${q2}@CPU=1,GPU=1` });
    const history2 = await run2.fetchHistory();
    expect(scheduledQueues(history2)).toEqual([`${q2}@CPU=1,GPU=1`]);
    await expect(Worker.runReplayHistory({ workflowBundle: v2Patched }, history2)).resolves.toBeUndefined();
  });
});

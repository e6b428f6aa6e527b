import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { detectNodeResources } from '@taskfit/core/node';
import { toTaskFailure } from '@taskfit/temporal-adapter';
import { probe } from './activities.js';
import * as activities from './activities.js';
import { TemporalTestbed } from './helpers/harness.js';
import type { Machine } from './helpers/harness.js';
import { HAND_OFF_BOUND_MS, attemptsFromEvents } from './helpers/timeline.mjs';

const bed = new TemporalTestbed();
const fast = { 'temporal.io/activity': { initialInterval: '100ms', backoffCoefficient: 1 } };

beforeAll(() => bed.start());
afterEach(() => bed.stopAll());
afterAll(() => bed.teardown());

function expectFull(m: Machine): void {
  const snap = m.workers.resources();
  expect(snap.available).toEqual(snap.total);
}

describe('routing by resource class', () => {
  it('runs GPU tasks only on GPU machines of the requested accelerator type', async () => {
    const q = await bed.queue('route');
    const cpu = await bed.machine(q, { nodeId: 'cpu-box', resources: { CPU: 2 }, activities });
    const h100 = await bed.machine(q, {
      nodeId: 'h100-box',
      resources: { CPU: 2, GPU: 1 },
      acceleratorType: 'H100',
      classes: [{}, { numGpus: 1, acceleratorType: 'H100' }],
      activities,
    });
    const a100 = await bed.machine(q, {
      nodeId: 'a100-box',
      resources: { CPU: 2, GPU: 1 },
      acceleratorType: 'A100',
      classes: [{}, { numGpus: 1, acceleratorType: 'A100' }],
      activities,
    });
    expect(cpu.workers.classes.map((c) => c.taskQueue)).toEqual([q]);
    // A typed GPU class brings its untyped variant: plain `{ numGpus: 1 }` tasks run there too.
    expect(h100.workers.classes.map((c) => c.taskQueue)).toEqual([
      q,
      `${q}@CPU=1,GPU=1`,
      `${q}@CPU=1,GPU=1,accelerator_type:H100=0.001`,
    ]);

    type Where = Awaited<ReturnType<typeof activities.where>>;
    const onH100 = await bed.run<Where[]>('runMany', q, ['where', [], { numGpus: 1, acceleratorType: 'H100' }, 3]);
    const onA100 = await bed.run<Where[]>('runMany', q, ['where', [], { numGpus: 1, acceleratorType: 'A100' }, 3]);
    const onCpu = await bed.run<Where[]>('runMany', q, ['where', [], {}, 6]);
    expect(onH100.map((w) => w.nodeId)).toEqual(['h100-box', 'h100-box', 'h100-box']);
    expect(onA100.map((w) => w.nodeId)).toEqual(['a100-box', 'a100-box', 'a100-box']);
    for (const w of [...onH100, ...onA100]) {
      expect(w.gpuIds).toEqual([0]);
      expect(w.cuda).toBe('0');
    }
    for (const w of onCpu) {
      expect(w.cuda).toBeUndefined();
      expect(w.taskQueue).toBe(q);
    }
    for (const m of [cpu, h100, a100]) expectFull(m);
  });

  it('never runs more activities on a machine than its resources allow (two 0.5-GPU at once, never three)', async () => {
    const q = await bed.queue('halves');
    const m = await bed.machine(q, {
      nodeId: 'one-gpu',
      resources: { CPU: 4, GPU: 1 },
      classes: [{}, { numGpus: 0.5 }],
      activities,
    });
    const maxSeen = await bed.run<number[]>('runMany', q, ['overlap', ['halves', 2, 20_000, 500], { numGpus: 0.5 }, 6]);
    expect(probe.maxActive.get('halves')).toBe(2);
    expect(Math.max(...maxSeen)).toBe(2);
    expectFull(m);
  });

  it('a machine serving one class (sdk-core counts its slots): what fits runs at once, never more; idle, a poll per free slot', async () => {
    const q = await bed.queue('sole');
    const m = await bed.machine(q, { nodeId: 'sole-box', resources: { CPU: 2 }, activities });
    while (m.workers.resources().openPolls !== 2) await new Promise((r) => setTimeout(r, 20));
    const maxSeen = await bed.run<number[]>('runMany', q, ['overlap', ['sole', 3, 1_000, 200], {}, 6]);
    expect(probe.maxActive.get('sole')).toBe(2);
    expect(Math.max(...maxSeen)).toBe(2);
    expect(m.workers.resources()).toMatchObject({ waitingTasks: 0, openPolls: 2 });
    expectFull(m);
    await m.workers.shutdown();
    expect(m.workers.resources().openPolls).toBe(0);
  });

  it("the task's env: envVars expanded against the worker environment, and Ray's OMP_NUM_THREADS default", async () => {
    const q = await bed.queue('env');
    await bed.machine(q, { nodeId: 'env-box', resources: { CPU: 4 }, classes: [{}, { numCpus: 2 }], activities });
    process.env['TASKFIT_TEST_HOME'] = '/srv/home';
    delete process.env['OMP_NUM_THREADS'];
    type Env = { env: Record<string, string> };
    const w = await bed.run<Env>('runTask', q, [
      'where',
      [],
      { runtimeEnv: { envVars: { MODE: 'fast', DATA: '${TASKFIT_TEST_HOME}/data' } } },
    ]);
    expect(w.env).toEqual({ MODE: 'fast', DATA: '/srv/home/data', OMP_NUM_THREADS: '1' });
    // OMP_NUM_THREADS follows the task's CPUs; an explicit envVars value wins.
    expect((await bed.run<Env>('runTask', q, ['where', [], { numCpus: 2 }])).env).toEqual({ OMP_NUM_THREADS: '2' });
    expect(
      (await bed.run<Env>('runTask', q, ['where', [], { runtimeEnv: { envVars: { OMP_NUM_THREADS: '8' } } }])).env,
    ).toEqual({ OMP_NUM_THREADS: '8' });
    // A worker-wide OMP_NUM_THREADS is left alone.
    process.env['OMP_NUM_THREADS'] = '3';
    try {
      expect((await bed.run<Env>('runTask', q, ['where', [], { numCpus: 2 }])).env).toEqual({});
    } finally {
      delete process.env['OMP_NUM_THREADS'];
    }
  });

  it('defaults resources to detectNodeResources() and the classes to the default task', async () => {
    const q = await bed.queue('detect');
    const m = await bed.machine(q, { nodeId: 'detected', activities });
    const detected = await detectNodeResources();
    expect(m.workers.node.total['CPU']).toBe(detected.resources['CPU']);
    expect(m.workers.classes.map((c) => c.key)).toContain('');
    expect(await bed.run<{ nodeId: string }>('runTask', q, ['where', [], {}])).toMatchObject({ nodeId: 'detected' });
    expectFull(m);
  });

  it('hard node affinity goes to the node queue; soft affinity to the shared queue; classes list both', async () => {
    const q = await bed.queue('affinity');
    const n1 = await bed.machine(q, { nodeId: 'n1', resources: { CPU: 2 }, nodeQueues: true, activities });
    await bed.machine(q, { nodeId: 'n2', resources: { CPU: 2 }, nodeQueues: true, activities });
    expect(n1.workers.classes.map((c) => [c.taskQueue, c.nodeQueue])).toEqual([
      [q, false],
      [`${q}@node:n1`, true],
    ]);
    type Where = Awaited<ReturnType<typeof activities.where>>;
    const hard = await bed.run<Where[]>('runMany', q, [
      'where',
      [],
      { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n2' } },
      4,
    ]);
    expect(hard.map((w) => [w.nodeId, w.taskQueue])).toEqual(Array(4).fill(['n2', `${q}@node:n2`]));
    const soft = await bed.run<Where[]>('runMany', q, [
      'where',
      [],
      { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n2', soft: true } },
      2,
    ]);
    for (const w of soft) expect(w.taskQueue).toBe(q);
  });

  it('an H100 machine with the default classes and node queues: untyped GPU tasks run, the GPU never waits on an idle poll', async () => {
    const q = await bed.queue('h100');
    const m = await bed.machine(q, {
      nodeId: 'h100-node',
      resources: { CPU: 2, GPU: 1 },
      acceleratorType: 'H100',
      nodeQueues: true,
      activities,
    });
    const typed = `${q}@CPU=1,GPU=1,accelerator_type:H100=0.001`;
    expect(m.workers.classes.map((c) => c.taskQueue)).toEqual([
      q,
      `${q}@CPU=1,GPU=1`,
      typed,
      `${q}@node:h100-node`,
      `${q}@CPU=1,GPU=1@node:h100-node`,
      `${typed}@node:h100-node`,
    ]);
    // An untyped whole-GPU task runs on the H100 machine (as on a Ray H100 node).
    expect(await bed.run('runTask', q, ['where', [], { numGpus: 1 }])).toMatchObject({
      nodeId: 'h100-node',
      gpuIds: [0],
    });
    // Two typed whole-GPU tasks at once: the second starts as soon as the first ends (no second
    // idle reservation held by the node queue, no wait for a long poll).
    await bed.run('runAll', q, [
      [1, 2].map((i) => ({
        activity: 'hold',
        args: [1000],
        options: { name: `typed-${i}`, numGpus: 1, acceleratorType: 'H100' },
      })),
    ]);
    const tasks = attemptsFromEvents(
      m.events.filter((e) => e.name?.startsWith('typed-') === true),
      () => 1,
    ).sort((a, b) => a.start - b.start);
    expect(tasks).toHaveLength(2);
    expect(tasks[1]!.start - tasks[0]!.end).toBeLessThanOrEqual(HAND_OFF_BOUND_MS);
    expectFull(m);
  });
});

describe('cancellation', () => {
  it('cancelling the workflow cancels the running activity through its task context signal', async () => {
    const q = await bed.queue('cancel');
    const m = await bed.machine(q, { nodeId: 'c', resources: { CPU: 1 }, activities });
    const handle = await bed.env.client.workflow.start('runTask', {
      taskQueue: q,
      workflowId: `cancel-${Date.now()}`,
      args: [
        'waitForCancel',
        ['cancel-me'],
        { name: 'cancel-me', _metadata: { 'temporal.io/activity': { heartbeatTimeout: '1s' } } },
      ],
    });
    while (probe.calls.get('cancel-me') !== 1) await new Promise((r) => setTimeout(r, 20));
    await handle.cancel();
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(probe.calls.get('cancel-me:cancelled')).toBe(1);
    while (!m.events.some((e) => e.name === 'cancel-me' && e.state === 'FAILED'))
      await new Promise((r) => setTimeout(r, 20));
    expect(m.events.filter((e) => e.name === 'cancel-me').map((e) => e.state)).toEqual([
      'PENDING_NODE_ASSIGNMENT',
      'SUBMITTED_TO_WORKER',
      'RUNNING',
      'FAILED',
    ]);
    expect(m.events.at(-1)?.errorType).toBe('TaskCancelledError');
    expectFull(m);
  });
});

describe('retries and errors', () => {
  it('maxRetries: 2 gives exactly 3 attempts for a retryable failure', async () => {
    const q = await bed.queue('retry');
    const m = await bed.machine(q, { nodeId: 'r', resources: { CPU: 2 }, activities });
    const err = await bed
      .run('runTask', q, [
        'failTimes',
        ['retry3', 10, 'FlakyError'],
        { maxRetries: 2, retryExceptions: true, name: 'retry3', _metadata: fast },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(probe.calls.get('retry3')).toBe(3);
    expect(toTaskFailure(err)).toMatchObject({
      name: 'TaskError',
      errorType: 'FlakyError',
      attempts: 3,
      typeChain: ['FlakyError', 'Error'],
    });
    const attempts = m.events
      .filter((e) => e.name === 'retry3' && e.state === 'FAILED')
      .map((e) => [e.attempt, e.errorType]);
    expect(attempts).toEqual([
      [0, 'FlakyError'],
      [1, 'FlakyError'],
      [2, 'FlakyError'],
    ]);
    expectFull(m);
  });

  it('an error not on the allow-list fails at once; an allow-listed one is retried', async () => {
    const q = await bed.queue('allow');
    await bed.machine(q, { nodeId: 'a', resources: { CPU: 2 }, activities });
    const denied = await bed
      .run('runTask', q, [
        'failTimes',
        ['deny', 1, 'FatalError'],
        { maxRetries: 5, retryExceptions: ['TransientError'], _metadata: fast },
      ])
      .catch((e: unknown) => e);
    expect(probe.calls.get('deny')).toBe(1);
    expect(toTaskFailure(denied)).toMatchObject({ name: 'TaskError', errorType: 'FatalError', attempts: 1 });
    const allowed = await bed.run<{ calls: number }>('runTask', q, [
      'failTimes',
      ['allow', 2, 'TransientError'],
      { maxRetries: 5, retryExceptions: ['TransientError'], _metadata: fast },
    ]);
    expect(allowed.calls).toBe(3);
    const byDefault = await bed
      .run('runTask', q, ['failTimes', ['dflt', 1, 'FlakyError'], { _metadata: fast }])
      .catch((e: unknown) => e);
    expect(toTaskFailure(byDefault)).toMatchObject({ errorType: 'FlakyError', attempts: 1 });
  });

  it('.options() inside a workflow changes the routing and retry policy of that call only', async () => {
    const q = await bed.queue('scope');
    await bed.machine(q, { nodeId: 'cpu-only', resources: { CPU: 2 }, activities });
    await bed.machine(q, {
      nodeId: 'gpu-h100',
      resources: { CPU: 2, GPU: 1 },
      acceleratorType: 'H100',
      classes: [{ numGpus: 1, acceleratorType: 'H100' }],
      activities,
    });
    const out = await bed.run<{ overridden: { nodeId: string; calls: number }; plainType: string }>('optionsScope', q, [
      'scope-1',
      'scope-2',
    ]);
    expect(out.overridden).toMatchObject({ nodeId: 'gpu-h100', calls: 2 });
    expect(out.plainType).toBe('FlakyError');
    expect(probe.calls.get('scope-2')).toBe(1);
  });

  it('numReturns: 2 resolves with both values; 0 with undefined; a wrong shape fails without retry', async () => {
    const q = await bed.queue('returns');
    await bed.machine(q, { nodeId: 'n', resources: { CPU: 1 }, activities });
    expect(await bed.run('runTask', q, ['pairOf', ['a', 7], { numReturns: 2 }])).toEqual(['a', 7]);
    expect(await bed.run('runTask', q, ['touch', ['zero'], { numReturns: 0 }])).toBeUndefined();
    expect(probe.calls.get('zero')).toBe(1);
    const bad = await bed
      .run('runTask', q, ['pairOf', ['a', 7, true], { numReturns: 2, maxRetries: 3 }])
      .catch((e: unknown) => e);
    expect(toTaskFailure(bad)).toMatchObject({ errorType: 'NumReturnsMismatchError', attempts: 1 });
  });
});

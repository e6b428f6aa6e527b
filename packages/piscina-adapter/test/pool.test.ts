// Integration tests of TaskPool with real Piscina worker threads running test/fixtures/tasks.mjs.
import { createRequire } from 'node:module';
import { SHARE_ENV } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import {
  InfeasibleTaskError,
  ObjectRef,
  TaskCancelledError,
  TaskError,
  TaskOptionsError,
  TaskPool,
  WorkerCrashedError,
} from '@taskfit/piscina-adapter';
import type { TaskEvent } from '@taskfit/piscina-adapter';
import { errorTypeChain, remote } from '@taskfit/core';
import { FIXTURE, latch, makePool, open, stateOf, track, waitFor } from './helpers.js';
import type { WhoAmI } from './helpers.js';

describe('Piscina compatibility', () => {
  it('run(task) calls the default export with 1 CPU, and name/filename select another export', async () => {
    const pool = makePool({ resources: { CPU: 1 } });
    expect(await pool.run(21)).toBe(42);
    expect(await pool.run(undefined, { name: 'thread' })).toBeTypeOf('number');
    const [info] = pool.listTasks({ name: 'default' });
    expect(info!.events.find((e) => e.state === 'SUBMITTED_TO_WORKER')!.resources).toEqual({ CPU: 1 });
    expect(await pool.run(5, { filename: FIXTURE.pathname })).toBe(10);
  });

  it('detects the node resources when none are given (TASKFIT_RESOURCES overrides)', async () => {
    process.env.TASKFIT_RESOURCES = JSON.stringify({ GPU: 2, licence: 1 });
    try {
      const pool = track(new TaskPool({ filename: FIXTURE, maxThreads: 2 }));
      const early = pool.run(1, { options: { numGpus: 1 } }); // queued until detection is done
      await pool.ready;
      expect(pool.resources.total).toMatchObject({ GPU: 2, licence: 1, CPU: expect.any(Number) });
      expect(await early).toBe(2);
      process.env.TASKFIT_RESOURCES = 'not json';
      const broken = new TaskPool({ filename: FIXTURE, maxThreads: 1 });
      const rejected = broken.run(1);
      await expect(broken.ready).rejects.toBeInstanceOf(TaskOptionsError);
      await expect(rejected).rejects.toBeInstanceOf(TaskOptionsError);
      await expect(broken.run(1)).rejects.toBeInstanceOf(TaskOptionsError);
      await broken.destroy();
    } finally {
      delete process.env.TASKFIT_RESOURCES;
    }
  });

  it('passes Piscina options through (workerData)', async () => {
    const pool = makePool({ workerData: { hello: 'world' } });
    expect(await pool.run(undefined, { name: 'data' })).toEqual({ hello: 'world' });
  });

  it('rejects a shared environment (per-task env would leak into the process) and a bad maxBypass, naming the option', () => {
    expect(() => new TaskPool({ filename: FIXTURE, env: SHARE_ENV })).toThrow(/SHARE_ENV is not supported/);
    expect(() => new TaskPool({ filename: FIXTURE, maxBypass: -1 })).toThrow(/options\.maxBypass must be an integer/);
  });

  it('rejects invalid task options with TaskOptionsError naming the field', async () => {
    const pool = makePool();
    await expect(pool.run(1, { options: { numGpus: 1.5 } })).rejects.toMatchObject({
      name: 'TaskOptionsError',
      path: ['numGpus'],
    });
    expect(() => pool.remote('add', { num_cpus: 1 } as never)).toThrow(TaskOptionsError);
    expect(() => pool.remote('add').options({ maxCalls: 2 })).toThrow(
      expect.objectContaining({ code: 'not_overridable' }),
    );
  });
});

describe('GPUs', () => {
  it('two 0.5-GPU tasks overlap on one GPU while a 1-GPU task waits', async () => {
    const pool = makePool({ resources: { CPU: 4, GPU: 1 } });
    const half = pool.remote('hold', { numGpus: 0.5, numCpus: 1, name: 'half' });
    const whole = pool.remote('hold', { numGpus: 1, numCpus: 1, name: 'whole' });
    const rel = latch();
    const relWhole = latch();
    const a = half.remote(rel) as ObjectRef<WhoAmI>;
    const b = half.remote(rel) as ObjectRef<WhoAmI>;
    const c = whole.remote(relWhole) as ObjectRef<WhoAmI>;
    await waitFor(() => pool.listTasks({ name: 'half', state: 'RUNNING' }).length === 2, 'both halves running');
    expect(stateOf(pool, c.taskId)).toBe('PENDING_NODE_ASSIGNMENT');
    expect(pool.resources.available.GPU).toBe(0);
    open(relWhole);
    // Still waiting: the GPU is full until the halves finish.
    await new Promise((r) => setTimeout(r, 50));
    expect(stateOf(pool, c.taskId)).toBe('PENDING_NODE_ASSIGNMENT');
    open(rel);
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    expect(ra!.gpuIds).toEqual([0]);
    expect(rb!.gpuIds).toEqual([0]);
    expect(rc!.gpuIds).toEqual([0]);
    const halfEnd = Math.max(
      ...pool.listTasks({ name: 'half' }).map((t) => t.events.find((e) => e.state === 'FINISHED')!.timestamp),
    );
    const wholeStart = pool.listTasks({ name: 'whole' })[0]!.events.find((e) => e.state === 'RUNNING')!.timestamp;
    expect(wholeStart).toBeGreaterThanOrEqual(halfEnd);
  });

  it('GPU ids seen inside the task and by a child process match the ledger, and are restored after', async () => {
    const pool = makePool({ resources: { CPU: 4, GPU: 2 }, maxThreads: 2 });
    const events: TaskEvent[] = [];
    pool.events.on('taskEvent', (e) => events.push(e));
    const gpu = pool.remote('hold', { numGpus: 1, name: 'gpu' });
    const rel = latch();
    const refs = [gpu.remote(rel, { child: true }), gpu.remote(rel, { child: true })] as ObjectRef<WhoAmI>[];
    await waitFor(() => pool.listTasks({ name: 'gpu', state: 'RUNNING' }).length === 2, 'both GPU tasks running');
    open(rel);
    const seen = await Promise.all(refs);
    expect(seen.map((s) => s.gpuIds[0]).sort()).toEqual([0, 1]);
    for (const s of seen) {
      const ledgerIds = events.find((e) => e.taskId === s.taskId && e.state === 'SUBMITTED_TO_WORKER')!.gpuIds;
      expect(s.gpuIds).toEqual(ledgerIds);
      expect(s.cuda).toBe(String(s.gpuIds[0]));
      expect(s.childCuda).toBe(String(s.gpuIds[0]));
      expect(s.resources).toMatchObject({ GPU: 1, CPU: 1 });
    }
    // GPU tasks default to maxCalls 1: their threads were retired, so a CPU task sees the host's env.
    const cpu = (await pool.remote('whoami', { name: 'cpu' }).remote({ child: true })) as WhoAmI;
    expect(cpu.gpuIds).toEqual([]);
    expect(cpu.cuda).toBe(process.env.CUDA_VISIBLE_DEVICES ?? null);
    expect(seen.map((s) => s.threadId)).not.toContain(cpu.threadId);
  });

  it('a GPU task with maxCalls 0 restores CUDA_VISIBLE_DEVICES on its thread afterwards', async () => {
    const pool = makePool({ resources: { CPU: 1, GPU: 1 }, maxThreads: 1 });
    const g = (await pool.remote('whoami', { numGpus: 1, maxCalls: 0 }).remote()) as WhoAmI;
    const c = (await pool.remote('whoami').remote()) as WhoAmI;
    expect(g.threadId).toBe(c.threadId);
    expect(g.cuda).toBe('0');
    expect(c.cuda).toBe(process.env.CUDA_VISIBLE_DEVICES ?? null);
  });

  it('maps GPU ids through the visible devices of the host', async () => {
    const pool = makePool({ resources: { CPU: 1, GPU: 2 }, visibleDevices: ['3', 'GPU-abc'], maxThreads: 1 });
    const r = (await pool.remote('whoami', { numGpus: 2 }).remote()) as WhoAmI;
    expect(r.gpuIds).toEqual(['3', 'GPU-abc']);
    expect(r.cuda).toBe('3,GPU-abc');
  });
});

describe('failures and retries', () => {
  it('a worker that calls process.exit is retried and the final result arrives', async () => {
    const pool = makePool({ maxThreads: 2 });
    expect(await pool.run('done', { name: 'exitFirst', options: { maxRetries: 1 } })).toBe('done');
    const [info] = pool.listTasks({ name: 'exitFirst' });
    const failed = info!.events.find((e) => e.state === 'FAILED')!;
    expect(failed).toMatchObject({ attempt: 0, errorType: 'WorkerCrashedError' });
    expect(failed.errorMessage).toMatch(/worker exited with code: 7/);
    expect(info!.events.at(-1)).toMatchObject({ attempt: 1, state: 'FINISHED' });
  });

  it('without retries left, a crash rejects with WorkerCrashedError kind worker_exit', async () => {
    const pool = makePool({ maxThreads: 1 });
    const err = await pool.run('x', { name: 'exitFirst', options: { maxRetries: 0 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(err).toMatchObject({ kind: 'worker_exit', attempts: 1 });
    // The pool still works after the crash.
    expect(await pool.run(2)).toBe(4);
  });

  it('out of memory (resourceLimits) is a system failure, retried', async () => {
    const pool = makePool({
      maxThreads: 1,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    const err = await pool.run(undefined, { name: 'hog', options: { maxRetries: 1 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(err).toMatchObject({ kind: 'out_of_memory', attempts: 2 });
  });

  it('an allow-listed error class is retried and another is not; class names and props survive', async () => {
    const pool = makePool();
    const f = pool.remote('failUntil', { retryExceptions: ['TransientError'], maxRetries: 3 });
    expect(await f.remote('TransientError', 2)).toBe(2);
    const err = await (f.remote('FatalError', 2) as ObjectRef).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskError);
    const te = err as TaskError;
    expect(te).toMatchObject({ errorType: 'FatalError', attempts: 1, typeChain: ['FatalError', 'Error'] });
    const cause = te.cause as Error & { code: string; details: { attempt: number; fn: string } };
    expect(cause).toBeInstanceOf(Error);
    expect(cause.name).toBe('FatalError');
    expect(cause.message).toBe('attempt 0 failed');
    expect(cause.code).toBe('E_FIXTURE');
    expect(cause.details.attempt).toBe(0);
    expect(typeof cause.details.fn).toBe('string'); // functions cannot cross: stringified
    expect(cause.stack).toContain('failUntil');
  });

  it('a thrown primitive has the type chain core gives it, so allow-lists match the same way on every executor', async () => {
    const pool = makePool();
    const f = pool.remote('throwValue', { retryExceptions: ['String'], maxRetries: 1 });
    const err = (await (f.remote('plain string') as ObjectRef).catch((e: unknown) => e)) as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect(err).toMatchObject({ errorType: 'String', typeChain: errorTypeChain('plain string'), attempts: 2 });
    const other = (await (f.remote(42) as ObjectRef).catch((e: unknown) => e)) as TaskError;
    expect(other).toMatchObject({ errorType: 'Number', attempts: 1 });
  });

  it('retryExceptions matches a base class anywhere in the prototype chain', async () => {
    const pool = makePool();
    class HttpError extends Error {}
    const f = pool.remote('failUntil', { retryExceptions: [HttpError], maxRetries: 1 });
    expect(await f.remote('NotFoundError', 1)).toBe(1);
    const err = (await (pool.remote('failUntil').remote('NotFoundError', 1) as ObjectRef).catch(
      (e: unknown) => e,
    )) as TaskError;
    expect(err.typeChain).toEqual(['NotFoundError', 'HttpError', 'Error']);
    expect((err.cause as { status: number }).status).toBe(404);
  });

  it('applies backoff from _metadata["taskfit.io/retry"] and validates it', async () => {
    const pool = makePool();
    const f = pool.remote('failUntil', {
      retryExceptions: true,
      maxRetries: 2,
      _metadata: { 'taskfit.io/retry': { initialDelayMs: 40, backoffCoefficient: 2, maxDelayMs: 1000 } },
      name: 'backoff',
    });
    expect(await f.remote('TransientError', 2)).toBe(2);
    const ev = pool.listTasks({ name: 'backoff' })[0]!.events;
    const at = (attempt: number, state: string) =>
      ev.find((e) => e.attempt === attempt && e.state === state)!.timestamp;
    expect(at(1, 'PENDING_NODE_ASSIGNMENT') - at(0, 'FAILED')).toBeGreaterThanOrEqual(39);
    expect(at(2, 'PENDING_NODE_ASSIGNMENT') - at(1, 'FAILED')).toBeGreaterThanOrEqual(79);
    expect(() => pool.remote('add', { _metadata: { 'taskfit.io/retry': { initialDelayMs: -1 } } })).toThrow(
      expect.objectContaining({ code: 'invalid_value', path: ['_metadata', 'taskfit.io/retry', 'initialDelayMs'] }),
    );
    expect(() => pool.remote('add', { _metadata: { 'taskfit.io/retry': { delay: 1 } } })).toThrow(
      expect.objectContaining({ code: 'unknown_option', path: ['_metadata', 'taskfit.io/retry', 'delay'] }),
    );
    expect(() => pool.remote('add', { _metadata: { 'taskfit.io/retry': { backoffCoefficient: 0.5 } } })).toThrow(
      expect.objectContaining({ code: 'invalid_value', path: ['_metadata', 'taskfit.io/retry', 'backoffCoefficient'] }),
    );
    expect(() =>
      pool.remote('add', { _metadata: { 'taskfit.io/retry': { initialDelayMs: 10, maxDelayMs: 5 } } }),
    ).toThrow(expect.objectContaining({ code: 'conflict', path: ['_metadata', 'taskfit.io/retry', 'maxDelayMs'] }));
  });
});

describe('worker loading', () => {
  it('Piscina loads a CommonJS handler file, so no worker start goes through require(esm)', async () => {
    // Piscina require()s its handler file first. On Node >= 20.19 a require() of an ES module
    // loads it synchronously (require(esm)), which can abort the process with a V8 fatal error
    // when it races an import() of the same graph. The handler file must stay CommonJS.
    const pool = makePool();
    const file = pool.piscina.options.filename as string;
    expect(file).toMatch(/\.cjs$/);
    const handler = createRequire(import.meta.url)(file) as unknown;
    expect(typeof handler).toBe('function');
    expect(await pool.run(21)).toBe(42);
  });
});

describe('maxCalls', () => {
  it('maxCalls: 1 runs each call on a fresh thread, results intact', async () => {
    const pool = makePool({ maxThreads: 2 });
    const f = pool.remote('thread', { maxCalls: 1 });
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push((await f.remote()) as number);
    expect(new Set(ids).size).toBe(4);
    // Concurrently too.
    const many = (await Promise.all(Array.from({ length: 6 }, () => f.remote()))) as number[];
    expect(new Set(many).size).toBe(6);
  });

  it('maxCalls: 2 retires a thread after its second call', async () => {
    const pool = makePool({ maxThreads: 1 });
    const f = pool.remote('thread', { maxCalls: 2 });
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push((await f.remote()) as number);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).toBe(ids[3]);
    expect(ids[1]).not.toBe(ids[2]);
  });

  it('a thread retires when the task that reached maxCalls settles, not when an earlier task on it does', async () => {
    // Piscina hands a freed thread its next task before the previous task's promise settles, so
    // the maxCalls task can start on a thread whose previous (unlimited) task is still settling.
    // Terminating the thread on that earlier settle would kill the maxCalls task (maxRetries: 0
    // makes such a kill visible as a WorkerCrashedError).
    const pool = makePool({ resources: { CPU: 2, GPU: 1 }, maxThreads: 2 });
    const cpu = pool.remote('thread');
    const gpu = pool.remote('thread', { numGpus: 1, maxRetries: 0 });
    const runs = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? gpu.remote() : cpu.remote()));
    const results = await Promise.allSettled(runs);
    expect(results.filter((r) => r.status === 'rejected').map((r) => String(r.reason))).toEqual([]);
  });
});

describe('admission and fairness', () => {
  it('rejects infeasible demands at once with the core reason', async () => {
    const pool = makePool({ resources: { CPU: 2, GPU: 1 } });
    const err = await pool.run(1, { options: { numGpus: 2 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfeasibleTaskError);
    expect((err as InfeasibleTaskError).reason).toMatch(/GPU/);
    await expect(pool.run(1, { options: { resources: { licence: 1 } } })).rejects.toMatchObject({
      name: 'InfeasibleTaskError',
      reason: expect.stringContaining('licence'),
    });
    await expect(pool.run(1, { options: { numCpus: 3 } })).rejects.toBeInstanceOf(InfeasibleTaskError);
  });

  it('an infeasible task is rejected at once even behind a waiting task', async () => {
    const pool = makePool({ resources: { CPU: 1 }, maxThreads: 1, maxBypass: 0 });
    const rel = latch();
    const busy = pool.run(rel, { name: 'hold' });
    const waiting = pool.run(1);
    await expect(pool.run(1, { options: { numCpus: 5 } })).rejects.toBeInstanceOf(InfeasibleTaskError);
    open(rel);
    await busy;
    expect(await waiting).toBe(2);
  });

  /** Order in which tasks were handed to threads. */
  function runningOrder(pool: TaskPool): string[] {
    const order: string[] = [];
    pool.events.on('taskEvent', (e) => {
      if (e.state === 'RUNNING') order.push(e.name);
    });
    return order;
  }

  it('small tasks backfill past a large one that cannot fit yet, but only maxBypass times', async () => {
    const pool = makePool({ resources: { CPU: 2 }, maxThreads: 2, maxBypass: 2 });
    const order = runningOrder(pool);
    const rel = latch();
    const small = (n: string) => pool.run(rel, { name: 'hold', options: { name: n } });
    const first = [small('s1'), small('s2')];
    await waitFor(() => order.length === 2, 's1, s2 running');
    const big = pool.run(0, { name: 'spin', options: { numCpus: 2, name: 'big' } });
    const rest = ['s3', 's4', 's5', 's6'].map((n) => pool.run(1, { name: 'spin', options: { name: n } }));
    open(rel);
    await Promise.all([...first, big, ...rest]);
    // s3 and s4 backfilled (they fit when s1/s2 ended); then big held its reservation.
    expect(order.slice(0, 2).sort()).toEqual(['s1', 's2']);
    expect(order.indexOf('big')).toBe(4);
    expect(order.slice(2, 4).sort()).toEqual(['s3', 's4']);
  });

  it('maxBypass: 0 is strict FIFO', async () => {
    const pool = makePool({ resources: { CPU: 2 }, maxThreads: 2, maxBypass: 0 });
    const order = runningOrder(pool);
    const rel = latch();
    const s1 = pool.run(rel, { name: 'hold', options: { name: 's1' } });
    await waitFor(() => order.length === 1, 's1 running');
    const big = pool.run(0, { name: 'spin', options: { numCpus: 2, name: 'big' } });
    const s2 = pool.run(1, { name: 'spin', options: { name: 's2' } });
    await new Promise((r) => setTimeout(r, 30));
    expect(order).toEqual(['s1']); // s2 would fit now, but waits behind big
    open(rel);
    await Promise.all([s1, big, s2]);
    expect(order).toEqual(['s1', 'big', 's2']);
  });

  it('never runs more than the ledger allows, across mixed demands', async () => {
    const pool = makePool({ resources: { CPU: 3, GPU: 1, licence: 1 }, maxThreads: 4 });
    let cpu = 0;
    let gpu = 0;
    let lic = 0;
    let maxCpu = 0;
    let maxGpu = 0;
    let maxLic = 0;
    const demands = new Map<string, { c: number; g: number; l: number }>();
    pool.events.on('taskEvent', (e) => {
      if (e.state === 'SUBMITTED_TO_WORKER') {
        const d = { c: e.resources?.CPU ?? 0, g: e.resources?.GPU ?? 0, l: e.resources?.licence ?? 0 };
        demands.set(e.taskId, d);
        cpu += d.c;
        gpu += d.g;
        lic += d.l;
        maxCpu = Math.max(maxCpu, cpu);
        maxGpu = Math.max(maxGpu, gpu);
        maxLic = Math.max(maxLic, lic);
      } else if (e.state === 'FINISHED' || e.state === 'FAILED') {
        const d = demands.get(e.taskId);
        if (d !== undefined) {
          cpu -= d.c;
          gpu -= d.g;
          lic -= d.l;
          demands.delete(e.taskId);
        }
      }
    });
    const opts = [{}, { numGpus: 0.5 }, { numGpus: 0.25, numCpus: 0.5 }, { resources: { licence: 1 } }, { numCpus: 2 }];
    const all = Array.from({ length: 40 }, (_, i) =>
      pool.run(i % 3, { name: 'sleep', options: opts[i % opts.length]! }),
    );
    await Promise.all(all);
    expect(maxCpu).toBeLessThanOrEqual(3);
    expect(maxGpu).toBeLessThanOrEqual(1);
    expect(maxLic).toBeLessThanOrEqual(1);
  });
});

describe('remote(), numReturns, ObjectRefs and streaming', () => {
  it('numReturns 0, 1, 2', async () => {
    const pool = makePool();
    expect(pool.remote('noop', { numReturns: 0, name: 'zero' }).remote()).toBeUndefined();
    await waitFor(() => pool.listTasks({ name: 'zero' })[0]?.state === 'FINISHED', 'zero-return task');
    const one = pool.remote('add').remote(1, 2) as ObjectRef<number>;
    expect(one).toBeInstanceOf(ObjectRef);
    expect(await one).toBe(3);
    const [a, b] = pool.remote('pair', { numReturns: 2 }).remote('x', 9) as ObjectRef[];
    expect(await a).toBe('x');
    expect(await b).toBe(9);
    const [c] = pool.remote('add', { numReturns: 2 }).remote(1, 1) as ObjectRef[];
    await expect(c).rejects.toMatchObject({ name: 'TaskError', errorType: 'NumReturnsMismatchError' });
  });

  it('ObjectRef arguments are resolved first (PENDING_ARGS_AVAIL)', async () => {
    const pool = makePool();
    const add = pool.remote('add');
    const x = add.remote(1, 2) as ObjectRef<number>;
    const y = add.remote(3, 4) as ObjectRef<number>;
    const z = pool.remote('add', { name: 'sum' }).remote(x, y) as ObjectRef<number>;
    expect(await z).toBe(10);
    const states = pool.listTasks({ name: 'sum' })[0]!.events.map((e) => e.state);
    expect(states).toEqual([
      'PENDING_ARGS_AVAIL',
      'PENDING_NODE_ASSIGNMENT',
      'SUBMITTED_TO_WORKER',
      'RUNNING',
      'FINISHED',
    ]);
    const bad = pool.remote('failUntil').remote('FatalError', 1) as ObjectRef;
    await expect(pool.remote('add').remote(bad, 1) as ObjectRef).rejects.toMatchObject({ errorType: 'FatalError' });
  });

  it('accepts a core RemoteFunction whose function is exported under its name', async () => {
    const pool = makePool();
    const add = remote((a: number, b: number) => a + b, { numCpus: 2 });
    void add;
    function pair(a: unknown, b: unknown) {
      return [a, b];
    }
    const rf = remote(pair, { numReturns: 2, name: 'rf-pair' });
    const refs = pool.remote(rf).remote(1, 2) as ObjectRef[];
    expect(await Promise.all(refs)).toEqual([1, 2]);
    expect(pool.listTasks({ name: 'rf-pair' })).toHaveLength(1);
    const chained = pool.remote(rf).options({ numCpus: 2 });
    expect(chained.taskOptions).toMatchObject({ numReturns: 2, numCpus: 2 });
    expect(pool.remote('add', { numGpus: 0.5 }).resolvedOptions).toMatchObject({ maxCalls: 1, numCpus: 1 });
  });

  it("numReturns 'streaming' yields every item of an async generator, in order", async () => {
    const pool = makePool();
    const gen = pool.remote('count', { numReturns: 'streaming' }).remote(50) as AsyncIterable<number>;
    const got: number[] = [];
    for await (const v of gen) got.push(v);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const bad = pool.remote('countThenFail', { numReturns: 'streaming' }).remote(3) as AsyncIterable<number>;
    const seen: number[] = [];
    const err = await (async () => {
      for await (const v of bad) seen.push(v);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([0, 1, 2]);
    expect(err).toMatchObject({ name: 'TaskError', errorType: 'FatalError' });
    const notGen = pool.remote('notAGenerator', { numReturns: 'streaming' }).remote() as AsyncIterable<number>;
    await expect(
      (async () => {
        for await (const _ of notGen) void _;
      })(),
    ).rejects.toMatchObject({ errorType: 'TypeError' });
  });
});

describe('runtimeEnv', () => {
  it('applies envVars per task with ${VAR} expansion and restores them afterwards', async () => {
    process.env.TASKFIT_TEST_BASE = '/opt/base';
    const pool = makePool({ maxThreads: 1 });
    const r = (await pool
      .remote('whoami', { runtimeEnv: { envVars: { APP_HOME: '${TASKFIT_TEST_BASE}/app', PLAIN: 'p' } } })
      .remote({ env: ['APP_HOME', 'PLAIN'] })) as WhoAmI;
    expect(r.env).toEqual({ APP_HOME: '/opt/base/app', PLAIN: 'p' });
    expect(r.runtimeEnv).toEqual({ envVars: { APP_HOME: '/opt/base/app', PLAIN: 'p' } });
    const after = (await pool.remote('whoami').remote({ env: ['APP_HOME', 'PLAIN'] })) as WhoAmI;
    expect(after.threadId).toBe(r.threadId);
    expect(after.env).toEqual({ APP_HOME: null, PLAIN: null });
  });

  it('rejects unsupported runtime-env fields with a clear error', () => {
    const pool = makePool();
    expect(() => pool.remote('add', { runtimeEnv: { workingDir: '/tmp' } })).toThrow(
      expect.objectContaining({
        code: 'invalid_value',
        path: ['runtimeEnv', 'workingDir'],
        message: expect.stringMatching(/cannot change directory/),
      }),
    );
  });
});

describe('scheduling strategies and placement groups', () => {
  it('hard affinity to another node fails fast; soft affinity runs locally', async () => {
    const pool = makePool({ nodeId: 'n1' });
    await expect(
      pool.run(1, { options: { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n2' } } }),
    ).rejects.toBeInstanceOf(InfeasibleTaskError);
    expect(
      await pool.run(1, { options: { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n2', soft: true } } }),
    ).toBe(2);
    expect(await pool.run(1, { options: { schedulingStrategy: { type: 'nodeAffinity', nodeId: 'n1' } } })).toBe(2);
    expect(await pool.run(1, { options: { schedulingStrategy: 'SPREAD' } })).toBe(2);
  });

  it('node labels and label selectors match the local node', async () => {
    const pool = makePool({ labels: { zone: 'a' } });
    expect(await pool.run(1, { options: { labelSelector: { zone: 'a' } } })).toBe(2);
    await expect(pool.run(1, { options: { labelSelector: { zone: 'b' } } })).rejects.toBeInstanceOf(
      InfeasibleTaskError,
    );
  });

  it('tasks run inside a placement group reservation; removal frees it', async () => {
    const pool = makePool({ resources: { CPU: 4, GPU: 1 } });
    const pg = pool.createPlacementGroup({ bundles: [{ CPU: 2, GPU: 1 }], strategy: 'STRICT_PACK' });
    expect(pg.state).toBe('CREATED');
    expect(pool.resources.available).toMatchObject({ CPU: 2, GPU: 0 });
    const inPg = { type: 'placementGroup' as const, placementGroup: pg, bundleIndex: 0 };
    const r = (await pool.remote('whoami', { numGpus: 1, schedulingStrategy: inPg }).remote()) as WhoAmI;
    expect(r.gpuIds).toEqual([0]);
    await expect(pool.run(1, { options: { numCpus: 3, schedulingStrategy: inPg } })).rejects.toBeInstanceOf(
      InfeasibleTaskError,
    );
    pool.removePlacementGroup(pg);
    expect(pool.resources.available).toMatchObject({ CPU: 4, GPU: 1 });
    await expect(pool.run(1, { options: { schedulingStrategy: inPg } })).rejects.toMatchObject({
      name: 'InfeasibleTaskError',
      reason: expect.stringContaining('removed'),
    });
  });
});

describe('task events', () => {
  it('records every attempt with node, resources, thread and error type; summarizes', async () => {
    const pool = makePool({ nodeId: 'node-a' });
    await pool.remote('failUntil', { retryExceptions: true, name: 'ev' }).remote('TransientError', 1);
    const [info] = pool.listTasks({ name: 'ev' });
    expect(info).toMatchObject({ state: 'FINISHED', attempt: 1, nodeId: 'node-a' });
    expect(info!.events.map((e) => `${e.attempt}:${e.state}`)).toEqual([
      '0:PENDING_NODE_ASSIGNMENT',
      '0:SUBMITTED_TO_WORKER',
      '0:RUNNING',
      '0:FAILED',
      '1:PENDING_NODE_ASSIGNMENT',
      '1:SUBMITTED_TO_WORKER',
      '1:RUNNING',
      '1:FINISHED',
    ]);
    const failed = info!.events[3]!;
    expect(failed).toMatchObject({ errorType: 'TransientError', resources: { CPU: 1 }, nodeId: 'node-a' });
    expect(failed.threadId).toBeTypeOf('number');
    await pool.run(1, { options: { enableTaskEvents: false, name: 'hidden' } });
    await expect(pool.run('x', { name: 'boom', options: { name: 'bad' } })).rejects.toBeInstanceOf(TaskError);
    expect(pool.listTasks({ name: 'hidden' })).toEqual([]);
    expect(pool.listTasks({ state: 'FAILED' })[0]).toMatchObject({ name: 'bad', errorType: 'TypeError' });
    expect(pool.summarizeTasks()).toMatchObject({
      total: 2,
      byState: { FINISHED: 1, FAILED: 1 },
      byName: { ev: { FINISHED: 1 } },
    });
  });

  it('keeps at most maxTaskHistory finished tasks', async () => {
    const pool = makePool({ maxTaskHistory: 3 });
    for (let i = 0; i < 6; i++) await pool.run(i);
    expect(pool.listTasks()).toHaveLength(3);
  });
});

describe('cancellation and shutdown', () => {
  it('ref.cancel() drops a queued task and terminates a running one; resources come back', async () => {
    const pool = makePool({ resources: { CPU: 1 }, maxThreads: 1 });
    const running = pool.remote('hold').remote(latch()) as ObjectRef;
    const queued = pool.remote('add').remote(1, 2) as ObjectRef;
    await waitFor(() => stateOf(pool, running.taskId) === 'RUNNING', 'running');
    expect(queued.cancel()).toBe(true);
    await expect(queued).rejects.toBeInstanceOf(TaskCancelledError);
    expect(running.cancel('enough')).toBe(true);
    await expect(running).rejects.toMatchObject({
      name: 'TaskCancelledError',
      message: expect.stringContaining('enough'),
    });
    expect(running.cancel()).toBe(false);
    // The pool recovers a thread and keeps working.
    expect(await pool.run(4)).toBe(8);
  });

  it('an AbortSignal cancels a task', async () => {
    const pool = makePool({ resources: { CPU: 1 }, maxThreads: 1 });
    const ac = new AbortController();
    const p = pool.run(latch(), { name: 'hold', signal: ac.signal });
    await waitFor(() => pool.listTasks({ state: 'RUNNING' }).length === 1, 'running');
    ac.abort(new Error('stop'));
    await expect(p).rejects.toBeInstanceOf(TaskCancelledError);
    const pre = new AbortController();
    pre.abort();
    await expect(pool.run(1, { signal: pre.signal })).rejects.toBeInstanceOf(TaskCancelledError);
  });

  it('destroy() settles every accepted task with TaskCancelledError and releases everything', async () => {
    const pool = new TaskPool({ filename: FIXTURE, resources: { CPU: 2, GPU: 1 }, maxThreads: 2 });
    const rel = latch();
    const tasks = [
      pool.run(rel, { name: 'hold' }),
      pool.run(rel, { name: 'hold', options: { numGpus: 1 } }),
      pool.run(1),
      pool.run(1, { options: { numCpus: 2 } }),
    ];
    const settled = Promise.allSettled(tasks);
    await waitFor(() => pool.listTasks({ state: 'RUNNING' }).length === 2, 'two running');
    await pool.destroy();
    const results = await settled;
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(TaskCancelledError);
    }
    expect(pool.resources.available).toEqual(pool.resources.total);
    await expect(pool.run(1)).rejects.toBeInstanceOf(TaskCancelledError);
  });

  it('close() lets accepted tasks finish; close({ force }) cancels those not started', async () => {
    const pool = new TaskPool({ filename: FIXTURE, resources: { CPU: 1 }, maxThreads: 1 });
    const a = pool.run(2);
    const b = pool.run(3);
    await pool.close();
    expect(await a).toBe(4);
    expect(await b).toBe(6);
    const pool2 = new TaskPool({ filename: FIXTURE, resources: { CPU: 1 }, maxThreads: 1 });
    const rel = latch();
    const running = pool2.run(rel, { name: 'hold' });
    const queued = pool2.run(3);
    await waitFor(() => pool2.listTasks({ state: 'RUNNING' }).length === 1, 'running');
    const closing = pool2.close({ force: true });
    await expect(queued).rejects.toBeInstanceOf(TaskCancelledError);
    open(rel);
    await expect(running).resolves.toMatchObject({ threadId: expect.any(Number) });
    await closing;
    expect(pool2.resources.available).toEqual(pool2.resources.total);
  });
});

// Hangs, crashes, leaks and wrong results found by attacking TaskPool (issue 9): one regression
// test per defect.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  TaskCancelledError,
  TaskError,
  TaskOptionsError,
  TaskPool,
  WorkerCrashedError,
} from '@taskfit/piscina-adapter';
import type { ObjectRef, ObjectRefGenerator, TaskPoolOptions } from '@taskfit/piscina-adapter';
import { remote } from '@taskfit/core';
import { FIXTURE, latch, makePool, open, track } from './helpers.js';
import type { WhoAmI } from './helpers.js';

const settledNow = async (p: Promise<unknown>): Promise<'pending' | 'settled'> =>
  Promise.race([
    p.then(
      () => 'settled' as const,
      () => 'settled' as const,
    ),
    Promise.resolve().then(() => 'pending' as const),
  ]);

describe('detection that finds an invalid node total (issue 9 item 1)', () => {
  it('every task fails with the error naming the variable instead of waiting forever', async () => {
    // Core checks the whole TASKFIT_RESOURCES total when it is read (a GPU total of 0.5 is not a
    // node), so the pool knows at once that its resources cannot be known: nothing waits.
    process.env.TASKFIT_RESOURCES = JSON.stringify({ GPU: 0.5 });
    try {
      const pool = track(new TaskPool({ filename: FIXTURE, maxThreads: 1 }));
      const cpu = pool.run(1);
      const gpu = pool.run(1, { options: { numGpus: 0.5 } });
      const named = { name: 'TaskOptionsError', message: expect.stringMatching(/TASKFIT_RESOURCES\.GPU/) };
      await expect(pool.ready).rejects.toMatchObject(named);
      await expect(gpu).rejects.toMatchObject(named);
      await expect(cpu).rejects.toMatchObject(named);
      await expect(pool.run(1)).rejects.toBeInstanceOf(TaskOptionsError);
    } finally {
      delete process.env.TASKFIT_RESOURCES;
    }
  });

  it('a CPU total that is not valid fails every task at once', async () => {
    for (const value of [{ CPU: 1.5 }, { CPU: 1e308 }]) {
      process.env.TASKFIT_RESOURCES = JSON.stringify(value);
      try {
        const pool = track(new TaskPool({ filename: FIXTURE, maxThreads: 1 }));
        await expect(pool.run(1)).rejects.toBeInstanceOf(TaskOptionsError);
        await expect(pool.ready).rejects.toBeInstanceOf(TaskOptionsError);
      } finally {
        delete process.env.TASKFIT_RESOURCES;
      }
    }
  });
});

describe('placement groups and the fairness reservation (issue 9 item 2)', () => {
  it('a task that fits only once a group is removed reserves nothing: 40 small tasks all run', async () => {
    const pool = makePool({ resources: { CPU: 2, GPU: 1 }, maxThreads: 2 });
    const pg = pool.createPlacementGroup({ bundles: [{ GPU: 0.5 }], strategy: 'PACK' });
    const big = pool.run(0, { name: 'spin', options: { numCpus: 2, numGpus: 1 } });
    const small = Array.from({ length: 40 }, (_, i) => pool.run(i, { name: 'spin' }));
    expect(await Promise.all(small)).toHaveLength(40);
    expect(await settledNow(big)).toBe('pending');
    pool.removePlacementGroup(pg);
    expect(await big).toBe(0);
  });

  it('a task placed in a bundle neither holds nor waits behind a node reservation', async () => {
    const pool = makePool({ resources: { CPU: 3 }, maxThreads: 3, maxBypass: 0 });
    const pg = pool.createPlacementGroup({ bundles: [{ CPU: 1 }], strategy: 'PACK' });
    const rel = latch();
    const hold = pool.run(rel, { name: 'hold' }); // node: 1 of 2 free CPUs left
    const big = pool.run(0, { name: 'spin', options: { numCpus: 2 } }); // waits, holds the reservation (maxBypass 0)
    const inGroup = { type: 'placementGroup' as const, placementGroup: pg };
    expect(await pool.run(5, { options: { schedulingStrategy: inGroup } })).toBe(10);
    open(rel);
    await Promise.all([hold, big]);
    pool.removePlacementGroup(pg);
  });
});

describe('maxQueue with fractional CPUs (issue 9 item 3)', () => {
  it('maxQueue 0: tasks that cannot start are rejected cleanly, the others run (no crash)', async () => {
    const pool = makePool({ resources: { CPU: 2 }, minThreads: 2, maxThreads: 2, maxQueue: 0 });
    const runs = Array.from({ length: 8 }, () => pool.run(20, { name: 'span', options: { numCpus: 0.5 } }));
    const results = await Promise.allSettled(runs);
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok.length).toBeGreaterThanOrEqual(2);
    for (const r of results)
      if (r.status === 'rejected') expect(String(r.reason)).toMatch(/No task queue available and all Workers are busy/);
    expect(await pool.run(1)).toBe(2);
  });

  it("maxQueue 'auto': a task accepted into the queue is never failed later with 'Task queue is at limit'", async () => {
    const pool = makePool({ resources: { CPU: 2 }, minThreads: 2, maxThreads: 2, maxQueue: 'auto' });
    const runs = Array.from({ length: 12 }, () =>
      pool.run(15, { name: 'span', options: { numCpus: 0.5, maxRetries: 0 } }),
    );
    const accepted: Promise<unknown>[] = [];
    for (const p of runs) {
      if ((await settledNow(p)) === 'pending') accepted.push(p);
      else await expect(p).rejects.toThrow('Task queue is at limit');
    }
    expect(accepted.length).toBeGreaterThanOrEqual(4);
    await Promise.all(accepted);
  });
});

describe('option validation (issue 9 item 7)', () => {
  it('every TaskPool option is checked, with a message naming it', () => {
    const bad: [Partial<TaskPoolOptions>, RegExp][] = [
      [{ maxThreads: NaN }, /options\.maxThreads/],
      [{ minThreads: NaN }, /options\.minThreads/],
      [{ minThreads: 3, maxThreads: 2 }, /must not conflict/],
      [{ maxTaskHistory: NaN }, /options\.maxTaskHistory/],
      [{ maxTaskHistory: 'abc' as never }, /options\.maxTaskHistory/],
      [{ maxTaskHistory: -1 }, /options\.maxTaskHistory/],
      [{ maxBypass: 1.5 }, /options\.maxBypass/],
      [{ idleTimeout: NaN }, /options\.idleTimeout/],
      [{ maxQueue: NaN }, /options\.maxQueue/],
      [{ maxQueue: 'x' as never }, /options\.maxQueue/],
      [{ concurrentTasksPerWorker: 1.5 }, /options\.concurrentTasksPerWorker/],
      [{ closeTimeout: NaN }, /options\.closeTimeout/],
      [{ recordTiming: 'yes' as never }, /options\.recordTiming/],
      [{ resources: 'x' as never }, /options\.resources/],
      [{ resources: { CPU: -1 } }, /CPU/],
      [{ nodeId: '' }, /options\.nodeId/],
      [{ labels: { a: 1 } as never }, /options\.labels\.a/],
      [{ visibleDevices: 'x' as never }, /options\.visibleDevices/],
      [{ env: 5 as never }, /options\.env/],
      [{ argv: 'x' as never }, /options\.argv/],
      [{ execArgv: [1] as never }, /options\.execArgv/],
      [{ filename: 12 as never }, /options\.filename must be a string or null/],
      [{ workerData: { f() {} } }, /could not be cloned/],
    ];
    for (const [options, message] of bad) {
      expect(() => new TaskPool({ filename: FIXTURE, minThreads: 0, ...options }), JSON.stringify(options)).toThrow(
        message,
      );
    }
    expect(() => new TaskPool(42 as never)).toThrow(/options must be an object/);
  });
});

describe('cancellation racing completion (issue 9 item 8)', () => {
  it('cancelling a task that finished on its thread never terminates the thread the next task got', async () => {
    // More CPUs than threads: tasks wait in Piscina's queue, and a thread that finishes a task is
    // handed the next one before the finished task's promise settles.
    const pool = makePool({ resources: { CPU: 4 }, minThreads: 2, maxThreads: 2 });
    const f = pool.remote('sleep', { maxRetries: 2, name: 'race' });
    const n = 120;
    const refs: ObjectRef[] = [];
    const byId = new Map<string, ObjectRef>();
    const lastOnThread = new Map<number, string>();
    const cancelled = new Set<string>();
    // The moment a task starts on a thread, cancel the one that ran there before it: it has
    // finished on the thread, and its promise is settling just now.
    pool.events.on('taskEvent', (e) => {
      if (e.state !== 'RUNNING' || e.threadId === undefined) return;
      const prev = lastOnThread.get(e.threadId);
      lastOnThread.set(e.threadId, e.taskId);
      if (prev !== undefined && byId.get(prev)!.cancel('racing the result')) cancelled.add(prev);
    });
    for (let i = 0; i < n; i++) {
      const ref = f.remote(1, i) as ObjectRef;
      refs.push(ref);
      byId.set(ref.taskId, ref);
    }
    const results = await Promise.allSettled(refs);
    expect(cancelled.size).toBeGreaterThan(0);
    results.forEach((r, i) => {
      const id = refs[i]!.taskId;
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(TaskCancelledError);
        expect(cancelled.has(id)).toBe(true);
      } else expect(r.value).toBe(i);
    });
    // Nothing crashed, so nothing ran twice.
    expect(pool.listTasks({ name: 'race' }).every((t) => t.attempt === 0)).toBe(true);
  });
});

describe('arguments are copied at submission (issue 9 item 9)', () => {
  it('queued tasks see what the caller submitted, not later changes (remote and run)', async () => {
    const pool = makePool({ resources: { CPU: 1 }, maxThreads: 1 });
    const rel = latch();
    const blocker = pool.run(rel, { name: 'hold' });
    const obj = { v: 0 };
    const echo = pool.remote('echo');
    const refs: ObjectRef[] = [];
    const runs: Promise<unknown>[] = [];
    for (let v = 1; v <= 4; v++) {
      obj.v = v;
      refs.push(echo.remote(obj) as ObjectRef);
      runs.push(pool.run(obj, { name: 'echo' }));
    }
    obj.v = 99;
    open(rel);
    await blocker;
    expect(((await Promise.all(refs)) as [{ v: number }][]).map((r) => r[0].v)).toEqual([1, 2, 3, 4]);
    expect(((await Promise.all(runs)) as [{ v: number }][]).map((r) => r[0].v)).toEqual([1, 2, 3, 4]);
  });

  it('a retry runs on the arguments the caller submitted', async () => {
    const pool = makePool();
    const obj = { v: 1 };
    const ref = pool.remote('echoRetry', { retryExceptions: true, maxRetries: 1 }).remote(obj) as ObjectRef;
    obj.v = 2;
    expect(((await ref) as [{ v: number }])[0].v).toBe(1);
  });
});

describe('user options are read once (issue 9 item 10)', () => {
  it('each resource and each run option is read exactly once', async () => {
    const reads = new Map<string, number>();
    const counted = <T extends object>(o: T): T =>
      new Proxy(o, {
        get(target, key, receiver) {
          if (typeof key === 'string') reads.set(key, (reads.get(key) ?? 0) + 1);
          return Reflect.get(target, key, receiver) as unknown;
        },
      });
    const pool = makePool({ resources: counted({ CPU: 2, GPU: 1 }), maxThreads: 2 });
    expect(reads.get('CPU')).toBe(1);
    expect(reads.get('GPU')).toBe(1);
    reads.clear();
    expect(await pool.run(1, counted({ name: 'default' }))).toBe(2);
    expect(reads.get('name')).toBe(1);
  });
});

describe('task history keeps metadata, not values (issue 9 item 11)', () => {
  it('a dropped 100 MB result is collectable (WeakRef under --expose-gc)', async () => {
    const script = `
      import { TaskPool } from '@taskfit/piscina-adapter';
      const pool = new TaskPool({ filename: ${JSON.stringify(FIXTURE.href)}, resources: { CPU: 1 }, maxThreads: 1 });
      const turn = () => new Promise((r) => setImmediate(r));
      let a = await pool.run(100, { name: 'big' });
      let b = await pool.remote('big').remote(100);
      const refs = [new WeakRef(a), new WeakRef(b)];
      a = b = undefined;
      for (let i = 0; i < 5; i++) { await turn(); globalThis.gc(); }
      console.log(JSON.stringify({ kept: refs.filter((r) => r.deref() !== undefined).length, history: pool.listTasks().length }));
      await pool.destroy();
    `;
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      timeout: 60_000,
    });
    expect(JSON.parse(stdout.trim())).toEqual({ kept: 0, history: 2 });
  });
});

describe('results that cannot cross threads (issue 9 item 13)', () => {
  it('fail with a message saying what could not be sent, and the thread survives', async () => {
    const pool = makePool({ maxThreads: 1 });
    const f = pool.remote('unsendable', { maxRetries: 0 });
    for (const [kind, what] of [
      ['function', 'the result is a function'],
      ['symbol', 'the result is a symbol'],
      ['weakmap', 'the result is a WeakMap'],
      ['nested', 'the result.nested.fn is a function'],
    ] as const) {
      const err = (await (f.remote(kind) as ObjectRef).catch((e: unknown) => e)) as TaskError;
      expect(err).toBeInstanceOf(TaskError);
      expect(err.message).toContain(what);
      expect(err.message).toContain('cannot be sent to the caller');
    }
    expect(await pool.run(2)).toBe(4);
  });

  it('a generator export without streaming fails clearly; a RemoteFunction of a generator streams, as in Ray', async () => {
    const pool = makePool();
    const err = (await (pool.remote('letters', { maxRetries: 0 }).remote(3) as ObjectRef).catch(
      (e: unknown) => e,
    )) as TaskError;
    expect(err.message).toMatch(/returned a generator.*numReturns: 'streaming'/);
    await expect(pool.run(3, { name: 'letters' })).rejects.toThrow(/returned a generator/);
    function* letters(n: number) {
      for (let i = 0; i < n; i++) yield String.fromCharCode(97 + i);
    }
    const stream = pool.remote(remote(letters)).remote(3) as ObjectRefGenerator<string>;
    const got: string[] = [];
    for await (const v of stream) got.push(v);
    expect(got).toEqual(['a', 'b', 'c']);
  });
});

describe("OMP_NUM_THREADS, Ray's default (issue 9 item 16)", () => {
  it("a task's thread env gets its CPU count unless the task or the pool sets it; a bare run() is left alone", async () => {
    const env = { PATH: process.env.PATH ?? '' };
    const pool = makePool({ resources: { CPU: 4 }, env });
    const omp = async (options: Parameters<TaskPool['remote']>[1]) =>
      ((await pool.remote('whoami', options).remote({ env: ['OMP_NUM_THREADS'] })) as WhoAmI).env!.OMP_NUM_THREADS;
    expect(await omp({ numCpus: 2 })).toBe('2');
    expect(await omp({ numCpus: 0.5 })).toBe('1');
    expect(await omp({ runtimeEnv: { envVars: { OMP_NUM_THREADS: '7' } } })).toBe('7');
    const bare = (await pool.run({ env: ['OMP_NUM_THREADS'] }, { name: 'whoami' })) as WhoAmI;
    expect(bare.env!.OMP_NUM_THREADS).toBeNull();
    const wide = makePool({ resources: { CPU: 4 }, env: { ...env, OMP_NUM_THREADS: '3' } });
    const w = (await wide.remote('whoami', { numCpus: 2 }).remote({ env: ['OMP_NUM_THREADS'] })) as WhoAmI;
    expect(w.env!.OMP_NUM_THREADS).toBe('3');
  });
});

describe('crash classification', () => {
  it("a worker exit is a WorkerCrashedError for remote() and keeps Piscina's message for run()", async () => {
    const pool = makePool({ maxThreads: 1 });
    const viaRun = (await pool.run('x', { name: 'exitFirst' }).catch((e: unknown) => e)) as WorkerCrashedError;
    expect(viaRun).toBeInstanceOf(WorkerCrashedError);
    expect(viaRun.message).toBe('worker exited with code: 7');
  });
});

// TaskPool as a drop-in for Piscina: each break found by running Piscina's own suite against it
// (issue 10) has its own regression test here; the suite itself runs in piscina-suite.test.ts.
import { once, EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { types } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Piscina } from 'piscina';
import { TaskCancelledError, TaskError, TaskPool } from '@taskfit/piscina-adapter';
import { FIXTURE, latch, makePool, open, track, waitFor } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const tsxCjs = createRequire(import.meta.url).resolve('tsx/cjs');

describe('Piscina members and events', () => {
  it('is an EventEmitter with every Piscina member and static', async () => {
    const pool = makePool({ maxThreads: 2, minThreads: 1 });
    expect(pool).toBeInstanceOf(EventEmitter);
    for (const k of ['isWorkerThread', 'workerData', 'version', 'FixedQueue', 'ArrayTaskQueue', 'move']) {
      expect(TaskPool[k as keyof typeof TaskPool]).toBe(Piscina[k as keyof typeof Piscina]);
    }
    expect(TaskPool.Piscina).toBe(TaskPool);
    expect(TaskPool.transferableSymbol).toBe(Piscina.transferableSymbol);
    expect(TaskPool.valueSymbol).toBe(Piscina.valueSymbol);
    expect(TaskPool.queueOptionsSymbol).toBe(Piscina.queueOptionsSymbol);
    expect(new Set(Object.getOwnPropertyNames(TaskPool))).toEqual(new Set(Object.getOwnPropertyNames(Piscina)));
    const created = once(pool, 'workerCreate');
    await Promise.all([pool.run(1), pool.run(2)]);
    await created;
    expect(pool.maxThreads).toBe(2);
    expect(pool.minThreads).toBe(1);
    expect(pool.options).toMatchObject({
      maxThreads: 2,
      minThreads: 1,
      maxQueue: Infinity,
      // Piscina's default: a thread parks in Atomics.wait between tasks.
      atomics: 'sync',
      filename: fixture('tasks.mjs'),
    });
    expect(pool.threads.length).toBeGreaterThanOrEqual(1);
    expect(pool.idleThreads).toBeGreaterThanOrEqual(1);
    expect(pool.queueSize).toBe(0);
    expect(pool.completed).toBe(2);
    expect(pool.histogram.runTime.max).toBeGreaterThan(0);
    expect(pool.histogram.waitTime.max).toBeGreaterThan(0);
    expect(pool.utilization).toBeGreaterThan(0);
    expect(pool.utilization).toBeLessThanOrEqual(1);
    expect(pool.duration).toBeGreaterThan(0);
    expect(pool.needsDrain).toBe(false);
  });

  it("supports the maxQueue + 'drain' back-pressure pattern, counting tasks that wait for resources", async () => {
    // 1 CPU, 2 threads: the second task waits for the CPU, not for a thread.
    const pool = makePool({ resources: { CPU: 1 }, maxThreads: 2, maxQueue: 2 });
    const rel = latch();
    const first = pool.run(rel, { name: 'hold' });
    const second = pool.run(2);
    expect(pool.queueSize).toBe(1);
    await once(pool, 'needsDrain');
    expect(pool.needsDrain).toBe(true);
    const drained = once(pool, 'drain');
    open(rel);
    await Promise.all([first, second, drained]);
    expect(pool.needsDrain).toBe(false);
  });

  it("forwards worker 'message' events and an uncaught error outside a task as 'error'", async () => {
    // 'disabled': the thread's event loop runs between tasks, so the late timer fires (under
    // Piscina's default 'sync' it fires only once the thread gets its next task, as in Piscina).
    const pool = makePool({ filename: fixture('cjs/multiple.cjs'), maxThreads: 1, atomics: 'disabled' });
    const message = once(pool, 'message');
    const error = once(pool, 'error');
    const code =
      'require("node:worker_threads").parentPort.postMessage("hi"); setTimeout(() => { throw new Error("late") }, 5); 1';
    // eval through Piscina's own fixture style: a module that evaluates its task.
    await pool.run(code, { filename: fixture('cjs/eval.cjs') });
    expect((await message)[0]).toBe('hi');
    expect(((await error)[0] as Error).message).toBe('late');
  });
});

describe('run() arguments, like Piscina', () => {
  it('filename may be given per run() instead of at construction (or be null)', async () => {
    const pool = track(new TaskPool({ resources: { CPU: 1 }, maxThreads: 1 }));
    expect(await pool.run(21, { filename: FIXTURE })).toBe(42);
    await expect(pool.run(1)).rejects.toThrow('filename must be provided to run() or in options object');
    const nul = track(new TaskPool({ filename: null, resources: { CPU: 1 }, maxThreads: 1 }));
    expect(await nul.run(2, { filename: FIXTURE.href })).toBe(4);
  });

  it("bad run() arguments reject (never throw) with Piscina's messages", async () => {
    const pool = makePool();
    const calls: [string, () => Promise<unknown>, RegExp][] = [
      ['filename: 42', () => pool.run('0', { filename: 42 as never }), /filename argument must be a string/],
      ['options: 1', () => pool.run('42', 1 as never), /options must be an object/],
      ['name: 12', () => pool.run('0', { name: 12 as never }), /name argument must be a string/],
      ['signal: 42', () => pool.run('0', { signal: 42 as never }), /signal argument must be an object/],
      ['signal: {}', () => pool.run('0', { signal: {} as never }), /AbortSignal or an EventEmitter/],
      [
        'transferList: 42',
        () => pool.run('0', { transferList: 42 as never }),
        /transferList argument must be an Array/,
      ],
    ];
    for (const [what, call, message] of calls) {
      let p: Promise<unknown> | undefined;
      expect(() => (p = call()), what).not.toThrow();
      await expect(p, what).rejects.toThrow(message);
    }
  });

  it('a task that cannot be cloned rejects (never throws), whether it waits or not', async () => {
    const pool = makePool({ resources: { CPU: 1 }, maxThreads: 1 });
    const rel = latch();
    const busy = pool.run(rel, { name: 'hold' });
    let waiting: Promise<unknown> | undefined;
    expect(() => (waiting = pool.run({ f: () => 1 }, { name: 'echo' }))).not.toThrow();
    open(rel);
    await busy;
    await expect(waiting).rejects.toMatchObject({ errorType: 'DataCloneError' });
    await expect(pool.run({ f: () => 1 }, { name: 'echo' })).rejects.toMatchObject({ errorType: 'DataCloneError' });
  });

  it('a named task can be a property of a function export (module.exports = a; a.b = b)', async () => {
    const pool = makePool({ filename: fixture('cjs/multiple.cjs') });
    expect(await pool.run({})).toBe('a');
    expect(await pool.run({}, { name: 'a' })).toBe('a');
    expect(await pool.run({}, { name: 'b' })).toBe('b');
  });

  it('require hooks in execArgv apply: a .ts worker under tsx, a --require hook', async () => {
    const ts = makePool({ filename: fixture('cjs/typed.ts'), execArgv: ['--require', tsxCjs] });
    expect(await ts.run(21)).toBe(42);
    const hooked = makePool({ filename: fixture('cjs/shout.upper'), execArgv: ['--require', fixture('cjs/hook.cjs')] });
    expect(await hooked.run(null)).toBe('HELLO FROM A HOOK');
  });

  it('Piscina.move() moves the buffer to the worker', async () => {
    const pool = makePool();
    const ab = new ArrayBuffer(8);
    const seen = (await pool.run(TaskPool.move(ab), { name: 'echo' })) as unknown[];
    expect(ab.byteLength).toBe(0);
    expect(types.isAnyArrayBuffer(seen[0])).toBe(true);
    expect((seen[0] as ArrayBuffer).byteLength).toBe(8);
  });

  it('a custom taskQueue sees each task as the caller submitted it', async () => {
    const seen: unknown[] = [];
    const inner = new Piscina.FixedQueue();
    const taskQueue = {
      get size() {
        return inner.size;
      },
      push(t: never) {
        seen.push(t);
        inner.push(t);
      },
      shift: () => inner.shift(),
      remove: (t: never) => inner.remove(t),
    };
    const pool = makePool({ resources: { CPU: 4 }, maxThreads: 1, taskQueue });
    const task = (a: number) => ({ a, [Piscina.queueOptionsSymbol]: { option: a } });
    const results = await Promise.all([1, 2, 3].map((a) => pool.run(task(a), { name: 'echo' })));
    expect(results.map((r) => (r as [{ a: number }])[0].a)).toEqual([1, 2, 3]);
    expect(seen.length).toBeGreaterThan(0);
    for (const q of seen as { task: { a: number }; [k: symbol]: { option: number } }[]) {
      expect(q[Piscina.queueOptionsSymbol]!.option).toBe(q.task.a);
      expect(q).toMatchObject({ name: 'echo', filename: fixture('tasks.mjs') });
    }
  });
});

describe('custom load balancer', () => {
  it('is shown each task as the caller submitted it, and may decline', async () => {
    const seen: { name: string; filename: string; options: unknown }[] = [];
    let declined = false;
    const pool = makePool({
      resources: { CPU: 2 },
      maxThreads: 2,
      loadBalancer: (task, workers) => {
        const options = (task as unknown as Record<symbol, unknown>)[Piscina.queueOptionsSymbol];
        seen.push({ name: task.name, filename: task.filename, options });
        if (!declined) {
          declined = true;
          return null; // Piscina starts a thread and asks again
        }
        return workers.find((w) => w.currentUsage === 0) ?? null;
      },
    });
    const out = await pool.run({ a: 1, [Piscina.queueOptionsSymbol]: { lane: 'x' } }, { name: 'echo' });
    expect((out as [{ a: number }])[0].a).toBe(1);
    expect(seen[0]).toEqual({ name: 'echo', filename: fixture('tasks.mjs'), options: { lane: 'x' } });
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });
});

describe("'error' with no listener", () => {
  it('is dropped, not thrown: the pool replaces the thread and goes on', async () => {
    const pool = makePool({
      filename: fixture('cjs/eval.cjs'),
      resources: { CPU: 1 },
      minThreads: 1,
      maxThreads: 1,
      atomics: 'disabled', // the late timer fires between tasks (see above)
    });
    const destroyed = once(pool, 'workerDestroy');
    expect(await pool.run('setTimeout(() => { throw new Error("late") }, 5); 1')).toBe(1);
    await destroyed;
    expect(await pool.run('2')).toBe(2);
  });
});

describe('abort signals, like Piscina', () => {
  it('an EventEmitter signal aborts a running and a queued task; the listener is removed after', async () => {
    const pool = makePool({ resources: { CPU: 1 }, maxThreads: 1 });
    const ee = new EventEmitter();
    const running = pool.run(latch(), { name: 'hold', signal: ee });
    const queued = pool.run(1, { signal: ee });
    await waitFor(() => pool.listTasks({ state: 'RUNNING' }).length === 1, 'running');
    ee.emit('abort');
    await expect(running).rejects.toThrow('The task has been aborted');
    await expect(queued).rejects.toBeInstanceOf(TaskCancelledError);
    const done = new EventEmitter();
    expect(await pool.run(1, { signal: done })).toBe(2);
    expect(done.listenerCount('abort')).toBe(0);
  });

  it("the abort reason is the rejection's cause, before and while running", async () => {
    const pool = makePool({ resources: { CPU: 1 }, maxThreads: 1 });
    const reason = new Error('custom reason');
    const pre = new AbortController();
    pre.abort(reason);
    const err1 = (await pool.run(1, { signal: pre.signal }).catch((e: unknown) => e)) as Error;
    expect(err1).toBeInstanceOf(TaskCancelledError);
    expect(err1).toMatchObject({ message: 'The task has been aborted', cause: reason });
    const ac = new AbortController();
    const p = pool.run(latch(), { name: 'hold', signal: ac.signal });
    await waitFor(() => pool.listTasks({ state: 'RUNNING' }).length === 1, 'running');
    ac.abort(reason);
    const err2 = (await p.catch((e: unknown) => e)) as Error;
    expect(err2).toMatchObject({ message: 'The task has been aborted', cause: reason });
  });
});

describe('queue limits', () => {
  it('maxQueue 0 with two concurrent runs rejects the second cleanly (no crash)', async () => {
    const pool = makePool({ resources: { CPU: 2 }, minThreads: 1, maxThreads: 1, maxQueue: 0 });
    const rel = latch();
    const first = pool.run(rel, { name: 'hold' });
    await expect(pool.run(2)).rejects.toThrow('No task queue available and all Workers are busy');
    open(rel);
    await first;
    expect(await pool.run(3)).toBe(6);
  });

  it('maxQueue bounds the tasks that wait, for resources or for a thread', async () => {
    const pool = makePool({ resources: { CPU: 1 }, maxThreads: 1, maxQueue: 1 });
    const rel = latch();
    const a = pool.run(rel, { name: 'hold' });
    const b = pool.run(1);
    await expect(pool.run(2)).rejects.toThrow('Task queue is at limit');
    open(rel);
    await Promise.all([a, b]);
  });
});

describe('close and destroy, like Piscina', () => {
  it("closeTimeout: close() stops waiting, emits 'error' and terminates what still runs", async () => {
    const pool = track(new TaskPool({ filename: FIXTURE, resources: { CPU: 1 }, maxThreads: 1, closeTimeout: 50 }));
    const long = pool.run(latch(), { name: 'hold' });
    const terminated = expect(long).rejects.toThrow('Terminating worker thread');
    await waitFor(() => pool.listTasks({ state: 'RUNNING' }).length === 1, 'running');
    const error = once(pool, 'error');
    let closed = false;
    pool.on('close', () => (closed = true));
    await pool.close();
    expect(((await error)[0] as Error).message).toBe('Close operation timed out');
    expect(closed).toBe(true);
    await terminated;
    await expect(pool.run(1)).rejects.toMatchObject({
      message: 'The task has been aborted',
      cause: 'queue is being terminated',
    });
  });
});

describe('threads between minThreads and maxThreads', () => {
  it('minThreads: 0 alone is accepted; threads grow on demand and shrink after idleTimeout', async () => {
    const pool = makePool({ resources: { CPU: 2 }, minThreads: 0, maxThreads: 2, idleTimeout: 20 });
    expect(pool.threads.length).toBe(0);
    const rel = latch();
    const both = [pool.run(rel, { name: 'hold' }), pool.run(rel, { name: 'hold' })];
    expect(pool.threads.length).toBe(2);
    open(rel);
    await Promise.all(both);
    await waitFor(() => pool.threads.length === 0, 'idle threads to leave');
  });

  it('maxCalls retirement never strands a task, even with minThreads 0 (integration-points §1.7)', async () => {
    const pool = makePool({ resources: { CPU: 4 }, minThreads: 0, maxThreads: 1 });
    const f = pool.remote('thread', { maxCalls: 1 });
    const ids = (await Promise.all([f.remote(), f.remote(), f.remote()])) as number[];
    expect(new Set(ids).size).toBe(3);
  });

  it('concurrentTasksPerWorker: plain tasks share a thread; a task declared with options runs alone', async () => {
    const pool = makePool({ resources: { CPU: 1 }, minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2 });
    const [a, b] = (await Promise.all([pool.run(100, { name: 'span' }), pool.run(100, { name: 'span' })])) as {
      threadId: number;
      start: number;
      end: number;
    }[];
    expect(a!.threadId).toBe(b!.threadId);
    expect(Math.max(a!.start, b!.start)).toBeLessThan(Math.min(a!.end, b!.end)); // they overlapped
    // Each plain task held half the CPU; an options task (1 CPU) waits for both, then runs alone.
    const events: string[] = [];
    pool.events.on('taskEvent', (e) => events.push(`${e.name}:${e.state}`));
    const rel = latch();
    const plain = pool.run(rel, { name: 'hold' });
    const own = pool.run(1, { options: { name: 'own' } });
    await waitFor(() => events.includes('hold:RUNNING'), 'plain task running');
    expect(events).not.toContain('own:RUNNING');
    open(rel);
    await Promise.all([plain, own]);
  });

  it('tasks that share a thread each keep their own getTaskContext() across awaits', async () => {
    const pool = makePool({ resources: { CPU: 1 }, minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: 2 });
    const ids = await Promise.all([pool.run(60, { name: 'idAfter' }), pool.run(30, { name: 'idAfter' })]);
    expect(ids).toEqual(pool.listTasks({ name: 'idAfter' }).map((t) => t.taskId));
  });

  it('without resources, run() dispatches at once: a caller blocking in Atomics.wait does not deadlock', async () => {
    const pool = track(new TaskPool({ filename: fixture('cjs/notify.cjs') }));
    const buf = new Int32Array(new SharedArrayBuffer(4));
    const done = pool.run(buf);
    expect(Atomics.wait(buf, 0, 0, 10_000)).toBe('ok');
    await done;
    await pool.ready;
  });
});

describe('Object.prototype pollution', () => {
  it('does not reach construction or a run', async () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.execArgv = ['--not-a-real-flag'];
    proto.x = 1;
    proto.loadBalancer = () => null;
    try {
      const pool = track(new TaskPool({ filename: FIXTURE, resources: { CPU: 1 }, maxThreads: 1 }));
      expect(pool.options.execArgv).toBeUndefined();
      expect(await pool.run(2)).toBe(4);
      expect(await pool.run(2, { options: { numCpus: 1 } })).toBe(4);
      await pool.close();
    } finally {
      delete proto.execArgv;
      delete proto.x;
      delete proto.loadBalancer;
    }
  });
});

describe("errors of run() keep Piscina's messages and taskfit's types", () => {
  it('a thrown error: TaskError whose message is the thrown message', async () => {
    const pool = makePool();
    const err = (await pool.run(undefined, { name: 'boom' }).catch((e: unknown) => e)) as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect(err.errorType).toBe('TypeError');
    expect(err.message).toMatch(/Cannot read properties of null/);
    expect(err.message).not.toMatch(/^task /);
    // remote() keeps core's message (task id and type).
    const viaRef = (await (pool.remote('boom').remote() as unknown as Promise<unknown>).catch(
      (e: unknown) => e,
    )) as TaskError;
    expect(viaRef.message).toMatch(/^task .* failed with TypeError: /);
  });

  it('availableParallelism() CPUs make the provisional ledger', async () => {
    const pool = track(new TaskPool({ filename: FIXTURE }));
    expect(pool.resources.total.CPU).toBe(availableParallelism());
    await pool.ready;
  });
});

// Nested tasks (issue 11): tasks that submit tasks on real Piscina threads — inheritance, capture,
// blocking without deadlock, cancellation and fate sharing, failures, wait, task events.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TaskCancelledError, TaskError, TaskPool, wait } from '@taskfit/piscina-adapter';
import type { ObjectRef, TaskEvent } from '@taskfit/piscina-adapter';
import { pool as workerPool } from '@taskfit/piscina-adapter/worker';
import { latch, makePool, open, stateOf, track, waitFor } from './helpers.js';

const NESTED = new URL('./fixtures/nested.mjs', import.meta.url);

interface Seen {
  taskId: string;
  parentTaskId: string | undefined;
  threadId: number;
  attempt: number;
  resources: Record<string, number>;
  gpuIds: number[];
  cuda: string | null;
  runtimeEnv: { envVars?: Record<string, string> } | undefined;
  env: Record<string, string | null>;
}

const nestedPool = (options: ConstructorParameters<typeof TaskPool>[0] = {}) =>
  makePool({ filename: NESTED, resources: { CPU: 4 }, maxThreads: 4, ...options });

const failedWith = (pool: TaskPool, taskId: string) => {
  const info = pool.listTasks({ taskId })[0];
  return { state: info?.state, errorType: info?.errorType };
};

describe('nested tasks: a task submits tasks', () => {
  it('fib(15), each level awaiting its two children, completes on a 2-CPU pool with default options', async () => {
    // Only the node's CPUs are given: every other option is Piscina's and TaskPool's default.
    const pool = track(new TaskPool({ filename: NESTED, resources: { CPU: 2 } }));
    let over = false;
    pool.events.on('taskEvent', () => {
      if ((pool.resources.available.CPU ?? 0) < 0) over = true;
    });
    expect(await pool.remote('fib').remote(15)).toBe(610);
    expect(over).toBe(false);
    // 1973 calls of fib, one task each, every one remembered with its parent.
    const tasks = pool.listTasks();
    expect(tasks).toHaveLength(1973);
    const root = tasks[0]!;
    expect(root.parentTaskId).toBeUndefined();
    const kids = pool.listTasks({ parentTaskId: root.taskId });
    expect(kids.map((t) => t.taskId)).toEqual([`${root.taskId}.1`, `${root.taskId}.2`]);
    expect(kids.every((t) => t.events.every((e) => e.parentTaskId === root.taskId))).toBe(true);
    expect(pool.listTasks({ parentTaskId: kids[0]!.taskId })).toHaveLength(2);
    expect(tasks.every((t) => t.state === 'FINISHED')).toBe(true);
    await waitFor(() => pool.resources.available.CPU === 2, 'the CPUs back');
  }, 240_000);

  it('a blocked task gives back its CPUs (not its GPU or custom resources) and gets them back before it resumes', async () => {
    const pool = nestedPool({ resources: { CPU: 1, GPU: 1, licence: 1 } });
    const release = latch();
    const started = latch();
    // The parent holds the only CPU; its child needs it too, so it can only run while the parent is blocked.
    const parent = pool
      .remote('parentOf', { numCpus: 1, numGpus: 1, resources: { licence: 1 } })
      .remote(release, { numCpus: 1 }, started) as ObjectRef<{ me: Seen; child: Seen }>;
    await waitFor(() => stateOf(pool, `${parent.taskId}.1`) === 'RUNNING', 'the child to run');
    // While the child runs: its CPU is the parent's, the parent keeps the GPU and the licence.
    expect(pool.resources.available).toMatchObject({ CPU: 0, GPU: 0, licence: 0 });
    // A task submitted now waits: the parent resumes first, with the CPU.
    const late = pool.remote('whoami', { numCpus: 1 }).remote() as ObjectRef<Seen>;
    open(release);
    const { me, child } = await parent;
    expect(child.parentTaskId).toBe(me.taskId);
    expect(me.gpuIds).toEqual([0]);
    await late;
    const events = (id: string) => pool.listTasks({ taskId: id })[0]!.events;
    const parentDone = events(parent.taskId).find((e) => e.state === 'FINISHED')!.timestamp;
    const lateRan = events(late.taskId).find((e) => e.state === 'RUNNING')!.timestamp;
    expect(lateRan).toBeGreaterThanOrEqual(parentDone);
  }, 60_000);

  it('a task may compute between submitting a child and awaiting it', async () => {
    const pool = nestedPool({ resources: { CPU: 2 } });
    expect(await pool.remote('spinThenAwait').remote(50)).toBe(5);
  });

  it("runtimeEnv: the pool's, the parent's and the child's own merge, three levels deep (envVars key by key, child wins)", async () => {
    const pool = nestedPool({
      runtimeEnv: { envVars: { JOB: 'job', A: 'job-a', P: '${HOME}/x' } },
    });
    const keys = ['JOB', 'A', 'B', 'C', 'P'];
    const levels = (await pool
      .remote('chain', { runtimeEnv: { envVars: { A: 'top', B: 'top-b' } } })
      .remote([null, { runtimeEnv: { envVars: { B: 'gc-b', C: 'gc' } } }, null], keys)) as Seen[];
    expect(levels).toHaveLength(4);
    const home = process.env.HOME ?? '${HOME}';
    const top = { JOB: 'job', A: 'top', B: 'top-b', C: null, P: `${home}/x` };
    const below = { JOB: 'job', A: 'top', B: 'gc-b', C: 'gc', P: `${home}/x` };
    expect(levels.map((l) => l.env)).toEqual([top, top, below, below]);
    // The context shows the effective env, expanded.
    expect(levels[3]!.runtimeEnv?.envVars).toEqual({ JOB: 'job', A: 'top', P: `${home}/x`, B: 'gc-b', C: 'gc' });
    // Each level's parent is the level above.
    for (let i = 1; i < 4; i++) expect(levels[i]!.parentTaskId).toBe(levels[i - 1]!.taskId);
    // A plain run() sees the pool's env on its thread, and in its context.
    const plain = (await pool.run(keys, { name: 'whoami' })) as Seen;
    expect(plain.env).toMatchObject({ JOB: 'job', A: 'job-a', B: null });
    expect(plain.runtimeEnv?.envVars).toEqual({ JOB: 'job', A: 'job-a', P: `${home}/x` });
  });

  it('TaskPool({ runtimeEnv }) is validated with the task-options rules; only envVars is supported', () => {
    expect(
      () => new TaskPool({ filename: NESTED, resources: { CPU: 1 }, runtimeEnv: { envVars: { A: 1 } } as never }),
    ).toThrow(
      expect.objectContaining({
        name: 'TaskOptionsError',
        issues: [expect.objectContaining({ path: ['runtimeEnv', 'envVars', 'A'] })],
      }),
    );
    expect(() => new TaskPool({ filename: NESTED, resources: { CPU: 1 }, runtimeEnv: { workingDir: '/tmp' } })).toThrow(
      expect.objectContaining({
        name: 'TaskOptionsError',
        issues: [expect.objectContaining({ path: ['runtimeEnv', 'workingDir'] })],
      }),
    );
  });

  it("placement-group capture: children that set no strategy run in the parent's group (any bundle); an explicit one, DEFAULT included, escapes", async () => {
    const pool = nestedPool({ resources: { CPU: 8 }, maxThreads: 8 });
    const pg = pool.createPlacementGroup({ bundles: [{ CPU: 1 }], strategy: 'PACK' });
    const captured = { type: 'placementGroup' as const, placementGroup: pg, bundleIndex: 0, captureChildTasks: true };
    const dir = mkdtempSync(join(tmpdir(), 'taskfit-meet-'));
    // Captured: the group has one CPU (the blocked parent's), so its three children never meet.
    const inGroup = (await pool
      .remote('meetChildren', { schedulingStrategy: captured })
      .remote(3, join(dir, 'in'), 300)) as boolean[];
    expect(inGroup).toEqual([false, false, false]);
    // An explicit 'DEFAULT' escapes: the three run at once on the node.
    const escaped = (await pool
      .remote('meetChildren', { schedulingStrategy: captured })
      .remote(3, join(dir, 'out'), 20_000, { schedulingStrategy: 'DEFAULT' })) as boolean[];
    expect(escaped).toEqual([true, true, true]);
    // Without captureChildTasks nothing is captured.
    const free = (await pool
      .remote('meetChildren', { schedulingStrategy: { ...captured, captureChildTasks: false } })
      .remote(3, join(dir, 'free'), 20_000)) as boolean[];
    expect(free).toEqual([true, true, true]);
    // Grandchildren are captured too: two chains of three in a one-CPU group complete.
    const levels = (await pool.remote('chain', { schedulingStrategy: captured }).remote([null, null], [])) as Seen[];
    expect(levels).toHaveLength(3);
    pool.removePlacementGroup(pg);
  }, 60_000);

  it('refs of children are arguments of other children (resolved on the main thread)', async () => {
    const pool = nestedPool();
    expect(await pool.remote('refArgs').remote()).toEqual([33, 300, 1004]);
    const waited = pool
      .listTasks()
      .filter((t) => t.events.some((e) => e.state === 'PENDING_ARGS_AVAIL'))
      .map((t) => t.name);
    expect(waited.length).toBeGreaterThan(0);
    expect(await pool.remote('failedRefArg').remote()).toBe('TaskError:ValueError');
  });

  it('a streaming child is an async iterable in its parent; a plain run() task can submit children too', async () => {
    const pool = nestedPool();
    expect(await pool.remote('streams').remote(3)).toEqual([0, 10, 20]);
    expect(await pool.run(21)).toBe(42);
  });

  it('pool.wait: numReturns and timeout, every ref in exactly one list, in the order given', async () => {
    const pool = nestedPool();
    const file = latch();
    expect(await pool.remote('waits').remote(file)).toEqual({
      two: { ready: ['fast', 'failing'], notReady: ['slow'] },
      timedOut: { ready: ['fast', 'failing'], notReady: ['slow'] },
      one: { ready: ['fast'], notReady: ['slow', 'failing'] },
      now: { ready: [], notReady: ['slow'] },
      bad: expect.stringMatching(
        /^RangeError: pool\.wait\(refs, options\): options\.numReturns must be an integer from 1 to the number of refs \(3\), got 4/,
      ),
      all: { ready: ['slow', 'fast', 'failing'], notReady: [] },
    });
  });

  it('wait in the main thread: same semantics and checks', async () => {
    const pool = nestedPool();
    const file = latch();
    const slow = pool.remote('hold').remote(file) as ObjectRef;
    const fast = pool.remote('add').remote(1, 2) as ObjectRef;
    const failing = pool.remote('flaky', { maxRetries: 0 }).remote(1) as ObjectRef;
    const refs = [slow, fast, failing];
    const two = await wait(refs, { numReturns: 2 });
    expect(two.ready).toEqual([fast, failing]);
    expect(two.notReady).toEqual([slow]);
    const timed = await wait(refs, { numReturns: 3, timeoutMs: 100 });
    expect(timed).toEqual({ ready: [fast, failing], notReady: [slow] });
    expect((await wait(refs)).ready).toEqual([fast]);
    expect(await wait([slow], { timeoutMs: 0 })).toEqual({ ready: [], notReady: [slow] });
    expect(() => wait(refs, { numReturns: 4 })).toThrow(RangeError);
    expect(() => wait([fast, fast])).toThrow(/refs must be unique, but refs\[1\] repeats refs\[0\]/);
    expect(() => wait([fast, 1 as never])).toThrow(/refs\[1\] is not an ObjectRef/);
    expect(() => wait(refs, { timeoutMs: -1 })).toThrow(RangeError);
    open(file);
    expect((await wait(refs, { numReturns: 3 })).ready).toEqual(refs);
    await expect(failing).rejects.toBeInstanceOf(TaskError);
  });

  it("using the worker's pool outside a running task throws an error that says so", () => {
    const launcher = workerPool.remote('add'); // declaring is fine (module level, anywhere)
    expect(() => launcher.remote(1, 2)).toThrow(/called outside a running task/);
    expect(() => workerPool.wait([])).toThrow(/called outside a running task/);
  });

  it('bad child arguments and options fail where they are written, in the task', async () => {
    const pool = nestedPool();
    await expect(pool.remote('badArg').remote('options')).rejects.toMatchObject({ errorType: 'TaskOptionsError' });
    await expect(pool.remote('badArg').remote('fn')).rejects.toMatchObject({ errorType: 'DataCloneError' });
  });
});

describe('nested tasks: cancellation and fate sharing', () => {
  it('cancelling a parent (ref.cancel()) cancels its unfinished descendants', async () => {
    const pool = nestedPool();
    const file = latch();
    const started = latch();
    const top = pool.remote('grandparent').remote(file, started) as ObjectRef;
    const child = `${top.taskId}.1`;
    const grandchild = `${child}.1`;
    await waitFor(() => stateOf(pool, grandchild) === 'RUNNING', 'the grandchild to run');
    expect(top.cancel()).toBe(true);
    await expect(top).rejects.toBeInstanceOf(TaskCancelledError);
    await waitFor(() => stateOf(pool, grandchild) === 'FAILED', 'the grandchild to be cancelled');
    expect(failedWith(pool, child)).toEqual({ state: 'FAILED', errorType: 'TaskCancelledError' });
    expect(failedWith(pool, grandchild)).toEqual({ state: 'FAILED', errorType: 'TaskCancelledError' });
    const why = pool.listTasks({ taskId: grandchild })[0]!.events.at(-1)!.errorMessage;
    expect(why).toContain(`its parent task ${child} was cancelled`);
  });

  it('an AbortSignal on a parent run() and destroy() reach its descendants too', async () => {
    const pool = nestedPool();
    const file = latch();
    const ac = new AbortController();
    const events: TaskEvent[] = [];
    pool.events.on('taskEvent', (e) => events.push(e));
    const run = pool.run(file, { name: 'grandparent', signal: ac.signal, options: {} });
    await waitFor(
      () => events.some((e) => e.state === 'RUNNING' && e.taskId.split('.').length === 3),
      'the grandchild',
    );
    ac.abort('stop');
    await expect(run).rejects.toBeInstanceOf(TaskCancelledError);
    await waitFor(() => pool.listTasks().every((t) => t.state === 'FAILED'), 'every task to be cancelled');

    const other = nestedPool();
    const top = other.remote('grandparent').remote(latch()) as ObjectRef;
    await waitFor(() => stateOf(other, `${top.taskId}.1.1`) === 'RUNNING', 'the grandchild');
    await other.destroy();
    await expect(top).rejects.toBeInstanceOf(TaskCancelledError);
    expect(other.listTasks().map((t) => t.errorType)).toEqual([
      'TaskCancelledError',
      'TaskCancelledError',
      'TaskCancelledError',
    ]);
  });

  it('a parent attempt whose thread dies has its children cancelled before the retry runs (their owner is gone)', async () => {
    const pool = nestedPool();
    const file = latch();
    const started = latch();
    const top = pool.remote('crashAfterChild', { maxRetries: 1 }).remote(file, started) as ObjectRef;
    expect(await top).toBe('ok');
    const child = pool.listTasks({ taskId: `${top.taskId}.1` })[0]!;
    expect(child).toMatchObject({ state: 'FAILED', errorType: 'TaskCancelledError', parentTaskId: top.taskId });
    expect(child.events.at(-1)!.errorMessage).toContain('died');
    const cancelledAt = child.events.at(-1)!.timestamp;
    const retry = pool.listTasks({ taskId: top.taskId })[0]!.events.find((e) => e.attempt === 1)!;
    expect(retry.timestamp).toBeGreaterThanOrEqual(cancelledAt);
    open(file);
  });

  it('a parent that returns without awaiting its children leaves them running (fire-and-forget)', async () => {
    const pool = nestedPool();
    const file = latch();
    const started = latch();
    const id = (await pool.remote('launchAndReturn').remote(file, started)) as string;
    expect(stateOf(pool, id)).toBe('FINISHED');
    await waitFor(() => stateOf(pool, `${id}.1`) === 'RUNNING', 'the child to run');
    open(file);
    await waitFor(() => stateOf(pool, `${id}.1`) === 'FINISHED', 'the child to finish');
  });

  it('close() waits for the children of running tasks', async () => {
    const pool = nestedPool();
    const file = latch();
    const top = pool.remote('grandparent').remote(file) as ObjectRef;
    await waitFor(() => stateOf(pool, `${top.taskId}.1`) === 'RUNNING', 'the child');
    const closed = pool.close();
    open(file);
    await closed;
    expect(pool.listTasks().map((t) => t.state)).toEqual(['FINISHED', 'FINISHED', 'FINISHED']);
  });
});

describe('nested tasks: the thread bound', () => {
  it('with every thread blocked at the bound, the newest blocked task is cancelled with a clear error instead of a hang', async () => {
    const pool = nestedPool({ maxThreads: 1, maxBlockedThreads: 2 });
    const err = await (pool.remote('chain').remote([null, null, null, null], []) as ObjectRef).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TaskError);
    expect((err as TaskError).errorType).toBe('TaskCancelledError');
    expect((err as Error).message).toContain('maxThreads 1 + maxBlockedThreads 2');
    // The newest blocked task (the third level) was cancelled, and its child with it.
    const third = pool.listTasks().find((t) => t.taskId.split('.').length === 3)!;
    expect(third).toMatchObject({ state: 'FAILED', errorType: 'TaskCancelledError' });
  }, 60_000);

  it('maxBlockedThreads is validated', () => {
    expect(() => new TaskPool({ filename: NESTED, resources: { CPU: 1 }, maxBlockedThreads: -1 })).toThrow(
      /options\.maxBlockedThreads must be an integer ≥ 0/,
    );
  });
});

describe('nested tasks: failures, retries, resources, events', () => {
  it("a child's failure reaches the parent as the same TaskError; a parent that re-throws it is retried when its retryExceptions allow the child's type", async () => {
    const pool = nestedPool();
    // Attempt 0's child fails with ValueError; the parent re-throws it and is retried; attempt 1's child succeeds.
    expect(await pool.remote('rethrow', { maxRetries: 1, retryExceptions: ['ValueError'] }).remote(1)).toEqual({
      attempt: 1,
      child: 0,
    });
    const err = await (
      pool.remote('rethrow', { maxRetries: 3, retryExceptions: ['OtherError'] }).remote(1) as ObjectRef
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      name: 'TaskError',
      errorType: 'ValueError',
      typeChain: ['ValueError', 'Error'],
      attempts: 1,
    });
  });

  it('children retry by their own options', async () => {
    const pool = nestedPool();
    const ref = pool.remote('retriedChild', { maxRetries: 0 }).remote() as ObjectRef;
    expect(await ref).toBe(2);
    expect(pool.listTasks({ parentTaskId: ref.taskId })[0]).toMatchObject({ attempt: 2, state: 'FINISHED' });
  });

  it('GPU children get their own GPU ids; maxCalls never retires the thread of a blocked task', async () => {
    const pool = nestedPool({ resources: { CPU: 4, GPU: 2 } });
    const file = latch();
    open(file);
    // The parent holds GPU 0 (maxCalls 1 by default for GPU tasks) while its child runs on GPU 1.
    const { me, child } = (await pool.remote('parentOf', { numGpus: 1 }).remote(file, { numGpus: 1 })) as {
      me: Seen;
      child: Seen;
    };
    expect(me.gpuIds).toEqual([0]);
    expect(child.gpuIds).toEqual([1]);
    expect(child.cuda).toBe('1');
    // Not retired while blocked: the first attempt finished (a terminated thread would have meant a retry).
    expect(me.attempt).toBe(0);
    const parentMaxCalls = (await pool.remote('parentOf', { maxCalls: 1 }).remote(file)) as { me: Seen; child: Seen };
    expect(parentMaxCalls.me.attempt).toBe(0);
    expect(parentMaxCalls.child.threadId).not.toBe(parentMaxCalls.me.threadId);
    expect(pool.listTasks().every((t) => t.attempt === 0 && t.state === 'FINISHED')).toBe(true);
  });

  it('enableTaskEvents: false hides that child only; its own children keep their parent id', async () => {
    const pool = nestedPool();
    const levels = (await pool.remote('chain').remote([{ enableTaskEvents: false }, null], [])) as Seen[];
    const ids = pool.listTasks().map((t) => t.taskId);
    expect(ids).toEqual([levels[0]!.taskId, levels[2]!.taskId]);
    expect(pool.listTasks({ taskId: levels[2]!.taskId })[0]!.parentTaskId).toBe(levels[1]!.taskId);
  });

  it('children waiting for resources count in queueSize and needsDrain, and maxQueue never refuses them', async () => {
    const pool = nestedPool({ resources: { CPU: 2 }, maxQueue: 0 });
    const file = latch();
    // The parent lends its CPU: two children run, four wait for a CPU.
    const all = pool.remote('fanOut').remote(6, file, { numCpus: 1 }) as ObjectRef<Seen[]>;
    await waitFor(() => pool.queueSize === 4, 'four children waiting');
    expect(pool.needsDrain).toBe(true);
    open(file);
    expect(await all).toHaveLength(6);
  });

  it('many children at once (fan-out) all run and release what they held', async () => {
    const pool = nestedPool({ resources: { CPU: 2 } });
    const file = latch();
    open(file);
    const out = (await pool.remote('fanOut').remote(40, file, { numCpus: 0.5 })) as Seen[];
    expect(out).toHaveLength(40);
    expect(new Set(out.map((s) => s.taskId)).size).toBe(40);
  });
});

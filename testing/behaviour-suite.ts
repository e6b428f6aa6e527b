/**
 * The shared behaviour suite: one set of executor-neutral tests that every taskfit executor
 * (Piscina thread pool, Temporal activities, …) must pass. An executor plugs in through a
 * {@link BehaviourHarness}; the tasks it runs are the plain functions of `./tasks.mjs`.
 *
 * Usage (in an executor's test folder):
 *
 * ```ts
 * import { defineBehaviourSuite } from '../../../testing/behaviour-suite.js';
 * defineBehaviourSuite('TaskPool', async (spec) => makeMyHarness(spec));
 * ```
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskOptions, TaskState } from '@taskfit/core';
import { scratchDir } from './tasks.mjs';
import type * as tasks from './tasks.mjs';

/** Name of a task exported by `testing/tasks.mjs`. */
export type BehaviourTaskName = Exclude<keyof typeof tasks, 'scratchDir'>;

/** One task event as the suite reads it (a subset of what executors record). */
export interface BehaviourTaskEvent {
  /** The `name` task option the task was submitted with (the suite always sets one). */
  name: string | undefined;
  /** 0 for the first attempt, 1 for the first retry, … (Ray's `attempt_number`). */
  attempt: number;
  state: TaskState;
  /** Milliseconds since the epoch. */
  timestamp: number;
  /** Class name of the failure, on `FAILED` events. */
  errorType?: string | undefined;
}

/** Projects an executor's task event (any object with these fields) onto the suite's shape. */
export function toBehaviourEvent(e: BehaviourTaskEvent): BehaviourTaskEvent {
  return { name: e.name, attempt: e.attempt, state: e.state, timestamp: e.timestamp, errorType: e.errorType };
}

/** Ledger snapshot, in the units the user wrote (`{ CPU: 2, GPU: 1 }`). */
export interface LedgerSnapshot {
  total: Record<string, number>;
  available: Record<string, number>;
}

/** Behaviours a harness may be unable to show; each skip must give its reason. */
export type BehaviourFeature = 'crashWorker' | 'maxCalls' | 'taskEvents' | 'nestedTasks';

/** What the suite asks a harness to be built with. */
export interface HarnessSpec {
  /** The node's resources for the ledger (synthetic: no real GPU is needed). */
  resources: Record<string, number>;
}

/**
 * The seam between the suite and an executor. Rejections must use the error classes of
 * `@taskfit/core` (TaskError with errorType/attempts, WorkerCrashedError, InfeasibleTaskError,
 * TaskCancelledError), unwrapped from any executor-specific wrapper.
 */
export interface BehaviourHarness {
  /**
   * Runs `task` from `testing/tasks.mjs` with `args` and `options`; resolves with its result:
   * the value for `numReturns` 1 (default), an array of the values for `numReturns` > 1, and
   * `undefined` for `numReturns` 0 (only once the task has finished).
   */
  submit(task: BehaviourTaskName, args: unknown[], options?: TaskOptions): Promise<unknown>;
  /** Every recorded event of tasks submitted with `options.name === name`, in the order they happened. */
  events(name: string): Promise<BehaviourTaskEvent[]>;
  /** The executor's ledger right now. */
  ledger(): Promise<LedgerSnapshot>;
  /** Releases everything the harness started. */
  close(): Promise<void>;
}

const STATE_RANK: Record<TaskState, number> = {
  PENDING_ARGS_AVAIL: 0,
  PENDING_NODE_ASSIGNMENT: 1,
  SUBMITTED_TO_WORKER: 2,
  RUNNING: 3,
  FINISHED: 4,
  FAILED: 4,
};

async function waitFor<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last = await probe();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    last = await probe();
  }
  return last;
}

function maxOverlap(spans: { start: number; end: number }[]): number {
  const points = spans.flatMap((s) => [
    [s.start, 1],
    [s.end, -1],
  ]) as [number, number][];
  // Ends sort before starts at the same instant: touching intervals do not overlap.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let best = 0;
  for (const [, d] of points) {
    cur += d;
    best = Math.max(best, cur);
  }
  return best;
}

/** Groups events by attempt and checks each attempt's states only move forward and end terminal. */
function expectWellOrdered(events: BehaviourTaskEvent[], attempts: number): Map<number, BehaviourTaskEvent[]> {
  const byAttempt = new Map<number, BehaviourTaskEvent[]>();
  for (const e of events) {
    const list = byAttempt.get(e.attempt) ?? [];
    list.push(e);
    byAttempt.set(e.attempt, list);
  }
  expect([...byAttempt.keys()].sort()).toEqual(Array.from({ length: attempts }, (_, i) => i));
  for (const [attempt, list] of byAttempt) {
    const states = list.map((e) => e.state);
    for (let i = 1; i < list.length; i++) {
      expect(STATE_RANK[states[i]!], `attempt ${attempt}: ${states.join(' → ')}`).toBeGreaterThan(
        STATE_RANK[states[i - 1]!],
      );
      expect(list[i]!.timestamp).toBeGreaterThanOrEqual(list[i - 1]!.timestamp);
    }
    expect(states, `attempt ${attempt}`).toContain('PENDING_NODE_ASSIGNMENT');
    expect(states, `attempt ${attempt}`).toContain('RUNNING');
    expect(['FINISHED', 'FAILED']).toContain(states[states.length - 1]);
  }
  return byAttempt;
}

/** Static settings of a suite run. */
export interface BehaviourSuiteOptions {
  /** Behaviours this executor cannot show, each with its reason (those tests are skipped, visibly, with the reason in their title). */
  skip?: Partial<Record<BehaviourFeature, string>>;
}

/**
 * Defines the behaviour suite for one executor. `makeHarness` is called once (in `beforeAll`)
 * with the resources the ledger must have; the harness is closed in `afterAll`. After every
 * test the ledger must be back to its full capacity.
 */
export function defineBehaviourSuite(
  name: string,
  makeHarness: (spec: HarnessSpec) => Promise<BehaviourHarness>,
  options: BehaviourSuiteOptions = {},
): void {
  const spec: HarnessSpec = { resources: { CPU: 2, GPU: 1 } };
  const run = randomUUID().slice(0, 8);
  let seq = 0;
  /** A fresh key (counter file / rendezvous folder) and task name. */
  const key = (label: string) => `${label}-${run}-${++seq}`;
  let harness: BehaviourHarness | undefined;
  const h = (): BehaviourHarness => {
    if (harness === undefined) throw new Error('harness not started');
    return harness;
  };
  const readCount = async (k: string): Promise<number> => {
    const { readFileSync } = await import('node:fs');
    try {
      return Number(readFileSync(`${scratchDir()}/${k}.count`, 'utf8'));
    } catch {
      return 0;
    }
  };
  /** `it`, or a visibly skipped `it` whose title names the reason when the executor opts out of `feature`. */
  const itIf = (feature: BehaviourFeature, title: string, fn: () => Promise<void>) => {
    const reason = options.skip?.[feature];
    if (reason === undefined) it(title, fn);
    else it.skip(`${title} [skipped: ${feature} not supported by ${name}: ${reason}]`, fn);
  };

  describe(`behaviour suite: ${name}`, () => {
    beforeAll(async () => {
      harness = await makeHarness(spec);
    });
    afterAll(async () => {
      await harness?.close();
      // Only this run's counters: other suites (other executors, in parallel) share the folder.
      const dir = scratchDir();
      for (const f of readdirSync(dir))
        if (f.includes(`-${run}-`)) rmSync(join(dir, f), { recursive: true, force: true });
    });
    afterEach(async () => {
      const snap = await waitFor(
        () => h().ledger(),
        (s) => JSON.stringify(s.available) === JSON.stringify(s.total),
        'the ledger to be back to full capacity',
      );
      expect(snap.total).toMatchObject(spec.resources);
    });

    describe('numReturns', () => {
      it('1 (default) resolves with the value', async () => {
        expect(await h().submit('echo', [{ a: [1, 'x'] }], { name: key('echo') })).toEqual({ a: [1, 'x'] });
        expect(await h().submit('add', [2, 3], { name: key('add'), numReturns: 1 })).toBe(5);
      });
      it('2 resolves with both values', async () => {
        expect(await h().submit('pair', ['a', 7], { name: key('pair'), numReturns: 2 })).toEqual(['a', 7]);
      });
      it('0 resolves with undefined once the task ran', async () => {
        const k = key('touch');
        expect(await h().submit('touch', [k], { name: k, numReturns: 0 })).toBeUndefined();
        expect(await readCount(k)).toBe(1);
      });
    });

    describe('retries', () => {
      it('maxRetries n gives n + 1 attempts for retryable failures', async () => {
        const k = key('flaky');
        const err = await h()
          .submit('failTimes', [k, 10, 'FlakyError'], { name: k, maxRetries: 2, retryExceptions: true })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(err).toMatchObject({ name: 'TaskError', errorType: 'FlakyError', attempts: 3 });
        expect((err as { typeChain: string[] }).typeChain).toEqual(['FlakyError', 'Error']);
        expect(await readCount(k)).toBe(3);
      });
      it('retryExceptions: true retries until success', async () => {
        const k = key('recover');
        expect(
          await h().submit('failTimes', [k, 2, 'FlakyError'], { name: k, maxRetries: 2, retryExceptions: true }),
        ).toBe(3);
      });
      it('an allow-listed error class is retried', async () => {
        const k = key('allowed');
        expect(
          await h().submit('failTimes', [k, 1, 'TransientError'], {
            name: k,
            maxRetries: 3,
            retryExceptions: ['TransientError'],
          }),
        ).toBe(2);
      });
      it('an error not on the allow-list is not retried', async () => {
        const k = key('denied');
        await expect(
          h().submit('failTimes', [k, 1, 'FatalError'], {
            name: k,
            maxRetries: 3,
            retryExceptions: ['TransientError'],
          }),
        ).rejects.toMatchObject({ name: 'TaskError', errorType: 'FatalError', attempts: 1 });
        expect(await readCount(k)).toBe(1);
      });
      it('application errors are not retried by default', async () => {
        const k = key('default');
        await expect(h().submit('failTimes', [k, 1, 'FlakyError'], { name: k })).rejects.toMatchObject({
          name: 'TaskError',
          errorType: 'FlakyError',
          attempts: 1,
        });
        expect(await readCount(k)).toBe(1);
      });
      itIf('crashWorker', 'a crashed worker is a system failure, retried', async () => {
        const k = key('crash');
        expect(await h().submit('crashOnce', [k, 'survived'], { name: k, maxRetries: 1 })).toBe('survived');
        expect(await readCount(k)).toBe(2);
        const k2 = key('crash0');
        await expect(h().submit('crashOnce', [k2, 'never'], { name: k2, maxRetries: 0 })).rejects.toMatchObject({
          name: 'WorkerCrashedError',
          attempts: 1,
        });
      });
    });

    describe('maxCalls', () => {
      itIf('maxCalls', 'maxCalls: 1 runs every call on a fresh worker', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 3; i++)
          ids.push((await h().submit('whereAmI', [], { name: key('fresh'), maxCalls: 1 })) as string);
        expect(new Set(ids).size).toBe(3);
      });
    });

    describe('admission', () => {
      it('never runs more 1-CPU tasks at once than the ledger has CPUs', async () => {
        const spans = (await Promise.all(
          Array.from({ length: 6 }, () => h().submit('span', [150], { name: key('cpu'), numCpus: 1 })),
        )) as { start: number; end: number }[];
        expect(maxOverlap(spans)).toBeLessThanOrEqual(2);
      });
      it('two 0.5-GPU tasks share the GPU at the same time', async () => {
        const k = key('halves');
        const both = await Promise.all([
          h().submit('rendezvous', [k, 2, 15_000], { name: k, numGpus: 0.5, numCpus: 0 }),
          h().submit('rendezvous', [k, 2, 15_000], { name: k, numGpus: 0.5, numCpus: 0 }),
        ]);
        expect(both).toEqual([true, true]);
      });
      it('never runs more 0.5-GPU tasks at once than fit on one GPU', async () => {
        const spans = (await Promise.all(
          Array.from({ length: 4 }, () => h().submit('span', [150], { name: key('gpu'), numGpus: 0.5, numCpus: 0 })),
        )) as { start: number; end: number }[];
        expect(maxOverlap(spans)).toBeLessThanOrEqual(2);
      });
      it('rejects a demand that can never fit, naming the resource', async () => {
        await expect(h().submit('echo', [1], { name: key('inf'), numGpus: 2 })).rejects.toMatchObject({
          name: 'InfeasibleTaskError',
          reason: expect.stringContaining('GPU'),
        });
        await expect(h().submit('echo', [1], { name: key('inf'), resources: { licence: 1 } })).rejects.toMatchObject({
          name: 'InfeasibleTaskError',
          reason: expect.stringContaining('licence'),
        });
      });
    });

    describe('nested tasks (children run on the same machine, against its one ledger)', () => {
      itIf(
        'nestedTasks',
        'a tree deeper than the CPUs completes: a task blocked on its children lends its CPU',
        async () => {
          expect(await h().submit('fib', [8], { name: key('fib') })).toBe(21);
        },
      );
      itIf(
        'nestedTasks',
        "a child holds its resources in the machine's one ledger, while its blocked parent holds no CPU",
        async () => {
          const k = key('hold');
          const done = h().submit('parentOfHold', [k, { numCpus: 0, numGpus: 0.5 }], { name: k, numCpus: 1 });
          const started = join(scratchDir(), `${k}.started`);
          await waitFor(
            async () => existsSync(started),
            (v) => v,
            'the child to start',
          );
          // The child's half GPU is in the ledger; the parent, blocked, lent its CPU back.
          const snap = await waitFor(
            () => h().ledger(),
            (s) => s.available.CPU === spec.resources.CPU,
            'the blocked parent to lend its CPU',
          );
          expect(snap.available.GPU).toBe(0.5);
          writeFileSync(join(scratchDir(), `${k}.release`), '');
          expect(await done).toBe(true);
        },
      );
      itIf(
        'nestedTasks',
        'children of concurrent parents never run more at once than the ledger has CPUs',
        async () => {
          const parents = (await Promise.all(
            Array.from({ length: 2 }, () =>
              h().submit('fanOutSpans', [3, 150, { numCpus: 1 }], { name: key('fan'), numCpus: 1 }),
            ),
          )) as { start: number; end: number }[][];
          expect(maxOverlap(parents.flat())).toBeLessThanOrEqual(2);
        },
      );
      itIf(
        'nestedTasks',
        "a child's failure reaches its parent with the child's error type; the parent's retryExceptions retry it",
        async () => {
          const k = key('viaChild');
          expect(
            await h().submit('failViaChild', [k, 'FlakyError'], {
              name: k,
              maxRetries: 1,
              retryExceptions: ['FlakyError'],
            }),
          ).toBe(2);
          const k2 = key('viaChild');
          await expect(
            h().submit('failViaChild', [k2, 'FatalError'], {
              name: k2,
              maxRetries: 1,
              retryExceptions: ['FlakyError'],
            }),
          ).rejects.toMatchObject({ name: 'TaskError', errorType: 'FatalError', typeChain: ['FatalError', 'Error'] });
          expect(await readCount(k2)).toBe(1);
        },
      );
    });

    describe('task events', () => {
      itIf('taskEvents', 'records every attempt in state order, with the error type of the failure', async () => {
        const k = key('events');
        expect(
          await h().submit('failTimes', [k, 1, 'FlakyError'], { name: k, maxRetries: 1, retryExceptions: true }),
        ).toBe(2);
        const events = await waitFor(
          () => h().events(k),
          (ev) => ev.filter((e) => e.state === 'FINISHED' || e.state === 'FAILED').length >= 2,
          'two terminal events',
        );
        const byAttempt = expectWellOrdered(events, 2);
        const first = byAttempt.get(0)!;
        expect(first[first.length - 1]).toMatchObject({ state: 'FAILED', errorType: 'FlakyError' });
        expect(byAttempt.get(1)!.at(-1)!.state).toBe('FINISHED');
      });
      itIf('taskEvents', 'enableTaskEvents: false hides that task only', async () => {
        const hidden = key('hidden');
        const shown = key('shown');
        expect(await h().submit('echo', [1], { name: hidden, enableTaskEvents: false })).toBe(1);
        expect(await h().submit('echo', [2], { name: shown })).toBe(2);
        await waitFor(
          () => h().events(shown),
          (ev) => ev.some((e) => e.state === 'FINISHED'),
          'the visible task to finish',
        );
        expect(await h().events(hidden)).toEqual([]);
      });
    });
  });
}

// Activities of the integration tests. They run in the test process, so the counters below
// are shared by every simulated "machine" (each a createTaskWorkers call) of one test file.
import { Context, heartbeat } from '@temporalio/activity';
import { getTaskContext } from '@taskfit/temporal-adapter/worker';

/** Per-key call counts and concurrency, in this process. */
export const probe = {
  calls: new Map<string, number>(),
  active: new Map<string, number>(),
  maxActive: new Map<string, number>(),
};

class FlakyError extends Error {}
class TransientError extends Error {}
class FatalError extends Error {}
const ERRORS: Record<string, new (m: string) => Error> = { FlakyError, TransientError, FatalError };

function bump(key: string): number {
  const n = (probe.calls.get(key) ?? 0) + 1;
  probe.calls.set(key, n);
  return n;
}

/** Where the task ran. */
export async function where(): Promise<{
  nodeId: string;
  taskQueue: string;
  gpuIds: (number | string)[];
  cuda: string | undefined;
  attempt: number;
  env: Record<string, string>;
}> {
  const ctx = getTaskContext();
  return {
    nodeId: ctx.nodeId,
    taskQueue: ctx.taskQueue,
    gpuIds: [...ctx.gpuIds],
    cuda: ctx.envVars['CUDA_VISIBLE_DEVICES'],
    attempt: ctx.attempt,
    env: { ...ctx.envVars },
  };
}

/**
 * Counts itself active under `key`, waits until `target` tasks of the key are active at once
 * (or `waitMs` passed), then holds `holdMs` more — time enough for a wrongly admitted extra task
 * to start. Records the highest concurrency seen.
 */
export async function overlap(key: string, target: number, waitMs: number, holdMs: number): Promise<number> {
  const now = (probe.active.get(key) ?? 0) + 1;
  probe.active.set(key, now);
  probe.maxActive.set(key, Math.max(probe.maxActive.get(key) ?? 0, now));
  try {
    const deadline = Date.now() + waitMs;
    while ((probe.active.get(key) ?? 0) < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, holdMs));
    return probe.maxActive.get(key) ?? 0;
  } finally {
    probe.active.set(key, (probe.active.get(key) ?? 1) - 1);
  }
}

/** Throws `errorName` on the first `times` calls of `key`, then returns where it ran. */
export async function failTimes(
  key: string,
  times: number,
  errorName: string,
): Promise<{ nodeId: string; taskQueue: string; calls: number }> {
  const n = bump(key);
  const Cls = ERRORS[errorName] ?? Error;
  if (n <= times) throw new Cls(`${key}: failure ${n} of ${times}`);
  const ctx = getTaskContext();
  return { nodeId: ctx.nodeId, taskQueue: ctx.taskQueue, calls: n };
}

/** Returns `[a, b]` (numReturns 2) or a wrong shape when `bad`. */
export async function pairOf(a: unknown, b: unknown, bad = false): Promise<unknown> {
  return bad ? [a] : [a, b];
}

/** Returns nothing useful; counts calls. */
export async function touch(key: string): Promise<string> {
  bump(key);
  return 'ignored';
}

/** Marks `key` started, then waits for cancellation and records that it saw it. */
export async function waitForCancel(key: string): Promise<never> {
  const { signal } = getTaskContext();
  probe.calls.set(key, 1);
  await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  probe.calls.set(`${key}:cancelled`, 1);
  throw signal.reason;
}

/** Holds its resources for `ms`, then says where it ran. */
export async function hold(ms: number): Promise<{ nodeId: string; gpuIds: (number | string)[] }> {
  const ctx = getTaskContext();
  await new Promise((r) => setTimeout(r, ms));
  return { nodeId: ctx.nodeId, gpuIds: [...ctx.gpuIds] };
}

/** Sleeps `ms` (ignoring cancellation), then says where it ran. */
export async function sleepFor(ms: number): Promise<string> {
  await new Promise((r) => setTimeout(r, ms));
  return getTaskContext().nodeId;
}

/**
 * A resumable activity: the first attempt records `{ progress: 42 }` as heartbeat details, keeps
 * running for `runMs` (past several of the wrapper's keep-alive heartbeats) and fails; the next
 * attempt returns the heartbeat details it was given.
 */
export async function checkpointThenFail(runMs: number): Promise<unknown> {
  const ctx = Context.current();
  if (ctx.info.attempt > 1) return ctx.info.heartbeatDetails ?? null;
  heartbeat({ progress: 42 });
  await new Promise((r) => setTimeout(r, runMs));
  throw new Error('failed after checkpointing');
}

/**
 * Runs an activity body in a `TaskPool` (`createTaskWorkers({ pool })`): the task's demand,
 * `maxCalls` and env go with it; retries stay with Temporal (the pool runs each attempt once).
 * The pool admits it — the machine has one ledger, the pool's, and one admission queue — and its
 * body may submit child tasks (`pool.remote` inside the task), admitted against the same ledger.
 * Only the type of `@taskfit/piscina-adapter` is imported: it is an optional peer dependency.
 */
import { TaskCancelledError } from '@taskfit/core';
import type { TaskOptions } from '@taskfit/core';
import type { SharedLedger, TaskPool } from '@taskfit/piscina-adapter';
import type { TaskWireOptions } from '../shared/envelope.js';

/**
 * Checks that `pool` is a `TaskPool`: a clear error when something else is passed (a raw
 * Piscina, or a pool from a package that is not installed).
 */
export function checkPool(pool: unknown): asserts pool is TaskPool {
  if (
    typeof pool !== 'object' ||
    pool === null ||
    typeof (pool as { remote?: unknown }).remote !== 'function' ||
    typeof (pool as { sharedLedger?: unknown }).sharedLedger !== 'function'
  ) {
    throw new TypeError(
      'createTaskWorkers({ pool }) needs a TaskPool from @taskfit/piscina-adapter, an optional peer dependency of ' +
        '@taskfit/temporal-adapter (npm install @taskfit/piscina-adapter); got ' +
        (pool === null
          ? 'null'
          : typeof pool === 'object'
            ? `an object without remote() and sharedLedger()`
            : typeof pool),
    );
  }
}

/** The task options of a pool run with the same demand (retries stay with Temporal). */
function poolOptions(wire: TaskWireOptions, demand: Readonly<Record<string, number>>): TaskOptions {
  const opts: TaskOptions = { numCpus: 0, maxRetries: 0, enableTaskEvents: false, maxCalls: wire.maxCalls };
  const resources: Record<string, number> = {};
  for (const [k, q] of Object.entries(demand)) {
    if (k === 'CPU') opts.numCpus = q;
    else if (k === 'GPU') opts.numGpus = q;
    else if (k === 'memory') opts.memory = q;
    else if (k.startsWith('accelerator_type:')) opts.acceleratorType = k.slice('accelerator_type:'.length);
    else if (!k.startsWith('node:')) resources[k] = q;
  }
  if (Object.keys(resources).length > 0) opts.resources = resources;
  if (wire.envVars !== undefined) opts.runtimeEnv = { envVars: wire.envVars };
  if (wire.name !== undefined) opts.name = wire.name;
  return opts;
}

/**
 * Runs export `exportName` of the pool's module with the task's options, admitted by the pool
 * (`onStart` hears what it holds once admitted); cancellation follows `signal`.
 */
export async function runInPool(
  ledger: SharedLedger,
  exportName: string,
  wire: TaskWireOptions,
  demand: Readonly<Record<string, number>>,
  args: unknown[],
  signal: AbortSignal,
  onStart: Parameters<SharedLedger['submit']>[3],
): Promise<unknown> {
  if (signal.aborted) throw signal.reason;
  const ref = ledger.submit(exportName, poolOptions(wire, demand), args, onStart);
  const onAbort = (): void => {
    ref.cancel('the Temporal activity was cancelled');
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await ref;
  } catch (err) {
    if (err instanceof TaskCancelledError && signal.aborted) throw signal.reason;
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

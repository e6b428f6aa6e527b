// Workflows of the integration tests (bundled once per test file).
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import { TaskOptionsError } from '@taskfit/core';
import type { TaskOptions } from '@taskfit/core';
import { remoteActivity } from '@taskfit/temporal-adapter/workflow';
import type * as activities from './activities.js';

type Acts = typeof activities;

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TaskOptionsError) throw ApplicationFailure.nonRetryable(err.message, 'TaskOptionsError');
    throw err;
  }
}

/** Runs one activity with options. */
export async function runTask(activity: string, args: unknown[], options: TaskOptions): Promise<unknown> {
  const ra = guard(() => remoteActivity<Record<string, (...a: unknown[]) => Promise<unknown>>>(activity, options));
  return await ra.remote(...args);
}

/** Runs `count` calls of one activity concurrently with the same options and args. */
export async function runMany(
  activity: string,
  args: unknown[],
  options: TaskOptions,
  count: number,
): Promise<unknown[]> {
  const ra = guard(() => remoteActivity<Record<string, (...a: unknown[]) => Promise<unknown>>>(activity, options));
  return await Promise.all(Array.from({ length: count }, () => ra.remote(...args)));
}

/**
 * `.options()` on one call: the overridden call goes to the H100 class with 2 retries; the next
 * call of the same declaration keeps the CPU class and no retries.
 */
export async function optionsScope(
  k1: string,
  k2: string,
): Promise<{ overridden: unknown; plainError: string; plainType: string }> {
  const step = remoteActivity<Acts, 'failTimes'>('failTimes', {
    maxRetries: 0,
    retryExceptions: true,
    _metadata: { 'temporal.io/activity': { initialInterval: '100ms', backoffCoefficient: 1 } },
  });
  const overridden = await step
    .options({ maxRetries: 2, numGpus: 1, acceleratorType: 'H100' })
    .remote(k1, 1, 'FlakyError');
  try {
    await step.remote(k2, 1, 'FlakyError');
    return { overridden, plainError: 'none', plainType: 'none' };
  } catch (err) {
    const cause = (err as { cause?: { type?: string; message?: string } }).cause;
    return { overridden, plainError: cause?.message ?? String(err), plainType: cause?.type ?? 'unknown' };
  }
}

/** One call of {@link runAll}. */
export interface Call {
  activity: string;
  args: unknown[];
  options: TaskOptions;
}

/** Runs every call at once (each with its own options) and returns their results in order. */
export async function runAll(calls: Call[]): Promise<unknown[]> {
  return await Promise.all(
    calls.map((c) =>
      guard(() => remoteActivity<Record<string, (...a: unknown[]) => Promise<unknown>>>(c.activity, c.options)).remote(
        ...c.args,
      ),
    ),
  );
}

/** Runs one activity through plain `proxyActivities` (no taskfit) with Temporal activity options. */
export async function viaProxy(activity: string, args: unknown[], options: ActivityOptions): Promise<unknown> {
  const acts = proxyActivities<Record<string, (...a: unknown[]) => Promise<unknown>>>(options);
  return await acts[activity]!(...args);
}

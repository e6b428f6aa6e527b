/**
 * Turns validated task options into what Temporal needs for one activity call: the task queue
 * (by the naming rule), the retry policy, the timeouts, and the wire options for the worker.
 */
import type { ActivityOptions, RetryPolicy } from '@temporalio/common';
import { resolveTaskOptions, resourceDemand, retryExceptionNames, TaskOptionsError } from '@taskfit/core';
import type { TaskOptions, TaskOptionsIssue } from '@taskfit/core';
import { ACTIVITY_SETTING_DEFAULTS, resolveActivitySettings } from './activity-settings.js';
import type { ResolvedActivitySettings } from './activity-settings.js';
import type { TaskWireOptions } from './envelope.js';
import { resourceClassKey, taskQueueName } from './naming.js';
import type { TimedOutTask } from './timeouts.js';

/** Everything needed to schedule one task as a Temporal activity. */
export interface ActivityPlan {
  /** The task's resource demand (names its queue's class). */
  readonly demand: Readonly<Record<string, number>>;
  /** Hard node affinity target, if any (soft affinity routes to the shared class queue). */
  readonly nodeId: string | undefined;
  /**
   * With hard node affinity and `failOnUnavailable`, the target node: the call then has a
   * `scheduleToStartTimeout` (default {@link ACTIVITY_SETTING_DEFAULTS}.nodeUnavailableTimeoutMs)
   * and fails with `InfeasibleTaskError` when that node does not start it in time.
   */
  readonly unavailableNode: string | undefined;
  readonly numReturns: number;
  readonly settings: ResolvedActivitySettings;
  /** The wire options carried in the task envelope. */
  readonly wire: TaskWireOptions;
  /** Temporal activity options without `taskQueue`. */
  readonly activityOptions: Readonly<Omit<ActivityOptions, 'taskQueue'>>;
  /** The task queue under `defaultBase` (used when `_metadata['temporal.io/activity'].taskQueue` is unset). */
  taskQueue(defaultBase: string): string;
  /** What a timeout of a call routed to `taskQueue` means (see `explainTimeout`). */
  timedOut(taskQueue: string): TimedOutTask;
}

/** `maxRetries` → `RetryPolicy.maximumAttempts`: `maxRetries + 1`, omitted (unlimited) for -1; never 0. */
export function maximumAttemptsFor(maxRetries: number): number | undefined {
  return maxRetries < 0 ? undefined : maxRetries + 1;
}

/**
 * Builds the {@link ActivityPlan} of validated task options. Throws `TaskOptionsError` for
 * what the Temporal executor cannot honour (streaming results, placement groups, label
 * selectors, runtime-env fields other than `envVars`) and for bad `temporal.io/activity` settings.
 */
export function toActivityPlan(options: TaskOptions): ActivityPlan {
  const resolved = resolveTaskOptions(options);
  const issues: TaskOptionsIssue[] = [];
  const unsupported = (path: (string | number)[], message: string): void => {
    issues.push({ path, code: 'invalid_value', message: `${message} is not supported by the Temporal executor` });
  };
  if (resolved.numReturns === 'streaming') unsupported(['numReturns'], "numReturns: 'streaming'");
  const strategy = resolved.schedulingStrategy;
  let nodeId: string | undefined;
  let unavailableNode: string | undefined;
  if (typeof strategy === 'object') {
    if (strategy.type === 'nodeAffinity') {
      if (strategy.soft !== true) nodeId = strategy.nodeId;
      if (strategy.soft !== true && strategy.failOnUnavailable === true) unavailableNode = strategy.nodeId;
    } else {
      unsupported(['schedulingStrategy', 'type'], `schedulingStrategy '${strategy.type}'`);
    }
  }
  if (resolved.labelSelector !== undefined) unsupported(['labelSelector'], 'labelSelector');
  const runtimeEnv = resolved.runtimeEnv;
  if (runtimeEnv !== undefined) {
    for (const key of Object.keys(runtimeEnv)) {
      if (key !== 'envVars' && runtimeEnv[key] !== undefined) unsupported(['runtimeEnv', key], `runtimeEnv.${key}`);
    }
  }
  let settings: ResolvedActivitySettings | undefined;
  try {
    settings = resolveActivitySettings(resolved._metadata);
  } catch (err) {
    if (err instanceof TaskOptionsError) issues.push(...err.issues);
    else throw err;
  }
  if (issues.length > 0 || settings === undefined) throw new TaskOptionsError(issues);

  const demand = resourceDemand(options);
  // Class names as validation read them (a class's `name` getter is not called again).
  const retryExceptions = retryExceptionNames(resolved.retryExceptions);
  const numReturns = resolved.numReturns as number;
  const wire: TaskWireOptions = {
    v: 1,
    demand: { ...demand },
    numReturns,
    maxRetries: resolved.maxRetries,
    retryExceptions,
    enableTaskEvents: resolved.enableTaskEvents,
    maxCalls: resolved.maxCalls,
  };
  if (resolved.name !== undefined) wire.name = resolved.name;
  if (runtimeEnv?.envVars !== undefined) wire.envVars = { ...runtimeEnv.envVars };
  if (nodeId !== undefined) wire.nodeId = nodeId;

  const retry: RetryPolicy = {
    initialInterval: settings.initialIntervalMs,
    backoffCoefficient: settings.backoffCoefficient,
  };
  const maximumAttempts = maximumAttemptsFor(resolved.maxRetries);
  if (maximumAttempts !== undefined) retry.maximumAttempts = maximumAttempts;
  if (settings.maximumIntervalMs !== undefined) retry.maximumInterval = settings.maximumIntervalMs;
  const activityOptions: Omit<ActivityOptions, 'taskQueue'> = {
    startToCloseTimeout: settings.startToCloseTimeoutMs,
    heartbeatTimeout: settings.heartbeatTimeoutMs,
    retry,
    // The queue's slot supplier admits by class; eager dispatch would bypass the class queue.
    allowEagerDispatch: false,
    cancellationType: settings.cancellationType,
  };
  if (settings.scheduleToCloseTimeoutMs !== undefined)
    activityOptions.scheduleToCloseTimeout = settings.scheduleToCloseTimeoutMs;
  const scheduleToStartMs =
    settings.scheduleToStartTimeoutMs ??
    (unavailableNode !== undefined ? ACTIVITY_SETTING_DEFAULTS.nodeUnavailableTimeoutMs : undefined);
  if (scheduleToStartMs !== undefined) activityOptions.scheduleToStartTimeout = scheduleToStartMs;
  if (resolved.name !== undefined) activityOptions.summary = resolved.name;
  const s = settings;
  const timeoutsMs = {
    SCHEDULE_TO_START: scheduleToStartMs,
    START_TO_CLOSE: s.startToCloseTimeoutMs,
    SCHEDULE_TO_CLOSE: s.scheduleToCloseTimeoutMs,
    HEARTBEAT: s.heartbeatTimeoutMs,
  };
  const classKey = resourceClassKey(demand);
  return {
    demand,
    nodeId,
    unavailableNode,
    numReturns,
    settings: s,
    wire,
    activityOptions,
    taskQueue: (defaultBase: string) => taskQueueName(s.taskQueue ?? defaultBase, demand, nodeId),
    timedOut: (taskQueue: string) => ({
      taskQueue,
      classKey,
      maxRetries: resolved.maxRetries,
      unavailableNode,
      timeoutsMs,
    }),
  };
}

/**
 * `remoteActivity`: declare a task with Ray-style options in workflow code and run it as a
 * Temporal activity routed by its resource class. Sandbox-safe (no Node built-ins).
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/workflow';
import { mergeTaskOptions, validateTaskOptions } from '@taskfit/core';
import type { TaskOptions } from '@taskfit/core';
import { encodeTaskEnvelope } from '../shared/envelope.js';
import { toActivityPlan } from '../shared/plan.js';
import type { ActivityPlan } from '../shared/plan.js';
import { explainTimeout } from '../shared/timeouts.js';

/** Any activity function type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (...args: any[]) => any;

/** The value `.remote()` resolves to: the activity's result (`numReturns: 0` resolves to `undefined`). */
export type RemoteResult<F extends AnyFunction> = Awaited<ReturnType<F>>;

/** A task declared in workflow code. Immutable: `.options()` returns a new one. */
export interface RemoteActivity<F extends AnyFunction = AnyFunction> {
  /** The activity type (the exported function's name on the worker). */
  readonly activityType: string;
  /** The merged, validated options (no defaults filled). */
  readonly taskOptions: TaskOptions;
  /** A copy with `overrides` merged on (Ray's `.options()` rule; `maxCalls` may not be overridden). */
  options(overrides: TaskOptions): RemoteActivity<F>;
  /**
   * Schedules the activity and resolves to its result. With `numReturns: n > 1` the activity
   * must return an array of n values (checked by the worker) and the call resolves to it;
   * with `numReturns: 0` it resolves to `undefined`. Rejects with Temporal's `ActivityFailure`;
   * a timeout's `cause` is then an `ApplicationFailure` whose `type` names the taskfit error
   * (`TaskTimeoutError`, `WorkerCrashedError`, `InfeasibleTaskError`) and whose own `cause` is
   * Temporal's `TimeoutFailure` (see `toTaskFailure`).
   */
  remote(...args: Parameters<F>): Promise<RemoteResult<F>>;
  /** The Temporal activity options a call would use under `taskQueueBase` (for inspection). */
  activityOptions(taskQueueBase: string): ActivityOptions;
}

class RemoteActivityImpl<F extends AnyFunction> implements RemoteActivity<F> {
  readonly activityType: string;
  readonly taskOptions: TaskOptions;
  private readonly plan: ActivityPlan;
  private cachedBase: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private cachedProxy: Record<string, (...args: any[]) => Promise<unknown>> | undefined;

  constructor(activityType: string, options: TaskOptions) {
    this.activityType = activityType;
    this.taskOptions = options;
    this.plan = toActivityPlan(options);
  }

  options(overrides: TaskOptions): RemoteActivity<F> {
    const checked = validateTaskOptions(overrides, { inOptions: true });
    return new RemoteActivityImpl<F>(this.activityType, mergeTaskOptions(this.taskOptions, checked));
  }

  activityOptions(taskQueueBase: string): ActivityOptions {
    return { ...this.plan.activityOptions, taskQueue: this.plan.taskQueue(taskQueueBase) };
  }

  async remote(...args: Parameters<F>): Promise<RemoteResult<F>> {
    const base = workflowInfo().taskQueue;
    if (this.cachedProxy === undefined || this.cachedBase !== base) {
      this.cachedProxy = proxyActivities(this.activityOptions(base));
      this.cachedBase = base;
    }
    const fn = this.cachedProxy[this.activityType];
    if (fn === undefined) throw new TypeError(`no activity proxy for ${this.activityType}`);
    let result: unknown;
    try {
      result = await fn(encodeTaskEnvelope(this.plan.wire, args));
    } catch (err) {
      throw explainTimeout(err, this.plan.timedOut(this.plan.taskQueue(base)));
    }
    return (this.plan.numReturns === 0 ? undefined : result) as RemoteResult<F>;
  }
}

/**
 * Declares activity `activityType` of the activities module `A` with task options. Validates
 * the options at once (a bad option throws `TaskOptionsError` here, not at call time).
 *
 * ```ts
 * import type * as activities from './activities.js';
 * const train = remoteActivity<typeof activities, 'train'>('train', { numGpus: 1, acceleratorType: 'H100' });
 * const [model, metrics] = await train.options({ maxRetries: 5 }).remote(dataset);
 * ```
 */
export function remoteActivity<A extends object, K extends keyof A & string = keyof A & string>(
  activityType: K,
  options: TaskOptions = {},
): RemoteActivity<A[K] extends AnyFunction ? A[K] : never> {
  return new RemoteActivityImpl(activityType, validateTaskOptions(options));
}

/** Every activity of `A` as a {@link RemoteActivity} with the same options (typed per name). */
export type RemoteActivities<A extends object> = {
  readonly [K in keyof A & string as A[K] extends AnyFunction ? K : never]: RemoteActivity<
    A[K] extends AnyFunction ? A[K] : never
  >;
};

/**
 * Like `proxyActivities`, with task options: `const { train } = remoteActivities<typeof activities>({ numGpus: 1 })`.
 */
export function remoteActivities<A extends object>(options: TaskOptions = {}): RemoteActivities<A> {
  const validated = validateTaskOptions(options);
  const cache = new Map<string, RemoteActivity>();
  return new Proxy({} as RemoteActivities<A>, {
    get(_target, prop) {
      if (typeof prop !== 'string') throw new TypeError('activity types must be strings');
      let ra = cache.get(prop);
      if (ra === undefined) {
        ra = new RemoteActivityImpl(prop, validated);
        cache.set(prop, ra);
      }
      return ra;
    },
  });
}

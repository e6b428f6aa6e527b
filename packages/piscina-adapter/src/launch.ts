/**
 * What a launcher runs — `TaskPool.remote(target, options)` in the main thread, `pool.remote`
 * inside a task: the export's name and the task options, with `.options()`'s merge rule.
 */
import { types } from 'node:util';
import { isRemoteFunction, mergeTaskOptions, validateTaskOptions } from '@taskfit/core';
import type { TaskOptions } from '@taskfit/core';

/**
 * The export `target` names (a name, or a core `RemoteFunction` whose function is exported under
 * its own name from `module`) and its options: `options` merged onto the remote function's. A
 * RemoteFunction of a (async) generator function streams its items when `numReturns` is not set,
 * as Ray does.
 * @throws TypeError for a bad target; TaskOptionsError for invalid options.
 */
export function launchTarget(
  target: unknown,
  options: TaskOptions | undefined,
  module: string,
): { exportName: string; taskOptions: TaskOptions } {
  let exportName: string;
  let base: TaskOptions = {};
  if (typeof target === 'string') exportName = target;
  else if (isRemoteFunction(target)) {
    exportName = target.fn.name;
    if (exportName === '')
      throw new TypeError(`pool.remote(rf): the remote function must be a named function exported by the ${module}`);
    base = target.taskOptions;
    if (base.numReturns === undefined && types.isGeneratorFunction(target.fn))
      base = { ...base, numReturns: 'streaming' };
  } else throw new TypeError('pool.remote(target): target must be an export name or a RemoteFunction');
  // `base` is already validated (a RemoteFunction's options, or {}), and merging two valid
  // option sets gives a valid one (core pins this with a property test): validate once.
  return {
    exportName,
    taskOptions: options === undefined ? base : mergeTaskOptions(base, validateTaskOptions(options)),
  };
}

/** A launcher's `.options(overrides)`: the overrides validated (`maxCalls` not allowed) and merged on. */
export function withOverrides(taskOptions: TaskOptions, overrides: TaskOptions): TaskOptions {
  return mergeTaskOptions(taskOptions, validateTaskOptions(overrides, { inOptions: true }));
}

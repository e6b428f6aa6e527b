// The .options() merge rule, defaults, and resource demand.
import type { ResolvedTaskOptions, RuntimeEnv, TaskOptions } from '../types.js';
import { own } from '../input.js';
import { put } from './internal.js';
import { validateTaskOptions } from './validate.js';

/** Whether a runtime env counts as "not specified" (Ray: a falsy parsed env). */
function isEmptyRuntimeEnv(env: RuntimeEnv | undefined | null): boolean {
  if (env === undefined || env === null) return true;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    // Ray normalises an empty env_vars to None, so `{ envVars: {} }` is empty too.
    if (k === 'envVars' && typeof v === 'object' && v !== null && Object.keys(v).length === 0) continue;
    return false;
  }
  return true;
}

/**
 * The `.options()` merge rule: a shallow `{ ...base, ...overrides }`, except that
 *
 * - `_metadata` is merged per namespace (`{ ns: { ...base[ns], ...overrides[ns] } }`);
 * - an empty `runtimeEnv` (`undefined`, `{}`, or `{ envVars: {} }`) in `overrides` keeps
 *   `base`'s (Ray: a falsy env in `.options()` does not clear the definition's);
 * - a key whose override value is `undefined` does not erase `base`'s value (there is no
 *   way to unset an option in `.options()`; set it to its default instead).
 *
 * Pure: it neither validates nor fills defaults, and does not mutate its arguments.
 */
export function mergeTaskOptions(base: TaskOptions, overrides: TaskOptions): TaskOptions {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    if (k === 'runtimeEnv' && isEmptyRuntimeEnv(v as RuntimeEnv)) continue;
    const baseMetadata = own(base, '_metadata');
    if (k === '_metadata' && baseMetadata !== undefined) {
      const md: Record<string, Record<string, unknown>> = { ...baseMetadata };
      for (const [ns, cfg] of Object.entries(v as Record<string, Record<string, unknown>>)) {
        if (cfg === undefined) continue;
        put(md, ns, { ...own(md, ns), ...cfg });
      }
      out[k] = md;
      continue;
    }
    put(out, k, v);
  }
  return out as TaskOptions;
}

/**
 * Validates `options` and fills every default: `numCpus` 1, `numGpus` 0, `numReturns` 1,
 * `maxRetries` 3, `retryExceptions` false, `enableTaskEvents` true, `resources` {}, `memory` 0,
 * `_metadata` {}, and `maxCalls` 0 — or 1 when the effective `numGpus` is above 0 and
 * `maxCalls` was not set (DESIGN.md: applied to the effective options, not only the
 * definition's, unlike Ray). `schedulingStrategy` stays `undefined` when it was not set: an
 * executor schedules such a task as `'DEFAULT'` — unless it is a child task of a parent that
 * runs in a placement group with `captureChildTasks`, which Ray then places in that group
 * (an explicit `'DEFAULT'` escapes the capture), so "unset" must stay distinct.
 *
 * @throws {@link TaskOptionsError} when `options` are invalid.
 */
export function resolveTaskOptions(options: TaskOptions): ResolvedTaskOptions {
  return resolveValidated(validateTaskOptions(options));
}

/** {@link resolveTaskOptions} for options that were already validated (shares their maps). */
export function resolveValidated(o: TaskOptions): ResolvedTaskOptions {
  // Own properties only: an option set on a polluted Object.prototype is not set.
  const get = <K extends keyof TaskOptions>(k: K): TaskOptions[K] | undefined => own(o, k);
  const numGpus = get('numGpus') ?? 0;
  return {
    numReturns: get('numReturns') ?? 1,
    numCpus: get('numCpus') ?? 1,
    numGpus,
    resources: get('resources') ?? {},
    acceleratorType: get('acceleratorType'),
    memory: get('memory') ?? 0,
    maxCalls: get('maxCalls') ?? (numGpus > 0 ? 1 : 0),
    maxRetries: get('maxRetries') ?? 3,
    retryExceptions: get('retryExceptions') ?? false,
    runtimeEnv: get('runtimeEnv'),
    schedulingStrategy: get('schedulingStrategy'),
    enableTaskEvents: get('enableTaskEvents') ?? true,
    labelSelector: get('labelSelector'),
    name: get('name'),
    _metadata: get('_metadata') ?? {},
  };
}

/** Prefix of the resource a task demands for {@link TaskOptions.acceleratorType}. */
export const ACCELERATOR_TYPE_PREFIX = 'accelerator_type:';
/** Amount of `accelerator_type:<T>` a task demands (a node advertises 1). */
export const ACCELERATOR_TYPE_DEMAND = 0.001;

/**
 * What a task consumes while it runs, in the units the user wrote: custom `resources` as
 * given, `CPU` = `numCpus` (1 when absent), `GPU` = `numGpus`, `memory` = floor(bytes),
 * `accelerator_type:<T>` = 0.001. Zero entries are dropped, so `{ numCpus: 0 }` demands
 * nothing. Accepts raw or resolved options; validates them first.
 *
 * @throws {@link TaskOptionsError} when `options` are invalid.
 */
export function resourceDemand(options: TaskOptions | ResolvedTaskOptions): Record<string, number> {
  const o = resolveValidated(validateTaskOptions(options));
  const demand: Record<string, number> = {};
  for (const [k, v] of Object.entries(o.resources)) if (v > 0) demand[k] = v;
  if (o.numCpus > 0) demand.CPU = o.numCpus;
  if (o.numGpus > 0) demand.GPU = o.numGpus;
  if (o.memory > 0) demand.memory = o.memory; // validation counted it in whole bytes
  if (o.acceleratorType !== undefined) demand[ACCELERATOR_TYPE_PREFIX + o.acceleratorType] = ACCELERATOR_TYPE_DEMAND;
  return demand;
}

// validateTaskOptions: every rule of DESIGN.md, all issues at once. This file is the entry: it reads
// the options object and hands each option to its check (validate-*.ts, one file per concern).
import type { TaskOptions, ValidationContext } from '../types.js';
import type { Path, PendingIssue } from './internal.js';
import { Issues, camelNamer, describe, isPlainObject, optionKeys, read, throwIssues } from './internal.js';
import { isOptionName, unknownOptionMessage } from './names.js';
import type { OptionName } from './names.js';
import { RESOURCE_UNIT_SCALING } from '../resources/fixed-point.js';
import { bool, integer, mustBe, nonEmptyString } from './validate-common.js';
import { metadata, runtimeEnv } from './validate-json.js';
import { labelSelector } from './validate-labels.js';
import { quantity, resources } from './validate-resources.js';
import { retryExceptions } from './validate-retry.js';
import { schedulingStrategy } from './validate-strategy.js';

/** Runs every check; returns the cleaned copy and the issues found. */
export function checkTaskOptions(
  input: unknown,
  ctx?: ValidationContext,
): { value: TaskOptions; issues: readonly PendingIssue[] } {
  const issues = new Issues();
  const out: Record<string, unknown> = {};
  const inOptions = typeof ctx === 'object' && ctx !== null && read(ctx, 'inOptions') === true;
  if (!isPlainObject(input)) {
    issues.add([], 'invalid_type', () => `task options must be a plain object (got ${describe(input)})`);
    return { value: {}, issues: issues.list };
  }
  const keys = optionKeys(input, issues);
  for (const key of keys) {
    const v = read(input, key);
    if (!isOptionName(key)) {
      issues.add([key], 'unknown_option', (n) => unknownOptionMessage(key, n));
      continue;
    }
    if (key === 'maxCalls' && inOptions) {
      issues.add(
        [key],
        'not_overridable',
        (n) =>
          `${n.p([key])} cannot be set in .options(): worker recycling is fixed when the task is defined (pass it to remote() instead)`,
      );
      continue;
    }
    if (v === undefined) continue; // an undefined value means "not set"
    const cleaned = checkOption(key, v, issues);
    if (cleaned !== undefined) out[key] = cleaned;
  }
  return { value: out as TaskOptions, issues: issues.list };
}

/**
 * Validates task options written by a user (a `remote()` definition, or `.options()`
 * overrides when `ctx.inOptions` is true) and returns a clean copy: keys whose value is
 * `undefined` are dropped, `-0` becomes `0`, quantities are rounded to the resource precision,
 * and maps are copied so later changes to the input do not leak in (a `PlacementGroup` handle
 * is kept by identity; any other placement-group handle is copied as `{ id }`). The input is read
 * once, own properties only; a value whose getter or proxy trap throws is an issue at its path.
 *
 * Rules beyond the types (DESIGN.md "do better" wins over Ray):
 * - Quantities (`numCpus`, `numGpus`, `memory`, `resources` values) are finite and ≥ 0, and are
 *   rounded to the nearest 0.0001 (`memory`: to whole bytes, rounded down, as Ray's
 *   `int(memory)`), so `1 / 3` is kept as 0.3333; only a non-zero value that rounds to 0 is
 *   rejected (`0.00001`), and so is a value above what the accounting holds exactly
 *   (900719925474, or 2^53 − 1 bytes of `memory`).
 * - `numGpus` above 1 must be whole (Ray rejects `1.5` only at submit); the same holds for
 *   Ray's other unit-instance resources in `resources`: `neuron_cores`, `TPU`, `NPU`,
 *   `HPU`, `RBLN`, `FURIOSA`, `TTNPU`, `MBLT` (Ray's `custom_unit_instance_resources`).
 *   As Ray's accelerator managers require, `TPU` is 1, 2, 4 or 8, and `neuron_cores` and `HPU`
 *   are whole numbers at any size.
 * - `resources` may not use `CPU`, `GPU`, `memory`, `object_store_memory`, `bundle`, nor
 *   names starting with `accelerator_type:` (use `acceleratorType`); names are non-empty.
 * - `__proto__`, `constructor` and `prototype` are rejected as keys of every user map
 *   (`resources`, `runtimeEnv` and anything nested in it, `envVars`, `labelSelector`,
 *   node-label maps, `_metadata` at every depth), including own `__proto__` keys that
 *   `JSON.parse` creates.
 * - `objectStoreMemory` is rejected for tasks (Ray reserves it for actors); `maxCalls` is
 *   `not_overridable` in `.options()` whenever the key is present, even as `0` or `undefined`.
 * - `runtimeEnv.envVars` is string → string (names without `=`/NUL); other `runtimeEnv`
 *   fields and `_metadata` settings must be JSON-like (no cycles, ≤ 32 levels deep).
 * - `labelSelector` keys: optional DNS-subdomain prefix (≤ 253) + `/` + name (≤ 63,
 *   alphanumeric at both ends, `-_.` between); values: `""`, `v`, `!v`, `in(a,b)`, `!in(a,b)`
 *   (Ray's bare `(a,b)` is rejected). Node-label strategy keys and values follow the same grammar.
 * - `name` and `acceleratorType` are non-empty strings; `numReturns` is an integer ≥ 0 or
 *   `'streaming'` (`'dynamic'` is rejected); `maxRetries` an integer ≥ -1; `retryExceptions`
 *   a boolean or an array of Error classes and non-empty error names.
 * - Unknown keys are `unknown_option`, with a suggestion: Ray's snake_case spelling
 *   (`num_gpus` → `numGpus`), near-miss typos, and a note for Ray actor-only keywords.
 * - Sizes are capped (`INPUT_LIMITS`): keys per object, `retryExceptions` entries, values of a
 *   JSON-like option; at most `INPUT_LIMITS.maxIssues` issues are listed, then a count.
 *
 * Issue messages start with the option's path and name the rule, e.g.
 * `numGpus must be a finite number ≥ 0 (got NaN)`.
 *
 * @throws {@link TaskOptionsError} listing every problem found (codes `invalid_type`,
 *   `invalid_value`, `unknown_option`, `not_overridable`, `conflict`).
 */
export function validateTaskOptions(input: unknown, ctx?: ValidationContext): TaskOptions {
  const { value, issues } = checkTaskOptions(input, ctx);
  if (issues.length > 0) throwIssues(issues, camelNamer);
  return value;
}

function checkOption(key: OptionName, v: unknown, issues: Issues): unknown {
  const path: Path = [key];
  switch (key) {
    case 'numCpus':
      return quantity(path, v, issues, RESOURCE_UNIT_SCALING);
    case 'memory':
      return quantity(path, v, issues, 1);
    case 'numGpus':
      return quantity(path, v, issues, RESOURCE_UNIT_SCALING, 'GPU');
    case 'resources':
      return resources(v, issues);
    case 'acceleratorType':
    case 'name':
      return nonEmptyString(path, v, issues);
    case 'objectStoreMemory':
      issues.add(
        path,
        'invalid_value',
        (n) =>
          `${n.p(path)} is not supported for tasks: Ray reserves object store memory for actors (remove the option)`,
      );
      return undefined;
    case 'maxCalls':
      return integer(path, v, issues, 0, 'an integer ≥ 0 (0 = unlimited)');
    case 'maxRetries':
      return integer(path, v, issues, -1, 'an integer ≥ -1 (-1 = retry forever)');
    case 'numReturns':
      return numReturns(v, issues);
    case 'retryExceptions':
      return retryExceptions(v, issues);
    case 'runtimeEnv':
      return runtimeEnv(v, issues);
    case 'schedulingStrategy':
      return schedulingStrategy(v, issues);
    case 'enableTaskEvents':
      return bool(path, v, issues);
    case 'labelSelector':
      return labelSelector(v, issues);
    case '_metadata':
      return metadata(v, issues);
  }
}

function numReturns(v: unknown, issues: Issues): number | 'streaming' | undefined {
  const path: Path = ['numReturns'];
  const rule = `a non-negative integer or 'streaming'`;
  if (typeof v === 'string') {
    if (v === 'streaming') return v;
    if (v === 'dynamic') {
      issues.add(
        path,
        'invalid_value',
        (n) => `${n.p(path)} must be ${rule}: Ray's 'dynamic' is not supported, use 'streaming' (got "dynamic")`,
      );
    } else {
      mustBe(issues, path, 'invalid_value', rule, v);
    }
    return undefined;
  }
  return integer(path, v, issues, 0, rule);
}

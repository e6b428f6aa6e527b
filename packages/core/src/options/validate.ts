// validateTaskOptions: every rule of DESIGN.md, all issues at once.
import type {
  ErrorMatcher,
  LabelMatchExpression,
  NodeAffinityStrategy,
  NodeLabelStrategy,
  PlacementGroupRef,
  PlacementGroupStrategy,
  RuntimeEnv,
  SchedulingStrategy,
  TaskOptions,
  ValidationContext,
} from '../types.js';
import type { Namer, Path, PendingIssue } from './internal.js';
import {
  Issues,
  camelNamer,
  closest,
  describe,
  isArray,
  isPlainObject,
  orList,
  listKeys,
  optionKeys,
  read,
  readList,
  throwIssues,
} from './internal.js';
import { isLabelSelectorValue, isLabelValue, labelKeyProblem } from './labels.js';
import { isOptionName, unknownOptionMessage } from './names.js';
import type { OptionName } from './names.js';
import { recordErrorClassName, recordedErrorClassName } from './retry.js';
import { hasOwn, own } from '../input.js';
import { INPUT_LIMITS } from '../limits.js';
import { FORBIDDEN_KEYS, UNIT_INSTANCE_RESOURCES } from '../resources/demand.js';
import { RESOURCE_UNIT_SCALING, maxQuantity, unitsOf } from '../resources/fixed-point.js';
import { PlacementGroup } from '../resources/placement-group.js';

/** Keys of `resources` that taskfit reserves, with the option to use instead. */
const RESERVED_RESOURCES: Readonly<Record<string, (n: Namer) => string>> = {
  CPU: (n) => `use ${n.p(['numCpus'])} instead`,
  GPU: (n) => `use ${n.p(['numGpus'])} instead`,
  memory: (n) => `use ${n.p(['memory'])} instead`,
  object_store_memory: () => 'Ray reserves object_store_memory for actors; tasks cannot reserve it',
  bundle: () => 'it is reserved for placement-group bundles',
};
const ACCELERATOR_PREFIX = 'accelerator_type:';

const STRATEGY_STRINGS = ['DEFAULT', 'SPREAD'] as const;
const STRATEGY_TYPES = ['nodeAffinity', 'placementGroup', 'nodeLabel'] as const;
const STRATEGY_TYPES_SNAKE: Readonly<Record<(typeof STRATEGY_TYPES)[number], string>> = {
  nodeAffinity: 'node_affinity',
  placementGroup: 'placement_group',
  nodeLabel: 'node_label',
};
const LABEL_OPERATORS = ['in', 'notIn', 'exists', 'doesNotExist'] as const;
const LABEL_OPERATORS_SNAKE: Readonly<Record<(typeof LABEL_OPERATORS)[number], string>> = {
  in: 'in',
  notIn: 'not_in',
  exists: 'exists',
  doesNotExist: 'does_not_exist',
};

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

// ---------------------------------------------------------------------------------------
// Scalars

/** Ray's TPU chip configurations (`TPU_VALID_CHIP_OPTIONS`). */
const TPU_CHIPS: readonly number[] = [1, 2, 4, 8];
/** Accelerators whose cores Ray never shares between tasks (their managers reject fractions). */
const WHOLE_ONLY: ReadonlySet<string> = new Set(['neuron_cores', 'HPU']);

/**
 * A resource quantity: finite, ≥ 0, at most what the accounting holds exactly, and rounded to the
 * resource precision (the nearest 0.0001, or whole bytes rounded down at `scale` 1; see
 * `unitsOf`), so `1 / 3` is kept as 0.3333. Only a non-zero value that rounds to 0 is rejected.
 * `resource` names a unit-instance resource (`GPU`, `TPU`, `neuron_cores`, …) whose rules apply
 * to the rounded value.
 */
function quantity(path: Path, v: unknown, issues: Issues, scale: number, resource?: string): number | undefined {
  const rule = 'a finite number ≥ 0';
  const u = unitsOf(v, scale);
  switch (u) {
    case 'not_number':
      issues.add(path, 'invalid_type', (n) => `${n.p(path)} must be ${rule} (got ${describe(v)})`);
      return undefined;
    case 'not_finite':
    case 'negative':
      issues.add(path, 'invalid_value', (n) => `${n.p(path)} must be ${rule} (got ${describe(v)})`);
      return undefined;
    case 'too_large':
      issues.add(
        path,
        'invalid_value',
        (n) =>
          `${n.p(path)} must be at most ${maxQuantity(scale)}${scale === 1 ? ' bytes' : ''}, the largest quantity the accounting holds exactly (got ${describe(v)})`,
      );
      return undefined;
    case 'rounds_to_zero':
      issues.add(path, 'invalid_value', (n) =>
        scale === 1
          ? `${n.p(path)} must be 0 or at least 1 byte: memory is counted in whole bytes (got ${describe(v)})`
          : `${n.p(path)} must be 0 or at least 0.0001, the finest resource precision (got ${describe(v)})`,
      );
      return undefined;
  }
  const q = u / scale;
  if (resource === undefined || !UNIT_INSTANCE_RESOURCES.has(resource)) return q;
  const broken =
    resource === 'TPU' && q !== 0 && !TPU_CHIPS.includes(q)
      ? `must be ${orList(TPU_CHIPS.map(String))}: the TPU chip configurations Ray supports`
      : WHOLE_ONLY.has(resource) && !Number.isInteger(q)
        ? `must be a whole number: ${resource} cannot be shared between tasks`
        : q > 1 && !Number.isInteger(q)
          ? 'must be a whole number when greater than 1: only requests below 1 can share one instance'
          : undefined;
  if (broken === undefined) return q;
  issues.add(path, 'invalid_value', (n) => `${n.p(path)} ${broken} (got ${describe(v)})`);
  return undefined;
}

function integer(path: Path, v: unknown, issues: Issues, min: number, rule: string): number | undefined {
  if (typeof v !== 'number') {
    issues.add(path, 'invalid_type', (n) => `${n.p(path)} must be ${rule} (got ${describe(v)})`);
    return undefined;
  }
  if (!Number.isSafeInteger(v) || v < min) {
    issues.add(path, 'invalid_value', (n) => `${n.p(path)} must be ${rule} (got ${describe(v)})`);
    return undefined;
  }
  return v + 0;
}

function bool(path: Path, v: unknown, issues: Issues): boolean | undefined {
  if (typeof v !== 'boolean') {
    issues.add(path, 'invalid_type', (n) => `${n.p(path)} must be a boolean (got ${describe(v)})`);
    return undefined;
  }
  return v;
}

function nonEmptyString(path: Path, v: unknown, issues: Issues): string | undefined {
  if (typeof v !== 'string') {
    issues.add(path, 'invalid_type', (n) => `${n.p(path)} must be a non-empty string (got ${describe(v)})`);
    return undefined;
  }
  if (v.length === 0) {
    issues.add(path, 'invalid_value', (n) => `${n.p(path)} must be a non-empty string (got "")`);
    return undefined;
  }
  return v;
}

function numReturns(v: unknown, issues: Issues): number | 'streaming' | undefined {
  const path: Path = ['numReturns'];
  const rule = `a non-negative integer or 'streaming'`;
  if (typeof v === 'string') {
    if (v === 'streaming') return v;
    issues.add(path, 'invalid_value', (n) =>
      v === 'dynamic'
        ? `${n.p(path)} must be ${rule}: Ray's 'dynamic' is not supported, use 'streaming' (got "dynamic")`
        : `${n.p(path)} must be ${rule} (got ${describe(v)})`,
    );
    return undefined;
  }
  return integer(path, v, issues, 0, rule);
}

// ---------------------------------------------------------------------------------------
// Maps

/** Checks the keys of a user map; returns the keys that may be used. */
function mapKeys(
  path: Path,
  obj: Record<string, unknown>,
  issues: Issues,
  what: string,
  opts: { allowEmpty?: boolean } = {},
): string[] {
  const { keys, symbols } = listKeys(obj, issues, path);
  if (symbols.length > 0) {
    issues.add(path, 'invalid_value', (n) => `${n.p(path)} must not have symbol keys (${what} are strings)`);
  }
  const usable: string[] = [];
  for (const k of keys) {
    const p = [...path, k];
    if (FORBIDDEN_KEYS.has(k)) {
      issues.add(
        p,
        'invalid_value',
        (n) =>
          `${n.p(p)}: the key ${JSON.stringify(k)} is not allowed in ${n.p(path)} (it could pollute object prototypes)`,
      );
    } else if (k === '' && opts.allowEmpty !== true) {
      issues.add(p, 'invalid_value', (n) => `${n.p(path)}: ${what} must be non-empty strings (got "")`);
    } else {
      usable.push(k);
    }
  }
  return usable;
}

function plainMap(path: Path, v: unknown, issues: Issues, shape: string): Record<string, unknown> | undefined {
  if (!isPlainObject(v)) {
    issues.add(path, 'invalid_type', (n) => `${n.p(path)} must be ${shape} (got ${describe(v)})`);
    return undefined;
  }
  return v;
}

function resources(v: unknown, issues: Issues): Record<string, number> | undefined {
  const path: Path = ['resources'];
  const obj = plainMap(path, v, issues, 'an object of resource name → quantity');
  if (obj === undefined) return undefined;
  const out: Record<string, number> = {};
  const before = issues.list.length;
  for (const k of mapKeys(path, obj, issues, 'resource names')) {
    const p = [...path, k];
    const reserved = hasOwn(RESERVED_RESOURCES, k) ? RESERVED_RESOURCES[k] : undefined;
    if (reserved !== undefined) {
      issues.add(
        p,
        'invalid_value',
        (n) => `${n.p(p)}: ${JSON.stringify(k)} is a reserved resource name; ${reserved(n)}`,
      );
      continue;
    }
    if (k.startsWith(ACCELERATOR_PREFIX)) {
      issues.add(
        p,
        'invalid_value',
        (n) =>
          `${n.p(p)}: resource names starting with "${ACCELERATOR_PREFIX}" are reserved; use ${n.p(['acceleratorType'])} instead`,
      );
      continue;
    }
    const q = quantity(p, read(obj, k), issues, RESOURCE_UNIT_SCALING, k);
    if (q !== undefined) out[k] = q;
  }
  return issues.list.length === before ? out : undefined;
}

function stringMap(
  path: Path,
  v: unknown,
  issues: Issues,
  what: string,
  checkKey: (k: string, p: Path) => boolean,
  checkValue: (val: string, p: Path) => boolean,
): Record<string, string> | undefined {
  const obj = plainMap(path, v, issues, `an object of ${what}`);
  if (obj === undefined) return undefined;
  const before = issues.list.length;
  const out: Record<string, string> = {};
  for (const k of mapKeys(path, obj, issues, 'keys')) {
    const p = [...path, k];
    if (!checkKey(k, p)) continue;
    const val = read(obj, k);
    if (typeof val !== 'string') {
      issues.add(p, 'invalid_type', (n) => `${n.p(p)} must be a string (got ${describe(val)})`);
      continue;
    }
    if (checkValue(val, p)) out[k] = val;
  }
  return issues.list.length === before ? out : undefined;
}

function labelSelector(v: unknown, issues: Issues): Record<string, string> | undefined {
  return stringMap(
    ['labelSelector'],
    v,
    issues,
    'label key → selector value',
    (k, p) => labelKey(k, p, issues),
    (val, p) => {
      if (isLabelSelectorValue(val)) return true;
      issues.add(
        p,
        'invalid_value',
        (n) =>
          `${n.p(p)}: invalid label selector value ${describe(val)}; use "value", "!value", "in(a,b)" or "!in(a,b)", where each value is 63 characters or less, begins and ends with an alphanumeric character, with '-', '_', '.' and alphanumerics between`,
      );
      return false;
    },
  );
}

function labelKey(k: string, p: Path, issues: Issues): boolean {
  const problem = labelKeyProblem(k);
  if (problem === undefined) return true;
  issues.add(p, 'invalid_value', (n) => `${n.p(p)}: invalid label key ${JSON.stringify(k)}: ${problem}`);
  return false;
}

function metadata(v: unknown, issues: Issues): Record<string, Record<string, unknown>> | undefined {
  const path: Path = ['_metadata'];
  const obj = plainMap(path, v, issues, 'an object of namespace → settings object');
  if (obj === undefined) return undefined;
  const before = issues.list.length;
  const out: Record<string, Record<string, unknown>> = {};
  const budget = jsonBudget(path);
  for (const ns of mapKeys(path, obj, issues, 'namespaces')) {
    const p = [...path, ns];
    const inner = read(obj, ns);
    if (inner === undefined) continue;
    if (!isPlainObject(inner)) {
      issues.add(p, 'invalid_type', (n) => `${n.p(p)} must be a settings object (got ${describe(inner)})`);
      continue;
    }
    const copied = jsonLike(p, inner, issues, [], budget);
    if (copied !== undefined) out[ns] = copied as Record<string, unknown>;
  }
  return issues.list.length === before ? out : undefined;
}

/** What a JSON-like option value (`runtimeEnv`'s extra fields together, or `_metadata`) may still hold. */
interface JsonBudget {
  readonly root: Path;
  left: number;
  spent: boolean;
}

function jsonBudget(root: Path): JsonBudget {
  return { root, left: INPUT_LIMITS.maxJsonValues, spent: false };
}

/** Takes `n` values from the budget; past it, reports once (at the option) and answers false. */
function spend(budget: JsonBudget, n: number, issues: Issues): boolean {
  budget.left -= n;
  if (budget.left >= 0) return true;
  if (!budget.spent) {
    budget.spent = true;
    const p = budget.root;
    issues.add(
      p,
      'invalid_value',
      (nm) =>
        `${nm.p(p)} is too large: more than ${INPUT_LIMITS.maxJsonValues} values (every key, item and leaf counts)`,
    );
  }
  return false;
}

/**
 * Copies a JSON-like value (null, boolean, string, finite number, array, plain object),
 * reporting anything else. `undefined` object values are dropped; prototype-polluting keys are
 * rejected; cycles, depth past `INPUT_LIMITS.maxJsonDepth` and more values than the
 * option's budget (`INPUT_LIMITS.maxJsonValues`) are reported, and nothing past the budget
 * is read (an array longer than what is left is not read at all).
 */
function jsonLike(path: Path, v: unknown, issues: Issues, stack: object[], budget: JsonBudget): unknown {
  if (!spend(budget, 1, issues)) return undefined;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      if (Number.isFinite(v)) return v + 0;
      issues.add(path, 'invalid_value', (n) => `${n.p(path)} must be a finite number (got ${describe(v)})`);
      return undefined;
    case 'object':
      break;
    default:
      issues.add(path, 'invalid_type', (n) => `${n.p(path)} must be JSON-like data (got ${describe(v)})`);
      return undefined;
  }
  if (v === null) return null;
  if (stack.includes(v)) {
    issues.add(path, 'invalid_value', (n) => `${n.p(path)} must not contain a reference to itself (cycle)`);
    return undefined;
  }
  if (stack.length >= INPUT_LIMITS.maxJsonDepth) {
    issues.add(
      path,
      'invalid_value',
      (n) => `${n.p(path)} is nested more than ${INPUT_LIMITS.maxJsonDepth} levels deep`,
    );
    return undefined;
  }
  stack.push(v);
  try {
    if (isArray(v)) {
      const list = readList(v, budget.left);
      if (list === undefined) {
        issues.add(path, 'invalid_value', (n) => `${n.p(path)} cannot be read: reading its length threw an error`);
        return undefined;
      }
      if (typeof list === 'number') {
        spend(budget, list, issues);
        return undefined;
      }
      const out: unknown[] = [];
      for (let i = 0; i < list.length && !budget.spent; i++) {
        const p = [...path, i];
        const item = list[i];
        if (item === undefined) {
          issues.add(p, 'invalid_type', (n) => `${n.p(p)} must be JSON-like data (got undefined)`);
          continue;
        }
        out.push(jsonLike(p, item, issues, stack, budget));
      }
      return out;
    }
    if (!isPlainObject(v)) {
      issues.add(path, 'invalid_type', (n) => `${n.p(path)} must be JSON-like data (got ${describe(v)})`);
      return undefined;
    }
    const out: Record<string, unknown> = {};
    const keys = mapKeys(path, v, issues, 'keys', { allowEmpty: true });
    if (!spend(budget, keys.length, issues)) return undefined;
    for (const k of keys) {
      if (budget.spent) break;
      const item = read(v, k);
      if (item === undefined) continue;
      const c = jsonLike([...path, k], item, issues, stack, budget);
      if (c !== undefined) out[k] = c;
    }
    return out;
  } finally {
    stack.pop();
  }
}

function runtimeEnv(v: unknown, issues: Issues): RuntimeEnv | undefined {
  const path: Path = ['runtimeEnv'];
  const obj = plainMap(path, v, issues, 'an object such as { envVars: { NAME: "value" } }');
  if (obj === undefined) return undefined;
  const before = issues.list.length;
  const out: RuntimeEnv = {};
  const budget = jsonBudget(path);
  for (const k of mapKeys(path, obj, issues, 'runtimeEnv fields')) {
    const p = [...path, k];
    const val = read(obj, k);
    if (k === 'env_vars' || k === 'working_dir') {
      const camel = k === 'env_vars' ? 'envVars' : 'workingDir';
      issues.add(p, 'unknown_option', (n) =>
        n.ray
          ? `${n.p(p)} is not a runtime_env field here`
          : `${n.p(p)} is Ray's spelling; did you mean ${n.p([...path, camel])}?`,
      );
      continue;
    }
    if (val === undefined) continue;
    if (k === 'envVars') {
      const ev = stringMap(
        p,
        val,
        issues,
        'environment variable name → string value',
        (name, kp) => {
          if (!name.includes('=') && !name.includes('\0')) return true;
          issues.add(
            kp,
            'invalid_value',
            (n) => `${n.p(kp)}: environment variable names must not contain '=' or NUL characters`,
          );
          return false;
        },
        (value, vp) => {
          if (!value.includes('\0')) return true;
          issues.add(
            vp,
            'invalid_value',
            (n) => `${n.p(vp)}: environment variable values must not contain NUL characters`,
          );
          return false;
        },
      );
      if (ev !== undefined) out.envVars = ev;
    } else if (k === 'workingDir') {
      const wd = nonEmptyString(p, val, issues);
      if (wd !== undefined) out.workingDir = wd;
    } else {
      const c = jsonLike(p, val, issues, [], budget);
      if (c !== undefined) out[k] = c;
    }
  }
  return issues.list.length === before ? out : undefined;
}

// ---------------------------------------------------------------------------------------
// retryExceptions

/** Whether `f` is a class whose prototype chain reaches `Error` (in any realm). */
export function isErrorClass(f: unknown): boolean {
  if (typeof f !== 'function') return false;
  try {
    let p: unknown = (f as { prototype?: unknown }).prototype;
    for (let i = 0; i < 100 && typeof p === 'object' && p !== null; i++) {
      if (p === Error.prototype) return true;
      const next: unknown = Object.getPrototypeOf(p);
      // Another realm's Error.prototype: directly above Object.prototype, with a constructor named
      // Error (only then is a name read: the user's own classes' names are read once, below).
      if (typeof next === 'object' && next !== null && Object.getPrototypeOf(next) === null) {
        const ctor = read(p as object, 'constructor');
        if (typeof ctor === 'function' && read(ctor, 'name') === 'Error') return true;
      }
      p = next;
    }
  } catch {
    return false;
  }
  return false;
}

function retryExceptions(v: unknown, issues: Issues): boolean | ErrorMatcher[] | undefined {
  const path: Path = ['retryExceptions'];
  const rule = 'true, false, or an array of error classes and error names';
  if (typeof v === 'boolean') return v;
  if (!isArray(v)) {
    issues.add(path, 'invalid_type', (n) => `${n.p(path)} must be ${rule} (got ${describe(v)})`);
    return undefined;
  }
  const list = readList(v, INPUT_LIMITS.maxListItems);
  if (!Array.isArray(list)) {
    issues.add(path, 'invalid_value', (n) =>
      list === undefined
        ? `${n.p(path)} cannot be read: reading its length threw an error`
        : `${n.p(path)} lists ${list} entries; at most ${INPUT_LIMITS.maxListItems} are allowed`,
    );
    return undefined;
  }
  const out: ErrorMatcher[] = [];
  const before = issues.list.length;
  list.forEach((item, i) => {
    const p = [...path, i];
    if (typeof item === 'string') {
      if (item.length > 0) out.push(item);
      else issues.add(p, 'invalid_value', (n) => `${n.p(p)}: error names must be non-empty strings (got "")`);
    } else if (isErrorClass(item)) {
      // A class's name is read once, at its first validation, and recorded: matching uses the
      // recorded name (a getter cannot change it later).
      if (recordedErrorClassName(item as object) !== undefined) {
        out.push(item as ErrorMatcher);
        return;
      }
      const name = read(item as object, 'name');
      if (typeof name === 'string' || name === undefined) {
        recordErrorClassName(item as object, name ?? '');
        out.push(item as ErrorMatcher);
      } else {
        issues.add(
          p,
          'invalid_value',
          (n) => `${n.p(p)} must be an error class whose name can be read as a string (its name is ${describe(name)})`,
        );
      }
    } else {
      issues.add(p, typeof item === 'function' ? 'invalid_value' : 'invalid_type', (n) =>
        typeof item === 'function'
          ? `${n.p(p)} must be an error class (its prototype chain must reach Error) or an error name (got a function that is not an Error class)`
          : `${n.p(p)} must be an error class or an error name (got ${describe(item)})`,
      );
    }
  });
  return issues.list.length === before ? out : undefined;
}

// ---------------------------------------------------------------------------------------
// schedulingStrategy

function strategyFields(
  path: Path,
  obj: Record<string, unknown>,
  allowed: readonly string[],
  issues: Issues,
): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  const { keys, symbols } = listKeys(obj, issues, path);
  if (symbols.length > 0) {
    issues.add(path, 'invalid_value', (n) => `${n.p(path)} must not have symbol keys`);
  }
  for (const k of keys) {
    const p = [...path, k];
    if (!allowed.includes(k)) {
      issues.add(p, 'unknown_option', (n) => {
        const names = allowed.map(
          (a) =>
            n
              .p([...path, a])
              .split('.')
              .pop() ?? a,
        );
        const guess = closest(k, names);
        return `${n.p(p)} is not a field of this scheduling strategy${guess !== undefined ? `; did you mean ${guess}?` : `; its fields are ${names.join(', ')}`}`;
      });
      continue;
    }
    const val = read(obj, k);
    if (val !== undefined) fields.set(k, val);
  }
  return fields;
}

/**
 * Strategy objects validation produced: frozen (deeply; a PlacementGroup handle aside, whose id
 * never changes), so they need no second check — `Cluster.schedule` takes them as they are.
 */
const VALIDATED_STRATEGIES = new WeakSet<object>();

function schedulingStrategy(v: unknown, issues: Issues): SchedulingStrategy | undefined {
  if (typeof v === 'object' && v !== null && VALIDATED_STRATEGIES.has(v)) return v as SchedulingStrategy;
  const out = checkStrategy(v, issues);
  if (typeof out === 'object') {
    freezeStrategy(out);
    VALIDATED_STRATEGIES.add(out);
  }
  return out;
}

function freezeStrategy(s: Exclude<SchedulingStrategy, string>): void {
  if (s.type === 'nodeLabel') {
    for (const side of [s.hard, own(s, 'soft')]) {
      if (side === undefined) continue;
      for (const e of Object.values(side)) {
        if (e.operator === 'in' || e.operator === 'notIn') Object.freeze(e.values);
        Object.freeze(e);
      }
      Object.freeze(side);
    }
  }
  Object.freeze(s);
}

function checkStrategy(v: unknown, issues: Issues): SchedulingStrategy | undefined {
  const path: Path = ['schedulingStrategy'];
  const valid = (n: Namer) =>
    `'DEFAULT', 'SPREAD', or an object whose type is ${orList(STRATEGY_TYPES.map((t) => `'${n.lit(t, STRATEGY_TYPES_SNAKE[t])}'`))}`;
  if (typeof v === 'string') {
    if ((STRATEGY_STRINGS as readonly string[]).includes(v)) return v as 'DEFAULT' | 'SPREAD';
    issues.add(path, 'invalid_value', (n) => {
      const upper = v.toUpperCase();
      const hint = (STRATEGY_STRINGS as readonly string[]).includes(upper) ? `; did you mean '${upper}'?` : '';
      return `${n.p(path)} must be ${valid(n)} (got ${describe(v)})${hint}`;
    });
    return undefined;
  }
  if (!isPlainObject(v)) {
    issues.add(path, 'invalid_type', (n) => `${n.p(path)} must be ${valid(n)} (got ${describe(v)})`);
    return undefined;
  }
  const type = read(v, 'type');
  const before = issues.list.length;
  switch (type) {
    case 'nodeAffinity': {
      const f = strategyFields(path, v, ['type', 'nodeId', 'soft', 'spillOnUnavailable', 'failOnUnavailable'], issues);
      const nodeId = requiredString(path, 'nodeId', f, issues);
      const soft = optionalBool(path, 'soft', f, issues);
      const spill = optionalBool(path, 'spillOnUnavailable', f, issues);
      const fail = optionalBool(path, 'failOnUnavailable', f, issues);
      if (spill === true && soft !== true) {
        const p = [...path, 'spillOnUnavailable'];
        issues.add(
          p,
          'conflict',
          (n) => `${n.p(p)} requires ${n.p([...path, 'soft'])}: true (a hard affinity never runs elsewhere)`,
        );
      }
      if (fail === true && soft === true) {
        const p = [...path, 'failOnUnavailable'];
        issues.add(
          p,
          'conflict',
          (n) =>
            `${n.p(p)} cannot be combined with ${n.p([...path, 'soft'])}: true (a soft affinity runs elsewhere instead of failing)`,
        );
      }
      if (issues.list.length !== before || nodeId === undefined) return undefined;
      const out: NodeAffinityStrategy = { type, nodeId };
      if (soft !== undefined) out.soft = soft;
      if (spill !== undefined) out.spillOnUnavailable = spill;
      if (fail !== undefined) out.failOnUnavailable = fail;
      return out;
    }
    case 'placementGroup': {
      const f = strategyFields(path, v, ['type', 'placementGroup', 'bundleIndex', 'captureChildTasks'], issues);
      const pgPath = [...path, 'placementGroup'];
      const pg = f.get('placementGroup');
      let ref: PlacementGroupRef | undefined;
      if (pg === undefined) {
        issues.add(
          pgPath,
          'invalid_type',
          (n) => `${n.p(pgPath)} is required: a placement group (an object with an id)`,
        );
      } else if (typeof pg !== 'object' || pg === null || isArray(pg)) {
        issues.add(
          pgPath,
          'invalid_type',
          (n) => `${n.p(pgPath)} must be a placement group (an object with an id) (got ${describe(pg)})`,
        );
      } else {
        const id = read(pg, 'id');
        const idPath = [...pgPath, 'id'];
        if (typeof id !== 'string') {
          issues.add(idPath, 'invalid_type', (n) => `${n.p(idPath)} must be a non-empty string (got ${describe(id)})`);
        } else if (id === '') {
          issues.add(idPath, 'invalid_value', (n) => `${n.p(idPath)} must be a non-empty string (got "")`);
        } else {
          // A PlacementGroup from Cluster.createPlacementGroup is kept (its id never changes); any
          // other handle is copied as { id }, read once here.
          ref = PlacementGroup.isPlacementGroup(pg) ? pg : Object.freeze({ id });
          if (isPlainObject(pg)) mapKeys(pgPath, pg, issues, 'placement group fields');
        }
      }
      const idx = f.get('bundleIndex');
      const bundleIndex =
        idx === undefined
          ? undefined
          : integer([...path, 'bundleIndex'], idx, issues, -1, 'an integer ≥ -1 (-1 = any bundle)');
      const capture = optionalBool(path, 'captureChildTasks', f, issues);
      if (issues.list.length !== before || ref === undefined) return undefined;
      const out: PlacementGroupStrategy = { type, placementGroup: ref };
      if (bundleIndex !== undefined) out.bundleIndex = bundleIndex;
      if (capture !== undefined) out.captureChildTasks = capture;
      return out;
    }
    case 'nodeLabel': {
      const f = strategyFields(path, v, ['type', 'hard', 'soft'], issues);
      const hard = labelExpressions(path, 'hard', f, issues, true);
      const soft = labelExpressions(path, 'soft', f, issues, false);
      if (
        hard !== undefined &&
        Object.keys(hard).length === 0 &&
        (soft === undefined || Object.keys(soft).length === 0)
      ) {
        const p = [...path, 'hard'];
        issues.add(p, 'invalid_value', (n) => `${n.p(p)} and ${n.p([...path, 'soft'])} cannot both be empty`);
      }
      if (issues.list.length !== before || hard === undefined) return undefined;
      const out: NodeLabelStrategy = { type, hard };
      if (soft !== undefined) out.soft = soft;
      return out;
    }
    default: {
      const p = [...path, 'type'];
      issues.add(p, type === undefined ? 'invalid_type' : 'invalid_value', (n) =>
        type === undefined
          ? `${n.p(p)} is required: ${orList(STRATEGY_TYPES.map((t) => `'${n.lit(t, STRATEGY_TYPES_SNAKE[t])}'`))}`
          : `${n.p(p)} must be ${orList(STRATEGY_TYPES.map((t) => `'${n.lit(t, STRATEGY_TYPES_SNAKE[t])}'`))} (got ${describe(type)})`,
      );
      return undefined;
    }
  }
}

/**
 * Validates a scheduling strategy on its own (what `Cluster.schedule` receives): the clean copy.
 * @throws {@link TaskOptionsError} with paths under `['schedulingStrategy', …]`.
 * @internal
 */
export function validateSchedulingStrategy(v: unknown): SchedulingStrategy {
  if (v === 'DEFAULT' || v === 'SPREAD' || (typeof v === 'object' && v !== null && VALIDATED_STRATEGIES.has(v))) {
    return v as SchedulingStrategy;
  }
  const issues = new Issues();
  const out = schedulingStrategy(v, issues);
  if (out === undefined || !issues.empty) throwIssues(issues.list, camelNamer);
  return out;
}

function requiredString(path: Path, key: string, f: Map<string, unknown>, issues: Issues): string | undefined {
  const p = [...path, key];
  const v = f.get(key);
  if (v === undefined) {
    issues.add(p, 'invalid_type', (n) => `${n.p(p)} is required: a non-empty string`);
    return undefined;
  }
  return nonEmptyString(p, v, issues);
}

function optionalBool(path: Path, key: string, f: Map<string, unknown>, issues: Issues): boolean | undefined {
  const v = f.get(key);
  return v === undefined ? undefined : bool([...path, key], v, issues);
}

function labelExpressions(
  path: Path,
  key: 'hard' | 'soft',
  f: Map<string, unknown>,
  issues: Issues,
  required: boolean,
): Record<string, LabelMatchExpression> | undefined {
  const p = [...path, key];
  const v = f.get(key);
  if (v === undefined) {
    if (required) {
      issues.add(p, 'invalid_type', (n) => `${n.p(p)} is required: an object of label key → match expression`);
    }
    return undefined;
  }
  const obj = plainMap(p, v, issues, 'an object of label key → match expression');
  if (obj === undefined) return undefined;
  const before = issues.list.length;
  const out: Record<string, LabelMatchExpression> = {};
  for (const label of mapKeys(p, obj, issues, 'label keys')) {
    const lp = [...p, label];
    if (!labelKey(label, lp, issues)) continue;
    const expr = labelExpression(lp, read(obj, label), issues);
    if (expr !== undefined) out[label] = expr;
  }
  return issues.list.length === before ? out : undefined;
}

function labelExpression(path: Path, v: unknown, issues: Issues): LabelMatchExpression | undefined {
  const ops = (n: Namer) => orList(LABEL_OPERATORS.map((o) => `'${n.lit(o, LABEL_OPERATORS_SNAKE[o])}'`));
  if (!isPlainObject(v)) {
    issues.add(
      path,
      'invalid_type',
      (n) => `${n.p(path)} must be a match expression { operator: ${ops(n)}, values? } (got ${describe(v)})`,
    );
    return undefined;
  }
  const op = read(v, 'operator');
  const opPath = [...path, 'operator'];
  if (typeof op !== 'string' || !(LABEL_OPERATORS as readonly string[]).includes(op)) {
    issues.add(
      opPath,
      typeof op === 'string' ? 'invalid_value' : 'invalid_type',
      (n) => `${n.p(opPath)} must be ${ops(n)} (got ${describe(op)})`,
    );
    return undefined;
  }
  const withValues = op === 'in' || op === 'notIn';
  const before = issues.list.length;
  const f = strategyFields(path, v, withValues ? ['operator', 'values'] : ['operator'], issues);
  if (!withValues) return issues.list.length === before ? { operator: op as 'exists' | 'doesNotExist' } : undefined;
  const vp = [...path, 'values'];
  const values = f.get('values');
  if (!isArray(values)) {
    issues.add(
      vp,
      'invalid_type',
      (n) => `${n.p(vp)} must be a non-empty array of label values (got ${describe(values)})`,
    );
    return undefined;
  }
  const list = readList(values, INPUT_LIMITS.maxListItems);
  if (!Array.isArray(list) || list.length === 0) {
    issues.add(vp, 'invalid_value', (n) =>
      list === undefined
        ? `${n.p(vp)} cannot be read: reading its length threw an error`
        : typeof list === 'number'
          ? `${n.p(vp)} lists ${list} values; at most ${INPUT_LIMITS.maxListItems} are allowed`
          : `${n.p(vp)} must be a non-empty array of label values (got [])`,
    );
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  for (let i = 0; i < list.length; i++) {
    const ip = [...vp, i];
    const item = list[i];
    if (typeof item !== 'string') {
      issues.add(ip, 'invalid_type', (n) => `${n.p(ip)} must be a label value string (got ${describe(item)})`);
      ok = false;
    } else if (!isLabelValue(item)) {
      issues.add(
        ip,
        'invalid_value',
        (n) =>
          `${n.p(ip)}: invalid label value ${describe(item)}; it must be 63 characters or less, begin and end with an alphanumeric character, with '-', '_', '.' and alphanumerics between`,
      );
      ok = false;
    } else {
      out.push(item);
    }
  }
  return ok ? { operator: op as 'in' | 'notIn', values: out } : undefined;
}

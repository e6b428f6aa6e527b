// runtimeEnv and _metadata: envVars (string → string), workingDir, and JSON-like data copied with
// caps on depth and size (INPUT_LIMITS.maxJsonDepth, maxJsonValues), cycles and
// prototype-polluting keys rejected.
import type { RuntimeEnv } from '../types.js';
import { own } from '../input.js';
import { INPUT_LIMITS } from '../limits.js';
import type { Issues, Path } from './internal.js';
import { isArray, isPlainObject, read, readList } from './internal.js';
import { RUNTIME_ENV_TO_CAMEL } from './names.js';
import { lengthUnreadable, mapKeys, mustBe, nonEmptyString, stringMap, userMap } from './validate-common.js';

/** `runtimeEnv`: `envVars`, `workingDir`, and any other field as JSON-like data. */
export function runtimeEnv(v: unknown, issues: Issues): RuntimeEnv | undefined {
  const path: Path = ['runtimeEnv'];
  const budget = jsonBudget(path);
  return userMap<unknown>(
    path,
    v,
    issues,
    'an object such as { envVars: { NAME: "value" } }',
    'runtimeEnv fields',
    (k, p, obj) => {
      const val = read(obj, k);
      const camel = own(RUNTIME_ENV_TO_CAMEL, k);
      if (camel !== undefined) {
        issues.add(p, 'unknown_option', (n) =>
          n.ray
            ? `${n.p(p)} is not a runtime_env field here`
            : `${n.p(p)} is Ray's spelling; did you mean ${n.p([...path, camel])}?`,
        );
        return undefined;
      }
      if (val === undefined) return undefined;
      if (k === 'envVars') return envVars(p, val, issues);
      if (k === 'workingDir') return nonEmptyString(p, val, issues);
      return jsonLike(p, val, issues, [], budget);
    },
  );
}

function envVars(path: Path, v: unknown, issues: Issues): Record<string, string> | undefined {
  return stringMap(
    path,
    v,
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
      issues.add(vp, 'invalid_value', (n) => `${n.p(vp)}: environment variable values must not contain NUL characters`);
      return false;
    },
  );
}

/** `_metadata`: namespace → settings object of JSON-like data. */
export function metadata(v: unknown, issues: Issues): Record<string, Record<string, unknown>> | undefined {
  const path: Path = ['_metadata'];
  const budget = jsonBudget(path);
  return userMap(path, v, issues, 'an object of namespace → settings object', 'namespaces', (ns, p, obj) => {
    const inner = read(obj, ns);
    if (inner === undefined) return undefined;
    if (!isPlainObject(inner)) {
      mustBe(issues, p, 'invalid_type', 'a settings object', inner);
      return undefined;
    }
    return jsonLike(p, inner, issues, [], budget) as Record<string, unknown> | undefined;
  });
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
      mustBe(issues, path, 'invalid_value', 'a finite number', v);
      return undefined;
    case 'object':
      break;
    default:
      mustBe(issues, path, 'invalid_type', 'JSON-like data', v);
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
        issues.add(path, 'invalid_value', (n) => lengthUnreadable(n, path));
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
          mustBe(issues, p, 'invalid_type', 'JSON-like data', item);
          continue;
        }
        out.push(jsonLike(p, item, issues, stack, budget));
      }
      return out;
    }
    if (!isPlainObject(v)) {
      mustBe(issues, path, 'invalid_type', 'JSON-like data', v);
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

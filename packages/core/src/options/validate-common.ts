// Building blocks of validateTaskOptions shared by the options' checks: scalars, user maps, and the
// fields of a fixed-shape object. Each reports what it rejects to `issues` and returns the clean
// value, or undefined when it found a problem.
import type { Issues, Path } from './internal.js';
import { closest, describe, isPlainObject, listKeys, read } from './internal.js';
import { FORBIDDEN_KEYS } from '../resources/demand.js';

export function integer(path: Path, v: unknown, issues: Issues, min: number, rule: string): number | undefined {
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

export function bool(path: Path, v: unknown, issues: Issues): boolean | undefined {
  if (typeof v !== 'boolean') {
    issues.add(path, 'invalid_type', (n) => `${n.p(path)} must be a boolean (got ${describe(v)})`);
    return undefined;
  }
  return v;
}

export function nonEmptyString(path: Path, v: unknown, issues: Issues): string | undefined {
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

/** Checks the keys of a user map; returns the keys that may be used. */
export function mapKeys(
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

export function plainMap(path: Path, v: unknown, issues: Issues, shape: string): Record<string, unknown> | undefined {
  if (!isPlainObject(v)) {
    issues.add(path, 'invalid_type', (n) => `${n.p(path)} must be ${shape} (got ${describe(v)})`);
    return undefined;
  }
  return v;
}

export function stringMap(
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

export function strategyFields(
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

// Building blocks of validateTaskOptions shared by the options' checks: scalars, user maps, lists,
// and the fields of a fixed-shape object. Each reports what it rejects to `issues` and returns the
// clean value, or undefined when it found a problem.
import type { TaskOptionsIssueCode } from '../errors.js';
import { FORBIDDEN_KEYS } from '../resources/demand.js';
import { INPUT_LIMITS } from '../limits.js';
import type { Issues, Namer, Path } from './internal.js';
import { closest, describe, isPlainObject, listKeys, read, readList } from './internal.js';

/** Reports `<path> must be <rule> (got <v>)`, the shape of most messages. */
export function mustBe(
  issues: Issues,
  path: Path,
  code: TaskOptionsIssueCode,
  rule: string | ((n: Namer) => string),
  v: unknown,
): void {
  issues.add(
    path,
    code,
    (n) => `${n.p(path)} must be ${typeof rule === 'string' ? rule : rule(n)} (got ${describe(v)})`,
  );
}

/** A safe integer ≥ `min`; `rule` says so in the message. */
export function integer(path: Path, v: unknown, issues: Issues, min: number, rule: string): number | undefined {
  if (typeof v !== 'number') {
    mustBe(issues, path, 'invalid_type', rule, v);
    return undefined;
  }
  if (!Number.isSafeInteger(v) || v < min) {
    mustBe(issues, path, 'invalid_value', rule, v);
    return undefined;
  }
  return v + 0;
}

export function bool(path: Path, v: unknown, issues: Issues): boolean | undefined {
  if (typeof v !== 'boolean') {
    mustBe(issues, path, 'invalid_type', 'a boolean', v);
    return undefined;
  }
  return v;
}

export function nonEmptyString(path: Path, v: unknown, issues: Issues): string | undefined {
  if (typeof v !== 'string') {
    mustBe(issues, path, 'invalid_type', 'a non-empty string', v);
    return undefined;
  }
  if (v.length === 0) {
    mustBe(issues, path, 'invalid_value', 'a non-empty string', v);
    return undefined;
  }
  return v;
}

/**
 * The items of a user array (each read once; see `readList`), or undefined after reporting at
 * `path` an array whose length cannot be read or that lists more than `INPUT_LIMITS.maxListItems`
 * `items` (a plural noun: "entries", "values").
 */
export function listItems(path: Path, v: unknown[], issues: Issues, items: string): unknown[] | undefined {
  const list = readList(v, INPUT_LIMITS.maxListItems);
  if (Array.isArray(list)) return list;
  issues.add(path, 'invalid_value', (n) =>
    list === undefined
      ? lengthUnreadable(n, path)
      : `${n.p(path)} lists ${list} ${items}; at most ${INPUT_LIMITS.maxListItems} are allowed`,
  );
  return undefined;
}

/** The message for an array whose length cannot be read (a throwing getter or proxy trap). */
export function lengthUnreadable(n: Namer, path: Path): string {
  return `${n.p(path)} cannot be read: reading its length threw an error`;
}

// ---------------------------------------------------------------------------------------
// User maps

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

function plainMap(path: Path, v: unknown, issues: Issues, shape: string): Record<string, unknown> | undefined {
  if (!isPlainObject(v)) {
    mustBe(issues, path, 'invalid_type', shape, v);
    return undefined;
  }
  return v;
}

/**
 * Checks a user map, all or nothing: a plain object (else `path` must be `shape`) whose usable
 * keys (`mapKeys`, naming them `what`) each go through `entry`, which reads the value itself (so a
 * key rejected by its name is never read) and returns the clean value, or undefined to leave the
 * key out. The clean copy, or undefined when any issue was found in the map.
 */
export function userMap<T>(
  path: Path,
  v: unknown,
  issues: Issues,
  shape: string,
  what: string,
  entry: (k: string, p: Path, obj: Record<string, unknown>) => T | undefined,
): Record<string, T> | undefined {
  const obj = plainMap(path, v, issues, shape);
  if (obj === undefined) return undefined;
  const before = issues.list.length;
  const out: Record<string, T> = {};
  for (const k of mapKeys(path, obj, issues, what)) {
    const c = entry(k, [...path, k], obj);
    if (c !== undefined) out[k] = c;
  }
  return issues.list.length === before ? out : undefined;
}

/** A user map of string → string; `checkKey` and `checkValue` report what they reject. */
export function stringMap(
  path: Path,
  v: unknown,
  issues: Issues,
  what: string,
  checkKey: (k: string, p: Path) => boolean,
  checkValue: (val: string, p: Path) => boolean,
): Record<string, string> | undefined {
  return userMap(path, v, issues, `an object of ${what}`, 'keys', (k, p, obj) => {
    if (!checkKey(k, p)) return undefined;
    const val = read(obj, k);
    if (typeof val !== 'string') {
      mustBe(issues, p, 'invalid_type', 'a string', val);
      return undefined;
    }
    return checkValue(val, p) ? val : undefined;
  });
}

// ---------------------------------------------------------------------------------------
// Fixed-shape objects (scheduling strategies, label match expressions)

/**
 * The fields of a fixed-shape object that are set (not `undefined`); a field not in `allowed` is
 * `unknown_option`, with the nearest allowed field suggested.
 */
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

// Reading user input at core's boundary: own properties only, each value read once, and nothing
// a hostile value does (a throwing getter, a proxy trap, a revoked proxy) escapes as a raw error.
// Internal objects are read through `own` so that a polluted Object.prototype is never seen.
import { TaskOptionsError, formatPath, type TaskOptionsIssue, type TaskOptionsIssueCode } from './errors.js';
import { INPUT_LIMITS } from './limits.js';

/** A path from the root of an input, e.g. `['bundles', 2, 'GPU']`. */
export type Path = (string | number)[];

// Captured at load, so that later changes to Object.prototype cannot change what they do.
const hasOwnProperty = Object.prototype.hasOwnProperty;
const propertyIsEnumerable = Object.prototype.propertyIsEnumerable;

/** Whether `o` has an own property `k` (for objects core built or already validated). */
export function hasOwn(o: object, k: PropertyKey): boolean {
  return hasOwnProperty.call(o, k);
}

/** `o[k]` when it is an own property, else `undefined`: an inherited (polluted) key is never read. */
export function own<T extends object, K extends keyof T>(o: T, k: K): T[K] | undefined {
  return hasOwnProperty.call(o, k) ? o[k] : undefined;
}

/** What {@link read} returns for a value whose getter or proxy trap threw. */
export const UNREADABLE: unique symbol = Symbol('unreadable');

/** Reads an own property of user input once; `undefined` when absent, {@link UNREADABLE} when reading threw. */
export function read(obj: object, key: string): unknown {
  try {
    return hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
  } catch {
    return UNREADABLE;
  }
}

/** `Array.isArray` that answers false for a value it cannot inspect (a revoked proxy). */
export function isArray(v: unknown): v is unknown[] {
  try {
    return Array.isArray(v);
  } catch {
    return false;
  }
}

/** A plain object: `{}` literal, `Object.create(null)`, or a plain object from another realm. Never throws. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  try {
    if (Array.isArray(v)) return false;
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto === null || proto === Object.prototype) return true;
    // Another realm's Object.prototype: its own prototype is null and its own constructor is named Object.
    if (typeof proto !== 'object' || Object.getPrototypeOf(proto) !== null) return false;
    const ctor = read(proto, 'constructor');
    return typeof ctor === 'function' && read(ctor, 'name') === 'Object';
  } catch {
    return false;
  }
}

/** Own enumerable keys (strings, then symbols), never throwing; `failed` when a proxy trap threw. */
export function ownKeys(obj: object): { keys: string[]; symbols: symbol[]; failed: boolean } {
  try {
    const keys = Object.keys(obj);
    const symbols = Object.getOwnPropertySymbols(obj).filter((s) => propertyIsEnumerable.call(obj, s));
    return { keys, symbols, failed: false };
  } catch {
    return { keys: [], symbols: [], failed: true };
  }
}

/**
 * The items of a user array, each read once (holes as `undefined`, unreadable items as
 * {@link UNREADABLE}); its length (a number) when it has more than `max` items, and nothing else
 * is read; `undefined` when its length cannot be read.
 */
export function readList(v: unknown[], max: number): unknown[] | number | undefined {
  let len: unknown;
  try {
    len = v.length;
  } catch {
    return undefined;
  }
  if (typeof len !== 'number' || !Number.isSafeInteger(len) || len < 0) return undefined;
  if (len > max) return len;
  const items: unknown[] = [];
  for (let i = 0; i < len; i++) items.push(read(v, String(i)));
  return items;
}

/** Short, safe description of a value for error messages (never throws, never prints a whole value). */
export function describe(v: unknown): string {
  if (v === UNREADABLE) return 'a value whose getter threw';
  switch (typeof v) {
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'string':
      return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
    case 'boolean':
    case 'undefined':
      return String(v);
    case 'bigint':
      return `a bigint (${v}n)`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      if (v === null) return 'null';
      try {
        if (Array.isArray(v)) return 'an array';
      } catch {
        return 'an unreadable object (a revoked proxy)';
      }
      if (isPlainObject(v)) return 'an object';
      try {
        const name = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
        return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object';
      } catch {
        return 'an object';
      }
  }
}

function issue(path: Path, code: TaskOptionsIssueCode, message: string): TaskOptionsIssue {
  return { path, code, message };
}

const at = formatPath;

/**
 * Snapshot of a user map (resource totals, a demand, labels): its own enumerable string keys and
 * their values (`values[i]` is `keys[i]`'s), each read once. Throws a `TaskOptionsError` at `path`
 * for a non-object, an object whose keys cannot be listed, more than `INPUT_LIMITS.maxKeys` keys,
 * or a value whose getter throws.
 */
export function readMap(value: unknown, path: Path, what: string): { keys: string[]; values: unknown[] } {
  if (typeof value !== 'object' || value === null || isArray(value)) {
    throw new TaskOptionsError([issue(path, 'invalid_type', `${at(path)} must be ${what}, got ${describe(value)}`)]);
  }
  let keys: string[];
  try {
    keys = Object.keys(value); // symbol keys are not resource names or labels: never read
  } catch {
    throw new TaskOptionsError([
      issue(path, 'invalid_value', `${at(path)} cannot be read: listing its keys threw an error`),
    ]);
  }
  if (keys.length > INPUT_LIMITS.maxKeys) {
    throw new TaskOptionsError([
      issue(path, 'invalid_value', `${at(path)} has ${keys.length} keys; at most ${INPUT_LIMITS.maxKeys} are allowed`),
    ]);
  }
  const values = new Array<unknown>(keys.length);
  let bad: TaskOptionsIssue[] | undefined;
  for (let i = 0; i < keys.length; i++) {
    const v = read(value, keys[i]!);
    if (v === UNREADABLE) {
      const p = [...path, keys[i]!];
      (bad ??= []).push(issue(p, 'invalid_value', `${at(p)} cannot be read: its getter threw`));
    }
    values[i] = v;
  }
  if (bad !== undefined) throw new TaskOptionsError(bad);
  return { keys, values };
}

/** {@link readMap} as `[key, value]` pairs. */
export function entriesOf(value: unknown, path: Path, what: string): [string, unknown][] {
  const { keys, values } = readMap(value, path, what);
  return keys.map((k, i) => [k, values[i]]);
}

/**
 * Snapshot of an options bag: the listed own fields, each read once, in an object without a
 * prototype (so an absent field reads `undefined` whatever Object.prototype holds). `null` or
 * `undefined` gives an empty snapshot. Throws a `TaskOptionsError` at `[...path, field]` for a
 * field whose getter throws.
 */
export function fieldsOf<K extends string>(
  obj: unknown,
  fields: readonly K[],
  path: Path,
): Partial<Record<K, unknown>> {
  const out = Object.create(null) as Partial<Record<K, unknown>>;
  if (typeof obj !== 'object' || obj === null) return out;
  const bad: TaskOptionsIssue[] = [];
  for (const f of fields) {
    const v = read(obj, f);
    if (v === UNREADABLE)
      bad.push(issue([...path, f], 'invalid_value', `${at([...path, f])} cannot be read: its getter threw`));
    else if (v !== undefined) out[f] = v;
  }
  if (bad.length > 0) throw new TaskOptionsError(bad);
  return out;
}

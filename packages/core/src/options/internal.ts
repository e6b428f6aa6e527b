// Internal helpers shared by the options modules. Nothing here is public.
import type { TaskOptionsIssueCode } from '../errors.js';
import { TaskOptionsError, formatPath } from '../errors.js';

/** A path into the options object. */
export type Path = (string | number)[];

/**
 * How issue messages name options: taskfit's camelCase (`validateTaskOptions`) or Ray's
 * snake_case (`fromRayOptions`). `p` formats a camelCase path in the current spelling.
 */
export interface Namer {
  readonly ray: boolean;
  p(path: readonly (string | number)[]): string;
  /** A literal value that differs between spellings (e.g. `'nodeAffinity'` / `'node_affinity'`). */
  lit(camel: string, snake: string): string;
}

/** An issue whose message is rendered once the spelling is known. */
export interface PendingIssue {
  readonly path: Path;
  readonly code: TaskOptionsIssueCode;
  readonly text: (n: Namer) => string;
}

export const camelNamer: Namer = {
  ray: false,
  p: (path) => formatPath(path),
  lit: (camel) => camel,
};

/** Collects issues while a value is checked. */
export class Issues {
  readonly list: PendingIssue[] = [];
  add(path: Path, code: TaskOptionsIssueCode, text: (n: Namer) => string): void {
    this.list.push({ path: [...path], code, text });
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
}

/** Renders pending issues and throws them as one `TaskOptionsError`. */
export function throwIssues(
  pending: readonly PendingIssue[],
  namer: Namer,
  mapPath: (p: Path) => Path = (p) => p,
): never {
  throw new TaskOptionsError(pending.map((i) => ({ path: mapPath(i.path), code: i.code, message: i.text(namer) })));
}

/** Sets an own data property, even for keys like `__proto__` (which plain assignment would turn into a prototype change). */
export function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A plain object: `{}` literal, `Object.create(null)`, or a plain object from another realm. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  let proto: unknown;
  try {
    proto = Object.getPrototypeOf(v);
  } catch {
    return false;
  }
  if (proto === null || proto === Object.prototype) return true;
  // Another realm's Object.prototype: its own prototype is null and it has a constructor named Object.
  try {
    return (
      Object.getPrototypeOf(proto) === null &&
      typeof (proto as { constructor?: unknown }).constructor === 'function' &&
      (proto as { constructor: { name?: unknown } }).constructor.name === 'Object'
    );
  } catch {
    return false;
  }
}

/** Own enumerable keys (strings then symbols), never throwing; `failed` when a proxy trap threw. */
export function ownKeys(obj: object): { keys: string[]; symbols: symbol[]; failed: boolean } {
  try {
    const keys = Object.keys(obj);
    const symbols = Object.getOwnPropertySymbols(obj).filter((s) => Object.prototype.propertyIsEnumerable.call(obj, s));
    return { keys, symbols, failed: false };
  } catch {
    return { keys: [], symbols: [], failed: true };
  }
}

/** Reports an object whose keys cannot be listed (a proxy whose trap threw). */
export function unreadable(issues: Issues, path: Path): void {
  issues.add(path, 'invalid_value', (n) => `${n.p(path)} cannot be read: listing its keys threw an error`);
}

/** Own enumerable keys of `obj`; an object whose keys cannot be listed is reported at `path`. */
export function listKeys(obj: object, issues: Issues, path: Path): { keys: string[]; symbols: symbol[] } {
  const { keys, symbols, failed } = ownKeys(obj);
  if (failed) unreadable(issues, path);
  return { keys, symbols };
}

/** Keys of a root options object; symbol keys are reported as unknown options. */
export function optionKeys(obj: object, issues: Issues): string[] {
  const { keys, symbols } = listKeys(obj, issues, []);
  for (const s of symbols) {
    const label = s.toString();
    issues.add([label], 'unknown_option', () => `${label} is not a task option (symbol keys are not allowed)`);
  }
  return keys;
}

/** Reads an own property, turning a throwing getter or proxy trap into a sentinel. */
export const UNREADABLE: unique symbol = Symbol('unreadable');
export function read(obj: object, key: string): unknown {
  try {
    return (obj as Record<string, unknown>)[key];
  } catch {
    return UNREADABLE;
  }
}

/** Short, safe description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === UNREADABLE) return 'a value whose getter threw';
  switch (typeof v) {
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'string': {
      const s = JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
      return s;
    }
    case 'boolean':
      return String(v);
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return `a bigint (${v}n)`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      if (v === null) return 'null';
      if (Array.isArray(v)) return 'an array';
      if (isPlainObject(v)) return 'an object';
      try {
        const name = (Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
        return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object';
      } catch {
        return 'an object';
      }
  }
}

/** `'a', 'b' or 'c'` */
export function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** Edit distance with adjacent transpositions (optimal string alignment); small strings only. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(a.length, b.length);
}

/** The closest candidate within a small edit distance (case and `_`/`-` insensitive first). */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  const n = norm(input);
  const exact = candidates.find((c) => norm(c) === n);
  if (exact !== undefined) return exact;
  const limit = input.length <= 4 ? 1 : input.length <= 7 ? 2 : 3;
  if (input.length > 64) return undefined;
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(n, norm(c));
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= limit ? best : undefined;
}

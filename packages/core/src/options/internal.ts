// Internal helpers shared by the options modules. Nothing here is public.
import type { TaskOptionsIssueCode } from '../errors.js';
import { TaskOptionsError, formatPath } from '../errors.js';
import { ownKeys, type Path } from '../input.js';
import { INPUT_LIMITS } from '../limits.js';

export type { Path } from '../input.js';
export { UNREADABLE, describe, isArray, isPlainObject, ownKeys, read, readList } from '../input.js';

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

/**
 * Collects issues while a value is checked. Past `INPUT_LIMITS.maxIssues` issues only a
 * count is kept (checks compare `list.length` before and after, so it keeps growing: the extra
 * entries share one placeholder), and the rendered error ends with one issue saying how many
 * more there were. So a hostile input with a million bad entries costs a million counts, not a
 * million messages.
 */
export class Issues {
  readonly list: PendingIssue[] = [];
  add(path: Path, code: TaskOptionsIssueCode, text: (n: Namer) => string): void {
    this.list.push(
      this.list.length < INPUT_LIMITS.maxIssues ? { path: [...path], code, text } : { path: [], code, text: untold },
    );
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
}

/** The text of an issue past the cap: counted, never rendered (found by identity, even in copies). */
const untold = (): string => '';

/** Renders pending issues (at most `INPUT_LIMITS.maxIssues`, then a count) and throws them as one `TaskOptionsError`. */
export function throwIssues(
  pending: readonly PendingIssue[],
  namer: Namer,
  mapPath: (p: Path) => Path = (p) => p,
): never {
  const issues = pending
    .filter((i) => i.text !== untold)
    .slice(0, INPUT_LIMITS.maxIssues)
    .map((i) => ({ path: mapPath(i.path), code: i.code, message: i.text(namer) }));
  const more = pending.length - issues.length;
  if (more > 0) {
    issues.push({
      path: [],
      code: 'invalid_value',
      message: `... and ${more} more problem${more === 1 ? '' : 's'} (only the first ${INPUT_LIMITS.maxIssues} are listed)`,
    });
  }
  throw new TaskOptionsError(issues);
}

/** Sets an own data property, even for keys like `__proto__` (which plain assignment would turn into a prototype change). */
export function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Reports an object whose keys cannot be listed (a proxy whose trap threw). */
export function unreadable(issues: Issues, path: Path): void {
  issues.add(path, 'invalid_value', (n) => `${n.p(path)} cannot be read: listing its keys threw an error`);
}

/**
 * Own enumerable keys of `obj`. An object whose keys cannot be listed, or that has more than
 * `INPUT_LIMITS.maxKeys` keys, is reported at `path` and read as empty (so nothing is done
 * per key of an absurdly large object).
 */
export function listKeys(obj: object, issues: Issues, path: Path): { keys: string[]; symbols: symbol[] } {
  const { keys, symbols, failed } = ownKeys(obj);
  if (failed) unreadable(issues, path);
  const count = keys.length + symbols.length;
  if (count > INPUT_LIMITS.maxKeys) {
    issues.add(
      path,
      'invalid_value',
      (n) => `${n.p(path)} has ${count} keys; at most ${INPUT_LIMITS.maxKeys} are allowed`,
    );
    return { keys: [], symbols: [] };
  }
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

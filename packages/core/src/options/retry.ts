// Which application errors may be retried (retryExceptions).
import { hasOwn, isArray, read as readOwn, readList } from '../input.js';
import { INPUT_LIMITS } from '../limits.js';
import type { ErrorMatcher } from '../types.js';

/** An error that lost its class crossing a thread or process boundary (e.g. a `TaskError`). */
export interface SerializedErrorLike {
  readonly name?: string;
  readonly typeChain?: readonly string[];
}

const PRIMITIVE_NAMES: Readonly<Record<string, string>> = {
  string: 'String',
  number: 'Number',
  boolean: 'Boolean',
  bigint: 'BigInt',
  symbol: 'Symbol',
  undefined: 'Undefined',
  function: 'Function',
};

/**
 * The constructor names along `err`'s prototype chain, most derived first and without
 * `Object`: `new HttpError()` → `['HttpError', 'Error']`. When the error's `name` differs
 * from its class name (e.g. a reconstructed error whose name was restored) it comes first.
 * Non-objects give their type: `'oops'` → `['String']`, `null` → `['Null']`; a plain
 * object gives `['Object']`.
 */
export function errorTypeChain(err: unknown): string[] {
  if (err === null) return ['Null'];
  if (typeof err !== 'object' && typeof err !== 'function') return [PRIMITIVE_NAMES[typeof err] ?? 'Unknown'];
  const chain: string[] = [];
  try {
    let p: unknown = Object.getPrototypeOf(err);
    for (let i = 0; i < 100 && typeof p === 'object' && p !== null; i++) {
      const next: unknown = Object.getPrototypeOf(p);
      if (next === null) break; // Object.prototype (of any realm)
      const ctor = hasOwn(p as object, 'constructor') ? (p as { constructor?: unknown }).constructor : undefined;
      if (
        typeof ctor === 'function' &&
        typeof ctor.name === 'string' &&
        ctor.name !== '' &&
        !chain.includes(ctor.name)
      ) {
        chain.push(ctor.name);
      }
      p = next;
    }
    const name: unknown = (err as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '' && !chain.includes(name) && chain.length > 0) chain.unshift(name);
  } catch {
    // A hostile proxy: fall through with what we have.
  }
  return chain.length > 0 ? chain : [typeof err === 'function' ? 'Function' : 'Object'];
}

function chainOf(error: unknown): string[] {
  if (typeof error === 'object' && error !== null) {
    try {
      const tc = readOwn(error, 'typeChain');
      if (Array.isArray(tc) && tc.every((t) => typeof t === 'string')) {
        const name: unknown = (error as SerializedErrorLike).name;
        // A TaskError's own name ('TaskError') is the wrapper's, not the thrown error's.
        const own = error instanceof Error ? [] : typeof name === 'string' && name !== '' ? [name] : [];
        return [...own, ...(tc as string[])];
      }
      if (!(error instanceof Error) && Object.getPrototypeOf(error) === Object.prototype) {
        const name: unknown = (error as SerializedErrorLike).name;
        if (typeof name === 'string' && name !== '') return [name];
      }
    } catch {
      return errorTypeChain(error);
    }
  }
  return errorTypeChain(error);
}

/** What matching needs of one `retryExceptions` entry, read once. */
interface Matcher {
  /** The class (for `instanceof`), when the entry is one. */
  readonly cls: ErrorMatcher | undefined;
  /** The error name to look for in the error's type chain ('' for an anonymous class). */
  readonly name: string;
}

/** Error class → its name, as read at the class's first validation. */
const CLASS_NAMES = new WeakMap<object, string>();

/** The name a validation recorded for an error class, if any. @internal */
export function recordedErrorClassName(cls: object): string | undefined {
  return CLASS_NAMES.get(cls);
}

/** Records the name a validation read for a class (the first reading wins). @internal */
export function recordErrorClassName(cls: object, name: string): void {
  if (!CLASS_NAMES.has(cls)) CLASS_NAMES.set(cls, name);
}

/**
 * The entries of a list, each read once and safely (non-entries skipped); a class by the name
 * recorded at its first validation, else (a list that was never validated) by its own `name`
 * read now ('' when missing, not a string or unreadable).
 */
function matchersOf(list: unknown): readonly Matcher[] {
  if (!isArray(list)) return [];
  const items = readList(list, INPUT_LIMITS.maxListItems);
  if (!Array.isArray(items)) return [];
  const out: Matcher[] = [];
  for (const m of items) {
    if (typeof m === 'string') out.push({ cls: undefined, name: m });
    else if (typeof m === 'function') {
      let name = CLASS_NAMES.get(m);
      if (name === undefined) {
        const read = readOwn(m, 'name');
        name = typeof read === 'string' ? read : '';
      }
      out.push({ cls: m as ErrorMatcher, name });
    }
  }
  return out;
}

/**
 * Whether an application error may be retried under `retryExceptions`: `true` retries
 * every error, `false`/`undefined`/`[]` none; a list retries an error when it contains a
 * class the error is an instance of, or a class or name equal to any name in the error's
 * prototype chain ({@link errorTypeChain}). Also accepts a serialized error-like
 * `{ name?, typeChain? }` (such as a `TaskError`, whose `typeChain` is the thrown error's),
 * since classes do not survive thread or process boundaries.
 *
 * Total: it never throws, whatever the error or the list holds. A class's name is the one
 * validation read (each class's name is read once, at its first validation, and recorded), so
 * a `name` getter that throws or changes later cannot change the answer; a class whose
 * `instanceof` check throws matches by name only.
 */
export function matchesRetryExceptions(
  retryExceptions: boolean | readonly ErrorMatcher[] | undefined,
  error: unknown,
): boolean {
  if (retryExceptions === true) return true;
  if (typeof retryExceptions !== 'object' || retryExceptions === null) return false;
  try {
    const matchers = matchersOf(retryExceptions);
    if (matchers.length === 0) return false;
    const chain = chainOf(error);
    for (const m of matchers) {
      if (m.name !== '' && chain.includes(m.name)) return true;
      if (m.cls !== undefined && typeof m.cls !== 'string') {
        try {
          if (error instanceof m.cls) return true;
        } catch {
          // a class with a hostile Symbol.hasInstance, or a hostile error: its name decided above
        }
      }
    }
  } catch {
    // nothing a hostile list or error does turns into an exception on the failure path
  }
  return false;
}

/**
 * The error names of a `retryExceptions` value, as validation read them (a class gives its name;
 * an anonymous class, which only `instanceof` can match, is left out): what travels to a process
 * where classes do not exist. `true`/`false` are returned as they are (`undefined` gives `false`).
 * Never throws.
 */
export function retryExceptionNames(
  retryExceptions: boolean | readonly ErrorMatcher[] | undefined,
): boolean | string[] {
  if (typeof retryExceptions === 'boolean') return retryExceptions;
  if (typeof retryExceptions !== 'object' || retryExceptions === null) return false;
  try {
    return matchersOf(retryExceptions)
      .map((m) => m.name)
      .filter((n) => n !== '');
  } catch {
    return [];
  }
}

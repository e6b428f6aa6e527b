// Which application errors may be retried (retryExceptions).
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
      const ctor = Object.prototype.hasOwnProperty.call(p, 'constructor')
        ? (p as { constructor?: unknown }).constructor
        : undefined;
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
      const tc: unknown = (error as SerializedErrorLike).typeChain;
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

/**
 * Whether an application error may be retried under `retryExceptions`: `true` retries
 * every error, `false`/`undefined`/`[]` none; a list retries an error when it contains a
 * class the error is an instance of, or a class or name equal to any name in the error's
 * prototype chain ({@link errorTypeChain}). Also accepts a serialized error-like
 * `{ name?, typeChain? }` (such as a `TaskError`, whose `typeChain` is the thrown error's),
 * since classes do not survive thread or process boundaries.
 */
export function matchesRetryExceptions(
  retryExceptions: boolean | readonly ErrorMatcher[] | undefined,
  error: unknown,
): boolean {
  if (retryExceptions === true) return true;
  if (retryExceptions === false || retryExceptions === undefined || retryExceptions.length === 0) return false;
  const chain = chainOf(error);
  for (const m of retryExceptions) {
    if (typeof m === 'string') {
      if (chain.includes(m)) return true;
    } else {
      try {
        if (error instanceof m) return true;
      } catch {
        // a class with a hostile Symbol.hasInstance: fall back to the name
      }
      if (m.name !== '' && chain.includes(m.name)) return true;
    }
  }
  return false;
}

// retryExceptions: true, false, or a list of Error classes (from any realm) and error names. A
// class's name is read once, here, and recorded for matching (retry.ts).
import type { ErrorMatcher } from '../types.js';
import type { Issues, Path } from './internal.js';
import { describe, isArray, read } from './internal.js';
import { recordErrorClassName, recordedErrorClassName } from './retry.js';
import { listItems, mustBe } from './validate-common.js';

/** Whether `f` is a class whose prototype chain reaches `Error` (in any realm). */
function isErrorClass(f: unknown): boolean {
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

export function retryExceptions(v: unknown, issues: Issues): boolean | ErrorMatcher[] | undefined {
  const path: Path = ['retryExceptions'];
  if (typeof v === 'boolean') return v;
  if (!isArray(v)) {
    mustBe(issues, path, 'invalid_type', 'true, false, or an array of error classes and error names', v);
    return undefined;
  }
  const list = listItems(path, v, issues, 'entries');
  if (list === undefined) return undefined;
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

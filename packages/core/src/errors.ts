/**
 * Errors raised by `@taskfit/core`. Errors are data: every issue carries a stable `code`
 * and the `path` of the offending option, so callers can branch on them and tools can
 * point at the exact field.
 */

/** Stable issue codes of {@link TaskOptionsError}. */
export type TaskOptionsIssueCode = 'invalid_type' | 'invalid_value' | 'unknown_option' | 'not_overridable' | 'conflict';

/** One problem found in a task-options object. */
export interface TaskOptionsIssue {
  /** Where the problem is, from the options root, e.g. `['resources', 'GPU']`. */
  readonly path: readonly (string | number)[];
  readonly code: TaskOptionsIssueCode;
  /** Names the option and the rule it broke. */
  readonly message: string;
}

const BRAND = Symbol.for('taskfit.TaskOptionsError');

/** Formats a path the way users write it: `resources.GPU`, `bundles[2].CPU`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(options)' : out;
}

/**
 * Thrown when task options are invalid. Validation reports every issue at once;
 * `code` and `path` are the first issue's. `instanceof` works across realms
 * (worker threads, VM contexts) through a `Symbol.for` brand.
 */
export class TaskOptionsError extends Error {
  override readonly name = 'TaskOptionsError';
  readonly issues: readonly TaskOptionsIssue[];
  readonly code: TaskOptionsIssueCode;
  readonly path: readonly (string | number)[];

  constructor(issues: readonly TaskOptionsIssue[]) {
    const first = issues[0];
    if (first === undefined) throw new RangeError('TaskOptionsError needs at least one issue');
    super(
      issues.length === 1
        ? first.message
        : `${issues.length} problems in task options:\n${issues.map((i) => `  - ${i.message}`).join('\n')}`,
    );
    this.issues = issues;
    this.code = first.code;
    this.path = first.path;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

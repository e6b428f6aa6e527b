// Shared by the validation tests (validate*.test.ts): reading the issues of a rejected input, and
// one test per row of a table of rejected or accepted inputs.
import { expect, it } from 'vitest';
import { TaskOptionsError } from '../../errors.js';
import type { TaskOptionsIssue, TaskOptionsIssueCode } from '../../errors.js';
import { validateTaskOptions } from '../validate.js';

type Path = (string | number)[];

/** [description, input, code, path, message fragment] — each must yield exactly this one issue. */
export type Rejected = [string, unknown, TaskOptionsIssueCode, Path, string | RegExp];

/** The issues `validateTaskOptions` throws for `input` (a test failure when it accepts it). */
export function issuesOf(input: unknown, inOptions = false): readonly TaskOptionsIssue[] {
  try {
    validateTaskOptions(input, { inOptions });
  } catch (e) {
    expect(e).toBeInstanceOf(TaskOptionsError);
    return (e as TaskOptionsError).issues;
  }
  throw new Error(`expected ${String(input)} to be rejected`);
}

/** One test per row: the input yields exactly that one issue (code, path, message fragment). */
export function itRejectsEach(rows: Rejected[]): void {
  it.each(rows)('%s', (_name, input, code, path, message) => {
    const issues = issuesOf(input);
    expect(issues).toHaveLength(1);
    const [issue] = issues;
    expect(issue?.code).toBe(code);
    expect(issue?.path).toEqual(path);
    if (typeof message === 'string') expect(issue?.message).toContain(message);
    else expect(issue?.message).toMatch(message);
  });
}

/** One test per row: the input is accepted and comes back equal to itself. */
export function itAcceptsEach(rows: [string, Record<string, unknown>][]): void {
  it.each(rows)('%s', (_name, input) => {
    expect(validateTaskOptions(input)).toEqual(input);
  });
}

// Tests of validate-retry.ts: retryExceptions.
import { describe, expect, it } from 'vitest';
import { validateTaskOptions } from './validate.js';
import { type Rejected, issuesOf, itAcceptsEach, itRejectsEach } from './__fixtures__/validate.js';

const rejected: Rejected[] = [
  [
    'retryExceptions string',
    { retryExceptions: 'Error' },
    'invalid_type',
    ['retryExceptions'],
    'true, false, or an array',
  ],
  [
    'retryExceptions number item',
    { retryExceptions: [1] },
    'invalid_type',
    ['retryExceptions', 0],
    'error class or an error name',
  ],
  ['retryExceptions empty name', { retryExceptions: [''] }, 'invalid_value', ['retryExceptions', 0], 'non-empty'],
  [
    'retryExceptions non-error class',
    { retryExceptions: [class Foo {}] },
    'invalid_value',
    ['retryExceptions', 0],
    'reach Error',
  ],
  [
    'retryExceptions arrow fn',
    { retryExceptions: [TypeError, () => 1] },
    'invalid_value',
    ['retryExceptions', 1],
    'reach Error',
  ],
  [
    'retryExceptions error instance',
    { retryExceptions: [new Error('x')] },
    'invalid_type',
    ['retryExceptions', 0],
    'got a Error',
  ],
];

describe('retryExceptions: every rule, with code and path', () => {
  itRejectsEach(rejected);
});

describe('retryExceptions', () => {
  itAcceptsEach([
    ['retryExceptions true', { retryExceptions: true }],
    ['retryExceptions []', { retryExceptions: [] }],
    ['retryExceptions mixed', { retryExceptions: [TypeError, class HttpError extends Error {}, 'TimeoutError'] }],
  ]);

  it('rejects holes in retryExceptions', () => {
    // eslint-disable-next-line no-sparse-arrays
    const issues = issuesOf({ retryExceptions: ['A', , 'B'] });
    expect(issues.map((i) => [i.code, i.path])).toEqual([['invalid_type', ['retryExceptions', 1]]]);
  });

  it('accepts plain objects and Error classes from another realm', async () => {
    const vm = await import('node:vm');
    const ctx = vm.createContext({});
    const options = vm.runInContext(
      '({ numCpus: 2, resources: { licence: 1 }, retryExceptions: [class HttpError extends Error {}, RangeError] })',
      ctx,
    ) as Record<string, unknown>;
    const out = validateTaskOptions(options);
    expect(out.numCpus).toBe(2);
    expect(out.resources).toEqual({ licence: 1 });
    expect(out.retryExceptions).toHaveLength(2);
    const notError = vm.runInContext('[class Foo {}]', ctx) as unknown[];
    const issues = issuesOf({ retryExceptions: notError });
    expect(issues.map((i) => [i.code, i.path])).toEqual([['invalid_value', ['retryExceptions', 0]]]);
  });
});

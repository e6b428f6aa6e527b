import { describe, expect, it } from 'vitest';
import { TaskError } from '../task-errors.js';
import type { ErrorMatcher } from '../types.js';
import { errorTypeChain, matchesRetryExceptions } from './retry.js';

class HttpError extends Error {}
class NotFoundError extends HttpError {}
class CountError extends Error {}
class Renamed extends Error {
  override name = 'CustomName';
}

describe('errorTypeChain', () => {
  const cases: [string, unknown, string[]][] = [
    ['Error', new Error('x'), ['Error']],
    ['TypeError', new TypeError('x'), ['TypeError', 'Error']],
    ['subclass', new HttpError(), ['HttpError', 'Error']],
    ['sub-subclass', new NotFoundError(), ['NotFoundError', 'HttpError', 'Error']],
    ['custom name', new Renamed(), ['CustomName', 'Renamed', 'Error']],
    ['string', 'oops', ['String']],
    ['number', 42, ['Number']],
    ['undefined', undefined, ['Undefined']],
    ['null', null, ['Null']],
    ['plain object', { message: 'x' }, ['Object']],
    ['null-prototype object', Object.create(null), ['Object']],
    ['class instance', new (class Thing {})(), ['Thing']],
  ];
  it.each(cases)('%s', (_name, err, expected) => {
    expect(errorTypeChain(err)).toEqual(expected);
  });
});

describe('matchesRetryExceptions (ray-task-options.md §3.8, §8)', () => {
  const serialized = { name: 'NotFoundError', typeChain: ['NotFoundError', 'HttpError', 'Error'] };
  const taskError = new TaskError('t1', 1, 'NotFoundError', ['NotFoundError', 'HttpError', 'Error'], 'missing');
  const cases: [string, boolean | readonly ErrorMatcher[] | undefined, unknown, boolean][] = [
    ['true retries all', true, new Error('x'), true],
    ['true retries non-errors too', true, 'oops', true],
    ['false retries none', false, new HttpError(), false],
    ['undefined retries none', undefined, new HttpError(), false],
    ['[] retries none', [], new HttpError(), false],
    ['class match', [CountError], new CountError(), true],
    ['class non-match (Ray: ValueError fails at once)', [CountError], new TypeError('x'), false],
    ['base class matches subclass', [HttpError], new NotFoundError(), true],
    ['subclass does not match base instance', [NotFoundError], new HttpError(), false],
    ['name match', ['HttpError'], new NotFoundError(), true],
    ['name of Error matches every error', ['Error'], new TypeError('x'), true],
    ['name non-match', ['TimeoutError'], new HttpError(), false],
    ['custom name matches', ['CustomName'], new Renamed(), true],
    ['string throw by name', ['String'], 'oops', true],
    ['serialized by name', ['HttpError'], serialized, true],
    ['serialized by class name', [HttpError], serialized, true],
    ['serialized non-match', [CountError], serialized, false],
    ['serialized name only', ['NotFoundError'], { name: 'NotFoundError' }, true],
    ['TaskError uses its typeChain', [HttpError], taskError, true],
    ['TaskError own name is not the thrown type', ['TaskError'], taskError, false],
    ['TaskError non-match', ['CountError'], taskError, false],
  ];
  it.each(cases)('%s', (_name, retry, error, expected) => {
    expect(matchesRetryExceptions(retry, error)).toBe(expected);
  });
});

describe('errors from another realm (vm context)', () => {
  it('walks their prototype chain too', async () => {
    const vm = await import('node:vm');
    const err = vm.runInContext('class HttpError extends Error {}; new HttpError("x")', vm.createContext({}));
    expect(errorTypeChain(err)).toEqual(['HttpError', 'Error']);
    expect(matchesRetryExceptions(['HttpError'], err)).toBe(true);
    expect(matchesRetryExceptions([HttpError], err)).toBe(true); // by name: classes differ across realms
    expect(matchesRetryExceptions([TypeError], err)).toBe(false);
  });
});

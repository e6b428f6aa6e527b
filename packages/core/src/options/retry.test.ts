import { describe, expect, it } from 'vitest';
import { TaskError } from '../task-errors.js';
import type { ErrorMatcher, TaskOptions } from '../types.js';
import { resolveTaskOptions } from './merge.js';
import { errorTypeChain, matchesRetryExceptions, retryExceptionNames } from './retry.js';
import { validateTaskOptions } from './validate.js';

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

describe('hostile retryExceptions classes and errors (issue 9 item 4)', () => {
  /** A class whose static `name` getter answers once, then throws. */
  function flakyNameClass() {
    let reads = 0;
    class Flaky extends Error {
      static override get name(): string {
        if (reads++ > 0) throw new Error('name getter exploded');
        return 'Flaky';
      }
    }
    return Flaky;
  }

  it('validation reads a class name once; matching never reads it again', () => {
    const Flaky = flakyNameClass();
    const { retryExceptions } = resolveTaskOptions({ retryExceptions: [Flaky, 'Other'] });
    // The getter now throws: matching (the failure path) must neither throw nor change its answer.
    expect(() => Flaky.name).toThrow('exploded');
    expect(matchesRetryExceptions(retryExceptions, new Flaky('x'))).toBe(true);
    expect(matchesRetryExceptions(retryExceptions, { name: 'Flaky', typeChain: ['Flaky', 'Error'] })).toBe(true);
    expect(matchesRetryExceptions(retryExceptions, new TypeError('x'))).toBe(false);
    expect(retryExceptionNames(retryExceptions)).toEqual(['Flaky', 'Other']);
  });

  it("a class's name is read once, at its first validation, whatever validates it again", () => {
    const Flaky = flakyNameClass();
    const first = resolveTaskOptions({ retryExceptions: [Flaky] });
    const again = resolveTaskOptions(resolveTaskOptions({ retryExceptions: ['X', Flaky] }) as TaskOptions); // no read: would throw
    expect(matchesRetryExceptions(first.retryExceptions, { name: 'Flaky' })).toBe(true);
    expect(retryExceptionNames(again.retryExceptions)).toEqual(['X', 'Flaky']);
  });

  it('a class whose name cannot be read is rejected at validation, with its path', () => {
    class Bad extends Error {
      static override get name(): string {
        throw new Error('no');
      }
    }
    expect(() => validateTaskOptions({ retryExceptions: ['A', Bad] })).toThrow(
      expect.objectContaining({ code: 'invalid_value', path: ['retryExceptions', 1] }),
    );
  });

  it('matchesRetryExceptions is total: no list or error makes it throw', () => {
    const throwingHasInstance = class extends Error {
      static override [Symbol.hasInstance](): boolean {
        throw new Error('hasInstance');
      }
    };
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const trap = () => {
      throw new Error('trap');
    };
    const hostileError = new Proxy(new Error('x'), { get: trap, getPrototypeOf: trap, has: trap });
    const hostileList = new Proxy([HttpError], { get: trap });
    const nameThrows = flakyNameClass();
    void nameThrows.name; // spend its one good read: unvalidated, it throws from now on
    const lists: unknown[] = [
      [throwingHasInstance],
      [nameThrows],
      hostileList,
      revoked.proxy,
      [revoked.proxy, 42, null, undefined, {}, Symbol('s')],
      new Array(1e7),
      Object.assign([HttpError], { length: 2 ** 32 - 1 }),
    ];
    const errors: unknown[] = [
      new HttpError('x'),
      hostileError,
      revoked.proxy,
      { typeChain: new Proxy([], { get: trap }) },
      {
        name: 'HttpError',
        get typeChain(): never {
          throw new Error('typeChain');
        },
      },
      null,
      undefined,
      Symbol('e'),
    ];
    for (const list of lists) {
      for (const error of errors) {
        expect(() => matchesRetryExceptions(list as readonly ErrorMatcher[], error)).not.toThrow();
        expect(() => retryExceptionNames(list as readonly ErrorMatcher[])).not.toThrow();
      }
    }
    // What can still be decided is decided: a class with a throwing hasInstance matches by name.
    expect(matchesRetryExceptions([throwingHasInstance], { name: 'throwingHasInstance' })).toBe(true);
  });
});

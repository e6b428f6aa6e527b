import { describe, expectTypeOf, it } from 'vitest';
import type { RemoteArgs, RemoteFunction, RemoteNumReturns, RemoteResult, Returns } from './remote.js';
import { remote } from './remote.js';

const concat = (a: string, b: number): string => `${a}${b}`;
const pair = async (x: number): Promise<[string, number]> => [String(x), x];
const list = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
function* gen(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}
async function* agen(): AsyncGenerator<string> {
  yield 'a';
}

// Type-level probes (never called at runtime: type tests are not executed).
const resultOf = <RF>(_rf: RF): RemoteResult<RF> => undefined as never;
const argsOf = <RF>(_rf: RF): RemoteArgs<RF> => undefined as never;
const numOf = <RF>(_rf: RF): RemoteNumReturns<RF> => undefined as never;

describe('remote() types', () => {
  it('keeps argument and return types', () => {
    const rf = remote(concat);
    expectTypeOf(rf.fn).toEqualTypeOf<(a: string, b: number) => string>();
    expectTypeOf(argsOf(rf)).toEqualTypeOf<[a: string, b: number]>();
    expectTypeOf(resultOf(rf)).toEqualTypeOf<string>();
    expectTypeOf(rf).toEqualTypeOf<RemoteFunction<(a: string, b: number) => string, 1>>();
  });

  it('.options() keeps them too, through a chain', () => {
    const rf = remote(concat, { numCpus: 2 }).options({ numGpus: 0.5 }).options({ maxRetries: 0 });
    expectTypeOf(argsOf(rf)).toEqualTypeOf<[a: string, b: number]>();
    expectTypeOf(resultOf(rf)).toEqualTypeOf<string>();
  });

  it('unwraps promises', () => {
    expectTypeOf(resultOf(remote(pair))).toEqualTypeOf<[string, number]>();
  });

  it('numReturns: 2 types the result as a pair', () => {
    const two = remote(pair).options({ numReturns: 2 });
    expectTypeOf(numOf(two)).toEqualTypeOf<2>();
    expectTypeOf(resultOf(two)).toEqualTypeOf<[string, number]>();
    const listTwo = remote(list, { numReturns: 2 });
    expectTypeOf(resultOf(listTwo)).toEqualTypeOf<[number, number]>();
    const three = remote(list).options({ numReturns: 3 });
    expectTypeOf(resultOf(three)).toEqualTypeOf<[number, number, number]>();
    // a later .options() without numReturns keeps it
    expectTypeOf(numOf(two.options({ maxRetries: 1 }))).toEqualTypeOf<2>();
  });

  it('numReturns: 0 → undefined; streaming → AsyncIterable of yields', () => {
    const none = remote(concat).options({ numReturns: 0 });
    expectTypeOf(resultOf(none)).toEqualTypeOf<undefined>();
    const s = remote(gen, { numReturns: 'streaming' });
    expectTypeOf(resultOf(s)).toEqualTypeOf<AsyncIterable<number>>();
    const a = remote(agen).options({ numReturns: 'streaming' });
    expectTypeOf(resultOf(a)).toEqualTypeOf<AsyncIterable<string>>();
  });

  it('Returns<R, N>', () => {
    expectTypeOf<Returns<string, 1>>().toEqualTypeOf<string>();
    expectTypeOf<Returns<Promise<string>, 1>>().toEqualTypeOf<string>();
    expectTypeOf<Returns<string, 0>>().toEqualTypeOf<undefined>();
    expectTypeOf<Returns<string[], 2>>().toEqualTypeOf<[string, string]>();
    expectTypeOf<Returns<readonly [1, 'a'], 2>>().toEqualTypeOf<[1, 'a']>();
    expectTypeOf<Returns<number, 2>>().toEqualTypeOf<[unknown, unknown]>();
  });

  it('any remote function is assignable to the bare RemoteFunction (what executors accept)', () => {
    const take = (_rf: RemoteFunction): void => undefined;
    take(remote(pair).options({ numReturns: 2 }));
    take(remote(gen, { numReturns: 'streaming' }));
    take(remote(concat).options({ numReturns: 0 }));
    expectTypeOf(remote(list, { numReturns: 3 })).toMatchTypeOf<RemoteFunction>();
  });

  it('rejects wrong options and wrong arity at compile time', () => {
    // @ts-expect-error numGpus must be a number
    remote(concat, { numGpus: '1' });
    // @ts-expect-error unknown option
    remote(concat).options({ num_gpus: 1 });
    // @ts-expect-error maxCalls cannot be overridden in .options()
    remote(concat).options({ maxCalls: 1 });
    // maxCalls is fine at definition
    remote(concat, { maxCalls: 1 });
    const rf = remote(concat);
    // @ts-expect-error a RemoteFunction is not callable
    rf('a', 1);
  });
});

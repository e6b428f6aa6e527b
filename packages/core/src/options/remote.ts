// remote(): a function bound to its validated task options.
import type { ResolvedTaskOptions, TaskOptions } from '../types.js';
import { own } from '../input.js';
import { mergeTaskOptions, resolveValidated } from './merge.js';
import { validateTaskOptions } from './validate.js';

/** What {@link TaskOptions.numReturns} can be, as a type parameter. */
export type NumReturns = number | 'streaming';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (...args: any[]) => any;

type Tuple<T, N extends number, Acc extends T[] = []> = Acc['length'] extends N
  ? Acc
  : Acc['length'] extends 64
    ? T[]
    : Tuple<T, N, [...Acc, T]>;

/** The element type of a multi-return result: `R[number]` for arrays, else `unknown`. */
type ElementOf<R> = R extends readonly unknown[] ? R[number] : unknown;

/** What a generator (sync or async) or iterable yields. */
export type Yielded<R> =
  R extends AsyncIterable<infer Y>
    ? Y
    : R extends Iterable<infer Y>
      ? Y
      : R extends Promise<infer P>
        ? Yielded<P>
        : unknown;

/**
 * The value type of a task's result, given the function's return type `R` and `numReturns`:
 * `0` → `undefined`; `1` → `Awaited<R>`; a literal `n > 1` → a tuple of `n` elements (the
 * function's own tuple type when it returns one of that length, else `ElementOf<R>`);
 * a non-literal `number` → an array; `'streaming'` → an `AsyncIterable` of what the
 * function yields.
 */
export type Returns<R, N extends NumReturns> = N extends 'streaming'
  ? AsyncIterable<Yielded<R>>
  : N extends number
    ? number extends N
      ? Awaited<R> | readonly ElementOf<Awaited<R>>[] | undefined
      : N extends 0
        ? undefined
        : N extends 1
          ? Awaited<R>
          : Awaited<R> extends readonly unknown[]
            ? Awaited<R> extends { length: N }
              ? [...Awaited<R>]
              : Tuple<ElementOf<Awaited<R>>, N>
            : Tuple<unknown, N>
    : never;

/** What `.options()` accepts: any task option but `maxCalls`, which is fixed at definition. */
export type TaskOptionsOverrides = TaskOptions & { maxCalls?: never };

/** The `numReturns` literal an options object sets, or `Fallback` when it sets none. */
export type NumReturnsOf<O, Fallback extends NumReturns> = O extends { numReturns: infer R extends NumReturns }
  ? R
  : Fallback;

/**
 * A function bound to validated task options. It is not callable: an executor runs it
 * (`pool.remote(rf).remote(...args)`). Immutable; {@link RemoteFunction.options} returns a
 * new one.
 *
 * @typeParam F - the wrapped function.
 * @typeParam N - its `numReturns`, as a literal type where known.
 */
export interface RemoteFunction<F extends AnyFunction = AnyFunction, N extends NumReturns = 1> {
  /** The wrapped function. */
  readonly fn: F;
  /** Display name: `options.name`, else the function's name, else `'anonymous'`. */
  readonly name: string;
  /** The merged, validated options, without defaults (frozen). */
  readonly taskOptions: Readonly<TaskOptions>;
  /** The options with every default filled (frozen); see `resolveTaskOptions`. */
  readonly resolvedOptions: Readonly<ResolvedTaskOptions>;
  /**
   * A new remote function with `overrides` merged onto these options (the
   * `mergeTaskOptions` rule). Chainable. `maxCalls` cannot be overridden.
   *
   * @throws {@link TaskOptionsError} when `overrides` (or the merged result) are invalid.
   */
  options<const O extends TaskOptionsOverrides>(overrides: O): RemoteFunction<F, NumReturnsOf<O, N>>;
}

/** The arguments a remote function takes. */
export type RemoteArgs<RF> = RF extends RemoteFunction<infer F, NumReturns> ? Parameters<F> : never;
/** The raw return type of the wrapped function. */
export type RemoteReturn<RF> = RF extends RemoteFunction<infer F, NumReturns> ? ReturnType<F> : never;
/** The `numReturns` of a remote function type. */
export type RemoteNumReturns<RF> = RF extends RemoteFunction<AnyFunction, infer N> ? N : never;
/** The value a task of this remote function produces (see {@link Returns}). */
export type RemoteResult<RF> = RF extends RemoteFunction<infer F, infer N> ? Returns<ReturnType<F>, N> : never;

const BRAND = Symbol.for('taskfit.RemoteFunction');

function deepFreeze<T>(v: T, seen = new Set<unknown>()): T {
  if (typeof v !== 'object' || v === null || seen.has(v)) return v;
  // Validation copied every map; leave caller-owned handles (placement groups) alone.
  const proto: unknown = Object.getPrototypeOf(v);
  if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return v;
  seen.add(v);
  for (const k of Object.keys(v)) {
    if (k !== 'placementGroup') deepFreeze((v as Record<string, unknown>)[k], seen);
  }
  return Object.freeze(v);
}

class RemoteFunctionImpl<F extends AnyFunction, N extends NumReturns> implements RemoteFunction<F, N> {
  readonly fn: F;
  readonly name: string;
  readonly taskOptions: Readonly<TaskOptions>;
  readonly resolvedOptions: Readonly<ResolvedTaskOptions>;

  /** `options` must be validated (and owned: it is frozen). */
  constructor(fn: F, options: TaskOptions) {
    this.fn = fn;
    this.taskOptions = deepFreeze(options);
    this.resolvedOptions = deepFreeze(resolveValidated(options));
    this.name = own(options, 'name') ?? (fn.name !== '' ? fn.name : 'anonymous');
    Object.defineProperty(this, BRAND, { value: true });
    Object.freeze(this);
  }

  options<const O extends TaskOptionsOverrides>(overrides: O): RemoteFunction<F, NumReturnsOf<O, N>> {
    const checked = validateTaskOptions(overrides, { inOptions: true });
    // Both sides are valid and every cross-field rule lives inside one option, so the merge
    // is valid too (the property tests check this).
    const merged = mergeTaskOptions(this.taskOptions, checked);
    return new RemoteFunctionImpl<F, NumReturnsOf<O, N>>(this.fn, merged);
  }
}

/**
 * Binds `fn` to task options, validated now (`maxCalls` allowed). The result is a
 * {@link RemoteFunction}; executors run it.
 *
 * ```ts
 * const embed = remote(async (text: string) => model.embed(text), { numGpus: 0.5 });
 * const pair = embed.options({ numReturns: 2, maxRetries: 0 }); // RemoteFunction<…, 2>
 * ```
 *
 * @throws {@link TaskOptionsError} when `options` are invalid; `TypeError` when `fn` is not a function.
 */
export function remote<F extends AnyFunction, const O extends TaskOptions = Record<never, never>>(
  fn: F,
  options?: O,
): RemoteFunction<F, NumReturnsOf<O, 1>> {
  if (typeof fn !== 'function') throw new TypeError(`remote(fn): fn must be a function (got ${typeof fn})`);
  return new RemoteFunctionImpl<F, NumReturnsOf<O, 1>>(fn, validateTaskOptions(options ?? {}));
}

/** Whether `v` is a {@link RemoteFunction} (works across realms through a `Symbol.for` brand). */
export function isRemoteFunction(v: unknown): v is RemoteFunction {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[BRAND] === true;
}

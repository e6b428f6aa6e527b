/** Handles to results of `remote()` calls. */

const noop = (): void => {};

/** Cancels the task behind a ref. @internal */
export interface Cancellable {
  readonly taskId: string;
  cancel(reason?: string): boolean;
}

/**
 * A future result of a remote task: awaitable (`await ref`), cancellable (`ref.cancel()`), and
 * usable as an argument of another `remote()` call (resolved before that task is scheduled).
 * An ObjectRef that is never awaited does not cause an unhandled rejection.
 */
export class ObjectRef<T = unknown> implements PromiseLike<T> {
  readonly #promise: Promise<T>;
  readonly #task: Cancellable;

  /** @internal */
  constructor(promise: Promise<T>, task: Cancellable) {
    this.#promise = promise;
    this.#task = task;
    promise.catch(noop);
  }

  /** Id of the task that produces this value. */
  get taskId(): string {
    return this.#task.taskId;
  }

  then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#promise.then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.#promise.catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#promise.finally(onFinally);
  }

  /**
   * Cancels the task: a queued task is dropped, a running one has its thread terminated. The
   * task's refs reject with `TaskCancelledError` and its resources are released. Returns false
   * when the task had already settled.
   */
  cancel(reason = 'cancelled by ref.cancel()'): boolean {
    return this.#task.cancel(reason);
  }

  /** @internal */
  get promise(): Promise<T> {
    return this.#promise;
  }
}

type Item<T> = { value: T } | { error: unknown } | { done: true };

/**
 * The results of a `numReturns: 'streaming'` task, in the order the generator yielded them.
 * Iterate with `for await`; the iteration throws the task's error if it failed. `return()`
 * (breaking out of the loop) cancels the task.
 */
export class ObjectRefGenerator<T = unknown> implements AsyncIterableIterator<T> {
  readonly #task: Cancellable;
  readonly #items: Item<T>[] = [];
  #waiter: ((item: Item<T>) => void) | undefined;
  #finished = false;

  /** @internal */
  constructor(task: Cancellable) {
    this.#task = task;
  }

  /** Id of the streaming task. */
  get taskId(): string {
    return this.#task.taskId;
  }

  /** @internal */
  push(item: Item<T>): void {
    if (this.#finished) return;
    if ('done' in item || 'error' in item) this.#finished = true;
    const w = this.#waiter;
    if (w !== undefined) {
      this.#waiter = undefined;
      w(item);
    } else this.#items.push(item);
  }

  async next(): Promise<IteratorResult<T>> {
    const item = this.#items.length > 0 ? this.#items.shift()! : await new Promise<Item<T>>((r) => (this.#waiter = r));
    if ('value' in item) return { value: item.value, done: false };
    if ('error' in item) {
      this.#items.unshift(item);
      throw item.error;
    }
    this.#items.unshift(item);
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<T>> {
    this.#task.cancel('stream consumer stopped iterating');
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Cancels the streaming task. */
  cancel(reason = 'cancelled by ref.cancel()'): boolean {
    return this.#task.cancel(reason);
  }
}

/** Bounded containers: the dashboard's memory stays flat however long it runs. */

/** A Map of at most `capacity` entries; setting a key moves it to the newest end, the oldest is evicted. */
export class LruMap<K, V> {
  readonly #map = new Map<K, V>();
  readonly capacity: number;
  readonly #onEvict: ((key: K, value: V) => void) | undefined;

  constructor(capacity: number, onEvict?: (key: K, value: V) => void) {
    this.capacity = capacity;
    this.#onEvict = onEvict;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.capacity) {
      const [k, v] = this.#map.entries().next().value as [K, V];
      this.#map.delete(k);
      this.#onEvict?.(k, v);
    }
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  values(): IterableIterator<V> {
    return this.#map.values();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.#map[Symbol.iterator]();
  }
}

/** A ring buffer of the last `capacity` items. */
export class Ring<T> {
  readonly #items: T[] = [];
  #start = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    if (this.#items.length < this.capacity) this.#items.push(item);
    else {
      this.#items[this.#start] = item;
      this.#start = (this.#start + 1) % this.capacity;
    }
  }

  /** Oldest first. */
  toArray(): T[] {
    return [...this.#items.slice(this.#start), ...this.#items.slice(0, this.#start)];
  }

  last(): T | undefined {
    return this.#items.length === 0
      ? undefined
      : this.#items[(this.#start + this.#items.length - 1) % this.#items.length];
  }
}

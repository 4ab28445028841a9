/**
 * A bounded map that forgets the least recently used entry when full. `get` and `set` count as
 * uses. Built on `Map`'s insertion order: O(1) per operation, no extra nodes.
 *
 * @example
 * const cache = new LruCache<string, number>(2);
 * cache.set('a', 1); cache.set('b', 2); cache.get('a'); cache.set('c', 3);
 * cache.has('b'); // false: 'b' was the least recently used
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, V>();

  /** @param capacity Most entries kept; `0` keeps none (every `get` misses). */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`LRU cache capacity must be a non-negative integer, not ${capacity}`);
  }

  /** Entries currently held (never above `capacity`). */
  get size(): number {
    return this.#entries.size;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** The value for `key`, marking it most recently used; `undefined` on a miss. */
  get(key: K): V | undefined {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key) as V;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Stores `value` as the most recently used entry, evicting the least recently used one when full. */
  set(key: K, value: V): void {
    if (this.capacity === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

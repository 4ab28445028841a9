import type { JsonValue } from './Json.js';
import type { StateStore } from './StateStore.js';
import { assertJsonValue } from './assertJsonValue.js';

/**
 * A {@link StateStore} in memory. It answers synchronously, never with a Promise, so checkpoints
 * happen within the same virtual-time frame under the RxJS `TestScheduler`, and it loses
 * everything when the process ends: use it for tests, for sources whose position does not
 * matter, or as the model to compare a durable store against.
 *
 * Values are kept as JSON text, so that neither the writer nor a reader can change stored state
 * by mutating an object afterwards, and so that a value reads back exactly as it would from a
 * durable store: a test on a MemoryStore sees what production on a FileStore sees. Values that
 * are not JSON (`NaN`, a `Date`, a cycle) are refused with a `TypeError`, as every tributary
 * store refuses them; object properties set to `undefined` are dropped, as JSON drops them.
 *
 * @example
 * const store = new MemoryStore();
 * store.setMany([['orders/split/a', { nextOffset: '42' }]]);
 * store.get('orders/split/a'); // { nextOffset: '42' }, right away, not a Promise
 */
export class MemoryStore implements StateStore {
  /** key -> the value's JSON text. */
  readonly #entries = new Map<string, string>();

  /** Starts with a copy of `initial`, if given (handy to set up a test's saved state). */
  constructor(initial?: Iterable<readonly [string, JsonValue]>) {
    if (initial !== undefined) this.setMany(Array.from(initial));
  }

  /** How many keys are stored. */
  get size(): number {
    return this.#entries.size;
  }

  /** A copy of the value at `key`, or `undefined`. */
  get(key: string): JsonValue | undefined {
    const text = this.#entries.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
  }

  /** Stores a copy of `value` at `key`. Throws a `TypeError` if `value` is not JSON. */
  set(key: string, value: JsonValue): void {
    assertJsonValue(value, key);
    this.#entries.set(key, JSON.stringify(value));
  }

  /** Removes `key`; removing a missing key is not an error. */
  del(key: string): void {
    this.#entries.delete(key);
  }

  /** Copies of every entry, in insertion order. */
  entries(): Array<readonly [string, JsonValue]> {
    return Array.from(this.#entries, ([key, text]) => [key, JSON.parse(text) as JsonValue] as const);
  }

  /**
   * Stores every entry, or none: every value is checked before the first one is stored, so a
   * `TypeError` leaves the store as it was. A key given twice keeps its last value.
   */
  setMany(entries: ReadonlyArray<readonly [string, JsonValue]>): void {
    this.update(entries, []);
  }

  /** Removes every key in `keys`. */
  delMany(keys: readonly string[]): void {
    this.update([], keys);
  }

  /**
   * Removes `keys`, then stores `entries`, or does nothing: every value is checked first. A
   * checkpoint's commit calls this instead of `set` and `delMany`: a subclass that overrides those
   * to watch writes must override this too.
   */
  update(entries: ReadonlyArray<readonly [string, JsonValue]>, keys: readonly string[]): void {
    for (const [key, value] of entries) assertJsonValue(value, key);
    const texts = entries.map(([key, value]) => [key, JSON.stringify(value)] as const);
    for (const key of keys) this.#entries.delete(key);
    for (const [key, text] of texts) this.#entries.set(key, text);
  }
}


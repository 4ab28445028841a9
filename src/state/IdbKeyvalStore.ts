import type * as IdbKeyval from 'idb-keyval';
import type { UseStore } from 'idb-keyval';
import type { JsonValue } from '../core/Json.js';
import { CorruptStateError } from '../core/SourceError.js';
import type { StateStore } from '../core/StateStore.js';
import { assertJsonValue, findNonJson } from '../core/assertJsonValue.js';

/** Options of {@link IdbKeyvalStore.open}. */
export interface IdbKeyvalStoreOptions {
  /** The IndexedDB database. Default `'tributary'`. */
  readonly dbName?: string;
  /**
   * The object store inside the database. Default `'checkpoints'`. idb-keyval creates it with
   * the database, so a database holds the one object store it was first opened with: give every
   * store name a database name of its own.
   */
  readonly storeName?: string;
  /**
   * An idb-keyval store you made with `createStore(dbName, storeName)`, used instead of
   * `dbName` and `storeName`. {@link IdbKeyvalStore.close} then leaves its connection open:
   * it is yours.
   */
  readonly store?: UseStore;
}

/** What idb-keyval hands to a `UseStore` callback, as far as closing and `update` go (no DOM types here). */
interface ObjectStoreLike {
  readonly transaction: { readonly db: { close(): void } };
  put(value: unknown, key: string): unknown;
  delete(key: string): unknown;
}

/**
 * A {@link StateStore} in IndexedDB, through [idb-keyval](https://github.com/jakearchibald/idb-keyval):
 * checkpoints that survive a page reload in the browser (or in Node with `fake-indexeddb`).
 *
 * idb-keyval is an optional peer dependency (`npm install idb-keyval`), loaded by
 * {@link IdbKeyvalStore.open}, not when this module is imported. `setMany` and `delMany` map to
 * idb-keyval's functions of the same name, which run in one IndexedDB transaction each, so they
 * are atomic. Values are checked to be JSON and copied through JSON when a method is called, so
 * changing an object after handing it over does not change what is stored, and a value reads back
 * as it would from any other tributary store (object properties set to `undefined` are dropped).
 *
 * Values read back that are not JSON (someone else wrote to the object store) raise a
 * {@link CorruptStateError} naming the database, object store and key.
 *
 * @example
 * const store = await IdbKeyvalStore.open({ dbName: 'orders-dashboard' });
 * await store.setMany([['orders/split/a', { nextOffset: '42' }]]);
 */
export class IdbKeyvalStore implements StateStore {
  /** The database and object store, for error messages. */
  readonly description: string;
  readonly #lib: typeof IdbKeyval;
  readonly #store: UseStore;
  readonly #ownsStore: boolean;
  #closed = false;

  private constructor(lib: typeof IdbKeyval, store: UseStore, ownsStore: boolean, description: string) {
    this.#lib = lib;
    this.#store = store;
    this.#ownsStore = ownsStore;
    this.description = description;
  }

  /**
   * Loads idb-keyval, opens the database and checks that the object store is there.
   *
   * @throws {Error} when idb-keyval is not installed, there is no `indexedDB` global, or the
   * database exists without the object store.
   */
  static async open(options: IdbKeyvalStoreOptions = {}): Promise<IdbKeyvalStore> {
    let lib: typeof IdbKeyval;
    try {
      lib = await import('idb-keyval');
    } catch (err) {
      throw new Error(
        "IdbKeyvalStore needs the optional peer dependency 'idb-keyval': run `npm install idb-keyval`",
        { cause: err },
      );
    }
    const dbName = options.dbName ?? 'tributary';
    const storeName = options.storeName ?? 'checkpoints';
    const description =
      options.store !== undefined
        ? 'the given idb-keyval store'
        : `IndexedDB database '${dbName}', object store '${storeName}'`;
    if (options.store === undefined && (globalThis as { indexedDB?: unknown }).indexedDB === undefined) {
      throw new Error(
        `IdbKeyvalStore: there is no IndexedDB here (no global indexedDB) to open ${description}; ` +
          "in Node, `import 'fake-indexeddb/auto'` first, or use FileStore",
      );
    }
    const store = options.store ?? lib.createStore(dbName, storeName);
    try {
      // Opens the database and a transaction now, so that a missing object store fails here.
      await store('readonly', () => undefined);
    } catch (err) {
      throw new Error(`IdbKeyvalStore: cannot open ${description}: ${messageOf(err)}`, { cause: err });
    }
    return new IdbKeyvalStore(lib, store, options.store === undefined, description);
  }

  /** The value at `key`, or `undefined`. */
  async get(key: string): Promise<JsonValue | undefined> {
    this.#assertOpen();
    const value: unknown = await this.#lib.get(key, this.#store);
    return value === undefined ? undefined : this.#checkRead(key, value);
  }

  /** Stores `value` at `key`. Rejects with a `TypeError` if `value` is not JSON. */
  async set(key: string, value: JsonValue): Promise<void> {
    this.#assertOpen();
    assertJsonValue(value, key);
    // idb-keyval clones the value only once the database is open, a few ticks from now.
    await this.#lib.set(key, jsonCopy(value), this.#store);
  }

  /** Removes `key`; removing a missing key is not an error. */
  async del(key: string): Promise<void> {
    this.#assertOpen();
    await this.#lib.del(key, this.#store);
  }

  /** Every entry, in key order (IndexedDB's order). */
  async entries(): Promise<Array<readonly [string, JsonValue]>> {
    this.#assertOpen();
    const entries: Array<[unknown, unknown]> = await this.#lib.entries(this.#store);
    return entries.map(([key, value]) => {
      if (typeof key !== 'string') {
        throw new CorruptStateError(
          `${this.description} holds a key that is not a string (${typeof key}): not tributary state`,
        );
      }
      return [key, this.#checkRead(key, value)] as const;
    });
  }

  /** Stores every entry in one IndexedDB transaction: all of them or none. */
  async setMany(entries: ReadonlyArray<readonly [string, JsonValue]>): Promise<void> {
    this.#assertOpen();
    for (const [key, value] of entries) assertJsonValue(value, key);
    const copies = entries.map(([key, value]): [string, JsonValue] => [key, jsonCopy(value)]);
    await this.#lib.setMany(copies, this.#store);
  }

  /** Removes every key in `keys` in one IndexedDB transaction. */
  async delMany(keys: readonly string[]): Promise<void> {
    this.#assertOpen();
    await this.#lib.delMany([...keys], this.#store);
  }

  /** Removes `keys` and stores `entries` in one IndexedDB transaction (a key in both ends up stored). */
  async update(entries: ReadonlyArray<readonly [string, JsonValue]>, keys: readonly string[]): Promise<void> {
    this.#assertOpen();
    for (const [key, value] of entries) assertJsonValue(value, key);
    const copies = entries.map(([key, value]): [string, JsonValue] => [key, jsonCopy(value)]);
    const gone = [...keys];
    // As idb-keyval's own setMany and delMany, in one transaction: done when it completes.
    const done = this.#lib.promisifyRequest as unknown as (transaction: unknown) => Promise<unknown>;
    await this.#store('readwrite', (objectStore: unknown) => {
      const store = objectStore as ObjectStoreLike;
      for (const key of gone) store.delete(key);
      for (const [key, value] of copies) store.put(value, key);
      return done(store.transaction);
    });
  }

  /**
   * Closes the database connection, unless the idb-keyval store was given in the options. Later
   * calls reject. Closing twice is harmless.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#ownsStore) return;
    // IndexedDB lets the transactions already started finish before the connection closes.
    await this.#store('readonly', (objectStore: unknown) => {
      (objectStore as ObjectStoreLike).transaction.db.close();
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`IdbKeyvalStore: ${this.description} is closed`);
  }

  #checkRead(key: string, value: unknown): JsonValue {
    const problem = findNonJson(value, '$', new Set());
    if (problem !== undefined) {
      throw new CorruptStateError(
        `${this.description} holds a value for key ${JSON.stringify(key)} that is not JSON ` +
          `(${problem}): not tributary state`,
      );
    }
    return value as JsonValue;
  }
}

/** A deep copy that drops `undefined` properties, as the other stores' JSON text does. */
function jsonCopy(value: JsonValue): JsonValue {
  return typeof value === 'object' && value !== null ? (JSON.parse(JSON.stringify(value)) as JsonValue) : value;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  // IndexedDB rejects with DOMException-like objects in some environments.
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}

import type { JsonValue } from './Json.js';
import type { MaybePromise } from './MaybePromise.js';

/**
 * A key-value store for checkpoints, shaped like idb-keyval (`get`, `set`, `del`, `entries`,
 * `setMany`, `delMany`) so that an IndexedDB, a file or a database can sit behind it.
 *
 * `setMany` must be atomic: after a crash, either every entry of the call is visible or none is.
 * A snapshot of all split positions is written with one `setMany`, so a torn write can never
 * mix positions of two epochs.
 *
 * Methods may answer synchronously or with a Promise.
 */
export interface StateStore {
  get(key: string): MaybePromise<JsonValue | undefined>;
  set(key: string, value: JsonValue): MaybePromise<void>;
  del(key: string): MaybePromise<void>;
  /** Every entry, in no particular order. */
  entries(): MaybePromise<ReadonlyArray<readonly [string, JsonValue]>>;
  /** Writes every entry atomically. */
  setMany(entries: ReadonlyArray<readonly [string, JsonValue]>): MaybePromise<void>;
  delMany(keys: readonly string[]): MaybePromise<void>;
  /**
   * Optional: sets `entries` and removes `keys` atomically, in one write (after a crash, all of it
   * happened or none); a key in both ends up set. A checkpoint's commit marks its epoch and drops
   * the older snapshots with it: one durable write (one log record in a FileStore) instead of a
   * `setMany` and then a `delMany`, which a store without it gets.
   */
  update?(entries: ReadonlyArray<readonly [string, JsonValue]>, keys: readonly string[]): MaybePromise<void>;
  /** Releases files or connections; the store is not used afterwards. */
  close?(): MaybePromise<void>;
}

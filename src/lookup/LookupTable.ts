import type { Observable, Subscription } from 'rxjs';
import type { MaybePromise } from '../core/MaybePromise.js';
import type { Row } from '../formats/Format.js';

/** A key a lookup table is indexed by. Keys compare like `Map` keys: `1` and `'1'` differ. */
export type LookupKey = string | number | bigint | boolean;

/**
 * Anything {@link lookupJoin} can enrich records from: an in-memory index, a database, a remote
 * table.
 */
export interface Lookup<K extends LookupKey> {
  /** The rows whose key is `key` (empty when none). May answer synchronously. */
  lookup(key: K): MaybePromise<readonly Row[]>;
  /**
   * Increases whenever the content may have changed: caches in front of the table drop what
   * they hold when it moves. Omit for a table that never changes.
   */
  readonly generation?: number;
}

/** What {@link LookupTable} is built from. */
export interface LookupTableOptions<K extends LookupKey> {
  /** For errors. */
  readonly name: string;
  /** Reads the whole table, row by row. Called once per (re)build. */
  readonly scan: () => AsyncIterable<Row>;
  /** The key of a row; rows whose key is `null` or `undefined` are not indexed (as SQL's NULL never joins). */
  readonly keyOf: (row: Row) => K | null | undefined;
  /**
   * A cheap token that changes when the content does: size and mtime of a file, an ETag. Read
   * before and after each build (a build that saw the token move is repeated, so an index never
   * mixes two versions) and on every `changes` hint.
   */
  readonly version?: () => Promise<string>;
  /**
   * Hints that the content may have changed (file notifications, a polling timer). With
   * `version`, a hint triggers a version check; without, it invalidates the index outright.
   * Subscribed from the first lookup until `close()`.
   */
  readonly changes?: Observable<unknown>;
  /** Builds repeated because the version moved during the scan, before giving up. Default 5. */
  readonly maxBuildAttempts?: number;
}

const NONE: readonly Row[] = Object.freeze([]);

/**
 * A table held in memory as a hash index, built from a full scan on first use and rebuilt when
 * its upstream changes. The generic half of a lookup source: the `fs` connector supplies a file
 * scan and change hints (see `createFsLookupTable`), S3 can supply an object scan and ETags.
 *
 * Lookups answer synchronously while the index is fresh; after a change is noticed, the next
 * lookup waits for the rebuild (it never answers from an index known to be stale). A failed
 * build rejects the lookups waiting for it; the next lookup tries again.
 *
 * @example
 * const customers = new LookupTable({
 *   name: 'customers',
 *   scan: () => readRows('customers.ndjson'),
 *   keyOf: (row) => row.id as number,
 * });
 * await customers.lookup(42); // [{ id: 42, name: 'Ada' }]
 */
export class LookupTable<K extends LookupKey> implements Lookup<K> {
  #index: Map<K, Row[]> | undefined;
  #indexVersion: string | undefined;
  #rows = 0;
  #stale = true;
  /** Set when a change is noticed while a build runs: its result is stale on arrival. */
  #changedDuringBuild = false;
  /** Set when a hint arrives while a build runs: checked once the build is done. */
  #hintDuringBuild = false;
  #building: Promise<Map<K, Row[]>> | undefined;
  #generation = 0;
  #builds = 0;
  #hints: Subscription | undefined;
  #checking: Promise<void> | undefined;
  #checkAgain = false;
  #closed = false;

  constructor(private readonly options: LookupTableOptions<K>) {}

  /** Increases each time the table notices its upstream changed. */
  get generation(): number {
    return this.#generation;
  }

  /** How many times the index was built (for monitoring and tests). */
  get builds(): number {
    return this.#builds;
  }

  /** Distinct keys in the current index (0 before the first build). */
  get size(): number {
    return this.#index?.size ?? 0;
  }

  /** Rows in the current index, keyless ones excluded. */
  get rows(): number {
    return this.#rows;
  }

  lookup(key: K): MaybePromise<readonly Row[]> {
    if (this.#closed) throw new Error(`lookup table '${this.options.name}' is closed`);
    const index = this.#index;
    if (index !== undefined && !this.#stale) return index.get(key) ?? NONE;
    return this.load().then((fresh) => fresh.get(key) ?? NONE);
  }

  /** Builds the index now if it is missing or stale; lookups call it on demand. */
  load(): Promise<Map<K, Row[]>> {
    this.#watch();
    if (this.#index !== undefined && !this.#stale) return Promise.resolve(this.#index);
    if (this.#building === undefined) {
      const building = this.#build().finally(() => {
        if (this.#building === building) this.#building = undefined;
        if (this.#hintDuringBuild && !this.#closed) {
          this.#hintDuringBuild = false;
          this.#onHint();
        }
      });
      this.#building = building;
    }
    return this.#building;
  }

  /** Marks the index stale: the next lookup rebuilds it. */
  invalidate(): void {
    this.#stale = true;
    if (this.#building !== undefined) this.#changedDuringBuild = true;
    this.#generation++;
  }

  /** Stops watching for changes and drops the index. */
  close(): void {
    this.#closed = true;
    this.#hints?.unsubscribe();
    this.#hints = undefined;
    this.#index = undefined;
  }

  async #build(): Promise<Map<K, Row[]>> {
    const { name, scan, keyOf, version, maxBuildAttempts = 5 } = this.options;
    for (let attempt = 1; ; attempt++) {
      this.#changedDuringBuild = false;
      this.#hintDuringBuild = false;
      const before = version === undefined ? undefined : await version();
      const index = new Map<K, Row[]>();
      let rows = 0;
      try {
        for await (const row of scan()) {
          const key = keyOf(row);
          if (key === null || key === undefined) continue;
          rows++;
          const bucket = index.get(key);
          if (bucket === undefined) index.set(key, [row]);
          else bucket.push(row);
        }
      } catch (err) {
        throw new Error(`lookup table '${name}': reading the table failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      const after = version === undefined ? undefined : await version();
      if (before === after || attempt >= maxBuildAttempts) {
        if (before !== after) {
          throw new Error(`lookup table '${name}' kept changing while being read (${attempt} attempts): replace it atomically (write a new file, then rename it over the old one)`);
        }
        this.#index = index;
        this.#indexVersion = before;
        this.#rows = rows;
        this.#stale = this.#changedDuringBuild;
        this.#builds++;
        return index;
      }
    }
  }

  #watch(): void {
    const { changes } = this.options;
    if (changes === undefined || this.#hints !== undefined || this.#closed) return;
    this.#hints = changes.subscribe({
      next: () => this.#onHint(),
      // A broken change feed must not go unnoticed: stop trusting the index.
      error: () => this.invalidate(),
    });
  }

  #onHint(): void {
    const { version } = this.options;
    if (this.#building !== undefined) {
      this.#hintDuringBuild = true;
      return;
    }
    if (version === undefined) {
      if (!this.#stale) this.invalidate();
      return;
    }
    if (this.#checking !== undefined) {
      this.#checkAgain = true;
      return;
    }
    // `#checking` is cleared in the same synchronous step that leaves the loop: cleared in a later
    // `.finally` callback, a hint arriving in between would set `#checkAgain` for a loop that had
    // already ended, and be lost.
    let finished = false;
    const checking = (async () => {
      try {
        do {
          this.#checkAgain = false;
          if (this.#index === undefined || this.#stale) continue;
          let current: string | undefined;
          try {
            current = await version();
          } catch {
            current = undefined; // Unreadable now: treat as changed; the rebuild reports the error.
          }
          if (current !== this.#indexVersion && !this.#stale) this.invalidate();
        } while (this.#checkAgain && !this.#closed);
      } finally {
        finished = true;
        this.#checking = undefined;
      }
    })();
    if (!finished) this.#checking = checking;
  }
}

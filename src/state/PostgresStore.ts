import type { JsonValue } from '../core/Json.js';
import { CorruptStateError } from '../core/SourceError.js';
import type { StateStore } from '../core/StateStore.js';
import { assertJsonValue } from '../core/assertJsonValue.js';
import { checkTableName, connectionSecrets, connectPg, describeConnection, scrub, type PgClient, type PgConnection } from './pgConnection.js';

/** Options of {@link PostgresStore.open}. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`, or pg's client config object. */
  readonly connection: PgConnection;
  /** The table (created if absent), optionally `schema.table`. Default `tributary_state`. */
  readonly table?: string;
  /**
   * Which part of the table this store sees: stores with different namespaces share a table
   * without seeing each other's keys. Default `''`.
   */
  readonly namespace?: string;
}

/** Default of {@link PostgresStoreOptions.table}. */
export const DEFAULT_STATE_TABLE = 'tributary_state';

/**
 * A {@link StateStore} in a PostgreSQL table, through [pg](https://node-postgres.com) (an optional
 * peer dependency, loaded by {@link PostgresStore.open}). Several processes, on several hosts, can
 * keep their checkpoints in one database; give each pipeline its own namespace (or source names),
 * as with any store.
 *
 * Every write is one SQL statement in its own transaction (`setMany` is one
 * `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE`), so PostgreSQL makes it atomic and
 * durable: a process killed mid-write leaves the previous checkpoint whole, and an acknowledged
 * one survives a crash of the server (given its `fsync` and `synchronous_commit` settings).
 *
 * Keys and values are stored as their JSON text in `text` columns, not `jsonb`: JSON text carries
 * any JavaScript string (a NUL, a lone surrogate) that PostgreSQL's text and jsonb cannot, and reads
 * back byte for byte (jsonb would reorder an object's keys). Calls run one at a time on one
 * connection, in call order, so a read sees every write called before it.
 *
 * @example
 * const store = await PostgresStore.open({ connection: 'postgres://tributary:secret@db:5432/tributary' });
 * try {
 *   await store.setMany([['orders/split/a', { nextOffset: '42' }], ['orders/epoch', 7]]);
 * } finally {
 *   await store.close();
 * }
 */
export class PostgresStore implements StateStore {
  /** The server (password masked), table and namespace, for messages. */
  readonly description: string;
  readonly #client: PgClient;
  readonly #table: string;
  readonly #namespace: string;
  readonly #secrets: readonly string[];
  /** The call before this one: calls run one at a time, in order. */
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(client: PgClient, table: string, namespace: string, description: string, secrets: readonly string[]) {
    this.#client = client;
    this.#table = table;
    this.#namespace = namespace;
    this.description = description;
    this.#secrets = secrets;
  }

  /**
   * Connects and creates the table if it is absent.
   *
   * @throws {Error} when pg is not installed or the server cannot be reached (the message names
   * the server with its password masked).
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const table = checkTableName(options.table ?? DEFAULT_STATE_TABLE, 'PostgresStore');
    const namespace = options.namespace ?? '';
    const description = `PostgreSQL ${describeConnection(options.connection)}, table ${table}${namespace === '' ? '' : `, namespace ${JSON.stringify(namespace)}`}`;
    const secrets = connectionSecrets(options.connection);
    const client = await connectPg('PostgresStore', options.connection);
    try {
      await createTable(client, table);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw new Error(`PostgresStore: cannot create ${description}: ${scrub(messageOf(err), secrets)}`);
    }
    return new PostgresStore(client, table, namespace, description, secrets);
  }

  /** A copy of the value at `key`, or `undefined`. */
  get(key: string): Promise<JsonValue | undefined> {
    return this.#run('read', async (client) => {
      const { rows } = await client.query(`SELECT value FROM ${this.#table} WHERE namespace = $1 AND key = $2`, [this.#namespace, JSON.stringify(key)]);
      const row = rows[0];
      return row === undefined ? undefined : this.#parse(key, row['value']);
    });
  }

  /** Durably stores `value` at `key`. Rejects with a `TypeError` if `value` is not JSON. */
  set(key: string, value: JsonValue): Promise<void> {
    return this.setMany([[key, value]]);
  }

  /** Durably removes `key`; removing a missing key is not an error. */
  del(key: string): Promise<void> {
    return this.delMany([key]);
  }

  /** Copies of every entry, ordered by key text. */
  entries(): Promise<Array<readonly [string, JsonValue]>> {
    return this.#run('read', async (client) => {
      const { rows } = await client.query(`SELECT key, value FROM ${this.#table} WHERE namespace = $1 ORDER BY key`, [this.#namespace]);
      return rows.map((row) => {
        const key = this.#parseKey(row['key']);
        return [key, this.#parse(key, row['value'])] as const;
      });
    });
  }

  /**
   * Durably stores every entry in one statement: after a crash, all of them are there or none.
   * Every value is checked and serialized when called, so a `TypeError` changes nothing and the
   * caller may change its objects right away.
   */
  setMany(entries: ReadonlyArray<readonly [string, JsonValue]>): Promise<void> {
    let rows: Map<string, string>;
    try {
      this.#assertOpen();
      for (const [key, value] of entries) assertJsonValue(value, key);
      // One statement may not update a row twice: a key given twice keeps its last value here.
      rows = new Map(entries.map(([key, value]) => [JSON.stringify(key), JSON.stringify(value)]));
    } catch (err) {
      return Promise.reject(err);
    }
    if (rows.size === 0) return this.#run('write', async () => undefined);
    return this.#run('write', async (client) => {
      await client.query(
        `INSERT INTO ${this.#table} (namespace, key, value) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t(k, v)
         ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value`,
        [this.#namespace, [...rows.keys()], [...rows.values()]],
      );
    });
  }

  /** Durably removes every key in `keys`, in one statement. */
  delMany(keys: readonly string[]): Promise<void> {
    try {
      this.#assertOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    const texts = keys.map((key) => JSON.stringify(key));
    if (texts.length === 0) return this.#run('write', async () => undefined);
    return this.#run('write', async (client) => {
      await client.query(`DELETE FROM ${this.#table} WHERE namespace = $1 AND key = ANY($2::text[])`, [this.#namespace, texts]);
    });
  }

  /**
   * Durably removes `keys` and stores `entries` in one statement (a key in both ends up stored):
   * after a crash, all of it or none. Values are checked and serialized when called.
   */
  update(entries: ReadonlyArray<readonly [string, JsonValue]>, keys: readonly string[]): Promise<void> {
    let rows: Map<string, string>;
    let gone: string[];
    try {
      this.#assertOpen();
      for (const [key, value] of entries) assertJsonValue(value, key);
      rows = new Map(entries.map(([key, value]) => [JSON.stringify(key), JSON.stringify(value)]));
      // One statement may not delete and insert the same row: a key being set is not deleted.
      gone = [...new Set(keys.map((key) => JSON.stringify(key)))].filter((key) => !rows.has(key));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#run('write', async (client) => {
      await client.query(
        `WITH gone AS (DELETE FROM ${this.#table} WHERE namespace = $1 AND key = ANY($4::text[]))
         INSERT INTO ${this.#table} (namespace, key, value) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t(k, v)
         ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value`,
        [this.#namespace, [...rows.keys()], [...rows.values()], gone],
      );
    });
  }

  /** Waits for the calls already made, then closes the connection. Later calls reject; closing twice is fine. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail.catch(() => undefined);
    await this.#client.end().catch(() => undefined);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`PostgresStore: ${this.description} is closed`);
  }

  /** Runs `body` after every call made before it; its failure names the store, never a password. */
  #run<R>(what: 'read' | 'write', body: (client: PgClient) => Promise<R>): Promise<R> {
    try {
      this.#assertOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    const result = this.#tail.then(
      () => body(this.#client),
      () => body(this.#client),
    );
    this.#tail = result.catch(() => undefined);
    return result.catch((err: unknown) => {
      if (err instanceof CorruptStateError) throw err;
      throw new Error(`PostgresStore: cannot ${what} ${this.description}: ${scrub(messageOf(err), this.#secrets)}`);
    });
  }

  #parseKey(text: unknown): string {
    try {
      const key: unknown = typeof text === 'string' ? JSON.parse(text) : undefined;
      if (typeof key === 'string') return key;
    } catch {
      // reported below
    }
    throw new CorruptStateError(`PostgresStore: ${this.description} holds a key that is not JSON text of a string: ${String(text).slice(0, 80)}`);
  }

  #parse(key: string, text: unknown): JsonValue {
    try {
      if (typeof text === 'string') return JSON.parse(text) as JsonValue;
    } catch {
      // reported below
    }
    throw new CorruptStateError(`PostgresStore: ${this.description} holds a value at key ${JSON.stringify(key)} that is not JSON: ${String(text).slice(0, 80)}`);
  }
}

/**
 * Creates the table if absent. Two processes starting at once would race in `CREATE TABLE IF NOT
 * EXISTS` (one fails on the catalog's unique index), so creation holds a transaction-scoped
 * advisory lock named after the table.
 */
async function createTable(client: PgClient, table: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tributary:${table}`]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (namespace text NOT NULL, key text NOT NULL, value text NOT NULL, PRIMARY KEY (namespace, key))`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

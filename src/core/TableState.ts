import { OP, UNCHANGED, opOf, type ChangeOp, type ChangeRow } from './Changelog.js';
import { MicroDate } from './MicroDate.js';

/** The change log of a {@link TableState} is compacted beyond this many entries per row of the table... */
const LOG_COMPACT_FACTOR = 8;
/** ... or beyond that factor times this many, for a small table. */
const LOG_COMPACT_MIN = 1_024;

/** Default bound on the rows a table keeps in memory (see {@link TableState}). */
export const DEFAULT_TABLE_MAX_ROWS = 1_000_000;

type AnyRow = Record<string, unknown>;

/**
 * A row's key in the table's maps: the primary-key value itself for a one-column key that is a
 * string or a number (no string to build and hash per row), a text form otherwise.
 */
export type TableKey = string | number | bigint;

/** A deleted key in {@link TableState.takeChanges}: the row it had (its primary-key columns name the key). */
export class DeletedRow<R> {
  constructor(readonly row: R) {}
}

/**
 * The keyed state of a table: the current row of every primary key, and the rules that apply a
 * changelog to it. What each incoming operation does, by whether its key is present:
 *
 * | incoming                  | key absent                     | key present                                   |
 * |---------------------------|--------------------------------|-----------------------------------------------|
 * | `insert`                  | stored; emits `insert`         | overwrites (upsert); emits `update_before` (the stored row) + `update_after` |
 * | `update_after`            | stored; emits `insert`         | as `insert` on a present key                  |
 * | `update_before` + `update_after` of the same key (adjacent) | as the `update_after` alone | as the `update_after` alone |
 * | `update_before` alone, or followed by another key | ignored | a delete of that key (a primary-key change) |
 * | `delete`                  | ignored, emits nothing         | removed; emits `delete` with the *stored* row  |
| `truncate` (no columns)   | every row of the table is removed; a `delete` of each stored row |  |
 *
 * A column whose incoming value is {@link UNCHANGED} keeps the stored row's value (`null` when
 * the key was absent). Emitted inserts and after images are the incoming row objects themselves,
 * with their operation set; the table keeps a shallow copy of each, which no one sees until it is
 * retracted. A retraction is that stored copy itself, leaving the table: it holds the stored
 * values by construction, whatever an incoming before image says; no row is ever emitted twice
 * (a row emitted earlier keeps its operation); changing an emitted row downstream does not change
 * the table; and the same row objects applied again (a replay after a rollback) mean the same.
 *
 * A row whose primary-key column is `null` or missing is an error (the caller names the
 * position). More than `maxRows` keys is an error too: state is never dropped to fit.
 */
export class TableState<R extends AnyRow = AnyRow> {
  /**
   * The table's rows by key. Each carries the operation `update_before` under {@link OP}: what
   * it is emitted as when its key is next updated (see `upsert`); read its columns.
   */
  readonly rows = new Map<TableKey, R>();
  /**
   * What changed since {@link takeChanges}, in order: the key of an upserted row (its row is
   * whatever `rows` holds at the barrier) or the deleted row. An array push costs less than a
   * third hash-map write per change (the table already does a get and a set); the log is
   * reduced to one entry per key only when a delta is written, and not at all for a full
   * entry. Logging keys, not rows, keeps replaced rows collectable; the log is compacted when
   * it outgrows {@link LOG_COMPACT_FACTOR} times the table, so its memory stays proportional
   * to the table however long an epoch is.
   */
  private log: Array<TableKey | DeletedRow<R>> = [];
  /** The log's length after its last compaction (0 after a barrier took it). */
  private compacted = 0;
  readonly keyOf: (row: AnyRow) => TableKey;

  constructor(
    readonly primaryKey: readonly string[],
    readonly maxRows: number = DEFAULT_TABLE_MAX_ROWS,
  ) {
    if (primaryKey.length === 0) throw new TypeError('a table needs at least one primary-key column');
    if (!(maxRows > 0)) throw new TypeError(`a table's maxRows must be positive, got ${maxRows}`);
    this.keyOf = keyFunction(primaryKey);
  }

  /** Applies `records` in order, appending the table's changes to `out`. Throws on a bad key or the row limit. */
  apply(records: readonly R[], out: ChangeRow<R>[]): void {
    const n = records.length;
    for (let i = 0; i < n; i++) {
      const row = records[i]!;
      const op = opOf(row);
      if (op === 'update_before') {
        const next = records[i + 1];
        const key = this.keyOf(row);
        // The before image of an update in place: the stored row is the authoritative one, and
        // is what the update retracts (the incoming image may hold only the key, or be stale).
        if (next !== undefined && opOf(next) === 'update_after' && this.keyOf(next) === key) {
          this.upsert(key, next, out);
          i++;
          continue;
        }
        this.remove(key, out);
      } else if (op === 'delete') {
        this.remove(this.keyOf(row), out);
      } else if (op === 'truncate') {
        this.truncate(out);
      } else {
        this.upsert(this.keyOf(row), row, out);
      }
    }
  }

  /** The changed keys since the last call, each with its row now or its deleted row (and forgets them). */
  takeChanges(): Map<TableKey, R | DeletedRow<R>> {
    const changes = this.reduceLog(this.log);
    this.log = [];
    this.compacted = 0;
    return changes;
  }

  /**
   * Whether anything changed since {@link takeChanges}, and forgets it: for a full entry, which
   * writes every row and needs no list of changes.
   */
  dropChanges(): boolean {
    const changed = this.log.length > 0;
    this.log = [];
    this.compacted = 0;
    return changed;
  }

  /** The log with one entry per key, the latest: the stored row if the key is present, else its deleted row. */
  private reduceLog(log: ReadonlyArray<TableKey | DeletedRow<R>>): Map<TableKey, R | DeletedRow<R>> {
    const changes = new Map<TableKey, R | DeletedRow<R>>();
    for (const item of log) {
      if (item instanceof DeletedRow) changes.set(this.keyOf(item.row), item);
      else {
        const row = this.rows.get(item);
        // Absent: deleted later in the log, whose DeletedRow entry sets it.
        if (row !== undefined) changes.set(item, row);
      }
    }
    // The log is in order, so the last entry of a key wins: a key deleted and upserted again
    // ends on its row, one upserted and then deleted on its DeletedRow.
    return changes;
  }

  private logChange(item: TableKey | DeletedRow<R>): void {
    const log = this.log;
    log.push(item);
    if (log.length > LOG_COMPACT_FACTOR * Math.max(this.rows.size, LOG_COMPACT_MIN, this.compacted)) {
      const compacted: Array<TableKey | DeletedRow<R>> = [];
      for (const [key, change] of this.reduceLog(log)) compacted.push(change instanceof DeletedRow ? change : key);
      this.log = compacted;
      // Deleted keys stay in the log until the barrier: after a mass delete (a TRUNCATE) the
      // compacted log can outgrow the table, and bounding it by the table alone would compact
      // again at every change (quadratic).
      this.compacted = compacted.length;
    }
  }

  /** Sets a row as restored from a checkpoint; not a change. */
  restore(row: R): void {
    // A decoded row, seen by no one: kept as it is, with the operation every stored row carries.
    (row as { [OP]?: ChangeOp })[OP] = 'update_before';
    this.rows.set(this.keyOf(row), row);
    this.checkSize();
  }

  /** Deletes the key of `keyRow` (a row holding at least the primary-key columns) as restored from a checkpoint. */
  restoreDelete(keyRow: AnyRow): void {
    this.rows.delete(this.keyOf(keyRow));
  }

  /**
   * Stores a shallow copy of `row` (an insert or after image) under `key` and emits `row`, so
   * that the stored object is seen by no one until it is retracted: a retraction is then the
   * stored object itself, with no read or copy of its values. A stored row is usually out of the
   * CPU's caches by the time its key changes again, and reading it (to compare it with the
   * incoming before image, or to copy it) was half the cost of applying a Debezium update;
   * copying the incoming row, just decoded and in cache, costs a fraction of that. The copy
   * carries `update_before` from the start, the operation it leaves the table with in an update,
   * so an update does not even write to it; a delete sets `delete`.
   *
   * Emitting the copy and storing `row` instead would leave fewer long-lived objects for the
   * garbage collector, but would set `update_before` on a row the caller gave: a source that
   * replays the same row objects after a rollback would then replay an insert as a retraction.
   * An incoming row only ever gets the operation it came with (or `insert` for `update_after`).
   */
  private upsert(key: TableKey, row: R, out: ChangeRow<R>[]): void {
    const old = this.rows.get(key);
    fillUnchanged(row, old);
    const stored = { ...row };
    (stored as { [OP]?: ChangeOp })[OP] = 'update_before';
    this.rows.set(key, stored);
    if (old === undefined) {
      this.checkSize();
      out.push(withOpSet(row, 'insert'));
    } else {
      out.push(old, withOpSet(row, 'update_after'));
    }
    this.logChange(key);
  }

  /** A TRUNCATE of the upstream table (see `truncation`): deletes every row, emitting each stored row as a `delete`. */
  private truncate(out: ChangeRow<R>[]): void {
    // Cleared after the walk: logChange's compaction bound reads the table's size.
    for (const old of this.rows.values()) {
      this.logChange(new DeletedRow(old));
      out.push(withOpSet(old, 'delete'));
    }
    this.rows.clear();
  }

  /** Removes `key` (named by a delete, or a lone before image), emitting the stored row as its `delete`. */
  private remove(key: TableKey, out: ChangeRow<R>[]): void {
    const old = this.rows.get(key);
    if (old === undefined) return;
    this.rows.delete(key);
    this.logChange(new DeletedRow(old));
    out.push(withOpSet(old, 'delete'));
  }

  private checkSize(): void {
    if (this.rows.size > this.maxRows) {
      throw new Error(
        `the table holds more than ${this.maxRows} rows (its maxRows): its state is kept in memory and is never dropped to fit; raise maxRows if the memory allows`,
      );
    }
  }
}

function withOpSet<R extends AnyRow>(row: R, op: ChangeOp): ChangeRow<R> {
  (row as { [OP]?: ChangeOp })[OP] = op;
  return row as ChangeRow<R>;
}

/** Replaces {@link UNCHANGED} values by the stored row's (or `null`). */
function fillUnchanged(row: AnyRow, old: AnyRow | undefined): void {
  for (const column in row) {
    if (row[column] === UNCHANGED) row[column] = old === undefined ? null : (old[column] ?? null);
  }
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The function giving a row's key, equal for equal primary-key values. Integers are equal
 * whether they came as a number or a `bigint`; a text and a number never collide. A one-column
 * key that is a string or a number is its own key (Map keys compare them by value); other
 * values, and keys of several columns, get a text form (non-string values of one column
 * prefixed with NUL, so that they do not meet ordinary texts).
 */
function keyFunction(primaryKey: readonly string[]): (row: AnyRow) => TableKey {
  if (primaryKey.length === 1) {
    const column = primaryKey[0]!;
    return (row) => {
      const value = row[column];
      if (typeof value === 'string' || typeof value === 'number') return value;
      if (typeof value === 'bigint') return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value;
      return `\u0000${keyPart(value, column)}`;
    };
  }
  return (row) => {
    const parts = new Array<string>(primaryKey.length);
    for (let i = 0; i < primaryKey.length; i++) parts[i] = keyPart(row[primaryKey[i]!], primaryKey[i]!);
    return JSON.stringify(parts);
  };
}

function keyPart(value: unknown, column: string): string {
  switch (typeof value) {
    case 'string':
      return `s${value}`;
    case 'number':
      return Number.isInteger(value) ? `i${value}` : `n${value}`;
    case 'bigint':
      return `i${value}`;
    case 'boolean':
      return `b${value}`;
    case 'undefined':
      throw new Error(`the row has no primary-key column "${column}"`);
    case 'object':
      if (value === null) throw new Error(`the row's primary-key column "${column}" is null`);
      if (value instanceof Date) return value instanceof MicroDate && value.micros !== 0 ? `d${value.getTime()}.${value.micros}` : `d${value.getTime()}`;
      if (value instanceof Uint8Array) return `x${Array.from(value).join(',')}`;
      if (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype) {
        return `j${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
      }
      // Class instances (a SQL Decimal) key by their text form: equal values, equal texts.
      return `o${String(value)}`;
    default:
      throw new Error(`the row's primary-key column "${column}" holds a ${typeof value}`);
  }
}

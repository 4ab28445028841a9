import { OP, UNCHANGED, opOf, type ChangeOp, type ChangeRow } from './Changelog.js';

/** Default bound on the rows a table keeps in memory (see {@link TableState}). */
export const DEFAULT_TABLE_MAX_ROWS = 1_000_000;

type AnyRow = Record<string, unknown>;

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
 *
 * A column whose incoming value is {@link UNCHANGED} keeps the stored row's value (`null` when
 * the key was absent). Emitted retractions are copies of the stored row; emitted inserts and
 * after images are the incoming row objects themselves, with their operation set.
 *
 * A row whose primary-key column is `null` or missing is an error (the caller names the
 * position). More than `maxRows` keys is an error too: state is never dropped to fit.
 */
export class TableState<R extends AnyRow = AnyRow> {
  readonly rows = new Map<string, R>();
  /** Keys changed since {@link takeChanges}: the new row, or `null` for a deleted key. */
  private dirty = new Map<string, R | null>();
  readonly keyOf: (row: AnyRow) => string;

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
        // The before image of an update in place: the stored row is the authoritative one.
        if (next !== undefined && opOf(next) === 'update_after' && this.keyOf(next) === key) continue;
        this.remove(key, out);
      } else if (op === 'delete') {
        this.remove(this.keyOf(row), out);
      } else {
        this.upsert(this.keyOf(row), row, out);
      }
    }
  }

  /** The changed keys since the last call (and forgets them). */
  takeChanges(): Map<string, R | null> {
    const changes = this.dirty;
    this.dirty = new Map();
    return changes;
  }

  /** Sets a key's row as restored from a checkpoint (`null` deletes it); not a change. */
  restore(key: string, row: R | null): void {
    if (row === null) this.rows.delete(key);
    else this.rows.set(key, row);
    this.checkSize();
  }

  private upsert(key: string, row: R, out: ChangeRow<R>[]): void {
    const old = this.rows.get(key);
    if (old === undefined) {
      fillUnchanged(row, undefined);
      this.rows.set(key, row);
      this.checkSize();
      out.push(withOpSet(row, 'insert'));
    } else {
      fillUnchanged(row, old);
      this.rows.set(key, row);
      out.push(copyWithOp(old, 'update_before'), withOpSet(row, 'update_after'));
    }
    this.dirty.set(key, row);
  }

  private remove(key: string, out: ChangeRow<R>[]): void {
    const old = this.rows.get(key);
    if (old === undefined) return;
    this.rows.delete(key);
    this.dirty.set(key, null);
    out.push(copyWithOp(old, 'delete'));
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

/** A copy, so that a row emitted earlier (and maybe still held downstream) keeps its own operation. */
function copyWithOp<R extends AnyRow>(row: R, op: ChangeOp): ChangeRow<R> {
  const copy = { ...row } as ChangeRow<R>;
  (copy as { [OP]?: ChangeOp })[OP] = op;
  return copy;
}

/** Replaces {@link UNCHANGED} values by the stored row's (or `null`). */
function fillUnchanged(row: AnyRow, old: AnyRow | undefined): void {
  for (const column in row) {
    if (row[column] === UNCHANGED) row[column] = old === undefined ? null : (old[column] ?? null);
  }
}

/**
 * The function giving a row's key: a string equal for equal primary-key values. Integers are
 * equal whether they came as a number or a `bigint`; a text and a number never collide.
 */
function keyFunction(primaryKey: readonly string[]): (row: AnyRow) => string {
  if (primaryKey.length === 1) {
    const column = primaryKey[0]!;
    return (row) => keyPart(row[column], column);
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
      if (value instanceof Date) return `d${value.getTime()}`;
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

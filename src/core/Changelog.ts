/**
 * Change data in the row model. A changelog row is an ordinary row object that carries its
 * operation under a symbol key, the way Flink's `RowKind` and RisingWave's `Op` column do: an
 * append-only row carries nothing and costs nothing (it is an insert), `Object.keys` and
 * `JSON.stringify` never see the operation, and the column namespace stays the user's.
 *
 * An update is two rows, the before image then the after image (`update_before`,
 * `update_after`), adjacent in the same chunk. A format that does not know the before image
 * (Maxwell without `old`, an upsert) emits only `update_after` or `insert`: a table keyed by
 * primary key treats an insert of a present key as an overwrite.
 *
 * @example
 * const deleted = withOp({ id: 7 }, 'delete');
 * opOf(deleted);        // 'delete'
 * opOf({ id: 8 });      // 'insert'
 * JSON.stringify(deleted); // '{"id":7}'
 */

/**
 * The operation a changelog row carries (Flink's `RowKind`, RisingWave's `Op`), or `truncate`:
 * see {@link truncation}.
 */
export type ChangeOp = 'insert' | 'delete' | 'update_before' | 'update_after' | 'truncate';

/** The symbol key under which a row keeps its {@link ChangeOp}. Registered, so two copies of the library agree. */
export const OP: unique symbol = Symbol.for('tributary.op') as typeof OP;

/**
 * The value a change-data format puts in a column whose new value the upstream did not send
 * (Debezium's `__debezium_unavailable_value` for an unchanged TOASTed column): a table keeps the
 * column's previous value instead of overwriting it.
 */
export const UNCHANGED: unique symbol = Symbol.for('tributary.unchanged') as typeof UNCHANGED;

/** A row with its operation attached. */
export type ChangeRow<R extends object = Record<string, unknown>> = R & { [OP]?: ChangeOp };

/** The operation of `row`: the one it carries, or `insert` for an append-only row. */
export function opOf(row: object): ChangeOp {
  return (row as { [OP]?: ChangeOp })[OP] ?? 'insert';
}

/** Attaches `op` to `row` (mutating it: rows are freshly decoded objects) and returns it. */
export function withOp<R extends object>(row: R, op: ChangeOp): ChangeRow<R> {
  (row as { [OP]?: ChangeOp })[OP] = op;
  return row as ChangeRow<R>;
}

/**
 * A TRUNCATE of the upstream table, as a changelog row: no columns, operation `truncate`. It
 * stands for "every row of this table is gone" and holds no keys, because the upstream sends
 * none (PostgreSQL's TRUNCATE message names only the table), so whoever keeps the rows applies
 * it to the rows it keeps:
 * - `toTable` deletes every row of its table (emitting a `delete` of each stored row), so the
 *   connector needs no key set of its own and a TRUNCATE after a restart works from the
 *   table's checkpointed rows. A table holds one upstream table: a TRUNCATE empties all of it.
 * - A stream without a table passes it on as it is, in its split's chunk (the chunk's split
 *   names the upstream table), counted as one record; `opOf` says `truncate`, and
 *   `isRetraction` is false (it retracts no particular row). A SQL query without state passes
 *   it on too; one that keeps state over the rows (an aggregate, `LIMIT`) cannot retract rows
 *   it never kept and fails naming source, split and offset: declare the source as a TABLE
 *   with a primary key. The CLI prints it as a line `{"__op":"truncate","__split":...}`.
 *
 * ```text
 * source:  -[+1:x, +2:y]--|1--[truncate]--|2-
 * toTable: -[+1:x, +2:y]--|1--[-1:x, -2:y]--|2-
 * no table:-[+1:x, +2:y]--|1--[truncate]--|2-
 * ```
 *
 * @example
 * const t = truncation();
 * opOf(t);                         // 'truncate'
 * Object.keys(t).length;           // 0
 */
export function truncation(): ChangeRow {
  return withOp({}, 'truncate');
}

/** True for the operations that retract a row (`delete`, `update_before`). */
export function isRetraction(op: ChangeOp): boolean {
  return op === 'delete' || op === 'update_before';
}

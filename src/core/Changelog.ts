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

/** The operation a changelog row carries (Flink's `RowKind`, RisingWave's `Op`). */
export type ChangeOp = 'insert' | 'delete' | 'update_before' | 'update_after';

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

/** True for the operations that retract a row (`delete`, `update_before`). */
export function isRetraction(op: ChangeOp): boolean {
  return op === 'delete' || op === 'update_before';
}

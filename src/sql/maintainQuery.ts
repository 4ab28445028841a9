import { Observable, type OperatorFunction } from 'rxjs';
import { opOf, withOp, isRetraction } from '../core/Changelog.js';
import { checkpointKeys } from '../core/Checkpoint.js';
import type { JsonValue } from '../core/Json.js';
import { isThenable, type MaybePromise } from '../core/MaybePromise.js';
import type { Source } from '../core/Source.js';
import { CorruptStateError, SourceError } from '../core/SourceError.js';
import { chunk as makeChunk, type Barrier, type SourceEvent } from '../core/SourceEvent.js';
import type { Row } from '../formats/Format.js';
import { AggregateState, DEFAULT_MAX_RESULT_ROWS, groupKey } from './AggregateState.js';
import { compareValues } from './compileExpression.js';
import type { CompiledOrder, CompiledQuery } from './compileQuery.js';
import { encodeValue, decodeValue } from './stateCodec.js';

/** Options of {@link maintainQuery}. */
export interface MaintainQueryOptions {
  /** Names the query's state in the store (under `<source>/query/<name>/epoch/<n>`); stable across runs. */
  readonly name: string;
  /**
   * The input never retracts (a plain, append-only source): ORDER BY ... LIMIT n then keeps only
   * n rows instead of every row of the result.
   */
  readonly appendOnly?: boolean;
  /**
   * Called at each subscription with the result's live state (after nothing, before the first
   * event): a caller that wants the final result of a bounded run reads `final()` on it at
   * completion. The CLI does; restored state is in it, so a resumed run's answer is whole.
   */
  readonly onResult?: (result: ResultState) => void;
  /**
   * Groups, or result rows kept for ORDER BY ... LIMIT, at most (default
   * {@link DEFAULT_MAX_RESULT_ROWS}, 1,000,000); one more fails the query naming the limit.
   */
  readonly maxResultRows?: number;
}

/** The key of a query's state for one epoch. */
export const queryStateKey = (source: string, query: string, epoch: number): string => `${source}/query/${query}/epoch/${epoch}`;

/**
 * Maintains a query's result over a changelog (or append-only) input, incrementally, and emits
 * the result's changes as changelog rows (each carrying its `ChangeOp`, see `Changelog.ts`).
 *
 * - Aggregates (`count`, `sum`, `min`, `max`, `avg`, GROUP BY): see {@link AggregateState}; each
 *   chunk updates the groups its rows touch, then one change per touched group is emitted: an
 *   `insert` for a new group, a `delete` for a vanished one, an `update_before`/`update_after`
 *   pair for a changed one, nothing when the group's row came out the same.
 * - WHERE applies to retractions as to inserts (a deleted row that never passed was never counted).
 * - Without aggregates, rows pass projected, keeping their operation.
 * - `ORDER BY ... LIMIT n`: the result's first n rows; after a chunk that changed the result, the
 *   new first n are compared with those shown and the differences emitted (re-ranking is
 *   O(r log r) in result rows; the aggregates themselves are not recomputed). ORDER BY without
 *   LIMIT orders nothing in a stream of changes: the CLI sorts a bounded query's final result.
 *
 * State is checkpointed with the source: at each barrier, before the barrier is passed on, the
 * state is written to the source's store under the barrier's epoch; a subscription restores the
 * state of the source's last committed epoch, the same epoch whose split positions the source
 * resumes from, so a rollback (re-subscription after an error) replays exactly what the restored
 * state has not counted: nothing is counted twice, nothing lost. Put it before `commitEpochs`: a
 * barrier commits only after the state of its epoch is written. A committed epoch without this
 * query's state (the source's checkpoints were written by another pipeline) is a
 * `CorruptStateError`, not a silent restart from zero. Entries of epochs below the committed
 * one are deleted as barriers pass; those of a run that failed before committing stay until
 * the state is cleared (one per failed run).
 *
 * Memory: one entry per group (aggregates; min/max add one per distinct value), or, for
 * ORDER BY ... LIMIT over a changelog (or a bounded run's ORDER BY), every distinct result row;
 * at most `maxResultRows` (1,000,000 by default) of them: one more fails the query with an error
 * naming the limit, never dropping state.
 *
 * @example
 * // chunk rows: a=1 insert, a=1 insert, a=1 delete          (count(*) group by a)
 * // in:   --c1------c2------B1--
 * // out:  --[+{a:1,n:1}]--[-{a:1,n:1},+{a:1,n:2}]--B1--
 * source.pipe(maintainQuery(source, compiled, { name: 'q1' }), commitEpochs(source), toRecords());
 */
export function maintainQuery(source: Source<unknown>, compiled: CompiledQuery, options: MaintainQueryOptions): OperatorFunction<SourceEvent<Row>, SourceEvent<Row>> {
  const { store } = source;
  return (events) =>
    new Observable<SourceEvent<Row>>((subscriber) => {
      // Fresh per subscription: a rollback restores from the store, never from what a failed run left in memory.
      // A caller that reads the final result needs every row kept, even without LIMIT.
      const result = new ResultState(compiled, options.appendOnly === true, options.onResult !== undefined, options.maxResultRows);
      options.onResult?.(result);
      const written: number[] = [];
      const queue: Array<SourceEvent<Row> | { complete: true }> = [];
      let busy = true; // restoring
      let closed = false;

      const fail = (err: unknown): void => {
        closed = true;
        subscriber.error(err);
      };
      const after = <T>(value: MaybePromise<T>, next: (v: T) => void): void => {
        if (isThenable(value)) {
          busy = true;
          value.then(
            (v) => {
              if (closed) return;
              try {
                next(v);
              } catch (err) {
                fail(err);
              }
            },
            fail,
          );
        } else next(value);
      };

      const drain = (): void => {
        while (!busy && !closed && queue.length > 0) {
          const item = queue.shift()!;
          if ('complete' in item) {
            subscriber.complete();
            return;
          }
          if (item.type === 'chunk') {
            let changes: Row[];
            try {
              changes = result.apply(item.records);
            } catch (err) {
              fail(
                new SourceError(`query on source "${compiled.source}": ${err instanceof Error ? err.message : String(err)}`, {
                  source: source.name,
                  split: item.splitId,
                  offset: item.offset,
                }, { cause: err }),
              );
              return;
            }
            if (changes === item.records) subscriber.next(item);
            else {
              subscriber.next(makeChunk(item.splitId, changes, item.offset, item.nextOffset));
              // commitEpochs acknowledges the changes it sees; the source counted the records in flight.
              const difference = item.records.length - changes.length;
              if (difference !== 0) source.acknowledge(difference);
            }
            continue;
          }
          const barrier = item;
          const key = queryStateKey(source.name, options.name, barrier.epoch);
          busy = true;
          // A synchronous store that throws must fail the stream, not escape into the source's callback.
          try {
            writeState(barrier, key);
          } catch (err) {
            fail(new SourceError(`writing the state of query '${options.name}' at epoch ${barrier.epoch} failed: ${err instanceof Error ? err.message : String(err)}`, { source: source.name }, { cause: err }));
            return;
          }
        }
      };

      const writeState = (barrier: Barrier, key: string): void => {
        after(store.set(key, result.snapshot()), () => {
          written.push(barrier.epoch);
          after(store.get(checkpointKeys.committed(source.name)), (committed) => {
            const stale = typeof committed === 'number' ? written.filter((e) => e < committed) : [];
            const done = (): void => {
              for (const e of stale) written.splice(written.indexOf(e), 1);
              busy = false;
              subscriber.next(barrier);
              drain();
            };
            if (stale.length === 0) done();
            else after(store.delMany(stale.map((e) => queryStateKey(source.name, options.name, e))), done);
          });
        });
      };

      const subscription = events.subscribe({
        next: (event) => {
          queue.push(event);
          drain();
        },
        error: fail,
        complete: () => {
          queue.push({ complete: true });
          drain();
        },
      });

      // Restore before the first event is processed (events queue meanwhile).
      try {
        after(store.get(checkpointKeys.committed(source.name)), (committed) => {
          if (committed === undefined) {
            busy = false;
            drain();
            return;
          }
          const epoch = committed as number;
          const key = queryStateKey(source.name, options.name, epoch);
          after(store.get(key), (state) => {
            if (state === undefined) {
              throw new CorruptStateError(
                `source '${source.name}': committed epoch ${epoch} has no state for query '${options.name}' ('${key}'): the source's positions were ` +
                  'checkpointed by another pipeline; restarting the query from zero would miss what came before. Delete the state deliberately to start over.',
              );
            }
            result.restore(state);
            written.push(epoch);
            busy = false;
            drain();
          });
        });
      } catch (err) {
        fail(err);
      }
      return () => {
        closed = true;
        subscription.unsubscribe();
      };
    });
}

/** A query's result as it stands, and the rows of it shown (all of it, or the first LIMIT n). */
export class ResultState {
  private readonly aggregate: AggregateState | undefined;
  /** Result rows of a query without aggregates that must be kept (ORDER BY ... LIMIT over a changelog). */
  private readonly rows = new Map<string, { row: Row; count: number }>();
  /** What the output shows now, when LIMIT applies: row key → row and multiplicity. */
  private shown = new Map<string, { row: Row; count: number }>();
  /** Whether the query's result changes pass straight through (no LIMIT). */
  private readonly unlimited: boolean;
  private readonly stateless: boolean;
  /** The global aggregate's row (no GROUP BY) has been emitted. */
  private announced = false;

  constructor(
    private readonly compiled: CompiledQuery,
    private readonly appendOnly: boolean,
    /** Keep every result row (for {@link final}) even when no LIMIT needs them. */
    keepRows = false,
    private readonly maxRows = DEFAULT_MAX_RESULT_ROWS,
  ) {
    this.aggregate = compiled.aggregate === undefined ? undefined : new AggregateState(compiled.aggregate, maxRows);
    this.unlimited = compiled.limit === undefined;
    this.stateless = this.aggregate === undefined && this.unlimited && !keepRows;
  }

  /** Applies one chunk's records; returns the result's changes (the records themselves when nothing is transformed). */
  apply(records: readonly Row[]): Row[] {
    const { filter, project } = this.compiled;
    const changes: Row[] = [];
    if (this.aggregate === undefined) {
      for (const record of records) {
        const op = opOf(record);
        if (op === 'truncate') {
          // No columns to filter or project: it passes as it is, unless rows are kept.
          if (!this.stateless) throw truncateError();
          if (this.unlimited) changes.push(record);
          continue;
        }
        if (filter !== undefined && !filter(record)) continue;
        // An append-only row stays as it is: no operation attached, nothing extra to carry.
        const row = op === 'insert' ? project(record) : withOp(project(record), op);
        if (!this.stateless) this.addRow(row, isRetraction(op) ? -1 : 1);
        if (this.unlimited) changes.push(row);
      }
      return this.unlimited ? changes : this.limited();
    }
    const state = this.aggregate;
    const before = new Map<string, Row | undefined>();
    if (!this.announced && this.compiled.aggregate!.groupBy.length === 0) {
      before.set(groupKey([]), undefined);
      this.announced = true;
    }
    for (const record of records) {
      if (opOf(record) === 'truncate') throw truncateError();
      if (filter !== undefined && !filter(record)) continue;
      const { key, keys } = state.keyOf(record);
      if (!before.has(key)) before.set(key, state.output(key));
      state.apply(record, isRetraction(opOf(record)) ? -1 : 1, key, keys);
    }
    if (this.unlimited) {
      for (const [key, old] of before) pushChange(changes, old, state.output(key));
      return changes;
    }
    if (before.size === 0) return [];
    return this.limited();
  }

  /** Every row of the result as it stands (for a bounded query's final answer), ordered by ORDER BY and cut by LIMIT. */
  final(): Row[] {
    const all = this.aggregate === undefined ? [...this.rows.values()].flatMap(({ row, count }) => Array<Row>(count).fill(row)) : [...this.aggregate.outputs()].map(([, row]) => row);
    return sortRows(all, this.compiled.orderBy).slice(0, this.compiled.limit ?? Infinity);
  }

  snapshot(): JsonValue {
    return {
      announced: this.announced,
      aggregate: this.aggregate?.snapshot() ?? null,
      rows: [...this.rows.values()].map(({ row, count }) => [encodeValue(row), count]),
    };
  }

  restore(json: JsonValue): void {
    const s = json as { announced?: boolean; aggregate?: JsonValue; rows?: [JsonValue, number][] };
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new CorruptStateError('query state is corrupt: not an object');
    this.announced = s.announced === true;
    if (this.aggregate !== undefined && s.aggregate !== undefined && s.aggregate !== null) this.aggregate.restore(s.aggregate);
    this.rows.clear();
    for (const [row, count] of s.rows ?? []) this.addRow(decodeValue(row) as Row, 1, count);
    // What was shown at the checkpoint is what the restored result's first n rows are.
    this.shown = this.topRows();
  }

  private addRow(row: Row, sign: 1 | -1, times = 1): void {
    const key = JSON.stringify(encodeValue(row));
    const entry = this.rows.get(key);
    if (sign > 0) {
      if (entry === undefined && this.rows.size >= this.maxRows) {
        throw new Error(`more than ${this.maxRows} distinct result rows kept: the query's state lives in memory and is not dropped; raise maxResultRows or add a LIMIT`);
      }
      if (entry === undefined) this.rows.set(key, { row, count: times });
      else entry.count += times;
      return;
    }
    if (entry === undefined) throw new Error('a retraction of a row that is not in the result (the input is not a consistent changelog)');
    if (--entry.count === 0) this.rows.delete(key);
  }

  /** The first LIMIT n rows of the result now, by key. */
  private topRows(): Map<string, { row: Row; count: number }> {
    const top = new Map<string, { row: Row; count: number }>();
    for (const row of this.final()) {
      const key = JSON.stringify(encodeValue(row));
      const entry = top.get(key);
      if (entry === undefined) top.set(key, { row, count: 1 });
      else entry.count++;
    }
    return top;
  }

  /** Changes between the rows shown and the result's first n now; retractions first. */
  private limited(): Row[] {
    const next = this.topRows();
    const changes: Row[] = [];
    for (const [key, { row, count }] of this.shown) {
      const remaining = next.get(key)?.count ?? 0;
      for (let i = remaining; i < count; i++) changes.push(withOp({ ...row }, 'delete'));
    }
    for (const [key, { row, count }] of next) {
      const had = this.shown.get(key)?.count ?? 0;
      for (let i = had; i < count; i++) changes.push(withOp({ ...row }, 'insert'));
    }
    this.shown = next;
    // Append-only input: rows beyond the first n can never come back, so they need not be kept.
    if (this.appendOnly && this.aggregate === undefined) {
      this.rows.clear();
      for (const [key, entry] of next) this.rows.set(key, { row: entry.row, count: entry.count });
    }
    return changes;
  }
}

function pushChange(changes: Row[], before: Row | undefined, after: Row | undefined): void {
  if (before === undefined && after === undefined) return;
  if (before === undefined) changes.push(withOp(after!, 'insert'));
  else if (after === undefined) changes.push(withOp(before, 'delete'));
  else if (JSON.stringify(encodeValue(before)) !== JSON.stringify(encodeValue(after))) {
    changes.push(withOp(before, 'update_before'), withOp(after, 'update_after'));
  }
}

/** Sorts rows by ORDER BY (PostgreSQL's NULL placement); a stable sort keeps ties in arrival order. */
export function sortRows(rows: Row[], orderBy: readonly CompiledOrder[]): Row[] {
  if (orderBy.length === 0) return rows;
  return rows.sort((a, b) => {
    for (const { column, descending, nullsFirst } of orderBy) {
      const x = a[column] ?? null;
      const y = b[column] ?? null;
      let c: number;
      if (x === null || y === null) c = x === y ? 0 : (x === null) === nullsFirst ? -1 : 1;
      else c = descending ? -compareValues(x, y) : compareValues(x, y);
      if (c !== 0) return c;
    }
    return 0;
  });
}

/**
 * A TRUNCATE reaching a query that keeps state over the rows (an aggregate, ORDER BY ... LIMIT,
 * a bounded run's kept result): it names no rows, and this state does not know which rows
 * came from the truncated table, so it cannot be applied. A table can (see `toTable`).
 */
function truncateError(): Error {
  return new Error('a TRUNCATE of the upstream table reached a query that keeps state over its rows, which cannot tell which rows it removes: declare it CREATE TABLE ... PRIMARY KEY (the table applies a TRUNCATE to the rows it keeps)');
}

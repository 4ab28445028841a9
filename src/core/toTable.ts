import { Observable, Subscription, concat, map, of, type OperatorFunction } from 'rxjs';
import { checkpointKeys } from './Checkpoint.js';
import { fromMaybePromise } from './MaybePromise.js';
import type { ChangeRow } from './Changelog.js';
import type { Source } from './Source.js';
import { CorruptStateError, SourceError } from './SourceError.js';
import type { Barrier, Chunk, SourceEvent } from './SourceEvent.js';
import { restoreTable, writeTableEpoch, type TableChain } from './TableCheckpoint.js';
import { defaultTableRowCodec, type TableRowCodec } from './TableRowCodec.js';
import { DEFAULT_TABLE_MAX_ROWS, TableState } from './TableState.js';

/** Options of {@link toTable}. */
export interface ToTableOptions {
  /** The primary-key columns: rows with equal values in them are one row of the table. */
  readonly primaryKey: readonly string[];
  /** Names the table in the state store and in errors (default `table`); two tables of one source need two names. */
  readonly name?: string;
  /**
   * The most rows the table may hold (default {@link DEFAULT_TABLE_MAX_ROWS}, 1,000,000). The
   * table lives in memory; one row more fails the pipeline with an error naming the source and
   * the table, rather than dropping state.
   */
  readonly maxRows?: number;
  /** How rows are stored in checkpoints (default {@link defaultTableRowCodec}). */
  readonly codec?: TableRowCodec;
}

/**
 * Applies a changelog to a table keyed by `primaryKey` and emits the table's changes: the
 * operator behind SQL `CREATE TABLE ... PRIMARY KEY`. Rows carry their operation under
 * {@link OP} (none: an insert); the rules are those of {@link TableState}: an insert of a present
 * key overwrites it (emitting `update_before` then `update_after`), a delete of an absent key and
 * the lone before image of an update to an absent key do nothing, an update of an absent key is an
 * insert, {@link UNCHANGED} columns keep the stored value, a `truncate` row (see `truncation` in
 * Changelog.ts) deletes every row the table holds, restored ones included (the upstream sends
 * no keys with a TRUNCATE; the table is what knows them). Each chunk in gives one chunk out
 * (same split and offsets), holding the changes it caused.
 *
 * The table is part of the source's checkpoint: at every barrier the changes since the previous
 * one go into the source's state store (`<source>/table/<name>/epoch/<n>`, see {@link tableKeys})
 * before the barrier is passed on, so the epoch's commit (by `commitEpochs` downstream) covers
 * the offsets and the table at once. Every subscription first restores the table as of the last
 * committed epoch, then subscribes to the source, which resumes from the same epoch: a rollback
 * (`runWithCheckpoints`, `retry`) restores both, so no change is applied twice and none is lost.
 *
 * Flow control: `commitEpochs` acknowledges the records it sees, which here are changes, not
 * source records; the operator acknowledges the difference itself so the source's count of
 * records in flight stays right.
 *
 * ```text
 * source:  -a(+1:x)--b(+1:y)--|1--c(-1)--|2-
 * toTable: -[+1:x]---[-1:x,+1:y]--|1--[-1:y]--|2-   (|n: barrier n, after the table's write)
 * ```
 *
 * @example
 * const orders = createKafkaSource({ name: 'orders', topic: 'orders', brokers, format: createFormat('debezium_json') });
 * runWithCheckpoints(orders, toTable(orders, { primaryKey: ['order_id'] })).pipe(toRecords())
 *   .subscribe((change) => console.log(opOf(change), change));
 */
export function toTable<R extends Record<string, unknown>>(
  source: Source<unknown>,
  options: ToTableOptions,
): OperatorFunction<SourceEvent<R>, SourceEvent<ChangeRow<R>>> {
  const tableName = options.name ?? 'table';
  const codec = options.codec ?? defaultTableRowCodec;
  const maxRows = options.maxRows ?? DEFAULT_TABLE_MAX_ROWS;
  const primaryKey = [...options.primaryKey];
  // Fail at pipeline build time, not at the first row.
  void new TableState<R>(primaryKey, maxRows);
  return (events) =>
    new Observable<SourceEvent<ChangeRow<R>>>((subscriber) => {
      const state = new TableState<R>(primaryKey, maxRows);
      const subscriptions = new Subscription();
      const queue: Array<SourceEvent<R> | { readonly complete: true }> = [];
      let chain: TableChain | undefined;
      let writing = false;
      let closed = false;
      let orderChecked = false;
      const where = (split?: string, offset?: string) => ({ source: source.name, ...(split === undefined ? {} : { split }), ...(offset === undefined ? {} : { offset }) });
      const fail = (err: unknown, split?: string, offset?: string): void => {
        if (closed) return;
        closed = true;
        const message = err instanceof Error ? err.message : String(err);
        subscriber.error(err instanceof SourceError || err instanceof CorruptStateError ? err : new SourceError(`table '${tableName}': ${message}`, where(split, offset), { cause: err }));
      };

      const applyChunk = (event: Chunk<R>): void => {
        const out: ChangeRow<R>[] = [];
        try {
          state.apply(event.records, out);
        } catch (err) {
          fail(err, event.splitId, event.offset);
          return;
        }
        subscriber.next({ type: 'chunk', splitId: event.splitId, records: out, offset: event.offset, nextOffset: event.nextOffset });
        // commitEpochs acknowledges `out.length`; the source counted `records.length` in flight.
        const difference = event.records.length - out.length;
        if (difference !== 0) source.acknowledge(difference);
      };

      const checkpoint = (barrier: Barrier): void => {
        writing = true;
        // The first barrier of a run checks the pipeline's order: an epoch already committed
        // when its barrier gets here means commitEpochs runs before toTable, and a crash between
        // the commit and the table's write would then lose changes without a trace.
        const order$ = orderChecked
          ? of(undefined)
          : fromMaybePromise(() => source.store.get(checkpointKeys.committed(source.name))).pipe(
              map((committed) => {
                if (typeof committed === 'number' && committed >= barrier.epoch) {
                  throw new Error(`epoch ${barrier.epoch} was committed before its barrier reached the table: put toTable before commitEpochs`);
                }
                orderChecked = true;
              }),
            );
        subscriptions.add(
          concat(order$, writeTableEpoch(source.store, source.name, tableName, state, codec, chain!, barrier.epoch)).subscribe({
            error: (err: unknown) =>
              fail(new SourceError(`table '${tableName}': ${orderChecked ? `writing its state for epoch ${barrier.epoch} failed: ` : ''}${describe(err)}`, where(), { cause: err })),
            complete: () => {
              if (closed) return;
              writing = false;
              subscriber.next(barrier);
              drain();
            },
          }),
        );
      };

      const drain = (): void => {
        while (!writing && !closed && chain !== undefined && queue.length > 0) {
          const item = queue.shift()!;
          if ('complete' in item) {
            closed = true;
            subscriber.complete();
            return;
          }
          if (item.type === 'chunk') applyChunk(item);
          else {
            try {
              checkpoint(item);
            } catch (err) {
              fail(err);
            }
          }
        }
      };

      subscriptions.add(
        restoreTable(source.store, source.name, tableName, state, codec).subscribe({
          next: (restored) => {
            chain = restored;
          },
          error: (err: unknown) => fail(err),
          complete: () => {
            if (closed) return;
            // Only now is the source subscribed: it restores the same committed epoch.
            subscriptions.add(
              events.subscribe({
                next: (event) => {
                  queue.push(event);
                  drain();
                },
                error: (err: unknown) => {
                  closed = true;
                  subscriber.error(err);
                },
                complete: () => {
                  queue.push({ complete: true });
                  drain();
                },
              }),
            );
          },
        }),
      );
      return () => {
        closed = true;
        subscriptions.unsubscribe();
      };
    });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

import { Observable } from 'rxjs';
import type { Enumerator } from '../../core/Enumerator.js';
import { splitIdOf } from './ReplicationHub.js';
import type { PostgresTableSplit } from './PostgresTableSplit.js';

/**
 * The splits of a postgres-cdc source: one per configured table, fixed for the source's life
 * (the slot's stream carries every table of the publication; the reader demultiplexes it).
 *
 * @example
 * new PostgresCdcEnumerator('public', ['orders', 'items']).splits() // [[orders, items]] then never completes
 */
export class PostgresCdcEnumerator implements Enumerator<PostgresTableSplit> {
  constructor(
    private readonly schema: string,
    private readonly tables: readonly string[],
  ) {}

  splits(): Observable<readonly PostgresTableSplit[]> {
    const splits = this.tables.map((table) => ({ id: splitIdOf(this.schema, table), schema: this.schema, table }));
    // Never completes: the source is unbounded.
    return new Observable((subscriber) => subscriber.next(splits));
  }
}

import type { SourceSplit } from '../../core/SourceSplit.js';

/** A postgres-cdc split: one captured table, id `schema.table`. */
export interface PostgresTableSplit extends SourceSplit {
  readonly schema: string;
  readonly table: string;
}

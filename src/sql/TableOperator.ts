import type { OperatorFunction } from 'rxjs';
import type { Source } from '../core/Source.js';
import type { SourceEvent } from '../core/SourceEvent.js';
import { toTable } from '../core/toTable.js';
import type { Row } from '../formats/Format.js';
import { sqlTableRowCodec } from './sqlTableRowCodec.js';

/**
 * What `CREATE TABLE` (and a change-data format) runs a source's events through: the contract
 * of the core's `toTable(source, { primaryKey, name })` (src/core/toTable.ts): applies the
 * changelog by primary key into keyed state checkpointed with the source, and emits the
 * table's changes as changelog rows.
 */
export type TableOperator = (
  source: Source<Row>,
  options: { readonly primaryKey: readonly string[]; readonly name?: string },
) => OperatorFunction<SourceEvent<Row>, SourceEvent<Row>>;

/** The table operator a `Session` uses when none is given: the core's `toTable`, storing rows with every SQL type. */
export const defaultTableOperator: TableOperator | undefined = (source, options) => toTable<Row>(source, { ...options, codec: sqlTableRowCodec });

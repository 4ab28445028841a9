import { createSource } from '../../core/createSource.js';
import type { Source } from '../../core/Source.js';
import type { Row, RowConverter } from '../../formats/Format.js';
import type { SourceOptions } from '../ConnectorFactory.js';
import type { PgModule } from './loadPg.js';
import { PostgresCdcEnumerator } from './PostgresCdcEnumerator.js';
import { PostgresCdcReader } from './PostgresCdcReader.js';
import { postgresCdcDefaults, type PostgresCdcConfig } from './postgresCdcProperties.js';
import { sourceOptionsOf } from '../../core/SourceOptions.js';

/** Options of {@link createPostgresCdcSource}: the common source options and the PostgreSQL settings. */
export interface PostgresCdcSourceOptions
  extends SourceOptions,
    Partial<Omit<PostgresCdcConfig, 'hostname' | 'username' | 'database' | 'tables'>> {
  readonly hostname: string;
  readonly username: string;
  readonly database: string;
  readonly tables: readonly string[];
  readonly convert?: RowConverter;
  /** Loads `pg` (default: `import('pg')`); for tests. */
  readonly loadPg?: () => Promise<PgModule>;
}

/**
 * A PostgreSQL change-data source over logical replication (pgoutput), no JVM, no Kafka: one
 * split per table, rows carrying their operation (`withOp`: insert, update_before/update_after,
 * delete; a TRUNCATE is one `truncation()` row, which `toTable` applies to the rows it keeps), offsets that are LSNs, the slot's confirmed LSN
 * moved only after a checkpoint commits. Feed it to `toTable` to keep the table.
 *
 * @example
 * const source = createPostgresCdcSource({
 *   name: 'orders', hostname: '127.0.0.1', port: 5432, username: 'cdc', password: 'secret',
 *   database: 'shop', tables: ['orders'], slotName: 'orders_slot', store,
 * });
 * runWithCheckpoints(source, toTable(source, { primaryKey: ['id'] })).subscribe();
 */
export function createPostgresCdcSource(options: PostgresCdcSourceOptions): Source<Row> {
  if (!options.hostname) throw new TypeError('createPostgresCdcSource: a hostname is required');
  if (options.tables.length === 0) throw new TypeError('createPostgresCdcSource: at least one table is required');
  const config: PostgresCdcConfig = {
    hostname: options.hostname,
    port: options.port ?? postgresCdcDefaults.port,
    username: options.username,
    ...(options.password !== undefined ? { password: options.password } : {}),
    database: options.database,
    schema: options.schema ?? postgresCdcDefaults.schema,
    tables: options.tables,
    slotName: options.slotName ?? postgresCdcDefaults.slotName,
    publicationName: options.publicationName ?? postgresCdcDefaults.publicationName,
    slotCreate: options.slotCreate ?? postgresCdcDefaults.slotCreate,
    publicationCreate: options.publicationCreate ?? postgresCdcDefaults.publicationCreate,
    snapshot: options.snapshot ?? postgresCdcDefaults.snapshot,
    batchRows: options.batchRows ?? postgresCdcDefaults.batchRows,
    reconnectAttempts: options.reconnectAttempts ?? postgresCdcDefaults.reconnectAttempts,
    maxBackoffMs: options.maxBackoffMs ?? postgresCdcDefaults.maxBackoffMs,
    connectTimeoutMs: options.connectTimeoutMs ?? postgresCdcDefaults.connectTimeoutMs,
    ...(options.declaredColumns !== undefined ? { declaredColumns: options.declaredColumns } : {}),
  };
  const { scheduler } = options;
  return createSource({
    ...sourceOptionsOf(options),
    enumerator: new PostgresCdcEnumerator(config.schema, config.tables),
    reader: new PostgresCdcReader(config, {
      ...(scheduler !== undefined ? { scheduler } : {}),
      ...(options.convert !== undefined ? { convert: options.convert } : {}),
      ...(options.loadPg !== undefined ? { loadPg: options.loadPg } : {}),
    }),
  });
}

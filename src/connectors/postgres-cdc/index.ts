/**
 * The `postgres-cdc` connector: PostgreSQL change data over logical replication (pgoutput) with
 * npm `pg` (an optional peer dependency) and no JVM.
 *
 * - Splits are tables (`schema.table`); one slot and one replication stream serve them all.
 * - A first start creates the publication and the slot (unless told not to) and reads every
 *   table in the snapshot the slot exports, then streams from the slot's consistent point.
 * - Offsets are LSNs (`0/16B3748`, `0/16B3748#2` inside a large transaction); a restart resumes
 *   from the last committed checkpoint; the slot's confirmed LSN moves only after a commit.
 * - Rows carry their operation (`opOf`); unchanged TOASTed values are `UNCHANGED`; a TRUNCATE is
 *   one `truncation()` row that `toTable` applies to the rows it keeps; timestamptz values with
 *   microseconds are `MicroDate`s.
 * - An interrupted first snapshot is taken again at the restart, after a TRUNCATE row.
 *
 * @packageDocumentation
 */
export { postgresCdcConnector } from './postgresCdcConnector.js';
export { createPostgresCdcSource, type PostgresCdcSourceOptions } from './createPostgresCdcSource.js';
export { postgresCdcConfigFromProperties, postgresCdcPropertySpecs, postgresCdcDefaults, type PostgresCdcConfig } from './postgresCdcProperties.js';
export type { PostgresTableSplit } from './PostgresTableSplit.js';
export { PostgresCdcReader } from './PostgresCdcReader.js';
export { PostgresCdcEnumerator } from './PostgresCdcEnumerator.js';
export { parsePgValue, parsePgArray, PG_OID } from './pgValue.js';
export { decodePgoutput, type PgoutputMessage, type Tuple, type TupleValue } from './pgoutput.js';
export { parseLsn, formatLsn, type Lsn } from './Lsn.js';
export { parseCdcOffset, formatCdcOffset, type CdcOffset } from './CdcOffset.js';

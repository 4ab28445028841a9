/**
 * tributary: reactive source connectors for RxJS, with barrier-driven checkpoints and rollback.
 *
 * This entry point is the core: it loads nothing but rxjs. Connectors, formats and SQL live
 * behind their own entry points (`tributary/fs`, `tributary/kafka`, `tributary/formats`, ...),
 * and load their client libraries only when used.
 *
 * @packageDocumentation
 */
export type { JsonObject, JsonValue } from './core/Json.js';
export type { MaybePromise } from './core/MaybePromise.js';
export type { SourceMessage } from './core/SourceMessage.js';
export type { SourceSplit, SplitPosition } from './core/SourceSplit.js';
export { chunk, isBarrier, isChunk, type Barrier, type Chunk, type SourceEvent } from './core/SourceEvent.js';
export type { Enumerator, EnumeratorContext } from './core/Enumerator.js';
export type { LeasedPosition, LeasedSplit, SplitLeases } from './core/SplitLeases.js';
export type { CompletedCheckpoint, ReaderContext, SplitReader } from './core/SplitReader.js';
export { OP, UNCHANGED, isRetraction, opOf, truncation, withOp, type ChangeOp, type ChangeRow } from './core/Changelog.js';
export { MicroDate, instant, microsOf } from './core/MicroDate.js';
export type { Source } from './core/Source.js';
export type { SourceWarning } from './core/SourceWarning.js';
export { maxLag, totalLag, type CheckpointMetrics, type LagUnit, type MetricsReporter, type SourceMetrics, type SplitLag, type SplitMetrics } from './core/SourceMetrics.js';
export { checkRateLimit } from './core/RateLimiter.js';
export { BadRecordError, CorruptStateError, SourceError, type SourceErrorLocation } from './core/SourceError.js';
export type { BadRecordHandler, BadRecordPolicy, BadRecordStats, DeadLetter } from './core/BadRecordHandler.js';
export { BadRecordTracker } from './core/BadRecordTracker.js';
export { checkpointKeys, loadCheckpoint, type RestoredCheckpoint, type Snapshot } from './core/Checkpoint.js';
export {
  createSource,
  sourceOptionsOf,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_HIGH_WATER_MARK,
  type CreateSourceOptions,
} from './core/createSource.js';
export { commitEpochs } from './core/commitEpochs.js';
export { checkpointed, type CheckpointedOptions } from './core/checkpointed.js';
export { DEFAULT_BAD_RECORD_POLICY } from './core/SourceOptions.js';
export { toTable, type ToTableOptions } from './core/toTable.js';
export { DEFAULT_TABLE_MAX_ROWS, DeletedRow, TableState, type TableKey } from './core/TableState.js';
export { defaultTableRowCodec, type TableRowCodec } from './core/TableRowCodec.js';
export { tableKeys } from './core/TableCheckpoint.js';
export { toRecords } from './core/toRecords.js';
export { mapRecords } from './core/mapRecords.js';
export { deliverTo, type RecordSink } from './core/deliverTo.js';
export { runWithCheckpoints, type RecoveryOptions, type RunWithCheckpointsOptions } from './core/runWithCheckpoints.js';
export { FileStore, IdbKeyvalStore, MemoryStore, PostgresStore, type FileStoreOptions, type IdbKeyvalStoreOptions, type PostgresStoreOptions, type StateStore } from './state/index.js';
export type { ConnectorContext, ConnectorFactory, PropertySpec, PropertyType, SourceOptions } from './connectors/ConnectorFactory.js';
export type { ByteInput, DecodeContext, DecodedBatch, Format, Row, RowConverter, StreamDecoder } from './formats/Format.js';

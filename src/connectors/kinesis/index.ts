/**
 * The `kinesis` connector: a Kinesis Data Stream, one split per shard, polled with GetRecords.
 *
 * - Offsets are sequence numbers; a restart resumes `AFTER_SEQUENCE_NUMBER` the checkpointed one.
 * - Resharding: children of a split or merge are read only after their parents are finished
 *   (closed and read to the end), so each partition key stays in order; shards discovered after
 *   the first start begin at `TRIM_HORIZON` whatever the startup mode.
 * - Throttling is absorbed with jittered exponential backoff (never lost; only minutes of
 *   uninterrupted throttling, `kinesis.retry.throttled.attempts`, fail the source),
 *   transient errors (ListShards included) are retried `kinesis.retry.transient.attempts` times,
 *   then the source fails naming stream, shard, position and endpoint; expired iterators are
 *   replaced.
 * - Uses an HTTP/1.1 handler (`@smithy/node-http-handler`), which AWS and emulators
 *   (kinesalite, LocalStack, moto) all serve, instead of the SDK's HTTP/2 default.
 *
 * @packageDocumentation
 */
export { kinesisConnector } from './kinesisConnector.js';
export { createKinesisSource, type KinesisSourceOptions } from './createKinesisSource.js';
export {
  kinesisConfigFromProperties,
  kinesisPropertySpecs,
  kinesisDefaults,
  type KinesisConfig,
  type KinesisCredentials,
  type KinesisMetadataColumns,
  type KinesisStartupMode,
} from './kinesisProperties.js';
export type { KinesisShardSplit, ShardStart } from './KinesisShardSplit.js';
export { classifyKinesisError, backoffMs, type KinesisErrorKind, type KinesisOperation, type KinesisRetryEvent } from './kinesisRetry.js';

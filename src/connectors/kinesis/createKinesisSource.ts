import type { Source } from '../../core/Source.js';
import type { Format, Row, RowConverter } from '../../formats/Format.js';
import type { SourceOptions } from '../ConnectorFactory.js';
import { awsSecrets } from '../aws/AwsConnection.js';
import { createAwsSource } from '../aws/createAwsSource.js';
import { checkIntegers } from '../propertyReader.js';
import { createKinesisHandle } from './kinesisClient.js';
import { KinesisEnumerator } from './KinesisEnumerator.js';
import { kinesisDefaults, kinesisPropertySpecs, type KinesisConfig } from './kinesisProperties.js';
import { KinesisShardReader, type KinesisReaderDeps } from './KinesisShardReader.js';

/** Options of {@link createKinesisSource}: the common source options, the Kinesis settings, a format. */
export interface KinesisSourceOptions extends SourceOptions, Partial<Omit<KinesisConfig, 'stream'>> {
  readonly stream: string;
  /** Decodes each record's data (with the partition key as the message key); it must implement `decodeMessage` or `decodeMessages`. */
  readonly format: Format;
  readonly convert?: RowConverter;
  /** Called before each retry of a throttled, failed or expired call, ListShards included (for logs and metrics). */
  readonly onRetry?: KinesisReaderDeps['onRetry'];
}

/**
 * A Kinesis Data Streams source: one split per shard, sequence-number checkpoints, children of a
 * reshard read after their parents, throttling absorbed by backoff.
 *
 * @example
 * const source = createKinesisSource({
 *   name: 'clicks',
 *   stream: 'clicks',
 *   region: 'eu-west-1',
 *   startupMode: 'latest',
 *   format: createFormat('json'),
 *   metadata: { partitionKey: 'pk', arrivalTimestamp: 'arrived_at' },
 *   store,
 * });
 */
export function createKinesisSource(options: KinesisSourceOptions): Source<Row> {
  const config = kinesisConfig(options);
  const secrets = awsSecrets(config);
  return createAwsSource(options, () => createKinesisHandle(config), (clients) => ({
    enumerator: new KinesisEnumerator(config, { clients, secrets, scheduler: options.scheduler, ...(options.onRetry !== undefined ? { onRetry: options.onRetry } : {}) }),
    reader: new KinesisShardReader(config, {
      clients,
      secrets,
      scheduler: options.scheduler,
      format: options.format,
      ...(options.convert !== undefined ? { convert: options.convert } : {}),
      ...(options.onRetry !== undefined ? { onRetry: options.onRetry } : {}),
    }),
  }));
}

function kinesisConfig(options: KinesisSourceOptions): KinesisConfig {
  if (!options.stream) throw new TypeError('createKinesisSource: a stream is required');
  if (options.format.decodeMessage === undefined && options.format.decodeMessages === undefined) {
    throw new TypeError(`createKinesisSource: format '${options.format.name}' cannot decode single messages`);
  }
  const startupMode = options.startupMode ?? kinesisDefaults.startupMode;
  if (startupMode === 'timestamp' && options.startupTimestampMs === undefined) {
    throw new TypeError("createKinesisSource: startupMode 'timestamp' needs startupTimestampMs");
  }
  const config: KinesisConfig = {
    stream: options.stream,
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
    startupMode,
    ...(options.startupTimestampMs !== undefined ? { startupTimestampMs: options.startupTimestampMs } : {}),
    shardDiscoveryIntervalMs: options.shardDiscoveryIntervalMs ?? kinesisDefaults.shardDiscoveryIntervalMs,
    pollIntervalMs: options.pollIntervalMs ?? kinesisDefaults.pollIntervalMs,
    recordsPerCall: options.recordsPerCall ?? kinesisDefaults.recordsPerCall,
    maxBackoffMs: options.maxBackoffMs ?? kinesisDefaults.maxBackoffMs,
    transientRetries: options.transientRetries ?? kinesisDefaults.transientRetries,
    throttledRetries: options.throttledRetries ?? kinesisDefaults.throttledRetries,
    requestTimeoutMs: options.requestTimeoutMs ?? kinesisDefaults.requestTimeoutMs,
    metadata: options.metadata ?? {},
  };
  checkIntegers('createKinesisSource', kinesisPropertySpecs, [
    ['shardDiscoveryIntervalMs', config.shardDiscoveryIntervalMs, 'kinesis.shard.discovery.interval.ms'],
    ['pollIntervalMs', config.pollIntervalMs, 'kinesis.poll.interval.ms'],
    ['recordsPerCall', config.recordsPerCall, 'kinesis.records.per.call'],
    ['maxBackoffMs', config.maxBackoffMs, 'kinesis.retry.max.backoff.ms'],
    ['transientRetries', config.transientRetries, 'kinesis.retry.transient.attempts'],
    ['throttledRetries', config.throttledRetries, 'kinesis.retry.throttled.attempts'],
    ['requestTimeoutMs', config.requestTimeoutMs, 'kinesis.request.timeout.ms'],
  ]);
  return config;
}

import type { AwsConnection, AwsCredentials } from '../aws/AwsConnection.js';
import { propertyReader } from '../propertyReader.js';
import type { PropertySpec } from '../ConnectorFactory.js';
import { awsCredentials } from '../aws/awsCredentials.js';

/** Where shards present at the first start begin: `earliest` (TRIM_HORIZON), `latest`, or `timestamp`. */
export type KinesisStartupMode = 'earliest' | 'latest' | 'timestamp';

/** Static credentials; without them the AWS SDK's default chain applies. */
export type KinesisCredentials = AwsCredentials;

/** Column names under which record metadata is added to rows (absent: not added). */
export interface KinesisMetadataColumns {
  readonly partitionKey?: string;
  readonly sequenceNumber?: string;
  /** ApproximateArrivalTimestamp, as milliseconds since the epoch. */
  readonly arrivalTimestamp?: string;
  readonly shardId?: string;
}

/** Everything a Kinesis source is configured with, typed and defaulted. */
export interface KinesisConfig extends AwsConnection {
  readonly stream: string;
  /** Default `earliest`. */
  readonly startupMode: KinesisStartupMode;
  /** For `timestamp`. */
  readonly startupTimestampMs?: number;
  /** How often ListShards looks for new shards. Default 10 000. */
  readonly shardDiscoveryIntervalMs: number;
  /** Minimum time between two GetRecords calls on one shard (AWS allows 5 per second per shard). Default 200. */
  readonly pollIntervalMs: number;
  /** GetRecords `Limit`. Default 1000 (AWS maximum 10 000). */
  readonly recordsPerCall: number;
  /** Longest backoff after throttling or a transient error. Default 10 000. */
  readonly maxBackoffMs: number;
  /** Retries of transient errors (5xx, network, timeouts) before the source fails. Default 10. */
  readonly transientRetries: number;
  /**
   * Retries of one call throttled again and again before the source fails. Throttling only
   * delays data, so the budget is large: with the default backoff cap, 4 to 6 minutes of
   * uninterrupted throttling. Default 40.
   */
  readonly throttledRetries: number;
  /** Longest silence on a connection, in ms, before a call fails as transient (a server that accepts and never answers). Default 30 000. */
  readonly requestTimeoutMs: number;
  readonly metadata: KinesisMetadataColumns;
}

/** Defaults of {@link KinesisConfig}. */
export const kinesisDefaults = {
  startupMode: 'earliest',
  shardDiscoveryIntervalMs: 10_000,
  pollIntervalMs: 200,
  recordsPerCall: 1000,
  maxBackoffMs: 10_000,
  transientRetries: 10,
  throttledRetries: 40,
  requestTimeoutMs: 30_000,
} as const satisfies Partial<KinesisConfig>;

/** Properties of the `kinesis` connector, in tributary's spelling with RisingWave's as aliases. */
export const kinesisPropertySpecs: readonly PropertySpec[] = [
  { name: 'kinesis.stream', aliases: ['stream'], type: 'string', required: true, description: 'Stream name.' },
  { name: 'kinesis.region', aliases: ['aws.region'], type: 'string', description: "AWS region; the SDK's default when omitted." },
  { name: 'kinesis.endpoint', aliases: ['endpoint'], type: 'string', description: 'Custom endpoint (kinesalite, LocalStack, VPC endpoint).' },
  { name: 'kinesis.credentials.access', aliases: ['aws.credentials.access_key_id'], type: 'string', description: "Access key id; the SDK's default credential chain when omitted." },
  { name: 'kinesis.credentials.secret', aliases: ['aws.credentials.secret_access_key'], type: 'string', secret: true, description: 'Secret access key.' },
  { name: 'kinesis.credentials.session_token', aliases: ['aws.credentials.session_token'], type: 'string', secret: true, description: 'Session token of temporary credentials.' },
  { name: 'kinesis.scan.startup.mode', aliases: ['scan.startup.mode'], type: 'enum', values: ['earliest', 'latest', 'timestamp'], default: kinesisDefaults.startupMode, description: 'Where shards present at the first start begin; shards found later always start at TRIM_HORIZON.' },
  { name: 'kinesis.scan.startup.timestamp.millis', aliases: ['scan.startup.timestamp.millis', 'scan.startup.timestamp_millis'], type: 'integer', min: 0, description: "Start time for startup mode 'timestamp', in ms since the epoch." },
  { name: 'kinesis.shard.discovery.interval.ms', type: 'integer', min: 1, default: String(kinesisDefaults.shardDiscoveryIntervalMs), description: 'Milliseconds between ListShards calls looking for new shards.' },
  { name: 'kinesis.poll.interval.ms', type: 'integer', min: 0, default: String(kinesisDefaults.pollIntervalMs), description: 'Minimum milliseconds between GetRecords calls on one shard.' },
  { name: 'kinesis.records.per.call', type: 'integer', min: 1, max: 10_000, default: String(kinesisDefaults.recordsPerCall), description: 'GetRecords Limit (1-10000).' },
  { name: 'kinesis.retry.max.backoff.ms', type: 'integer', min: 1, default: String(kinesisDefaults.maxBackoffMs), description: 'Longest wait between retries after throttling or a transient error.' },
  { name: 'kinesis.retry.transient.attempts', type: 'integer', min: 0, default: String(kinesisDefaults.transientRetries), description: 'Retries of transient errors (5xx, network, timeouts) before the source fails.' },
  { name: 'kinesis.retry.throttled.attempts', type: 'integer', min: 0, default: String(kinesisDefaults.throttledRetries), description: 'Retries of one call throttled again and again before the source fails.' },
  { name: 'kinesis.request.timeout.ms', type: 'integer', min: 1, default: String(kinesisDefaults.requestTimeoutMs), description: 'Milliseconds of silence on a connection before a call fails (a transient error).' },
  { name: 'kinesis.include.partition_key', type: 'string', description: 'Add the partition key to rows under this column name.' },
  { name: 'kinesis.include.sequence_number', type: 'string', description: 'Add the sequence number to rows under this column name.' },
  { name: 'kinesis.include.timestamp', type: 'string', description: 'Add the approximate arrival timestamp (ms) to rows under this column name.' },
  { name: 'kinesis.include.shard_id', type: 'string', description: 'Add the shard id to rows under this column name.' },
];

/**
 * Reads a {@link KinesisConfig} from connector properties (canonical names; aliases accepted too).
 * Errors name the property, never a secret's value.
 */
export function kinesisConfigFromProperties(properties: Readonly<Record<string, string>>): KinesisConfig {
  const p = propertyReader('kinesis', kinesisPropertySpecs, properties);
  const stream = p.get('kinesis.stream');
  if (stream === undefined) throw new TypeError("kinesis connector: property 'kinesis.stream' is required");
  const credentials = awsCredentials(p, 'kinesis', 'kinesis.credentials.access', 'kinesis.credentials.secret', 'kinesis.credentials.session_token');
  const mode = p.oneOf('kinesis.scan.startup.mode', ['earliest', 'latest', 'timestamp'] as const, kinesisDefaults.startupMode);
  const timestamp = p.get('kinesis.scan.startup.timestamp.millis');
  if (mode === 'timestamp' && timestamp === undefined) {
    throw new TypeError("kinesis connector: startup mode 'timestamp' needs 'kinesis.scan.startup.timestamp.millis'");
  }
  const metadata: Record<string, string> = {};
  for (const [field, name] of [
    ['partitionKey', 'kinesis.include.partition_key'],
    ['sequenceNumber', 'kinesis.include.sequence_number'],
    ['arrivalTimestamp', 'kinesis.include.timestamp'],
    ['shardId', 'kinesis.include.shard_id'],
  ] as const) {
    const column = p.get(name);
    if (column !== undefined) metadata[field] = column;
  }
  return {
    stream,
    region: p.get('kinesis.region'),
    endpoint: p.get('kinesis.endpoint'),
    credentials,
    startupMode: mode,
    ...(timestamp !== undefined ? { startupTimestampMs: p.integer('kinesis.scan.startup.timestamp.millis') } : {}),
    shardDiscoveryIntervalMs: p.integer('kinesis.shard.discovery.interval.ms', kinesisDefaults.shardDiscoveryIntervalMs),
    pollIntervalMs: p.integer('kinesis.poll.interval.ms', kinesisDefaults.pollIntervalMs),
    recordsPerCall: p.integer('kinesis.records.per.call', kinesisDefaults.recordsPerCall),
    maxBackoffMs: p.integer('kinesis.retry.max.backoff.ms', kinesisDefaults.maxBackoffMs),
    transientRetries: p.integer('kinesis.retry.transient.attempts', kinesisDefaults.transientRetries),
    throttledRetries: p.integer('kinesis.retry.throttled.attempts', kinesisDefaults.throttledRetries),
    requestTimeoutMs: p.integer('kinesis.request.timeout.ms', kinesisDefaults.requestTimeoutMs),
    metadata,
  };
}

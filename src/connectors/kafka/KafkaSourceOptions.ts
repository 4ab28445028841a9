import type { ConnectionOptions } from 'node:tls';
import type { SourceOptions } from '../ConnectorFactory.js';

/**
 * The Kafka source's defaults, declared once: `resolveKafkaConfig` applies them to options left
 * out, and the SQL property specs show them (`tributary --help`). The property parser leaves
 * absent properties absent, so a default cannot drift between the two paths.
 */
export const kafkaDefaults = {
  startupMode: 'earliest',
  boundedMode: 'unbounded',
  partitionDiscoveryIntervalMs: 30_000,
  offsetOutOfRange: 'fail',
  groupIdPrefix: 'tributary',
  commitOffsets: true,
  assignment: 'leases',
  /** Kafka's session timeout of the assignment group: how long a dead process keeps its partitions assigned. */
  groupSessionTimeoutMs: 10_000,
  includeEncoding: 'utf8',
  clientId: 'tributary',
  isolationLevel: 'read_committed',
  fetchMaxBytes: 10 * 1024 * 1024,
  maxPartitionFetchBytes: 1024 * 1024,
  fetchMaxWaitMs: 500,
  /** kafkajs' retries of a failed request; with its 300 ms → 2 s backoff, about 16 s on a dead broker. */
  retries: 10,
} as const;

/** Where a partition without a stored position starts. */
export type KafkaStartupMode = 'earliest' | 'latest' | 'timestamp';

/** What to do when a stored position no longer exists in the partition (deleted by retention). */
export type KafkaOffsetOutOfRange = 'fail' | 'earliest' | 'latest';

/** Per-record metadata that can be added to each row as a column. */
export type KafkaMetadataField = 'key' | 'partition' | 'offset' | 'timestamp' | 'headers';

/** A metadata column: which field, under which column name. */
export interface KafkaMetadataColumn {
  readonly field: KafkaMetadataField;
  readonly column: string;
  /**
   * With `headers`: only this header's value (its last one when repeated; `null` when absent),
   * not the list of every header (RisingWave's `INCLUDE header 'name' AS column`).
   */
  readonly header?: string;
  /** For `key` and a single `header`: this column's encoding, overriding `includeEncoding`. */
  readonly encoding?: 'utf8' | 'bytes';
  /** For `timestamp`: milliseconds since the epoch (`number`, the default) or a `Date` (SQL's `timestamptz`). */
  readonly timestampAs?: 'number' | 'date';
}

/** SASL credentials (kafkajs supports these three mechanisms without extra code). */
export interface KafkaSaslOptions {
  readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

/**
 * Options of a Kafka source, as {@link createKafkaSource} takes them. The SQL properties
 * (`kafka.topic`, `scan.startup.mode` ...) map onto these one to one; see `kafkaProperties`.
 */
export interface KafkaSourceOptions extends SourceOptions {
  readonly topic: string;
  /** `host:port`, one or several (a comma-separated string is accepted). */
  readonly brokers: string | readonly string[];
  /** Default `tributary`. */
  readonly clientId?: string;
  /**
   * Where partitions without a stored position start: `earliest` (default), `latest`, or
   * `timestamp` (the first record at or after `startupTimestampMillis`; the default when that is set).
   */
  readonly startupMode?: KafkaStartupMode;
  readonly startupTimestampMillis?: number;
  /**
   * Start offsets for some partitions, overriding the startup mode for them (`{ 0: '100', 1: '250' }`).
   * Used only when the partition has no stored position.
   */
  readonly startupOffsets?: Readonly<Record<number, string | number | bigint>>;
  /**
   * `latest`: read up to the end offsets seen when the source first starts, then complete; a
   * restart from a bounded run's checkpoint keeps that run's ends, one from an unbounded run's
   * takes the ends of this start. Default `unbounded` (which ignores a bounded run's ends).
   */
  readonly boundedMode?: 'unbounded' | 'latest';
  /** How often to look for partitions added to the topic; 0 disables. Default 30000. Ignored when bounded. */
  readonly partitionDiscoveryIntervalMs?: number;
  /** Default `fail`: a stored position below the log start offset is an error, not a silent skip. */
  readonly offsetOutOfRange?: KafkaOffsetOutOfRange;
  /**
   * Consumer group that receives the positions of successful epochs, for lag monitoring only
   * (tributary never reads them back). Default `<groupIdPrefix>-<source name>`; `false` disables.
   */
  readonly consumerGroup?: string | false;
  /** Prefix of every group id the source uses. Default `tributary`. */
  readonly groupIdPrefix?: string;
  /**
   * Who decides which process reads which partition when processes share the source (split
   * leases, the CLI's `--share`): `leases` (default) lets the shared leases balance by member
   * count, like every other connector; `group` lets Kafka's consumer-group protocol assign the
   * partitions (the standard Kafka way: members and their partitions show in
   * `kafka-consumer-groups --describe`, a dead process is detected by its session timeout).
   * Positions stay in tributary's state (the leases), fenced there; `group` needs leases that
   * can follow an assignment (`PostgresSplitLeases`).
   */
  readonly assignment?: 'leases' | 'group';
  /** The group whose protocol assigns the partitions with `assignment: 'group'`. Default `<groupIdPrefix>-<source name>-assign`. */
  readonly assignmentGroup?: string;
  /** Session timeout of the assignment group, in ms (the broker bounds it, 6000 to 300000 by default). Default 10000. */
  readonly groupSessionTimeoutMs?: number;
  /** Metadata columns added to each decoded row (ignored without a format: messages carry it all). */
  readonly include?: readonly (KafkaMetadataField | KafkaMetadataColumn)[];
  /** How the `key` column and header values are given: `utf8` strings (default) or `bytes` (Uint8Array). */
  readonly includeEncoding?: 'utf8' | 'bytes';
  /** Default `read_committed`: records of open or aborted transactions are not read. */
  readonly isolationLevel?: 'read_committed' | 'read_uncommitted';
  /** Upper bound of one fetch response. Default 10 MiB. */
  readonly fetchMaxBytes?: number;
  /** Upper bound of one partition's data in one fetch (and so of one chunk). Default 1 MiB. */
  readonly maxPartitionFetchBytes?: number;
  /** How long the broker may hold a fetch when there is no data. Default 500. */
  readonly fetchMaxWaitMs?: number;
  /**
   * How often a failed request (connect, metadata, fetch) is retried before the source fails;
   * backoff from 300 ms doubling up to 2 s. Default 10: an unreachable broker fails the source
   * after about 16 s (`kafkaRetryBudgetMs` gives the upper bound).
   */
  readonly retries?: number;
  /** TLS: `true` for the system CAs, or Node's TLS options (ca, cert, key ...). */
  readonly ssl?: boolean | ConnectionOptions;
  readonly sasl?: KafkaSaslOptions;
}

/** The column name a metadata field gets when none is given: `_kafka_<field>`. */
export function defaultMetadataColumn(field: KafkaMetadataField): string {
  return `_kafka_${field}`;
}

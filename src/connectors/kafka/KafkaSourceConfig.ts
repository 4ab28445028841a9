import type { ConnectionOptions } from 'node:tls';
import type {
  KafkaMetadataColumn,
  KafkaOffsetOutOfRange,
  KafkaSaslOptions,
  KafkaSourceOptions,
  KafkaStartupMode,
} from './KafkaSourceOptions.js';
import { defaultMetadataColumn, kafkaDefaults } from './KafkaSourceOptions.js';

/** {@link KafkaSourceOptions} checked and with every default filled in. */
export interface KafkaSourceConfig {
  readonly source: string;
  readonly topic: string;
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly startupMode: KafkaStartupMode;
  readonly startupTimestampMillis: number | undefined;
  readonly startupOffsets: ReadonlyMap<number, bigint>;
  readonly bounded: boolean;
  readonly partitionDiscoveryIntervalMs: number;
  readonly offsetOutOfRange: KafkaOffsetOutOfRange;
  /** `null`: no lag commits. */
  readonly consumerGroup: string | null;
  readonly groupIdPrefix: string;
  /** With `assignment: 'group'`: the group whose protocol assigns the partitions; `null` otherwise. */
  readonly assignmentGroup: string | null;
  readonly groupSessionTimeoutMs: number;
  readonly include: readonly KafkaMetadataColumn[];
  readonly includeEncoding: 'utf8' | 'bytes';
  readonly readUncommitted: boolean;
  readonly fetchMaxBytes: number;
  readonly maxPartitionFetchBytes: number;
  readonly fetchMaxWaitMs: number;
  /** Retries of a failed kafkajs request. */
  readonly retries: number;
  readonly ssl: boolean | ConnectionOptions | undefined;
  readonly sasl: KafkaSaslOptions | undefined;
}

const FIELDS = new Set(['key', 'partition', 'offset', 'timestamp', 'headers']);

/** Validates options and fills in defaults. Throws a TypeError naming the source and the option. */
export function resolveKafkaConfig(options: KafkaSourceOptions): KafkaSourceConfig {
  const source = options.name;
  const bad = (message: string): never => {
    throw new TypeError(`Kafka source '${source}': ${message}`);
  };
  if (!options.topic) bad('a topic is required (kafka.topic / topic)');
  const brokers = (typeof options.brokers === 'string' ? options.brokers.split(',') : [...options.brokers])
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (brokers.length === 0) bad('at least one broker is required (kafka.bootstrap.servers / properties.bootstrap.server)');
  for (const broker of brokers) if (!/^[^\s:]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(broker)) bad(`broker '${broker}' is not host:port`);

  const startupMode = options.startupMode ?? (options.startupTimestampMillis !== undefined ? 'timestamp' : kafkaDefaults.startupMode);
  if (!['earliest', 'latest', 'timestamp'].includes(startupMode)) bad(`unknown startup mode '${String(startupMode)}' (earliest | latest | timestamp)`);
  if (startupMode === 'timestamp' && options.startupTimestampMillis === undefined) {
    bad('startup mode timestamp needs a timestamp (scan.startup.timestamp.millis)');
  }
  if (options.startupTimestampMillis !== undefined && !(Number.isSafeInteger(options.startupTimestampMillis) && options.startupTimestampMillis >= 0)) {
    bad(`startup timestamp ${options.startupTimestampMillis} is not a non-negative integer of milliseconds`);
  }
  const startupOffsets = new Map<number, bigint>();
  for (const [partition, offset] of Object.entries(options.startupOffsets ?? {})) {
    const p = Number(partition);
    if (!Number.isInteger(p) || p < 0) bad(`startup offsets: '${partition}' is not a partition number`);
    let o: bigint;
    try {
      o = BigInt(offset);
    } catch {
      return bad(`startup offsets: '${String(offset)}' is not an offset (partition ${partition})`);
    }
    if (o < 0n) bad(`startup offsets: offset ${o} of partition ${partition} is negative`);
    startupOffsets.set(p, o);
  }
  const boundedMode = options.boundedMode ?? kafkaDefaults.boundedMode;
  if (boundedMode !== 'unbounded' && boundedMode !== 'latest') bad(`unknown bounded mode '${String(boundedMode)}' (unbounded | latest)`);

  const include: KafkaMetadataColumn[] = [];
  for (const entry of options.include ?? []) {
    const column = typeof entry === 'string' ? { field: entry, column: defaultMetadataColumn(entry) } : entry;
    if (!FIELDS.has(column.field)) bad(`cannot include '${String(column.field)}' (key | partition | offset | timestamp | headers)`);
    if (!column.column) bad(`metadata field '${column.field}' needs a column name`);
    if (include.some((c) => c.column === column.column)) bad(`metadata column '${column.column}' is included twice`);
    include.push(column);
  }

  const positive = (value: number | undefined, fallback: number, what: string): number => {
    const v = value ?? fallback;
    if (!Number.isSafeInteger(v) || v < 0) bad(`${what} must be a non-negative integer, got ${v}`);
    return v;
  };
  const groupIdPrefix = options.groupIdPrefix ?? kafkaDefaults.groupIdPrefix;
  if (!groupIdPrefix) bad('the group id prefix must not be empty');
  const consumerGroup = options.consumerGroup === false ? null : options.consumerGroup ?? `${groupIdPrefix}-${source}`;
  const assignment = options.assignment ?? kafkaDefaults.assignment;
  if (assignment !== 'leases' && assignment !== 'group') bad(`unknown assignment '${String(assignment)}' (leases | group)`);
  if (options.assignmentGroup !== undefined && !options.assignmentGroup) bad('the assignment group must not be empty');
  if (options.assignmentGroup !== undefined && options.assignmentGroup === consumerGroup) {
    // The lag committer is a member of that group with a protocol of its own: the broker would refuse one of them.
    bad(`the assignment group '${options.assignmentGroup}' must differ from the lag group`);
  }
  const assignmentGroup = assignment === 'group' ? options.assignmentGroup ?? `${groupIdPrefix}-${source}-assign` : null;
  const groupSessionTimeoutMs = options.groupSessionTimeoutMs ?? kafkaDefaults.groupSessionTimeoutMs;
  if (!Number.isSafeInteger(groupSessionTimeoutMs) || groupSessionTimeoutMs < 1) bad(`the group session timeout must be a positive integer of ms, got ${groupSessionTimeoutMs}`);
  const outOfRange = options.offsetOutOfRange ?? kafkaDefaults.offsetOutOfRange;
  if (!['fail', 'earliest', 'latest'].includes(outOfRange)) bad(`unknown offset out-of-range policy '${String(outOfRange)}' (fail | earliest | latest)`);
  const isolation = options.isolationLevel ?? kafkaDefaults.isolationLevel;
  if (isolation !== 'read_committed' && isolation !== 'read_uncommitted') bad(`unknown isolation level '${String(isolation)}'`);
  if (options.sasl && !['plain', 'scram-sha-256', 'scram-sha-512'].includes(options.sasl.mechanism)) {
    bad(`unsupported SASL mechanism '${String(options.sasl.mechanism)}' (PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512)`);
  }

  return {
    source,
    topic: options.topic,
    brokers,
    clientId: options.clientId ?? kafkaDefaults.clientId,
    startupMode,
    startupTimestampMillis: options.startupTimestampMillis,
    startupOffsets,
    bounded: boundedMode === 'latest',
    partitionDiscoveryIntervalMs: positive(options.partitionDiscoveryIntervalMs, kafkaDefaults.partitionDiscoveryIntervalMs, 'the partition discovery interval'),
    offsetOutOfRange: outOfRange,
    consumerGroup,
    groupIdPrefix,
    assignmentGroup,
    groupSessionTimeoutMs,
    include,
    includeEncoding: options.includeEncoding ?? kafkaDefaults.includeEncoding,
    readUncommitted: isolation === 'read_uncommitted',
    fetchMaxBytes: positive(options.fetchMaxBytes, kafkaDefaults.fetchMaxBytes, 'fetch max bytes'),
    maxPartitionFetchBytes: positive(options.maxPartitionFetchBytes, kafkaDefaults.maxPartitionFetchBytes, 'max partition fetch bytes'),
    fetchMaxWaitMs: positive(options.fetchMaxWaitMs, kafkaDefaults.fetchMaxWaitMs, 'fetch max wait'),
    retries: positive(options.retries, kafkaDefaults.retries, 'retries'),
    ssl: options.ssl,
    sasl: options.sasl,
  };
}

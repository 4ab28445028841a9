import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { checkPropertyValue } from '../checkPropertyValue.js';
import type { PropertySpec } from '../ConnectorFactory.js';
import type { KafkaMetadataColumn, KafkaMetadataField, KafkaSaslOptions, KafkaSourceOptions } from './KafkaSourceOptions.js';
import { defaultMetadataColumn, kafkaDefaults } from './KafkaSourceOptions.js';

/**
 * The properties of the `kafka` connector. Canonical names follow tributary's `kafka.*` style;
 * RisingWave's (and, where RisingWave has none, Flink's) names are accepted as aliases.
 * Client settings keep Kafka's own names under `properties.` as RisingWave does.
 */
export const kafkaProperties: readonly PropertySpec[] = [
  { name: 'kafka.topic', aliases: ['topic'], type: 'string', required: true, description: 'The topic to read.' },
  {
    name: 'kafka.bootstrap.servers',
    aliases: ['properties.bootstrap.server', 'properties.bootstrap.servers', 'kafka.brokers'],
    type: 'list',
    required: true,
    description: 'Brokers to bootstrap from, host:port[,host:port...].',
  },
  {
    name: 'kafka.scan.startup.mode',
    aliases: ['scan.startup.mode'],
    type: 'enum',
    values: ['earliest', 'latest', 'timestamp'],
    description: 'Where partitions without a stored position start: earliest (default), latest, or timestamp (default when a timestamp is given).',
  },
  {
    name: 'kafka.scan.startup.timestamp.millis',
    aliases: ['scan.startup.timestamp.millis', 'scan.startup.timestamp_millis'],
    type: 'integer',
    min: 0,
    description: 'Start at the first record whose timestamp is at or after this (ms since the epoch).',
  },
  {
    name: 'kafka.scan.startup.specific.offsets',
    aliases: ['kafka.scan.startup.specific_offsets', 'scan.startup.specific-offsets'],
    type: 'string',
    description:
      "Start offsets for some partitions, overriding the startup mode for them: '0:100,1:250' or Flink's 'partition:0,offset:100;partition:1,offset:250'.",
  },
  {
    name: 'kafka.scan.bounded.mode',
    aliases: ['scan.bounded.mode'],
    type: 'enum',
    values: ['unbounded', 'latest', 'latest-offset'],
    default: kafkaDefaults.boundedMode,
    description: 'latest (Flink: latest-offset): stop at the end offsets seen when the source first starts, then complete.',
  },
  {
    name: 'kafka.partition.discovery.interval.ms',
    type: 'integer',
    default: String(kafkaDefaults.partitionDiscoveryIntervalMs),
    description: 'How often to look for partitions added to the topic (read from their beginning); 0 disables.',
  },
  {
    name: 'kafka.offset.out.of.range',
    type: 'enum',
    values: ['fail', 'earliest', 'latest'],
    default: kafkaDefaults.offsetOutOfRange,
    description: 'A stored position deleted by retention: fail (default), or skip to earliest / latest, losing the records in between.',
  },
  {
    name: 'kafka.consumer.group',
    aliases: ['properties.group.id'],
    type: 'string',
    description: 'Group that receives the positions of successful epochs, for lag monitoring only. Default <group.id.prefix>-<source name>.',
  },
  {
    name: 'kafka.consumer.group.prefix',
    aliases: ['group.id.prefix'],
    type: 'string',
    default: kafkaDefaults.groupIdPrefix,
    description: 'Prefix of the group ids the source uses (the lag group and its throwaway fetch groups).',
  },
  {
    name: 'kafka.assignment',
    type: 'enum',
    values: ['leases', 'group'],
    default: kafkaDefaults.assignment,
    description:
      "With --share: who assigns partitions to processes: the shared leases (default, balance by member count) or Kafka's consumer-group protocol ('group'; positions stay in tributary's state).",
  },
  {
    name: 'kafka.assignment.group',
    type: 'string',
    description: "The consumer group that assigns partitions with kafka.assignment = 'group'. Default <group.id.prefix>-<source name>-assign.",
  },
  {
    name: 'kafka.assignment.session.timeout.ms',
    type: 'integer',
    min: 1,
    default: String(kafkaDefaults.groupSessionTimeoutMs),
    description: "Session timeout of the assignment group: how soon a dead process's partitions are reassigned.",
  },
  {
    name: 'kafka.commit.offsets',
    type: 'boolean',
    default: String(kafkaDefaults.commitOffsets),
    description: 'Commit the positions of successful epochs to the consumer group (lag monitoring only; never read back).',
  },
  {
    name: 'kafka.include',
    type: 'list',
    description:
      "Metadata columns added to each row: key, partition, offset, timestamp, headers; each as _kafka_<field> or 'field as column'; one header: \"header 'name' [varchar|bytea] as column\"; 'timestamp timestamptz' for a Date (RisingWave's INCLUDE).",
  },
  {
    name: 'kafka.include.encoding',
    type: 'enum',
    values: ['utf8', 'bytes'],
    default: kafkaDefaults.includeEncoding,
    description: 'The key column and header values as utf8 strings (default) or bytes.',
  },
  {
    name: 'kafka.retry.attempts',
    type: 'integer',
    min: 0,
    default: String(kafkaDefaults.retries),
    description: 'Retries of a failed request (connect, metadata, fetch) before the source fails; backoff from 300 ms doubling up to 2 s (10: about 16 s on an unreachable broker).',
  },
  { name: 'properties.client.id', type: 'string', default: kafkaDefaults.clientId, description: 'Client id the brokers see.' },
  {
    name: 'properties.isolation.level',
    type: 'enum',
    values: ['read_committed', 'read_uncommitted'],
    default: kafkaDefaults.isolationLevel,
    description: 'read_committed (default) hides records of open and aborted transactions.',
  },
  { name: 'properties.fetch.max.bytes', type: 'integer', min: 0, default: String(kafkaDefaults.fetchMaxBytes), description: 'Upper bound of one fetch response.' },
  {
    name: 'properties.max.partition.fetch.bytes',
    type: 'integer',
    min: 0,
    default: String(kafkaDefaults.maxPartitionFetchBytes),
    description: "Upper bound of one partition's data per fetch, and so of one chunk.",
  },
  { name: 'properties.fetch.max.wait.ms', type: 'integer', default: String(kafkaDefaults.fetchMaxWaitMs), description: 'How long the broker may hold a fetch that has no data.' },
  {
    name: 'properties.security.protocol',
    type: 'enum',
    values: ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'],
    default: 'PLAINTEXT',
    description: 'PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.',
  },
  {
    name: 'properties.sasl.mechanism',
    type: 'enum',
    values: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
    description: 'SASL mechanism (SASL_* protocols).',
  },
  { name: 'properties.sasl.username', type: 'string', description: 'SASL user name.' },
  { name: 'properties.sasl.password', type: 'string', secret: true, description: 'SASL password.' },
  { name: 'properties.ssl.ca.location', type: 'string', description: 'PEM file of the CA certificates to trust (default: the system CAs).' },
  { name: 'properties.ssl.certificate.location', type: 'string', description: 'PEM file of the client certificate (mutual TLS).' },
  { name: 'properties.ssl.key.location', type: 'string', description: 'PEM file of the client private key (mutual TLS).' },
  { name: 'properties.ssl.key.password', type: 'string', secret: true, description: 'Passphrase of the client private key.' },
  {
    name: 'properties.ssl.endpoint.identification.algorithm',
    type: 'enum',
    values: ['https', 'none'],
    default: 'https',
    description: "none: do not check that the broker's certificate matches its host name.",
  },
];

const specs = new Map(kafkaProperties.map((spec) => [spec.name, spec]));

/** A property by canonical name or any alias, else its default. */
function get(properties: Readonly<Record<string, string>>, name: string): string | undefined {
  const spec = specs.get(name);
  for (const key of [name, ...(spec?.aliases ?? [])]) {
    const value = properties[key];
    if (value !== undefined && value !== '') return value;
  }
  return spec?.default;
}

/**
 * Turns connector properties into {@link KafkaSourceOptions} (without the common source
 * options). Reads the TLS files named by the `properties.ssl.*.location` properties.
 * Errors name the property, never a secret's value.
 */
export function kafkaOptionsFromProperties(
  source: string,
  properties: Readonly<Record<string, string>>,
): Omit<KafkaSourceOptions, 'name'> {
  const bad = (message: string): never => {
    throw new TypeError(`Kafka source '${source}': ${message}`);
  };
  // Values are checked by the one check SQL ran on them already (ranges and enum values live in
  // the specs above); direct callers pass unresolved properties, so it runs here too.
  const value = (name: string): string | undefined => {
    const text = get(properties, name);
    const spec = specs.get(name);
    if (text === undefined || spec === undefined) return text;
    const checked = checkPropertyValue(spec, text);
    if (typeof checked === 'string') return checked;
    return bad(`property ${name} must be ${checked.expected}, got ${spec.secret === true ? '(secret value not shown)' : `'${text}'`}`);
  };
  const integer = (name: string): number | undefined => {
    const text = value(name);
    return text === undefined ? undefined : Number(text);
  };
  // Every property given is checked, read below or not (the TLS ones only matter under SSL), as SQL checks them.
  for (const spec of kafkaProperties) value(spec.name);
  const topic = value('kafka.topic') ?? bad('property kafka.topic (topic) is required');
  const brokers = value('kafka.bootstrap.servers') ?? bad('property kafka.bootstrap.servers (properties.bootstrap.server) is required');

  const startupMode = value('kafka.scan.startup.mode');
  const bounded = value('kafka.scan.bounded.mode');
  const include: KafkaMetadataColumn[] = [];
  // Commas inside a quoted header name do not split entries.
  for (const entry of ((value('kafka.include') ?? '').match(/(?:'(?:[^']|'')*'|[^,'])+/g) ?? []).map((e) => e.trim()).filter((e) => e.length > 0)) {
    include.push(parseIncludeEntry(entry, bad));
  }

  const protocol = (value('properties.security.protocol') ?? 'PLAINTEXT').toUpperCase();
  let sasl: KafkaSaslOptions | undefined;
  if (protocol.startsWith('SASL_')) {
    const mechanism = (value('properties.sasl.mechanism') ?? 'PLAIN').toLowerCase();
    const username = value('properties.sasl.username') ?? bad(`${protocol} needs properties.sasl.username`);
    const password = value('properties.sasl.password') ?? bad(`${protocol} needs properties.sasl.password`);
    sasl = { mechanism: mechanism as KafkaSaslOptions['mechanism'], username, password };
  }
  let ssl: boolean | ConnectionOptions | undefined;
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const file = (name: string): string | undefined => {
      const path = value(name);
      if (path === undefined) return undefined;
      try {
        return readFileSync(path, 'utf8');
      } catch (err) {
        return bad(`property ${name}: cannot read '${path}': ${(err as Error).message}`);
      }
    };
    const ca = file('properties.ssl.ca.location');
    const cert = file('properties.ssl.certificate.location');
    const key = file('properties.ssl.key.location');
    const passphrase = value('properties.ssl.key.password');
    const verifyHost = value('properties.ssl.endpoint.identification.algorithm') !== 'none';
    ssl = {
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(key !== undefined ? { key } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
      ...(verifyHost ? {} : { checkServerIdentity: () => undefined }),
    };
  }

  const group = value('kafka.consumer.group');
  const commit = (value('kafka.commit.offsets') ?? String(kafkaDefaults.commitOffsets)) !== 'false';
  const timestamp = integer('kafka.scan.startup.timestamp.millis');
  const specific = value('kafka.scan.startup.specific.offsets');
  return {
    topic,
    brokers,
    ...(startupMode !== undefined ? { startupMode: startupMode as KafkaSourceOptions['startupMode'] & string } : {}),
    ...(timestamp !== undefined ? { startupTimestampMillis: timestamp } : {}),
    ...(specific !== undefined ? { startupOffsets: parseSpecificOffsets(specific, bad) } : {}),
    boundedMode: bounded === 'latest' || bounded === 'latest-offset' ? 'latest' : 'unbounded',
    // Absent properties stay absent: resolveKafkaConfig applies kafkaDefaults, the one place they live.
    ...defined('partitionDiscoveryIntervalMs', integer('kafka.partition.discovery.interval.ms')),
    ...defined('offsetOutOfRange', value('kafka.offset.out.of.range') as KafkaSourceOptions['offsetOutOfRange']),
    ...(commit ? defined('consumerGroup', group) : { consumerGroup: false }),
    ...defined('groupIdPrefix', value('kafka.consumer.group.prefix')),
    ...defined('assignment', value('kafka.assignment') as KafkaSourceOptions['assignment']),
    ...defined('assignmentGroup', value('kafka.assignment.group')),
    ...defined('groupSessionTimeoutMs', integer('kafka.assignment.session.timeout.ms')),
    include,
    ...defined('includeEncoding', value('kafka.include.encoding') as KafkaSourceOptions['includeEncoding']),
    ...defined('clientId', value('properties.client.id')),
    ...defined('isolationLevel', value('properties.isolation.level') as KafkaSourceOptions['isolationLevel']),
    ...defined('fetchMaxBytes', integer('properties.fetch.max.bytes')),
    ...defined('maxPartitionFetchBytes', integer('properties.max.partition.fetch.bytes')),
    ...defined('fetchMaxWaitMs', integer('properties.fetch.max.wait.ms')),
    ...defined('retries', integer('kafka.retry.attempts')),
    ...(ssl !== undefined ? { ssl } : {}),
    ...(sasl !== undefined ? { sasl } : {}),
  };
}

/** `'0:100,1:250'` or Flink's `'partition:0,offset:100;partition:1,offset:250'`. */
export function parseSpecificOffsets(text: string, bad: (message: string) => never): Record<number, string> {
  const offsets: Record<number, string> = {};
  const flink = /partition\s*:/i.test(text);
  const entries = text.split(flink ? ';' : ',').map((e) => e.trim()).filter((e) => e.length > 0);
  for (const entry of entries) {
    const match = flink ? /^partition\s*:\s*(\d+)\s*,\s*offset\s*:\s*(\d+)$/i.exec(entry) : /^(\d+)\s*:\s*(\d+)$/.exec(entry);
    if (match === null) return bad(`property kafka.scan.startup.specific.offsets: cannot read '${entry}' (partition:offset)`);
    offsets[Number(match[1])] = match[2]!;
  }
  return offsets;
}

/** `{ [key]: value }` when the value is there, `{}` otherwise (optional options stay absent, not `undefined`). */
function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * One `kafka.include` entry: `field [as column]`, or for one header `header 'name' [varchar|bytea]
 * [as column]` (RisingWave's INCLUDE syntax), or `timestamp timestamptz [as column]` for a Date.
 */
export function parseIncludeEntry(entry: string, bad: (message: string) => never): KafkaMetadataColumn {
  const match = /^(\w+)(?:\s+'((?:[^']|'')*)')?(?:\s+(varchar|bytea|timestamptz))?(?:\s+as\s+(\w+))?$/i.exec(entry);
  if (match === null) return bad(`property kafka.include: cannot read '${entry}' (field, 'field as column', or "header 'name' [varchar|bytea] as column")`);
  const word = match[1]!.toLowerCase();
  const header = match[2]?.replace(/''/g, "'");
  const type = match[3]?.toLowerCase();
  if (header !== undefined && word !== 'header' && word !== 'headers') return bad(`property kafka.include: only a header is named ('${entry}')`);
  const field = (word === 'header' ? 'headers' : word) as KafkaMetadataField;
  if (type === 'timestamptz' && field !== 'timestamp') return bad(`property kafka.include: timestamptz applies to timestamp only ('${entry}')`);
  if ((type === 'varchar' || type === 'bytea') && field !== 'key' && header === undefined) {
    return bad(`property kafka.include: ${type} applies to the key or one named header ('${entry}')`);
  }
  return {
    field,
    column: match[4] ?? (header !== undefined ? `${defaultMetadataColumn(field)}_${header.replace(/\W/g, '_')}` : defaultMetadataColumn(field)),
    ...(header !== undefined ? { header } : {}),
    ...(type === 'varchar' ? { encoding: 'utf8' as const } : type === 'bytea' ? { encoding: 'bytes' as const } : {}),
    ...(type === 'timestamptz' ? { timestampAs: 'date' as const } : {}),
  };
}

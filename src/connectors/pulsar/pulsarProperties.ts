import { propertyReader } from '../propertyReader.js';
import type { PropertySpec } from '../ConnectorFactory.js';
import { parseTopicName, type PulsarTopicName } from './pulsarTopic.js';
import type { PulsarTransportKind } from './PulsarTransport.js';

/** Where partitions without a stored position start at the first start. */
export type PulsarStartupMode = 'earliest' | 'latest' | 'timestamp';

/** Message metadata a row can carry, each under a column name. */
export type PulsarMetadataField = 'key' | 'properties' | 'publish_time' | 'event_time' | 'message_id' | 'partition';

/** One metadata column: which field, under which name. */
export interface PulsarMetadataColumn {
  readonly field: PulsarMetadataField;
  readonly column: string;
}

const METADATA_FIELDS: readonly PulsarMetadataField[] = ['key', 'properties', 'publish_time', 'event_time', 'message_id', 'partition'];

/** `_pulsar_<field>`: the column a metadata field gets when not named. */
export const defaultPulsarColumn = (field: PulsarMetadataField): string => `_pulsar_${field}`;

/** Everything a Pulsar source is configured with, typed and defaulted. */
export interface PulsarConfig {
  readonly topic: PulsarTopicName;
  /** The HTTP base of the admin REST API (`http://host:8080`). */
  readonly adminUrl: string;
  /** The base of the WebSocket API (`ws://host:8080`): the admin URL's, unless given. */
  readonly webSocketUrl: string;
  /** The service URL as given (`pulsar://host:6650`), for the native transport; absent when not given. */
  readonly serviceUrl?: string | undefined;
  /**
   * How splits reach the broker: `websocket` (default), `native` (`pulsar-client`, optional and
   * not tested against a real broker here) or `auto` (native when it loads). See PulsarTransport.
   */
  readonly transport: PulsarTransportKind;
  /** A JWT sent as `Authorization: Bearer`; never printed. */
  readonly token?: string | undefined;
  /** Default `earliest`. */
  readonly startupMode: PulsarStartupMode;
  /** For `timestamp`: the first message published at or after this (ms since the epoch). */
  readonly startupTimestampMs?: number | undefined;
  /** Stop at the last message each partition had at the first start, then complete. */
  readonly bounded: boolean;
  /** How often the admin API is asked for added partitions; 0 disables. Default 30 000. */
  readonly partitionDiscoveryIntervalMs: number;
  /**
   * Messages the WebSocket service may send a reader ahead of the permits it got back (the
   * reader endpoint's `receiverQueueSize`, at most 1000): the bound of what one split buffers.
   * At least 2: with 1, a reader started after a single-message entry never receives anything
   * (Pulsar 4.0's reader spends its one permit on the start message it filters out, and asks for
   * no more). Default 1000.
   */
  readonly receiverQueueSize: number;
  /** Reconnects (or admin calls) in a row that may fail before the source fails: with the backoff (200 ms doubling up to 5 s, jittered) about two minutes, longer than a broker restart. Default 30. */
  readonly retryAttempts: number;
  /** Longest wait between two reconnects. Default 5000. */
  readonly maxBackoffMs: number;
  /** How long opening a WebSocket or an admin call may take. Default 10 000. */
  readonly requestTimeoutMs: number;
  readonly include: readonly PulsarMetadataColumn[];
}

/** Defaults of {@link PulsarConfig}. */
export const pulsarDefaults = {
  startupMode: 'earliest',
  // The WebSocket transport by default: it installs everywhere (pure JS) and is the one tested
  // against a real broker; `pulsar-client` cannot be installed where tributary is built.
  transport: 'websocket',
  partitionDiscoveryIntervalMs: 30_000,
  receiverQueueSize: 1000,
  retryAttempts: 30,
  maxBackoffMs: 5_000,
  requestTimeoutMs: 10_000,
} as const satisfies Partial<PulsarConfig>;

/** `pulsar.scan.bounded.mode` when not given (the config holds it as the boolean `bounded`). */
const DEFAULT_BOUNDED_MODE = 'unbounded';

/**
 * Properties of the `pulsar` connector: tributary's `pulsar.*` names (the seed's style) with
 * RisingWave's as aliases.
 */
export const pulsarPropertySpecs: readonly PropertySpec[] = [
  { name: 'pulsar.topic', aliases: ['topic'], type: 'string', required: true, description: "The topic: 'name' (in public/default), 'tenant/namespace/name' or 'persistent://tenant/namespace/name'." },
  {
    name: 'pulsar.service.url',
    aliases: ['service.url'],
    type: 'string',
    required: true,
    description: "The broker's service URL. tributary speaks the WebSocket API on the HTTP port: with a pulsar:// URL, give pulsar.admin.url too.",
  },
  { name: 'pulsar.admin.url', aliases: ['admin.url'], type: 'string', description: 'The HTTP URL of the admin REST API and WebSocket service (http://host:8080).' },
  { name: 'pulsar.websocket.url', type: 'string', description: 'The WebSocket service, when it runs apart from the broker (ws://proxy:8080). Default: the admin URL.' },
  {
    name: 'pulsar.scan.startup.mode',
    aliases: ['scan.startup.mode'],
    type: 'enum',
    values: ['earliest', 'latest', 'timestamp'],
    description: 'Where partitions without a stored position start: earliest (default), latest, or timestamp (default when a timestamp is given).',
  },
  {
    name: 'pulsar.scan.startup.timestamp.millis',
    aliases: ['scan.startup.timestamp.millis', 'scan.startup.timestamp_millis'],
    type: 'integer',
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    description: 'Start at the first message published at or after this (ms since the epoch).',
  },
  {
    name: 'pulsar.scan.bounded.mode',
    aliases: ['scan.bounded.mode'],
    type: 'enum',
    values: ['unbounded', 'latest'],
    default: DEFAULT_BOUNDED_MODE,
    description: 'latest: stop at the last message each partition had when the source first started, then complete.',
  },
  {
    name: 'pulsar.transport',
    type: 'enum',
    values: ['websocket', 'native', 'auto'],
    default: pulsarDefaults.transport,
    description:
      "websocket (default): the WebSocket API through the ws package; native: the pulsar-client package (binary protocol; install it yourself; not tested against a real broker by tributary); auto: native when pulsar-client loads, else websocket.",
  },
  { name: 'pulsar.auth.token', aliases: ['auth.token'], type: 'string', secret: true, description: 'A token (JWT) for token authentication; never shown.' },
  {
    name: 'pulsar.partition.discovery.interval.ms',
    type: 'integer',
    default: String(pulsarDefaults.partitionDiscoveryIntervalMs),
    description: 'How often to look for partitions added to the topic (read from their beginning); 0 disables.',
  },
  {
    name: 'pulsar.receiver.queue.size',
    type: 'integer',
    min: 2,
    max: 1000,
    default: String(pulsarDefaults.receiverQueueSize),
    description: 'Messages the WebSocket service sends a split ahead of consumption (its receiverQueueSize): what one split buffers at most.',
  },
  {
    name: 'pulsar.retry.attempts',
    type: 'integer',
    min: 0,
    max: 1000,
    default: String(pulsarDefaults.retryAttempts),
    description: 'Failed reconnects or admin calls in a row before the source fails (backoff from 200 ms doubling up to 5 s).',
  },
  {
    name: 'pulsar.include',
    type: 'list',
    description: "Metadata columns added to each row: key, properties, publish_time, event_time, message_id, partition; each as _pulsar_<field> or 'field as column'.",
  },
];

/**
 * The admin and WebSocket bases from the service and admin URLs: the WebSocket API lives on the
 * HTTP port, so a pulsar:// service URL alone is not enough.
 */
export function pulsarEndpoints(serviceUrl: string | undefined, adminUrl: string | undefined, webSocketUrl: string | undefined): { adminUrl: string; webSocketUrl: string } {
  const trim = (url: string): string => url.replace(/\/+$/, '');
  const http = (url: string): string => trim(url).replace(/^ws(s?):\/\//i, 'http$1://');
  const ws = (url: string): string => trim(url).replace(/^http(s?):\/\//i, 'ws$1://');
  let admin = adminUrl;
  if (admin === undefined && serviceUrl !== undefined && /^(https?|wss?):\/\//i.test(serviceUrl)) admin = serviceUrl;
  if (admin === undefined) {
    throw new TypeError(
      `pulsar connector: service URL '${serviceUrl ?? ''}' is the binary protocol; tributary needs the HTTP port too (the admin REST API, and the WebSocket API unless pulsar.transport is native): set 'pulsar.admin.url' (admin.url) to http://<broker>:8080`,
    );
  }
  for (const [name, url] of [['admin.url', admin], ['websocket.url', webSocketUrl]] as const) {
    if (url !== undefined && !/^(https?|wss?):\/\/[^/\s]+/i.test(url)) throw new TypeError(`pulsar connector: '${name}' must be an http(s):// or ws(s):// URL, got '${url}'`);
  }
  return { adminUrl: http(admin), webSocketUrl: ws(webSocketUrl ?? admin) };
}

/** Parses `pulsar.include`: `key, publish_time as published, ...`. */
export function parsePulsarInclude(text: string | undefined): PulsarMetadataColumn[] {
  const include: PulsarMetadataColumn[] = [];
  for (const entry of (text ?? '').split(',').map((e) => e.trim()).filter((e) => e.length > 0)) {
    const match = /^(\w+)(?:\s+as\s+(\w+))?$/i.exec(entry);
    const field = match?.[1]?.toLowerCase() as PulsarMetadataField | undefined;
    if (match === null || field === undefined || !METADATA_FIELDS.includes(field)) {
      throw new TypeError(`pulsar connector: property 'pulsar.include': cannot read '${entry}' (one of ${METADATA_FIELDS.join(', ')}, or 'field as column')`);
    }
    include.push({ field, column: match[2] ?? defaultPulsarColumn(field) });
  }
  return include;
}

/**
 * Reads a {@link PulsarConfig} from connector properties (canonical names; aliases accepted too).
 * Errors name the property, never the token.
 */
export function pulsarConfigFromProperties(properties: Readonly<Record<string, string>>): PulsarConfig {
  const p = propertyReader('pulsar', pulsarPropertySpecs, properties);
  const topicText = p.get('pulsar.topic');
  if (topicText === undefined) throw new TypeError("pulsar connector: property 'pulsar.topic' is required");
  const timestamp = p.get('pulsar.scan.startup.timestamp.millis');
  const mode = p.oneOf('pulsar.scan.startup.mode', ['earliest', 'latest', 'timestamp'] as const, timestamp !== undefined ? 'timestamp' : pulsarDefaults.startupMode);
  if (mode === 'timestamp' && timestamp === undefined) {
    throw new TypeError("pulsar connector: startup mode 'timestamp' needs 'pulsar.scan.startup.timestamp.millis'");
  }
  return {
    topic: parseTopicName(topicText),
    ...pulsarEndpoints(p.get('pulsar.service.url'), p.get('pulsar.admin.url'), p.get('pulsar.websocket.url')),
    serviceUrl: p.get('pulsar.service.url'),
    transport: p.oneOf('pulsar.transport', ['websocket', 'native', 'auto'] as const, pulsarDefaults.transport),
    token: p.get('pulsar.auth.token'),
    startupMode: mode,
    startupTimestampMs: timestamp !== undefined ? p.integer('pulsar.scan.startup.timestamp.millis') : undefined,
    bounded: p.oneOf('pulsar.scan.bounded.mode', ['unbounded', 'latest'] as const, DEFAULT_BOUNDED_MODE) === 'latest',
    partitionDiscoveryIntervalMs: p.integer('pulsar.partition.discovery.interval.ms', pulsarDefaults.partitionDiscoveryIntervalMs),
    receiverQueueSize: p.integer('pulsar.receiver.queue.size', pulsarDefaults.receiverQueueSize),
    retryAttempts: p.integer('pulsar.retry.attempts', pulsarDefaults.retryAttempts),
    maxBackoffMs: pulsarDefaults.maxBackoffMs,
    requestTimeoutMs: pulsarDefaults.requestTimeoutMs,
    include: parsePulsarInclude(p.get('pulsar.include')),
  };
}

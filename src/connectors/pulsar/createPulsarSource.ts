import { createSource } from '../../core/createSource.js';
import { sourceOptionsOf } from '../../core/SourceOptions.js';
import type { Source } from '../../core/Source.js';
import type { Format, Row, RowConverter } from '../../formats/Format.js';
import type { SourceOptions } from '../ConnectorFactory.js';
import { checkIntegers } from '../propertyReader.js';
import { MAX_TIMER_DELAY_MS } from '../checkPropertyValue.js';
import { loadPulsarClient } from './loadPulsarClient.js';
import { loadWs } from './loadWs.js';
import { PulsarAdmin } from './PulsarAdmin.js';
import { PulsarEnumerator } from './PulsarEnumerator.js';
import { pulsarDefaults, pulsarEndpoints, pulsarPropertySpecs, type PulsarConfig, type PulsarMetadataColumn, type PulsarStartupMode } from './pulsarProperties.js';
import type { PulsarReconnectEvent } from './PulsarReconnectEvent.js';
import { PulsarSplitReader } from './PulsarSplitReader.js';
import { parseTopicName } from './pulsarTopic.js';
import type { PulsarTransport, PulsarTransportKind } from './PulsarTransport.js';
import { selectTransport, type TransportLoaders } from './selectTransport.js';

/** Options of {@link createPulsarSource}: the common source options, the Pulsar settings, a format. */
export interface PulsarSourceOptions extends SourceOptions {
  /** `name`, `tenant/namespace/name` or `persistent://tenant/namespace/name`. */
  readonly topic: string;
  /** The admin REST API and WebSocket service: `http://host:8080`. */
  readonly adminUrl?: string;
  /** The service URL; used as the admin URL when it is http(s):// or ws(s)://. */
  readonly serviceUrl?: string;
  /** The WebSocket service, when apart from the broker. Default: the admin URL. */
  readonly webSocketUrl?: string;
  /**
   * `websocket` (default: pure JS, tested against a real broker), `native` (the optional
   * `pulsar-client` package; not tested against a real broker by tributary, which cannot install
   * it) or `auto` (native when `pulsar-client` loads, else websocket). Checkpoints move between them.
   */
  readonly transport?: PulsarTransportKind;
  /** Token authentication (never printed). */
  readonly token?: string;
  readonly startupMode?: PulsarStartupMode;
  readonly startupTimestampMs?: number;
  /** Stop at the last message of each partition at the first start. */
  readonly bounded?: boolean;
  readonly partitionDiscoveryIntervalMs?: number;
  readonly receiverQueueSize?: number;
  readonly retryAttempts?: number;
  readonly maxBackoffMs?: number;
  readonly requestTimeoutMs?: number;
  /** Metadata columns added to every row. */
  readonly include?: readonly PulsarMetadataColumn[];
  /** Decodes each payload; it must implement `decodeMessage`. */
  readonly format: Format;
  readonly convert?: RowConverter;
  /** Called before each reconnect of a split (logs, metrics, tests). */
  readonly onReconnect?: (event: PulsarReconnectEvent) => void;
  /** @internal Loads the optional packages (tests pass fakes). */
  readonly loaders?: TransportLoaders;
}

/**
 * A Pulsar source over the WebSocket API: one split per partition, message-id checkpoints,
 * partitions discovered while running, flow control by the reader endpoint's permits.
 *
 * @example
 * const source = createPulsarSource({
 *   name: 'orders',
 *   topic: 'persistent://public/default/orders',
 *   adminUrl: 'http://localhost:8080',
 *   startupMode: 'earliest',
 *   format: createFormat('json'),
 *   include: [{ field: 'key', column: 'order_key' }],
 *   store,
 * });
 */
export function createPulsarSource(options: PulsarSourceOptions): Source<Row> {
  const config = pulsarConfig(options);
  const admin = new PulsarAdmin(config.adminUrl, config.token, config.requestTimeoutMs);
  const { name, scheduler } = options;
  const loaders = options.loaders ?? { ws: loadWs, pulsarClient: loadPulsarClient };
  // Chosen once per source, at the first split's first read (a failed load is tried again).
  let transport: Promise<PulsarTransport> | undefined;
  const getTransport = (): Promise<PulsarTransport> => {
    transport ??= selectTransport(config, loaders).catch((err: unknown) => {
      transport = undefined;
      throw err;
    });
    return transport;
  };
  return createSource({
    ...sourceOptionsOf(options),
    enumerator: new PulsarEnumerator(config, { admin, scheduler }),
    reader: new PulsarSplitReader(config, {
      transport: getTransport,
      admin,
      format: options.format,
      convert: options.convert,
      scheduler,
      readerName: `tributary-${name}`,
      onReconnect: options.onReconnect,
    }),
  });
}

function pulsarConfig(options: PulsarSourceOptions): PulsarConfig {
  if (!options.topic) throw new TypeError('createPulsarSource: a topic is required');
  if (options.format.decodeMessage === undefined) {
    throw new TypeError(`createPulsarSource: format '${options.format.name}' cannot decode single messages`);
  }
  const startupMode = options.startupMode ?? pulsarDefaults.startupMode;
  if (options.transport !== undefined && !['websocket', 'native', 'auto'].includes(options.transport)) {
    throw new TypeError(`createPulsarSource: transport must be websocket, native or auto, got '${String(options.transport)}'`);
  }
  if (startupMode === 'timestamp' && options.startupTimestampMs === undefined) {
    throw new TypeError("createPulsarSource: startupMode 'timestamp' needs startupTimestampMs");
  }
  const config: PulsarConfig = {
    topic: parseTopicName(options.topic),
    ...pulsarEndpoints(options.serviceUrl, options.adminUrl, options.webSocketUrl),
    serviceUrl: options.serviceUrl,
    transport: options.transport ?? pulsarDefaults.transport,
    token: options.token,
    startupMode,
    startupTimestampMs: options.startupTimestampMs,
    bounded: options.bounded ?? false,
    partitionDiscoveryIntervalMs: options.partitionDiscoveryIntervalMs ?? pulsarDefaults.partitionDiscoveryIntervalMs,
    receiverQueueSize: options.receiverQueueSize ?? pulsarDefaults.receiverQueueSize,
    retryAttempts: options.retryAttempts ?? pulsarDefaults.retryAttempts,
    maxBackoffMs: options.maxBackoffMs ?? pulsarDefaults.maxBackoffMs,
    requestTimeoutMs: options.requestTimeoutMs ?? pulsarDefaults.requestTimeoutMs,
    include: options.include ?? [],
  };
  checkIntegers('createPulsarSource', pulsarPropertySpecs, [
    ['partitionDiscoveryIntervalMs', config.partitionDiscoveryIntervalMs, 'pulsar.partition.discovery.interval.ms'],
    ['receiverQueueSize', config.receiverQueueSize, 'pulsar.receiver.queue.size'],
    ['retryAttempts', config.retryAttempts, 'pulsar.retry.attempts'],
  ]);
  // No property mirrors these two (code-only options): timer delays of at least 1 ms.
  for (const [name, value] of [['maxBackoffMs', config.maxBackoffMs], ['requestTimeoutMs', config.requestTimeoutMs]] as const) {
    if (!Number.isInteger(value) || value < 1 || value > MAX_TIMER_DELAY_MS) throw new TypeError(`createPulsarSource: ${name} must be an integer from 1 to ${MAX_TIMER_DELAY_MS}, got ${value}`);
  }
  return config;
}

import type { Source } from '../../core/Source.js';
import type { Row } from '../../formats/Format.js';
import { connectorSourceOptions } from '../aws/createAwsSource.js';
import type { ConnectorContext, ConnectorFactory } from '../ConnectorFactory.js';
import { createPulsarSource } from './createPulsarSource.js';
import { pulsarConfigFromProperties, pulsarPropertySpecs } from './pulsarProperties.js';

/**
 * The `pulsar` connector: `upstream.source = 'pulsar'` (or RisingWave's `connector = 'pulsar'`).
 *
 * @example
 * CREATE SOURCE orders (id INT, amount DOUBLE) WITH (
 *   connector = 'pulsar', topic = 'persistent://public/default/orders',
 *   service.url = 'pulsar://localhost:6650', admin.url = 'http://localhost:8080',
 *   scan.startup.mode = 'earliest', pulsar.include = 'key as order_key, publish_time'
 * ) FORMAT PLAIN ENCODE JSON;
 */
export const pulsarConnector: ConnectorFactory = {
  name: 'pulsar',
  connectorNames: ['pulsar'],
  properties: pulsarPropertySpecs,
  description: 'Apache Pulsar topic over the WebSocket API, or pulsar-client with pulsar.transport = native (unbounded, or bounded by the last messages at start); partitions are splits.',
  create(context: ConnectorContext): Source<Row> {
    const config = pulsarConfigFromProperties(context.properties);
    return createPulsarSource({
      ...connectorSourceOptions(context),
      topic: config.topic.full,
      adminUrl: config.adminUrl,
      webSocketUrl: config.webSocketUrl,
      ...(config.serviceUrl !== undefined ? { serviceUrl: config.serviceUrl } : {}),
      transport: config.transport,
      ...(config.token !== undefined ? { token: config.token } : {}),
      startupMode: config.startupMode,
      ...(config.startupTimestampMs !== undefined ? { startupTimestampMs: config.startupTimestampMs } : {}),
      bounded: config.bounded,
      partitionDiscoveryIntervalMs: config.partitionDiscoveryIntervalMs,
      receiverQueueSize: config.receiverQueueSize,
      retryAttempts: config.retryAttempts,
      include: config.include,
    });
  },
};

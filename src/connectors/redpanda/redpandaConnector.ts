import type { ConnectorFactory } from '../ConnectorFactory.js';
import { kafkaProtocolConnector } from '../kafka/kafkaConnector.js';

/**
 * The `redpanda` connector: Redpanda speaks the Kafka protocol, so this is the `kafka`
 * connector under its own name, with the same properties.
 *
 * @example
 * CREATE SOURCE clicks WITH (connector = 'redpanda', topic = 'clicks',
 *   properties.bootstrap.server = 'localhost:19092') FORMAT PLAIN ENCODE JSON;
 */
export const redpandaConnector: ConnectorFactory = kafkaProtocolConnector(
  'redpanda',
  'Redpanda topic (Kafka protocol; same properties as kafka).',
);

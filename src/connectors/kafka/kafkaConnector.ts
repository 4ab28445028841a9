import type { ConnectorContext, ConnectorFactory } from '../ConnectorFactory.js';
import type { Source } from '../../core/Source.js';
import { sourceOptionsOf } from '../../core/SourceOptions.js';
import type { Row } from '../../formats/Format.js';
import { createKafkaSource } from './createKafkaSource.js';
import { kafkaOptionsFromProperties, kafkaProperties } from './kafkaProperties.js';

/** Builds the factory of a Kafka-protocol connector under a given name (`kafka`, `redpanda`). */
export function kafkaProtocolConnector(name: string, description: string): ConnectorFactory {
  return {
    name,
    connectorNames: [name],
    properties: kafkaProperties,
    description,
    create(context: ConnectorContext): Source<Row> {
      const { format, convert } = context;
      return createKafkaSource({
        ...kafkaOptionsFromProperties(context.name, context.properties),
        ...sourceOptionsOf(context),
        format,
        ...(convert !== undefined ? { convert } : {}),
      });
    },
  };
}

/**
 * The `kafka` connector: an unbounded (or, with `scan.bounded.mode = 'latest'`, bounded) scan
 * of one topic, each partition a split, positions in tributary's checkpoints.
 *
 * @example
 * CREATE SOURCE orders (id INT, amount DECIMAL)
 * INCLUDE key AS order_key
 * WITH (connector = 'kafka', topic = 'orders', properties.bootstrap.server = 'localhost:9092',
 *       scan.startup.mode = 'earliest')
 * FORMAT PLAIN ENCODE JSON;
 */
export const kafkaConnector: ConnectorFactory = kafkaProtocolConnector(
  'kafka',
  'Apache Kafka topic (unbounded, or bounded by the end offsets at start); partitions are splits.',
);

import type { ConnectorContext, ConnectorFactory } from '../ConnectorFactory.js';
import type { Source } from '../../core/Source.js';
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
      const { name: source, store, barriers, checkpointIntervalMs, badRecords, highWaterMark, scheduler, format, convert } = context;
      return createKafkaSource({
        ...kafkaOptionsFromProperties(source, context.properties),
        name: source,
        format,
        ...(convert !== undefined ? { convert } : {}),
        ...(store !== undefined ? { store } : {}),
        ...(barriers !== undefined ? { barriers } : {}),
        ...(checkpointIntervalMs !== undefined ? { checkpointIntervalMs } : {}),
        ...(badRecords !== undefined ? { badRecords } : {}),
        ...(highWaterMark !== undefined ? { highWaterMark } : {}),
        ...(scheduler !== undefined ? { scheduler } : {}),
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

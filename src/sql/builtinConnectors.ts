import type { ConnectorFactory } from '../connectors/ConnectorFactory.js';
import { fsConnector } from '../connectors/fs/index.js';
import { kafkaConnector } from '../connectors/kafka/index.js';
import { kinesisConnector } from '../connectors/kinesis/index.js';
import { pulsarConnector } from '../connectors/pulsar/index.js';
import { redpandaConnector } from '../connectors/redpanda/index.js';
import { postgresCdcConnector } from '../connectors/postgres-cdc/index.js';
import { s3Connector } from '../connectors/s3/index.js';

/**
 * The connectors a {@link Session} knows unless given its own list: what `CREATE SOURCE ...
 * WITH (connector = '...')` can name, and what `tributary --help` lists. Factory modules load
 * their client libraries (kafkajs, the AWS SDK) only when a source is created, so importing this
 * list is cheap and works without them installed.
 */
export const builtinConnectors: readonly ConnectorFactory[] = [fsConnector, kafkaConnector, redpandaConnector, s3Connector, kinesisConnector, pulsarConnector, postgresCdcConnector];

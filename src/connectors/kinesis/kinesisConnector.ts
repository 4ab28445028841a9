import type { Source } from '../../core/Source.js';
import type { Row } from '../../formats/Format.js';
import { connectorSourceOptions } from '../aws/createAwsSource.js';
import type { ConnectorContext, ConnectorFactory } from '../ConnectorFactory.js';
import { createKinesisSource } from './createKinesisSource.js';
import { kinesisConfigFromProperties, kinesisPropertySpecs } from './kinesisProperties.js';

/**
 * The `kinesis` connector: `upstream.source = 'kinesis'` (or RisingWave's `connector = 'kinesis'`).
 *
 * @example
 * CREATE SOURCE clicks (user_id INT, page VARCHAR) WITH (
 *   connector = 'kinesis', stream = 'clicks', aws.region = 'eu-west-1',
 *   scan.startup.mode = 'latest', kinesis.include.partition_key = 'pk'
 * ) FORMAT PLAIN ENCODE JSON;
 */
export const kinesisConnector: ConnectorFactory = {
  name: 'kinesis',
  connectorNames: ['kinesis'],
  properties: kinesisPropertySpecs,
  description: 'A Kinesis Data Stream: one split per shard, reshards followed parent-first, throttling absorbed.',
  create(context: ConnectorContext): Source<Row> {
    return createKinesisSource({ ...kinesisConfigFromProperties(context.properties), ...connectorSourceOptions(context) });
  },
};

import type { Source } from '../../core/Source.js';
import type { Row } from '../../formats/Format.js';
import { connectorSourceOptions } from '../aws/createAwsSource.js';
import type { ConnectorContext, ConnectorFactory } from '../ConnectorFactory.js';
import { createS3Source } from './createS3Source.js';
import { s3ConfigFromProperties, s3PropertySpecs } from './s3Properties.js';

/**
 * The `s3` connector: `upstream.source = 's3'` (or RisingWave's `connector = 's3'`).
 *
 * @example
 * CREATE SOURCE events (id INT, kind VARCHAR) WITH (
 *   connector = 's3', s3.region_name = 'eu-west-1', s3.bucket_name = 'logs',
 *   match_pattern = 'events/*.ndjson', s3.scan.mode = 'unbounded', refresh.interval.sec = '30'
 * ) FORMAT PLAIN ENCODE JSON;
 */
export const s3Connector: ConnectorFactory = {
  name: 's3',
  connectorNames: ['s3'],
  properties: s3PropertySpecs,
  description: 'Objects under an S3 (or S3-compatible) prefix, bounded or listed again on an interval; gzip aware.',
  create(context: ConnectorContext): Source<Row> {
    return createS3Source({ ...s3ConfigFromProperties(context.properties), ...connectorSourceOptions(context) });
  },
};

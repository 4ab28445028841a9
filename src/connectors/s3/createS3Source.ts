import type { Source } from '../../core/Source.js';
import type { Format, Row, RowConverter } from '../../formats/Format.js';
import type { SourceOptions } from '../ConnectorFactory.js';
import { awsSecrets, describeEndpoint } from '../aws/AwsConnection.js';
import { createAwsSource } from '../aws/createAwsSource.js';
import { checkIntegers } from '../propertyReader.js';
import { keyPattern } from './keyPattern.js';
import { createS3Handle } from './s3Client.js';
import { S3Enumerator } from './S3Enumerator.js';
import { S3ObjectReader } from './S3ObjectReader.js';
import { s3Defaults, s3PropertySpecs, type S3Config } from './s3Properties.js';

/** Options of {@link createS3Source}: the common source options, the S3 settings, a format. */
export interface S3SourceOptions extends SourceOptions, Partial<Omit<S3Config, 'bucket'>> {
  readonly bucket: string;
  /** Decodes object bytes into rows; it must implement `openStream`. */
  readonly format: Format;
  /** Schema check and conversion of decoded rows. */
  readonly convert?: RowConverter;
}

/**
 * An S3 source: objects under a prefix, decoded by `format`, with checkpoints that resume
 * mid-object (ranged GET) and remember what was read in bounded space (see `S3ScanState`).
 *
 * @example
 * const source = createS3Source({
 *   name: 'events',
 *   bucket: 'logs',
 *   prefix: 'events/2024/',
 *   matchPattern: '*.ndjson.gz',
 *   scanMode: 'unbounded',
 *   refreshIntervalMs: 30_000,
 *   format: createFormat('json'),
 *   store,
 * });
 * runWithCheckpoints(source).pipe(toRecords()).subscribe(handle);
 */
export function createS3Source(options: S3SourceOptions): Source<Row> {
  const config = s3Config(options);
  if (config.matchPattern !== undefined) keyPattern(config.matchPattern); // reject a bad pattern now, not at the first listing
  const secrets = awsSecrets(config);
  return createAwsSource(options, () => createS3Handle(config), (clients) => ({
    enumerator: new S3Enumerator(config, { clients, secrets, scheduler: options.scheduler }),
    reader: new S3ObjectReader({
      clients,
      secrets,
      scheduler: options.scheduler,
      format: options.format,
      compression: config.compression,
      endpoint: describeEndpoint(config),
      retryAttempts: config.retryAttempts,
      ...(options.convert !== undefined ? { convert: options.convert } : {}),
    }),
  }));
}

function s3Config(options: S3SourceOptions): S3Config {
  if (!options.bucket) throw new TypeError('createS3Source: a bucket is required');
  if (options.format.openStream === undefined) {
    throw new TypeError(`createS3Source: format '${options.format.name}' cannot decode byte streams`);
  }
  const config: S3Config = {
    bucket: options.bucket,
    prefix: options.prefix ?? s3Defaults.prefix,
    matchPattern: options.matchPattern,
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
    scanMode: options.scanMode ?? s3Defaults.scanMode,
    refreshIntervalMs: options.refreshIntervalMs ?? s3Defaults.refreshIntervalMs,
    keysOrdered: options.keysOrdered ?? s3Defaults.keysOrdered,
    latenessMs: options.latenessMs ?? s3Defaults.latenessMs,
    window: options.window ?? s3Defaults.window,
    listPageSize: options.listPageSize ?? s3Defaults.listPageSize,
    compression: options.compression ?? s3Defaults.compression,
    retryAttempts: options.retryAttempts ?? s3Defaults.retryAttempts,
    requestTimeoutMs: options.requestTimeoutMs ?? s3Defaults.requestTimeoutMs,
  };
  checkIntegers('createS3Source', s3PropertySpecs, [
    ['refreshIntervalMs', config.refreshIntervalMs, 's3.refresh.interval.ms'],
    ['latenessMs', config.latenessMs, 's3.scan.lateness.ms'],
    ['window', config.window, 's3.scan.window'],
    ['listPageSize', config.listPageSize, 's3.list.page.size'],
    ['retryAttempts', config.retryAttempts, 's3.retry.attempts'],
    ['requestTimeoutMs', config.requestTimeoutMs, 's3.request.timeout.ms'],
  ]);
  return config;
}

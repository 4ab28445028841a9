import { createSource } from '../../core/createSource.js';
import type { Source } from '../../core/Source.js';
import type { Format, Row, RowConverter } from '../../formats/Format.js';
import type { SourceOptions } from '../ConnectorFactory.js';
import { SharedClient } from '../aws/SharedClient.js';
import { SplitCompletions } from '../aws/SplitCompletions.js';
import { keyPattern } from './keyPattern.js';
import { createS3Handle, s3Secrets, type S3Handle } from './s3Client.js';
import { S3Enumerator } from './S3Enumerator.js';
import { S3ObjectReader } from './S3ObjectReader.js';
import { s3Defaults, type S3Config } from './s3Properties.js';

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
  const secrets = s3Secrets(config);
  const clients = new SharedClient<S3Handle>(
    () => createS3Handle(config),
    (handle) => handle.client.destroy(),
  );
  const completions = new SplitCompletions();
  const { name, store, barriers, checkpointIntervalMs, badRecords, highWaterMark, scheduler } = options;
  return createSource({
    ...{ name, store, barriers, checkpointIntervalMs, badRecords, highWaterMark, scheduler },
    enumerator: new S3Enumerator(config, { clients, completions, secrets }),
    reader: new S3ObjectReader({
      clients,
      completions,
      secrets,
      format: options.format,
      compression: config.compression,
      ...(options.convert !== undefined ? { convert: options.convert } : {}),
    }),
  });
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
  };
  for (const [name, value, min, max] of [
    ['refreshIntervalMs', config.refreshIntervalMs, 1, Infinity],
    ['latenessMs', config.latenessMs, 0, Infinity],
    ['window', config.window, 1, Infinity],
    ['listPageSize', config.listPageSize, 1, 1000],
  ] as const) {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new TypeError(`createS3Source: ${name} must be an integer from ${min} to ${max}, got ${value}`);
    }
  }
  return config;
}

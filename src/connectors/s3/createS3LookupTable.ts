import { createHash } from 'node:crypto';
import { Observable } from 'rxjs';
import type { BadRecordHandler, BadRecordPolicy } from '../../core/BadRecordHandler.js';
import { DEFAULT_BAD_RECORD_POLICY } from '../../core/SourceOptions.js';
import { BadRecordTracker } from '../../core/BadRecordTracker.js';
import type { DecodeContext, Format, Row, RowConverter } from '../../formats/Format.js';
import { LookupTable, type LookupKey } from '../../lookup/LookupTable.js';
import { lookupKeyOf } from '../../lookup/lookupKeyOf.js';
import { awsSecrets, type AwsConnection } from '../aws/AwsConnection.js';
import { scrubAwsError } from '../aws/awsErrors.js';
import { keyPattern } from './keyPattern.js';
import { listObjectPages } from './listObjectPages.js';
import { createS3Handle, type S3Handle } from './s3Client.js';
import { ObjectVersionGoneError, S3ObjectInput } from './S3ObjectInput.js';
import { s3ObjectSplit, type ListedObject } from './S3ObjectSplit.js';
import { s3Defaults, type S3Compression } from './s3Properties.js';

/** Options of {@link createS3LookupTable}; `endpoint` is an S3-compatible store, addressed path-style. */
export interface S3LookupTableOptions<K extends LookupKey = LookupKey> extends AwsConnection {
  /** For errors; default `s3://<bucket>/<prefix>`. */
  readonly name?: string;
  readonly bucket: string;
  /** One object's key, or a prefix whose objects (matching `matchPattern`) together form the table. */
  readonly prefix: string;
  readonly matchPattern?: string;
  readonly compression?: S3Compression;
  /** Must support `openStream`. */
  readonly format: Format;
  /** The key: a column name, or a function of the row (see `lookupKeyOf`); rows with a null or missing key are not indexed. */
  readonly key: string | ((row: Row) => K | null | undefined);
  readonly convert?: RowConverter;
  /** Default `fail`. */
  readonly badRecords?: BadRecordPolicy | BadRecordHandler;
  /** How often to list the prefix and compare ETags, in ms; `0` never (the table is built once). Default 60 000. */
  readonly pollIntervalMs?: number;
}

/**
 * A lookup table over S3 objects, for `lookupJoin`: read into a hash index on first use and
 * rebuilt when the objects change. The version is the listing's keys and ETags, checked every
 * `pollIntervalMs`; each object is read pinned to the ETag it was listed with, so an index never
 * mixes two versions of an object (a build that saw one replaced is repeated by `LookupTable`).
 *
 * The SDK client is created on the first build and kept for the table's life (its idle sockets
 * do not keep the process alive).
 *
 * @example
 * const customers = createS3LookupTable({ bucket: 'dims', prefix: 'customers.csv', format: createFormat('csv'), key: 'id' });
 * checkpointed(orders, lookupJoin(customers, (o) => String(o.customer_id))).pipe(toRecords());
 */
export function createS3LookupTable<K extends LookupKey = LookupKey>(options: S3LookupTableOptions<K>): LookupTable<K> {
  const name = options.name ?? `s3://${options.bucket}/${options.prefix}`;
  const { format, convert } = options;
  const openStream = format.openStream;
  if (openStream === undefined) throw new TypeError(`lookup table '${name}': format '${format.name}' cannot decode objects (it has no stream decoder)`);
  const matches = options.matchPattern === undefined ? () => true : keyPattern(options.matchPattern);
  const badRecords: BadRecordHandler =
    typeof options.badRecords === 'object' ? options.badRecords : new BadRecordTracker(options.badRecords ?? DEFAULT_BAD_RECORD_POLICY);
  const keyOf = lookupKeyOf<K>(options.key);
  const config = {
    ...s3Defaults,
    bucket: options.bucket,
    prefix: options.prefix,
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
  };
  const secrets = awsSecrets(config);
  let handle: Promise<S3Handle> | undefined;
  const client = (): Promise<S3Handle> => {
    handle ??= createS3Handle(config);
    handle.catch(() => (handle = undefined));
    return handle;
  };

  const objects = async (): Promise<ListedObject[]> => {
    const h = await client();
    const list: ListedObject[] = [];
    const signal = new AbortController().signal;
    try {
      for await (const page of listObjectPages(h, { bucket: options.bucket, prefix: options.prefix, pageSize: 1000, signal })) {
        for (const o of page) if (!(o.key.endsWith('/') && o.size === 0) && matches(o.key)) list.push(o);
      }
    } catch (err) {
      throw new Error(`lookup table '${name}': listing failed: ${scrubAwsError(err, secrets).message}`);
    }
    if (list.length === 0) throw new Error(`lookup table '${name}': no object under s3://${options.bucket}/${options.prefix}`);
    return list;
  };

  async function* scan(): AsyncIterable<Row> {
    const h = await client();
    for (const object of await objects()) {
      const split = s3ObjectSplit(options.bucket, object);
      const input = new S3ObjectInput(h, split, options.compression ?? 'auto', new AbortController().signal);
      const context: DecodeContext = { source: name, splitId: split.id, badRecords, ...(convert === undefined ? {} : { convert }) };
      try {
        const decoder = await openStream!.call(format, input, null, context);
        for await (const bytes of input.stream(decoder.startByte)) yield* decoder.push(bytes).rows;
        yield* decoder.end().rows;
      } catch (err) {
        // Replaced while read: the version check after the build sees the new ETag and builds again.
        if (err instanceof ObjectVersionGoneError) continue;
        if (err instanceof Error && err.name === 'BadRecordError') throw err;
        throw new Error(`lookup table '${name}': reading '${object.key}' failed: ${scrubAwsError(err, secrets).message}`);
      }
    }
  }

  const version = async (): Promise<string> => {
    const hash = createHash('sha256');
    for (const o of await objects()) hash.update(`${o.key}\0${o.etag}\n`);
    return hash.digest('hex');
  };

  const pollIntervalMs = options.pollIntervalMs ?? 60_000;
  const changes =
    pollIntervalMs > 0
      ? new Observable<void>((subscriber) => {
          const timer = setInterval(() => subscriber.next(), pollIntervalMs);
          timer.unref(); // a table must not keep the process alive on its own
          return () => clearInterval(timer);
        })
      : undefined;

  return new LookupTable<K>({ name, scan, keyOf, version, ...(changes !== undefined ? { changes } : {}) });
}

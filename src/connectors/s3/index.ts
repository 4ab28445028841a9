/**
 * The `s3` connector: objects under an S3 (or S3-compatible: MinIO, R2, Ceph, s3rver, moto)
 * prefix, decoded by a byte-stream format (JSON lines, CSV, Avro containers), gzip aware.
 *
 * - Splits are object *versions* (`<key>@<etag>`): a replaced object is a new split, read from
 *   its start; reads are pinned to the ETag (`If-Match`), so versions never mix.
 * - Offsets are the format's; a restart resumes mid-object with a ranged GET (gzip objects are
 *   re-decompressed from the start and skipped to the offset: a gzip stream cannot be entered in
 *   the middle).
 * - Listing is paginated and streamed; at most `s3.scan.window` objects are in flight, so a
 *   prefix of millions of objects starts reading after its first page and the split set, the
 *   checkpoint and memory stay bounded. What was read is remembered in bounded space: see
 *   `S3ScanState` (a key cursor with `s3.keys.ordered`, else a LastModified horizon with
 *   `s3.scan.lateness.ms` plus the recent objects).
 * - An object deleted before it was read to its end is a bad record under the source's policy
 *   (its remaining records are lost upstream); calls are retried `s3.retry.attempts` times in
 *   all, then the source fails naming the prefix or object, the position and the endpoint.
 * - `createS3LookupTable` serves `lookupJoin` from objects, rebuilt when their ETags change.
 *
 * @packageDocumentation
 */
export { s3Connector } from './s3Connector.js';
export { createS3Source, type S3SourceOptions } from './createS3Source.js';
export { s3ConfigFromProperties, s3PropertySpecs, s3Defaults, type S3Config, type S3Credentials, type S3ScanMode, type S3Compression } from './s3Properties.js';
export type { S3ObjectSplit } from './S3ObjectSplit.js';
export { S3ObjectInput, ObjectVersionGoneError } from './S3ObjectInput.js';
export { keyPattern } from './keyPattern.js';
export { createS3LookupTable, type S3LookupTableOptions } from './createS3LookupTable.js';

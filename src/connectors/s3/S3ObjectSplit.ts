import type { SourceSplit } from '../../core/SourceSplit.js';

/**
 * One S3 object version as a split. Its id includes the ETag, so an object replaced under the
 * same key is a *new* split, read from its start, and never a mix of two versions: readers pin
 * the ETag (`If-Match`) on every ranged GET.
 */
export interface S3ObjectSplit extends SourceSplit {
  /** `<key>@<etag>`. */
  readonly id: string;
  readonly bucket: string;
  readonly key: string;
  /** The ETag without its quotes. */
  readonly etag: string;
  /** Stored size in bytes (compressed size for gzip objects). */
  readonly size: number;
  /** LastModified in milliseconds since the epoch (the server's clock). */
  readonly lastModified: number;
}

/** What a listing says about one object. */
export interface ListedObject {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  readonly lastModified: number;
}

/** The split id of an object version. */
export function s3SplitId(key: string, etag: string): string {
  return `${key}@${etag}`;
}

/** Builds the split of a listed object. */
export function s3ObjectSplit(bucket: string, object: ListedObject): S3ObjectSplit {
  return {
    id: s3SplitId(object.key, object.etag),
    bucket,
    key: object.key,
    etag: object.etag,
    size: object.size,
    lastModified: object.lastModified,
  };
}

/** Strips the quotes S3 puts around ETags. */
export function unquoteEtag(etag: string | undefined): string {
  if (etag === undefined) return '';
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

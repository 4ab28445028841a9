import type { S3Handle } from './s3Client.js';
import type { ListedObject } from './S3ObjectSplit.js';
import { unquoteEtag } from './S3ObjectSplit.js';

/** Where and how to list. */
export interface ListRequest {
  readonly bucket: string;
  readonly prefix: string;
  /** List keys strictly after this one (S3 `StartAfter`). */
  readonly startAfter?: string;
  /** `MaxKeys` per page. */
  readonly pageSize: number;
  readonly signal: AbortSignal;
}

/**
 * Lists a prefix page by page with ListObjectsV2 and continuation tokens, yielding each page as
 * it arrives: the first objects can be read while the rest is still being listed, and memory
 * holds one page, whatever the size of the prefix. Keys come in S3's order (UTF-8 binary).
 */
export async function* listObjectPages(handle: S3Handle, request: ListRequest): AsyncGenerator<ListedObject[]> {
  const { sdk, client } = handle;
  let token: string | undefined;
  do {
    const page = await client.send(
      new sdk.ListObjectsV2Command({
        Bucket: request.bucket,
        Prefix: request.prefix === '' ? undefined : request.prefix,
        MaxKeys: request.pageSize,
        ...(token !== undefined ? { ContinuationToken: token } : request.startAfter !== undefined ? { StartAfter: request.startAfter } : {}),
      }),
      { abortSignal: request.signal },
    );
    const objects: ListedObject[] = [];
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      objects.push({ key: o.Key, etag: unquoteEtag(o.ETag), size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 });
    }
    yield objects;
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

/** Compares keys in S3's listing order (UTF-8 bytes), which differs from JS string order for some characters. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

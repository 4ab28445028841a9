import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ByteInput } from '../../formats/Format.js';
import { errorName, httpStatus } from '../aws/awsErrors.js';
import type { S3Handle } from './s3Client.js';
import type { S3ObjectSplit } from './S3ObjectSplit.js';
import { unquoteEtag } from './S3ObjectSplit.js';
import type { S3Compression } from './s3Properties.js';

/**
 * The object version a split names is gone: replaced under the same key (another ETag) or
 * deleted. Its replacement, if any, is a new split that a later listing finds.
 */
export class ObjectVersionGoneError extends Error {
  constructor(
    message: string,
    /** `replaced`: another version is under the key (412, or another ETag); `deleted`: nothing is (404). */
    readonly reason: 'replaced' | 'deleted',
  ) {
    super(message);
    this.name = 'ObjectVersionGoneError';
  }
}

/**
 * Random access to one S3 object version, as a {@link ByteInput} for formats: every
 * `stream(start, end)` is a ranged GET (`Range: bytes=start-`), so a restart resumes mid-object
 * without reading what came before, while formats with a header (CSV, Avro) can still read byte 0
 * first. Bodies are streamed, never held whole.
 *
 * The version is pinned: every request carries `If-Match: <etag>` and the returned ETag is
 * checked too (some S3-compatible stores ignore `If-Match`), so bytes of two versions are never
 * mixed; a changed or deleted object raises {@link ObjectVersionGoneError}.
 *
 * Gzip objects (a `.gz` key, or `Content-Encoding: gzip` under `auto`) are decompressed on the
 * fly, and positions are positions in the *decompressed* bytes. A gzip stream cannot be entered in
 * the middle, so `stream(start)` on one GETs the object from byte 0 and discards `start`
 * decompressed bytes: resuming is correct but costs re-reading the object up to the offset.
 */
export class S3ObjectInput implements ByteInput {
  /** `undefined` until known: `auto` on a key without `.gz` must look at Content-Encoding. */
  #gzip: boolean | undefined;

  constructor(
    private readonly handle: S3Handle,
    private readonly split: S3ObjectSplit,
    compression: S3Compression,
    private readonly signal: AbortSignal,
  ) {
    this.#gzip = compression === 'gzip' ? true : compression === 'none' ? false : /\.gz$/i.test(split.key) ? true : undefined;
  }

  /** Whether the object is gzip-compressed, once known. */
  get gzip(): boolean | undefined {
    return this.#gzip;
  }

  async size(): Promise<number | undefined> {
    if (this.#gzip === undefined) await this.probe();
    return this.#gzip === true ? undefined : this.split.size;
  }

  async *stream(start: number, end?: number): AsyncGenerator<Uint8Array> {
    if (end !== undefined && end <= start) return;
    if (this.#gzip === undefined && (start > 0 || end !== undefined)) await this.probe();
    // The listing's size is not used to bound reads: an S3-compatible store may list an object
    // before its bytes are all there. A range past the end is S3's 416, read as "nothing more".
    if (this.#gzip === false) {
      const got = await this.get(start, end);
      if (got === undefined) return;
      yield* iterate(got.body);
      return;
    }
    // gzip, or not yet known: GET from byte 0 and decide on the response's Content-Encoding.
    const got = await this.get(0, undefined);
    if (got === undefined) return;
    const { body, contentEncoding } = got;
    if (this.#gzip === undefined) this.#gzip = /\bgzip\b/i.test(contentEncoding ?? '');
    yield* slice(this.#gzip ? gunzip(body) : body, start, end);
  }

  private async probe(): Promise<void> {
    const { sdk, client } = this.handle;
    try {
      const head = await client.send(
        new sdk.HeadObjectCommand({ Bucket: this.split.bucket, Key: this.split.key, IfMatch: `"${this.split.etag}"` }),
        { abortSignal: this.signal },
      );
      this.checkEtag(head.ETag);
      this.#gzip = /\bgzip\b/i.test(head.ContentEncoding ?? '');
    } catch (err) {
      throw this.gone(err) ?? err;
    }
  }

  /** A GET of `[start, end)`; `undefined` when `start` is at or past the end of the object. */
  private async get(start: number, end: number | undefined): Promise<{ body: Readable; contentEncoding: string | undefined } | undefined> {
    const { sdk, client } = this.handle;
    const range = start > 0 || end !== undefined ? `bytes=${start}-${end !== undefined ? end - 1 : ''}` : undefined;
    try {
      const out = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.split.bucket, Key: this.split.key, IfMatch: `"${this.split.etag}"`, Range: range }),
        { abortSignal: this.signal },
      );
      const body = out.Body as Readable | undefined;
      if (body === undefined) throw new Error('GetObject returned no body');
      try {
        this.checkEtag(out.ETag);
      } catch (err) {
        body.destroy();
        throw err;
      }
      return { body, contentEncoding: out.ContentEncoding };
    } catch (err) {
      if (start > 0 && (errorName(err) === 'InvalidRange' || httpStatus(err) === 416)) return undefined;
      throw this.gone(err) ?? err;
    }
  }

  private checkEtag(etag: string | undefined): void {
    if (etag !== undefined && unquoteEtag(etag) !== this.split.etag) {
      throw new ObjectVersionGoneError(`object '${this.split.key}' was replaced (ETag ${unquoteEtag(etag)}, expected ${this.split.etag})`, 'replaced');
    }
  }

  private gone(err: unknown): ObjectVersionGoneError | undefined {
    if (err instanceof ObjectVersionGoneError) return err;
    const name = errorName(err);
    const status = httpStatus(err);
    if (name === 'PreconditionFailed' || status === 412) {
      return new ObjectVersionGoneError(`object '${this.split.key}' was replaced (ETag ${this.split.etag} no longer matches)`, 'replaced');
    }
    if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
      return new ObjectVersionGoneError(`object '${this.split.key}' was deleted`, 'deleted');
    }
    return undefined;
  }
}

async function* iterate(body: Readable): AsyncGenerator<Uint8Array> {
  for await (const bytes of body) yield bytes as Uint8Array;
}

function gunzip(body: Readable): Readable {
  const inflate = createGunzip();
  // pipeline destroys both ends on an error or an early return, and passes the error on.
  pipeline(body, inflate, () => undefined);
  return inflate;
}

/** Yields the bytes of `source` from position `start` up to `end` (exclusive). */
async function* slice(source: AsyncIterable<unknown>, start: number, end: number | undefined): AsyncGenerator<Uint8Array> {
  let position = 0;
  for await (const piece of source) {
    const bytes = piece as Uint8Array;
    const from = Math.max(0, start - position);
    const to = end === undefined ? bytes.length : Math.min(bytes.length, end - position);
    position += bytes.length;
    if (to > from) yield from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to);
    if (end !== undefined && position >= end) return;
  }
}

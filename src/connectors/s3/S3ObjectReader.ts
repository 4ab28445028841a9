import type { Observable } from 'rxjs';
import { BadRecordError } from '../../core/SourceError.js';
import type { Chunk } from '../../core/SourceEvent.js';
import type { ReaderContext, SplitReader } from '../../core/SplitReader.js';
import type { DecodedBatch, Row, StreamDecoder } from '../../formats/Format.js';
import type { AwsReaderDeps } from '../aws/AwsDeps.js';
import { AwsCallError, errorName, scrubAwsError } from '../aws/awsErrors.js';
import { fetchReader } from '../base/fetchReader.js';
import { RetriesExhaustedError } from '../base/RetriesExhaustedError.js';
import type { Fetched, FetchIo, SplitFetch } from '../base/SplitFetch.js';
import type { S3Handle } from './s3Client.js';
import { ObjectVersionGoneError, S3ObjectInput } from './S3ObjectInput.js';
import type { S3ObjectSplit } from './S3ObjectSplit.js';
import type { S3Compression } from './s3Properties.js';

/** What an {@link S3ObjectReader} needs. */
export interface S3ReaderDeps extends AwsReaderDeps<S3Handle> {
  readonly compression: S3Compression;
  /** Where requests go, for error messages (`describeEndpoint`). */
  readonly endpoint: string;
  /** Attempts at reading an object whose body is cut mid-stream, the first included. */
  readonly retryAttempts: number;
}

/**
 * A response body that broke off: the connection reset or closed before its end. SDK errors
 * (with `$metadata`) are not: the SDK has already retried those.
 */
function isBodyInterruption(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || '$metadata' in err) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE'].includes(code)) return true;
  return err instanceof Error && /^aborted$|socket hang up|premature close|ECONNRESET/i.test(err.message);
}

/**
 * Reads one object version with the source's format, streaming the body (never holding the
 * object) and emitting a chunk per decoded batch. Offsets are the format's own (a byte offset
 * for line formats); a restart opens the format at the stored offset and the format asks for the
 * bytes it needs, which {@link S3ObjectInput} fetches with a ranged GET.
 *
 * Honors `paused$` by not pulling the next body bytes (TCP backpressure does the rest).
 *
 * A body that breaks off mid-stream is read on from the position delivered (the format reopened
 * there, a ranged GET), up to `s3.retry.attempts` times in a row without progress; then the
 * source fails naming the object, the position and the endpoint.
 *
 * An object replaced while it is read ends its split where it stands: the old version's
 * remaining bytes no longer exist, and the new version is a new split (another ETag) that the
 * next listing finds and reads whole. Bytes of two versions are never mixed.
 *
 * An object deleted before it was read to its end (found by the GET of a resume, or of a split
 * not started yet) loses the records after the position reached, with no new version to read
 * them from: that is a bad record under the source's policy, naming the object and the offset.
 * `fail` (default) fails the source, `skip` counts it and ends the split, `dead-letter` sends it
 * (without bytes) to `deadLetters$`.
 */
export class S3ObjectReader implements SplitReader<S3ObjectSplit, Row> {
  readonly #reader: SplitReader<S3ObjectSplit, Row>;

  constructor(private readonly deps: S3ReaderDeps) {
    this.#reader = fetchReader<S3ObjectSplit, Row>({
      open: (split, _start, io) => this.open(split, io),
      scheduler: deps.scheduler,
      // A body cut mid-stream is not retried by the SDK (its retries end when the response
      // starts): the fetch loop goes on from the position delivered, as a restart would, with
      // the same number of attempts. Progress since the last cut renews the budget.
      retry: {
        classify: (err) => (isBodyInterruption(err) ? 'interrupted' : null),
        retries: { interrupted: deps.retryAttempts - 1 },
        backoff: { baseMs: 200, maxMs: 5_000 },
        exhausted: (err, _kind, attempts) => new RetriesExhaustedError(attempts, err instanceof Error ? err.message : String(err), errorName(err)),
      },
    });
  }

  read(split: S3ObjectSplit, offset: string | null, context: ReaderContext): Observable<Chunk<Row>> {
    return this.#reader.read(split, offset, context);
  }

  /** An object deleted before its end: a bad record naming the object and the position reached. */
  private deleted(err: ObjectVersionGoneError, split: S3ObjectSplit, position: string | null, context: ReaderContext): void {
    const at = position === null ? 'before anything of it was read' : 'before it was read to its end';
    context.badRecords.handle(
      new BadRecordError(`${err.message} ${at}: the records after this offset are lost`, {
        source: context.source,
        split: split.id,
        offset: position ?? '0',
      }),
      null,
    );
  }

  /** The object's fetch step: a body stream and the format's decoder, (re)opened at the position. */
  private async open(split: S3ObjectSplit, { signal, context }: FetchIo): Promise<SplitFetch<Row>> {
    const { deps } = this;
    const { format } = deps;
    const openStream = format.openStream?.bind(format);
    if (openStream === undefined) throw new Error(`format '${format.name}' cannot decode byte streams, so it cannot read S3 objects`);
    let handle: S3Handle | undefined;
    /** The open body and its decoder; dropped on a failure, so the next fetch reopens at the position. */
    let body: { decoder: StreamDecoder; bytes: AsyncIterator<Uint8Array> } | undefined;
    const drop = (): void => {
      void body?.bytes.return?.().catch(() => undefined);
      body = undefined;
    };
    const fetched = (batch: DecodedBatch, done: boolean): Fetched<Row> => ({ records: batch.rows, offset: batch.offset, nextOffset: batch.nextOffset, done });
    const next = async (position: string | null): Promise<Fetched<Row>> => {
      try {
        if (handle === undefined) {
          handle = await deps.clients.acquire().catch((err: unknown) => {
            deps.clients.release();
            throw err;
          });
        }
        if (body === undefined) {
          const input = new S3ObjectInput(handle, split, deps.compression, signal);
          const decoder = await openStream(input, position, {
            source: context.source,
            splitId: split.id,
            badRecords: context.badRecords,
            ...(deps.convert !== undefined ? { convert: deps.convert } : {}),
          });
          body = { decoder, bytes: input.stream(decoder.startByte)[Symbol.asyncIterator]() };
        }
        const { decoder, bytes } = body;
        const read = await bytes.next();
        if (read.done === true) return fetched(decoder.end(), true);
        context.metrics?.bytes(split.id, read.value.length);
        return fetched(decoder.push(read.value), false);
      } catch (err) {
        drop();
        if (!(err instanceof ObjectVersionGoneError)) throw err;
        if (err.reason === 'deleted') this.deleted(err, split, position, context);
        return { records: [], done: true };
      }
    };
    return {
      next,
      close: () => {
        drop();
        if (handle !== undefined) deps.clients.release();
      },
      // Scrubbed whole: neither the SDK error nor the description may carry a credential.
      describe: (err) => scrubAwsError(new AwsCallError(`reading s3://${split.bucket}/${split.key} at ${deps.endpoint}`, err), deps.secrets),
    };
  }
}

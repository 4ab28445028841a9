import type { Observable } from 'rxjs';
import { chunk, type Chunk } from '../../core/SourceEvent.js';
import type { ReaderContext, SplitReader } from '../../core/SplitReader.js';
import type { DecodedBatch, Row } from '../../formats/Format.js';
import type { AwsReaderDeps } from '../aws/AwsDeps.js';
import { AwsCallError, errorName, readerError, RetriesExhaustedError } from '../aws/awsErrors.js';
import { sleep } from '../aws/sleep.js';
import { BadRecordError, SourceError } from '../../core/SourceError.js';
import { pauseGate, runLoop } from '../aws/runLoop.js';
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
  constructor(private readonly deps: S3ReaderDeps) {}

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

  read(split: S3ObjectSplit, offset: string | null, context: ReaderContext): Observable<Chunk<Row>> {
    const { deps } = this;
    let position = offset;
    return runLoop<Chunk<Row>>(
      ({ subscriber, signal }) =>
        deps.clients.use(async (handle) => {
          const { format } = deps;
          if (format.openStream === undefined) {
            throw new Error(`format '${format.name}' cannot decode byte streams, so it cannot read S3 objects`);
          }
          const gate = pauseGate(context.paused$, signal);
          const emit = (batch: DecodedBatch): void => {
            if (batch.rows.length > 0 && !signal.aborted) subscriber.next(chunk(split.id, batch.rows, batch.offset, batch.nextOffset));
            position = batch.nextOffset;
          };
          let interruptions = 0;
          for (;;) {
            const reached = position;
            try {
              const input = new S3ObjectInput(handle, split, deps.compression, signal);
              const decoder = await format.openStream(input, position, {
                source: context.source,
                splitId: split.id,
                badRecords: context.badRecords,
                ...(deps.convert !== undefined ? { convert: deps.convert } : {}),
              });
              for await (const bytes of input.stream(decoder.startByte)) {
                if (signal.aborted) return;
                emit(decoder.push(bytes));
                await gate.wait();
              }
              if (!signal.aborted) emit(decoder.end());
              return;
            } catch (err) {
              if (err instanceof ObjectVersionGoneError) {
                if (err.reason === 'deleted') this.deleted(err, split, position, context);
                return;
              }
              // A body cut mid-stream is not retried by the SDK (its retries end when the
              // response starts): go on from the position delivered, as a restart would, with
              // the same number of attempts. Progress since the last cut renews the budget.
              if (signal.aborted || !isBodyInterruption(err)) throw err;
              interruptions = position !== reached ? 1 : interruptions + 1;
              if (interruptions >= deps.retryAttempts) throw new RetriesExhaustedError(interruptions, err instanceof Error ? err.message : String(err), errorName(err));
              await sleep(Math.min(100 * 2 ** interruptions, 5_000), signal);
              if (signal.aborted) return;
            }
          }
        }),
      (err) =>
        readerError(err instanceof SourceError ? err : new AwsCallError(`reading s3://${split.bucket}/${split.key} at ${deps.endpoint}`, err), deps.secrets, {
          source: context.source,
          split: split.id,
          offset: position,
        }),
    );
  }
}

import type { Observable } from 'rxjs';
import { chunk, type Chunk } from '../../core/SourceEvent.js';
import type { ReaderContext, SplitReader } from '../../core/SplitReader.js';
import type { DecodedBatch, Row } from '../../formats/Format.js';
import type { AwsReaderDeps } from '../aws/AwsDeps.js';
import { AwsCallError, readerError } from '../aws/awsErrors.js';
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
}

/**
 * Reads one object version with the source's format, streaming the body (never holding the
 * object) and emitting a chunk per decoded batch. Offsets are the format's own (a byte offset
 * for line formats); a restart opens the format at the stored offset and the format asks for the
 * bytes it needs, which {@link S3ObjectInput} fetches with a ranged GET.
 *
 * Honors `paused$` by not pulling the next body bytes (TCP backpressure does the rest).
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
          try {
            const input = new S3ObjectInput(handle, split, deps.compression, signal);
            const decoder = await format.openStream(input, offset, {
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
          } catch (err) {
            if (!(err instanceof ObjectVersionGoneError)) throw err;
            if (err.reason === 'deleted') {
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

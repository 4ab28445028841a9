import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Observable, type Subscription } from 'rxjs';
import { chunk, type Chunk } from '../../core/SourceEvent.js';
import { SourceError, type SourceErrorLocation } from '../../core/SourceError.js';
import type { ReaderContext, SplitReader } from '../../core/SplitReader.js';
import type { DecodeContext, DecodedBatch, Format, Row, RowConverter, StreamDecoder } from '../../formats/Format.js';
import { DEFAULT_READ_BUFFER_BYTES, FileByteInput } from './FileByteInput.js';
import type { FileChange } from './fileChanges.js';
import type { FileSplit } from './FileSplit.js';
import type { ScanMode } from './FsEnumerator.js';
import type { Semaphore } from './Semaphore.js';

/** Default quiet time before an unbounded scan reads a file of a non-tailable format. */
export const DEFAULT_STABLE_MS = 1000;

/** What {@link FsSplitReader} needs. */
export interface FsSplitReaderOptions {
  /** The scanned directory (absolute); split ids are relative to it. */
  readonly root: string;
  /** Must implement `openStream`. */
  readonly format: Format;
  readonly scanMode: ScanMode;
  /** Change hints for `root`: wake a tailing reader. Required for `unbounded`. */
  readonly changes?: Observable<FileChange>;
  readonly convert?: RowConverter;
  /** Bytes per read; default 256 KiB. */
  readonly readBufferBytes?: number;
  /**
   * Unbounded scans of non-tailable formats (Avro) read a file once, when it has not been
   * modified for this many milliseconds. Default 1000.
   */
  readonly stableMs?: number;
  /**
   * Shared by the readers of one source: a reader holds a permit while it has the file open
   * (reading to the current end), not while it waits for appends. Unlimited when omitted.
   */
  readonly openFiles?: Semaphore;
}

/**
 * Reads one file through the source's format, chunk by chunk, with the format's resumable
 * offsets (a byte offset for line formats, block and record for Avro).
 *
 * - Bounded scan: streams from the offset to the end of the file, flushes the decoder (a last
 *   line without a newline counts) and completes.
 * - Unbounded scan, tailable format (JSON lines, CSV): streams to the end, then waits for a change
 *   hint and streams what was appended, forever. The decoder keeps a partial last line until its
 *   newline arrives, so a record being written is never emitted half-way. A file that shrinks
 *   below the position already read (truncated, or replaced by a smaller file) fails the source:
 *   the stored position no longer means anything.
 * - Unbounded scan, non-tailable format (Avro): waits until the file has not changed for
 *   `stableMs`, reads it once like a bounded scan and completes (the split is then finished and
 *   is not read again, even if the file changes later).
 *
 * Reading pauses while `context.paused$` is `true`: at most one read buffer is held meanwhile.
 */
export class FsSplitReader implements SplitReader<FileSplit, Row> {
  private readonly tailing: boolean;

  constructor(private readonly options: FsSplitReaderOptions) {
    if (options.format.openStream === undefined) {
      throw new Error(`format '${options.format.name}' cannot decode files (it has no stream decoder)`);
    }
    if (options.scanMode === 'unbounded' && options.changes === undefined) {
      throw new Error('an unbounded fs scan needs change hints');
    }
    this.tailing = options.scanMode === 'unbounded' && options.format.tailable === true;
  }

  read(split: FileSplit, offset: string | null, context: ReaderContext): Observable<Chunk<Row>> {
    return new Observable<Chunk<Row>>((subscriber) => {
      const { root, format, convert, readBufferBytes = DEFAULT_READ_BUFFER_BYTES } = this.options;
      const path = join(root, ...split.id.split('/'));
      const input = new FileByteInput(path, readBufferBytes);
      const subscriptions: Subscription[] = [];
      const timers = new Set<NodeJS.Timeout>();
      let closed = false;
      let lastNextOffset = offset;
      const location = (): SourceErrorLocation => ({
        source: context.source,
        split: split.id,
        ...(lastNextOffset === null ? {} : { offset: lastNextOffset }),
      });

      // Flow control: remember the latest paused$ value, and wake the read loop when it clears.
      let paused = false;
      let resume: (() => void) | undefined;
      subscriptions.push(
        context.paused$.subscribe((p) => {
          paused = p;
          if (!p) resume?.();
        }),
      );
      const whilePaused = async (): Promise<void> => {
        while (paused && !closed) await new Promise<void>((r) => (resume = r));
        resume = undefined;
      };

      // Change hints for this file: a counter, so a hint arriving between a stat and the wait is not lost.
      let hints = 0;
      let wake: (() => void) | undefined;
      if (this.options.scanMode === 'unbounded' && this.options.changes !== undefined) {
        subscriptions.push(
          this.options.changes.subscribe((c) => {
            if (c.path === null || c.path === split.id) {
              hints++;
              wake?.();
            }
          }),
        );
      }
      const nextHint = async (seen: number): Promise<void> => {
        while (hints === seen && !closed) await new Promise<void>((r) => (wake = r));
        wake = undefined;
      };
      const sleep = (ms: number): Promise<void> =>
        new Promise<void>((r) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            r();
          }, ms);
          timers.add(timer);
        });

      const emit = (batch: DecodedBatch): void => {
        if (closed) return;
        if (batch.rows.length > 0) {
          subscriber.next(chunk(split.id, batch.rows, batch.offset, batch.nextOffset));
        } else if (batch.nextOffset !== lastNextOffset) {
          // Only bad records (skipped or dead-lettered) in this stretch: move the position past
          // them anyway, so a restart does not hand them to the policy a second time.
          subscriber.next(chunk(split.id, [], batch.nextOffset, batch.nextOffset));
        }
        lastNextOffset = batch.nextOffset;
      };

      /** Streams from `position` to the current end; returns the position reached. */
      const drain = async (decoder: StreamDecoder, position: number): Promise<number> => {
        let at = position;
        for await (const bytes of input.stream(at)) {
          if (closed) break;
          at += bytes.length;
          emit(decoder.push(bytes));
          await whilePaused();
          if (closed) break;
        }
        return at;
      };

      const fileSize = async (): Promise<number | undefined> => {
        try {
          return (await stat(path)).size;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw err;
        }
      };

      const waitUntilStable = async (stableMs: number): Promise<void> => {
        for (;;) {
          const s = await stat(path);
          const age = Date.now() - s.mtimeMs;
          if (age >= stableMs) return;
          // Capped at stableMs: an mtime in the future (clock skew, a touched file) is re-checked, not slept on.
          await sleep(Math.min(stableMs, Math.max(10, Math.ceil(stableMs - age))));
          if (closed) return;
        }
      };

      const open = async (): Promise<StreamDecoder> => {
        const decodeContext: DecodeContext = {
          source: context.source,
          splitId: split.id,
          badRecords: context.badRecords,
          ...(convert === undefined ? {} : { convert }),
        };
        // Checked in the constructor.
        return (format.openStream as NonNullable<Format['openStream']>)(input, offset, decodeContext);
      };

      /** Runs `fn` holding an open-file permit (when the source limits them). */
      const withPermit = async (fn: () => Promise<void>): Promise<void> => {
        const { openFiles } = this.options;
        if (openFiles === undefined) return fn();
        const release = await openFiles.acquire({
          get aborted() {
            return closed;
          },
        });
        try {
          await fn();
        } finally {
          release();
        }
      };

      const run = async (): Promise<void> => {
        if (this.options.scanMode === 'unbounded' && !this.tailing) {
          await waitUntilStable(this.options.stableMs ?? DEFAULT_STABLE_MS);
          if (closed) return;
        }
        if (!this.tailing) {
          await withPermit(async () => {
            const decoder = await open();
            await drain(decoder, decoder.startByte);
            if (!closed) emit(decoder.end());
          });
          return;
        }
        let decoder: StreamDecoder | undefined;
        let position = 0;
        await withPermit(async () => {
          decoder = await open();
          position = await drain(decoder, decoder.startByte);
        });
        for (;;) {
          if (closed || decoder === undefined) return;
          const seen = hints;
          const size = await fileSize();
          if (closed) return;
          if (size !== undefined && size < position) {
            throw new SourceError(
              `file '${path}' shrank to ${size} bytes, below the ${position} bytes already read: it was truncated or replaced, and its stored position no longer applies`,
              location(),
            );
          }
          if (size !== undefined && size > position) {
            const from = decoder;
            await withPermit(async () => {
              position = await drain(from, position);
            });
            continue;
          }
          // At the end (or the file is gone and the enumerator is about to drop this split).
          await nextHint(seen);
        }
      };

      run().then(
        () => {
          if (!closed) subscriber.complete();
        },
        (err: unknown) => {
          if (closed) return;
          subscriber.error(describe(err, path, location()));
        },
      );

      return () => {
        closed = true;
        resume?.();
        wake?.();
        for (const s of subscriptions) s.unsubscribe();
        for (const t of timers) clearTimeout(t);
        input.close();
      };
    });
  }
}

/** Turns a file system error into a SourceError naming the file; keeps errors that already have a location. */
function describe(err: unknown, path: string, location: SourceErrorLocation): SourceError {
  if (err instanceof SourceError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string') {
    const what =
      code === 'ENOENT' ? 'does not exist (deleted after it was listed?)' : code === 'EACCES' || code === 'EPERM' ? 'is not readable (permission denied)' : `cannot be read (${code})`;
    return new SourceError(`file '${path}' ${what}`, location, { cause: err });
  }
  return SourceError.wrap(err, location);
}

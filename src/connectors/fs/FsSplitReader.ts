import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { chunk, type Chunk } from '../../core/SourceEvent.js';
import { SourceError, type SourceErrorLocation } from '../../core/SourceError.js';
import type { ReaderContext, SplitReader } from '../../core/SplitReader.js';
import { pauseGate } from '../base/pauseGate.js';
import { sleep } from '../base/sleep.js';
import type { DecodeContext, DecodedBatch, Format, Row, RowConverter, StreamDecoder } from '../../formats/Format.js';
import { DEFAULT_READ_BUFFER_BYTES, FileByteInput } from './FileByteInput.js';
import { FileGuard, statFile } from './FileGuard.js';
import { bytePositionOf, decodePosition, describeOffset } from './FilePosition.js';
import type { FileChange } from './fileChanges.js';
import type { FileSplit } from './FileSplit.js';
import type { ScanMode } from './FsEnumerator.js';
import type { Semaphore } from './Semaphore.js';
import { BadRecordError } from '../../core/SourceError.js';
import type { DecodePool } from '../../parallel/DecodePool.js';
import { bareMessage, type DecodeTask, type DecodedRangeBatch } from '../../parallel/decodeProtocol.js';
import type { FormatSpec } from '../../parallel/FormatSpec.js';
import { decodeInRanges, isNdjsonFile } from './rangeDecode.js';

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
  /**
   * Shared by the readers of one source, one permit more than `openFiles`: a bounded reader
   * holds one from opening its file (verifying the position, fingerprint, first read) to closing
   * it, so the next file opens while the one before it is read (at most this many descriptors).
   * Why: opened in turn, 100 files of 10k rows spent ~1 ms each waiting on their opening I/O
   * (10 % of the scan). Unlimited when omitted.
   */
  readonly openAhead?: Semaphore;
  /** What to do with a file that changed under a stored or current position. Default `'fail'`. */
  readonly onFileChanged?: FileChangedPolicy;
  /** Where the reader's waits run (virtual time in tests). Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
  /** Decode bounded scans of JSON and CSV files on worker threads; see {@link FsWorkerDecoding}. */
  readonly workers?: FsWorkerDecoding;
}

/**
 * Decoding on worker threads, for bounded scans of `json` and `csv` files (other formats, and
 * unbounded scans, decode on the main thread). A file is cut into byte ranges of about
 * `rangeBytes`, decoded at the same time and delivered in file order (see `decodeInRanges`);
 * the main thread still checks the file, applies `convert` and the bad-record policy, and emits
 * the chunks, so barriers, checkpoints and offsets are those of a one-thread read.
 */
export interface FsWorkerDecoding {
  readonly pool: DecodePool;
  /** The source's format as data, for the workers to build the same one. */
  readonly format: FormatSpec;
  readonly rangeBytes: number;
  /** Test seam: make every worker task fail or kill its thread after some batches. */
  readonly fault?: DecodeTask['fault'];
}

/**
 * What an `fs` source does with a file that no longer matches its stored position: it shrank
 * below it, its first bytes (fingerprint) or the bytes just before the position changed, or it
 * was replaced while being read (`fs.file.changed`).
 * - `fail` (default): the source fails with an error naming the source, file and offset.
 *   Appends are never a change; a truncated or rewritten file is ambiguous (new data? the same
 *   data again?) and only the operator knows, so nothing is read on a guess.
 * - `reread`: a warning, then the file is read again from its first byte (duplicates whatever
 *   the old and new contents share: at-least-once). Suits `copytruncate` log rotation.
 */
export type FileChangedPolicy = 'fail' | 'reread';

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
      const policy: FileChangedPolicy = this.options.onFileChanged ?? 'fail';
      const path = join(root, ...split.id.split('/'));
      const input = new FileByteInput(path, readBufferBytes);
      const guard = new FileGuard(path);
      const subscriptions: Subscription[] = [];
      // Aborted on unsubscribe: ends the pause gate's and the sleeps' waits.
      const abort = new AbortController();
      // Held from subscription (readers of all files subscribe at once and wait for an open-file
      // permit), so the threads live until the last file is read instead of restarting per file.
      const releasePool = this.options.workers?.pool.acquire();
      let closed = false;
      // Where this read starts: a rotated file inherits its old name's position (`from`), a new
      // file under a rotated name starts afresh (`fresh`); see FsEnumerator.
      let startOffset: string | null = split['fresh'] === true ? null : typeof split['from'] === 'string' ? split['from'] : offset;
      /** The format offset of the last position emitted (for errors and to skip empty chunks). */
      let lastAt: string | null = describeOffset(startOffset) ?? null;
      const location = (): SourceErrorLocation => ({
        source: context.source,
        split: split.id,
        ...(lastAt === null ? {} : { offset: lastAt }),
      });

      // Flow control: the base's pause gate holds reading between buffers while paused$ is true.
      const gate = pauseGate(context.paused$, abort.signal);

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
      /** Fails (policy `fail`) or signals a restart from byte 0 (policy `reread`). */
      const changed = (reason: string | undefined): void => {
        if (reason === undefined) return;
        if (policy === 'reread') throw new FileChanged(reason);
        throw new SourceError(
          `file '${path}' ${reason}: its stored position no longer applies, and reading on would mix old and new bytes (fs.file.changed = 'fail'; 'reread' reads such a file again from the start)`,
          location(),
        );
      };

      /**
       * Bad records of the bytes being decoded while their check runs, passed on in order once
       * it has passed; `undefined` outside such a decode.
       */
      let held: Array<[BadRecordError, Uint8Array | null]> | undefined;
      const takeHeld = (): Array<[BadRecordError, Uint8Array | null]> => {
        const records = held ?? [];
        held = undefined;
        return records;
      };
      const pass = (records: Array<[BadRecordError, Uint8Array | null]>): void => {
        for (const [error, raw] of records) context.badRecords.handle(error, raw);
      };

      /** The last bytes read, ending at the read position: usually hold the bytes before the offset. */
      let recent: Uint8Array | undefined;
      /**
       * Emits `batch` (its rows, or only the position past it) with `bad`, its bad records.
       * Policy `fail` throws the first before any row of the batch is out. Skipped and
       * dead-lettered records are passed on in the step that emits the position past them, after
       * the last wait: a barrier commits both or neither (a restart reports each once), and none
       * are passed on for a batch a closed reader drops (the restart reads them again).
       */
      const emit = async (batch: DecodedBatch, read: number, bad: Array<[BadRecordError, Uint8Array | null]> = []): Promise<void> => {
        if (context.badRecords.policy === 'fail') pass(bad);
        if (closed) return;
        if (batch.rows.length === 0 && batch.nextOffset === lastAt) return pass(bad);
        const next = await guard.position(batch.nextOffset, read, recent);
        if (closed) return;
        pass(bad);
        // Only bad records (skipped or dead-lettered) in a stretch without rows still moves the
        // position past them, so a restart does not hand them to the policy a second time.
        subscriber.next(chunk(split.id, batch.rows, batch.rows.length > 0 ? batch.offset : next, next));
        lastAt = batch.nextOffset;
      };

      /** The read position of the drain's last check. */
      let checkedAt = -1;
      /** Streams from `position` to the current end; returns the position reached. */
      const drain = async (decoder: StreamDecoder, position: number, ahead?: ReadAhead): Promise<number> => {
        let at = position;
        checkedAt = -1;
        const chunks = ahead?.chunks ?? input.stream(at)[Symbol.asyncIterator]();
        let next = ahead?.first ?? chunks.next();
        try {
          for (;;) {
            const read = await next;
            if (read.done === true || closed) break;
            const bytes = read.value;
            at += bytes.length;
            recent = bytes;
            context.metrics?.bytes(split.id, bytes.length);
            // Bytes read after a truncation or rewrite must not become rows, nor bad records: the
            // check (a stat and a read of the head, ~0.1 ms of waiting) runs while the bytes are
            // decoded, and nothing decoded from them is passed on before it has passed. Checking
            // first and decoding after cost 0.3-0.5 ms a read buffer (27 % of an NDJSON scan).
            const checking = guard.check(at);
            checkedAt = at;
            let batch: DecodedBatch;
            held = [];
            try {
              batch = decoder.push(bytes);
            } catch (err) {
              const records = takeHeld();
              changed(await checking);
              pass(records);
              throw err;
            }
            const bad = takeHeld();
            changed(await checking);
            await emit(batch, at, bad);
            await gate.wait();
            if (closed) break;
            next = chunks.next();
          }
        } finally {
          // Closes the file's stream when the loop stops before its end.
          await chunks.return?.();
        }
        return at;
      };

      const waitUntilStable = async (stableMs: number): Promise<void> => {
        for (;;) {
          const s = await stat(path);
          // Wall clock against mtime (the file system's clock); only the wait runs on the scheduler.
          const age = Date.now() - s.mtimeMs;
          if (age >= stableMs) return;
          // Capped at stableMs: an mtime in the future (clock skew, a touched file) is re-checked, not slept on.
          await sleep(Math.min(stableMs, Math.max(10, Math.ceil(stableMs - age))), abort.signal, this.options.scheduler);
          if (closed) return;
        }
      };

      /** The stored position, decoded and verified against the file (a changed file is `changed`'s to handle). */
      const verified = async (from: string | null): Promise<ReturnType<typeof decodePosition>> => {
        let stored;
        try {
          stored = decodePosition(from);
        } catch (err) {
          throw new SourceError((err as Error).message, location());
        }
        changed(await guard.open(stored));
        return stored;
      };

      /** Verifies the stored position against the file and opens the format's decoder there. */
      const open = async (from: string | null): Promise<StreamDecoder> => {
        const stored = await verified(from);
        let opening = true;
        const decodeContext: DecodeContext = {
          source: context.source,
          splitId: split.id,
          // Opening at an offset may decode records before it (CSV reads its header from byte 0,
          // a whole read buffer at a time): their bad records were this split's before the
          // restart, and must not be counted, dead-lettered or fail the resume a second time.
          badRecords: {
            policy: context.badRecords.policy,
            handle: (error, raw) => {
              if (opening) return;
              if (held !== undefined) held.push([error, raw]);
              else context.badRecords.handle(error, raw);
            },
          },
          ...(convert === undefined ? {} : { convert }),
        };
        // Checked in the constructor.
        const decoder = await (format.openStream as NonNullable<Format['openStream']>)(input, stored.at, decodeContext);
        opening = false;
        return decoder;
      };

      const permit = (semaphore: Semaphore | undefined): Promise<() => void> =>
        semaphore === undefined
          ? Promise.resolve(() => undefined)
          : semaphore.acquire({
              get aborted() {
                return closed;
              },
            });

      /**
       * Runs `fn` holding an open-file permit (when the source limits them), after `prepare`,
       * which runs holding only a permit to open ahead (see `openAhead`): what `prepare` returns
       * is `fn`'s.
       */
      const withPermit = async <T>(prepare: () => Promise<T>, fn: (prepared: T, waited: boolean) => Promise<void>): Promise<void> => {
        const releaseAhead = await permit(this.options.openAhead);
        // Asked for before preparing, so that files take their turns in the order they were
        // opened (the semaphore serves in arrival order), not in the order their opening I/O ends.
        const turn = permit(this.options.openFiles);
        let ready = false;
        void turn.then(() => (ready = true));
        let release: (() => void) | undefined;
        try {
          const prepared = await prepare();
          const waited = !ready;
          // A closed reader's turn never comes (the semaphore passes it on): stop waiting then,
          // so that the finally below still gives back the open-ahead permit and the handle.
          release = await unlessClosed(turn);
          if (release === undefined || closed) return;
          await fn(prepared, waited);
        } finally {
          if (release !== undefined) release();
          else void turn.then((late) => late());
          await guard.release();
          releaseAhead();
        }
      };
      /** `promise`'s value, or `undefined` once the reader is closed (whichever comes first). */
      const unlessClosed = <V>(promise: Promise<V>): Promise<V | undefined> => {
        if (closed) return Promise.resolve(undefined);
        return new Promise<V | undefined>((resolve, reject) => {
          const onClose = (): void => resolve(undefined);
          abort.signal.addEventListener('abort', onClose, { once: true });
          promise.then(
            (value) => {
              abort.signal.removeEventListener('abort', onClose);
              resolve(value);
            },
            (err: unknown) => {
              abort.signal.removeEventListener('abort', onClose);
              reject(err);
            },
          );
        });
      };
      const nothing = (): Promise<undefined> => Promise.resolve(undefined);

      /**
       * A bounded read decoded on worker threads. The stored position is verified here, each
       * batch's bytes are re-checked (same file, not shrunk, same head) before its rows are
       * delivered, and the worker decodes on only as batches are delivered.
       */
      const readInWorkers = async (workers: FsWorkerDecoding, from: string | null): Promise<void> => {
        const stored = await verified(from);
        const now = await statFile(path);
        if (now === undefined || closed) return;
        const startByte = bytePositionOf(stored.at);
        await emitStart(from, { startByte });
        const splittable = workers.format.name === 'csv' || (await isNdjsonFile(path));
        // Batches come in file order: the bytes a batch covers are those past the previous one's end.
        let counted = startByte;
        {
          for await (const { batch, ack, rangeStart, lineBase } of decodeInRanges({
            pool: workers.pool,
            path,
            format: workers.format,
            source: context.source,
            split: split.id,
            start: stored.at,
            startByte,
            size: now.size,
            rangeBytes: workers.rangeBytes,
            splittable,
            readBufferBytes,
            policy: context.badRecords.policy,
            ...(workers.fault === undefined ? {} : { fault: workers.fault }),
          })) {
            if (closed) return;
            recent = undefined;
            changed(await guard.check(batch.read));
            if (batch.read > counted) {
              context.metrics?.bytes(split.id, batch.read - counted);
              counted = batch.read;
            }
            await deliver(batch, rangeStart, lineBase, startByte);
            await gate.wait();
            if (closed) return;
            ack();
          }
        }
      };

      /** Converts a worker's rows, applies the bad-record policy to its bad records, emits the chunk. */
      const deliver = async (batch: DecodedRangeBatch, rangeStart: number, lineBase: number, readStart: number): Promise<void> => {
        const rows = batch.rows;
        if (convert !== undefined) {
          try {
            for (let i = 0; i < rows.length; i++) rows[i] = convert(rows[i] as Row);
          } catch {
            // A row the schema rejects: decode the batch's bytes again here, with `convert`, so
            // every bad record (malformed or rejected) is reported in order at its exact offset.
            const before = lineBase + (await lineBreaksIn(path, rangeStart, Number(batch.from)));
            const found: Array<[BadRecordError, Uint8Array | null]> = [];
            await emit(await decodeHere(batch.from, batch.nextOffset, (error) => relocate(error, error.line, before, readStart), found), batch.read, found);
            return;
          }
        }
        const found: Array<[BadRecordError, Uint8Array | null]> = [];
        for (const bad of batch.bad) {
          const error = new BadRecordError(bad.message, bad.location, { ...(bad.records === undefined ? {} : { records: bad.records }), ...(bad.bytes === undefined ? {} : { bytes: bad.bytes }) });
          found.push([relocate(error, bad.location.line, lineBase, readStart), bad.raw]);
        }
        await emit({ rows, offset: batch.offset, nextOffset: batch.nextOffset }, batch.read, found);
      };

      /** Decodes the records of `[from, to)` on this thread (`to` is a record start), bad records through `fix`. */
      const decodeHere = async (from: string, to: string, fix: (error: BadRecordError) => BadRecordError, found: Array<[BadRecordError, Uint8Array | null]>): Promise<DecodedBatch> => {
        const local = new FileByteInput(path, readBufferBytes);
        try {
          let opening = true;
          const badRecords: DecodeContext['badRecords'] = {
            policy: context.badRecords.policy,
            // Records before `from` that opening decodes (CSV's header read) are not this read's.
            handle: (error, raw) => {
              if (opening) return;
              if (context.badRecords.policy === 'fail') context.badRecords.handle(fix(error), raw);
              else found.push([fix(error), raw]);
            },
          };
          const decodeContext: DecodeContext = { source: context.source, splitId: split.id, badRecords, ...(convert === undefined ? {} : { convert }) };
          const decoder = await (format.openStream as NonNullable<Format['openStream']>)(local, from, decodeContext);
          opening = false;
          const rows: Row[] = [];
          let offset: string | undefined;
          const add = (b: DecodedBatch): void => {
            if (b.rows.length > 0) offset ??= b.offset;
            for (const row of b.rows) rows.push(row);
          };
          for await (const bytes of local.stream(decoder.startByte, Number(to))) add(decoder.push(bytes));
          add(decoder.end());
          return { rows, offset: offset ?? to, nextOffset: to };
        } finally {
          local.close();
        }
      };

      const readOnce = async (from: string | null): Promise<void> => {
        const { workers } = this.options;
        if (workers !== undefined && (workers.format.name === 'csv' || (workers.format.name === 'json' && workers.format.options['json.array'] !== 'true'))) {
          return withPermit(nothing, () => readInWorkers(workers, from));
        }
        const prepare = async (): Promise<{ decoder: StreamDecoder; ahead: ReadAhead }> => {
          const decoder = await open(from);
          // The first read starts now, ahead of this file's turn; its error is met in drain.
          const chunks = input.stream(decoder.startByte)[Symbol.asyncIterator]();
          const first = chunks.next();
          first.catch(() => undefined);
          return { decoder, ahead: { chunks, first } };
        };
        await withPermit(
          prepare,
          async (prepared, waited) => {
            let { decoder, ahead } = prepared;
            // Opened ahead, then waited for the turn: a file written, truncated or replaced
            // meanwhile is opened again now, as if it had not been opened ahead.
            if (waited && !(await guard.unchangedSinceOpen())) {
              await ahead.chunks.return?.();
              ({ decoder, ahead } = await prepare());
            }
            await emitStart(from, decoder);
            const at = await drain(decoder, decoder.startByte, ahead);
            if (closed) return;
            const last = decoder.end();
            // The end of the file as read: still the same file, of at least that size, same head
            // (checked by the drain already when it read anything: the end read no bytes).
            if (checkedAt !== at) changed(await guard.check(at));
            await emit(last, at);
          },
        );
      };

      /**
       * A start that differs from the stored position (an inherited position after rotation, a
       * fresh file under a rotated name, a re-read) is stored at once, before any row: a
       * checkpoint taken now must not point into the old file.
       */
      let announce = startOffset !== offset;
      const emitStart = async (from: string | null, decoder: Pick<StreamDecoder, 'startByte'>): Promise<void> => {
        if (closed || !announce) return;
        announce = false;
        const start = await guard.position(decodePosition(from).at, decoder.startByte);
        if (!closed) subscriber.next(chunk(split.id, [], start, start));
      };

      const tail = async (from: string | null): Promise<void> => {
        let decoder: StreamDecoder | undefined;
        let position = 0;
        await withPermit(nothing, async () => {
          decoder = await open(from);
          await emitStart(from, decoder);
          position = await drain(decoder, decoder.startByte);
        });
        for (;;) {
          if (closed || decoder === undefined) return;
          const seen = hints;
          const now = await statFile(path);
          if (closed) return;
          if (now !== undefined) changed(await guard.check(position));
          if (now !== undefined && now.size > position) {
            const d = decoder;
            await withPermit(nothing, async () => {
              position = await drain(d, position);
            });
            continue;
          }
          // At the end (or the file is gone and the enumerator is about to drop this split):
          // no descriptor is held while waiting for appends (the check may have opened one).
          await guard.release();
          await nextHint(seen);
        }
      };

      const run = async (): Promise<void> => {
        if (this.options.scanMode === 'unbounded' && !this.tailing) {
          await waitUntilStable(this.options.stableMs ?? DEFAULT_STABLE_MS);
          if (closed) return;
        }
        for (;;) {
          try {
            await (this.tailing ? tail(startOffset) : readOnce(startOffset));
            return;
          } catch (err) {
            if (!(err instanceof FileChanged) || closed) throw err;
            context.warn?.(`split '${split.id}': file '${path}' ${err.reason}; reading it again from the start (fs.file.changed = 'reread')`);
            startOffset = null;
            lastAt = null;
            announce = true;
          }
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
        releasePool?.();
        // A reason of our own: the default one is a DOMException, whose stack capture cost
        // ~0.1 ms a file (the reason is never read: the waits it ends only resolve).
        abort.abort(READER_CLOSED);
        wake?.();
        for (const s of subscriptions) s.unsubscribe();
        input.close();
        void guard.release().catch(() => undefined);
      };
    });
  }
}

/** Why a reader's waits were aborted: it was unsubscribed. */
const READER_CLOSED = new Error('the file reader was closed');

/** A file's stream with its first read already asked for (see `openAhead`). */
interface ReadAhead {
  readonly chunks: AsyncIterator<Uint8Array>;
  readonly first: Promise<IteratorResult<Uint8Array>>;
}

/**
 * `error` with its line counted from `readStart` (where this read began, as a one-thread read
 * counts) instead of from where a range's decoder began, `before` line breaks later.
 */
function relocate(error: BadRecordError, line: number | undefined, before: number, readStart: number): BadRecordError {
  if (line === undefined) return error;
  const location = { source: error.source, ...(error.split === undefined ? {} : { split: error.split }), ...(error.offset === undefined ? {} : { offset: error.offset }), line: line + before, lineFrom: readStart };
  return new BadRecordError(bareMessage(error), location, {
    ...(error.cause === undefined ? {} : { cause: error.cause }),
    records: error.records,
    ...(error.bytes === undefined ? {} : { bytes: error.bytes }),
  });
}

/** Line breaks in `[start, end)` of the file at `path`. */
async function lineBreaksIn(path: string, start: number, end: number): Promise<number> {
  let count = 0;
  const input = new FileByteInput(path);
  try {
    for await (const bytes of input.stream(start, end)) for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) count++;
  } finally {
    input.close();
  }
  return count;
}

/** A file changed under the `reread` policy: the reader starts it again from byte 0. */
class FileChanged extends Error {
  constructor(readonly reason: string) {
    super(reason);
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

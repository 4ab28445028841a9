import { fstatSync, fsync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { MaybePromise } from '../core/MaybePromise.js';
import type { RecordSink } from '../core/deliverTo.js';
import type { Row } from '../formats/Format.js';
import { LineBuffer } from './LineBuffer.js';
import { toJsonText } from './toJsonText.js';

/** Bytes of NDJSON coalesced into one write. */
const FLUSH_BYTES = 64 * 1024;

/**
 * Bytes the stream may hold (written, not yet taken by the pipe or file) before a write waits.
 * A stream's own high-water mark (16 KiB for a pipe) would make every 64 KiB write wait for the
 * reader to take everything: the decoder then stops each time the reader is a moment late, its
 * rows pile up in flight (65 536 records, the flow-control default) and live long enough to
 * reach the old generation (half the run's time and 300 MB of RSS behind a pipe, measured). A
 * megabyte keeps both sides busy and is still a bound.
 */
const MAX_PENDING_BYTES = 1024 * 1024;

/**
 * The CLI's output as a {@link RecordSink}: rows as NDJSON (one JSON object per line, digits of
 * BIGINT and NUMERIC intact; see {@link toJsonText}), written in large buffers (not a syscall
 * per row).
 *
 * Backpressure: once the stream holds more than a megabyte it has not handed on (a pipe whose
 * reader is slow), a write resolves only when the stream has taken enough of it, so the pipeline
 * and, through flow control, the source wait instead of buffering without bound. `flush` resolves
 * once the stream has accepted everything written (the last write's callback: the bytes are in
 * the kernel's pipe or file, where a SIGKILL of this process cannot lose them) and, when stdout is
 * a regular file, after an fsync: the checkpoint that follows covers only rows that are out.
 */
export class NdjsonSink implements RecordSink<Row> {
  /** Rows written, and bytes handed to the stream, for the progress line. */
  rows = 0;
  bytes = 0;
  private closed = false;
  private readonly lines = new LineBuffer();
  private scheduled = false;
  /** Settles when the stream has taken the last write. */
  private lastWrite: Promise<void> | undefined;
  /** Writes waiting for the stream to take what it holds down to half of MAX_PENDING_BYTES. */
  private waiting: Array<() => void> = [];
  private readonly fd: number | undefined;
  private readonly regularFile: boolean;

  constructor(private readonly stream: Writable & { readonly fd?: number }) {
    this.fd = typeof stream.fd === 'number' ? stream.fd : undefined;
    let regularFile = false;
    try {
      regularFile = this.fd !== undefined && fstatSync(this.fd).isFile();
    } catch {
      // Not a descriptor we can stat: nothing to fsync.
    }
    this.regularFile = regularFile;
  }

  /**
   * Serializes every row first, so a row that cannot be written fails before any of the chunk is
   * out, then writes the text as {@link writeText} does.
   */
  write(rows: readonly Row[]): MaybePromise<void> {
    return this.writeRows(rows, toJsonText);
  }

  /** {@link write} with each row's text made by `line` (e.g. keys in a query's order, see `rowJsonWriter`). */
  writeRows(rows: readonly Row[], line: (row: Row) => string): MaybePromise<void> {
    if (this.closed || rows.length === 0) return;
    let text = '';
    for (const row of rows) text += `${line(row)}\n`;
    return this.writeText(text, rows.length);
  }

  /**
   * Writes `rows` lines of NDJSON text (each ending in `\n`). Small texts are coalesced up to
   * 64 KiB (or the next turn of the event loop, so a slow stream's rows show up at once): one
   * syscall for many chunks of a few rows.
   */
  writeText(text: string, rows: number): MaybePromise<void> {
    if (this.closed || rows === 0) return;
    this.lines.append(text);
    return this.added(rows);
  }

  /**
   * Has `fill` append lines to the output's buffer (see {@link LineBuffer}) and return how many:
   * the query writes its rows' bytes in place, with no text in between. When `fill` throws,
   * what it appended is dropped, so a chunk is out whole or not at all; coalescing as
   * {@link writeText}.
   */
  writeLines(fill: (lines: LineBuffer) => number): MaybePromise<void> {
    if (this.closed) return;
    const mark = this.lines.length;
    let rows: number;
    try {
      rows = fill(this.lines);
    } catch (err) {
      this.lines.truncate(mark);
      throw err;
    }
    if (rows === 0) return;
    return this.added(rows);
  }

  /** After `rows` lines were appended: sends at 64 KiB, or on the next turn. */
  private added(rows: number): MaybePromise<void> {
    this.rows += rows;
    if (this.lines.length >= FLUSH_BYTES) return this.send();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.send();
      });
    }
    // The stream still holds too much from earlier writes: wait with them.
    return this.full() ? this.room() : undefined;
  }

  /** Hands the buffer to the stream; resolves at once, or once the stream has room again. */
  private send(): MaybePromise<void> {
    if (this.closed || this.lines.length === 0) return;
    const bytes = this.lines.take();
    this.bytes += bytes.length;
    const written = new Promise<void>((resolve, reject) => {
      this.stream.write(bytes, (err?: Error | null) => {
        if (err) reject(err);
        else resolve();
        this.wake(err != null);
      });
    });
    // A failed write is reported by the stream's 'error' event (EPIPE: `| head` is done) and by
    // flush; this keeps it from becoming an unhandled rejection meanwhile.
    written.catch(() => undefined);
    this.lastWrite = written;
    return this.full() ? this.room() : undefined;
  }

  private full(): boolean {
    return this.stream.writableLength > Math.max(MAX_PENDING_BYTES, this.stream.writableHighWaterMark);
  }

  private room(): Promise<void> {
    return new Promise<void>((resume) => this.waiting.push(resume));
  }

  /** After each write the stream finished: resumes waiting writes once it holds half the bound. */
  private wake(failed: boolean): void {
    if (this.waiting.length === 0) return;
    // A failed stream takes nothing more: the error reaches the run through 'error' and flush.
    if (!failed && this.stream.writableLength > Math.max(MAX_PENDING_BYTES, this.stream.writableHighWaterMark) / 2) return;
    const waiting = this.waiting;
    this.waiting = [];
    for (const resume of waiting) resume();
  }

  flush(): MaybePromise<void> {
    if (this.closed) return;
    void this.send();
    const lastWrite = this.lastWrite;
    if (!this.regularFile) return lastWrite;
    const fd = this.fd!;
    const sync = (): Promise<void> => new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
    return lastWrite === undefined ? sync() : lastWrite.then(sync);
  }

  /**
   * Ignores later rows: the run is over. Rows still coalescing are handed to the stream first,
   * unless `drop` (the stream is gone).
   */
  close(drop = false): void {
    if (!drop) void this.send();
    this.closed = true;
  }
}

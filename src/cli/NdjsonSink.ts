import { fstatSync, fsync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { MaybePromise } from '../core/MaybePromise.js';
import type { RecordSink } from '../core/deliverTo.js';
import type { Row } from '../formats/Format.js';
import { toJsonText } from './toJsonText.js';

/** Bytes of NDJSON coalesced into one write. */
const FLUSH_BYTES = 64 * 1024;

/**
 * The CLI's output as a {@link RecordSink}: rows as NDJSON (one JSON object per line, digits of
 * BIGINT and NUMERIC intact; see {@link toJsonText}), written in large buffers (not a syscall
 * per row).
 *
 * Backpressure: when the stream's buffer is full (`write` returned false, e.g. a pipe whose
 * reader is slow), the write resolves only on 'drain', so the pipeline and, through flow
 * control, the source wait instead of buffering without bound. `flush` resolves once the stream
 * has accepted everything written (the last write's callback: the bytes are in the kernel's
 * pipe or file, where a SIGKILL of this process cannot lose them) and, when stdout is a regular
 * file, after an fsync: the checkpoint that follows covers only rows that are out.
 */
export class NdjsonSink implements RecordSink<Row> {
  /** Rows and bytes written, for the progress line. */
  rows = 0;
  bytes = 0;
  private closed = false;
  private buffer = '';
  private scheduled = false;
  /** Settles when the stream has taken the last write. */
  private lastWrite: Promise<void> | undefined;
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
   * out. Small chunks are coalesced up to 64 KiB (or the next turn of the event loop, so a slow
   * stream's rows show up at once): one syscall for many chunks of a few rows.
   */
  write(rows: readonly Row[]): MaybePromise<void> {
    if (this.closed || rows.length === 0) return;
    let text = '';
    for (const row of rows) text += `${toJsonText(row)}\n`;
    this.rows += rows.length;
    this.bytes += Buffer.byteLength(text);
    this.buffer += text;
    if (this.buffer.length >= FLUSH_BYTES) return this.send();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.send();
      });
    }
    // The stream is still full from an earlier write: wait with it.
    if (this.stream.writableNeedDrain) return this.drained();
  }

  /** Hands the buffer to the stream; resolves at once, or on 'drain' when the stream is full. */
  private send(): MaybePromise<void> {
    if (this.closed || this.buffer === '') return;
    const text = this.buffer;
    this.buffer = '';
    let accepted = true;
    const written = new Promise<void>((resolve, reject) => {
      accepted = this.stream.write(text, (err?: Error | null) => (err ? reject(err) : resolve()));
    });
    // A failed write is reported by the stream's 'error' event (EPIPE: `| head` is done) and by
    // flush; this keeps it from becoming an unhandled rejection meanwhile.
    written.catch(() => undefined);
    this.lastWrite = written;
    return accepted ? undefined : this.drained();
  }

  private drained(): Promise<void> {
    return new Promise<void>((resume) => this.stream.once('drain', resume));
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

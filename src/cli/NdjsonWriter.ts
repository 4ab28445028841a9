import type { Row } from '../formats/Format.js';
import { toJsonText } from './toJsonText.js';

/** Bytes buffered before a write, so that a fast source does not pay a syscall per row. */
const FLUSH_BYTES = 64 * 1024;

/**
 * Writes rows as NDJSON (one JSON object per line, digits of BIGINT and NUMERIC intact; see
 * {@link toJsonText}). Lines are buffered briefly: flushed at 64 KiB, on the next turn of the
 * event loop (a slow stream's rows show up at once), and on {@link flush}, which the CLI calls
 * before every checkpoint commits so that committed rows have been handed to the stream.
 */
export class NdjsonWriter {
  private buffer = '';
  private scheduled = false;
  private closed = false;
  /** Rows and bytes written, for the progress line. */
  rows = 0;
  bytes = 0;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  write(row: Row): void {
    if (this.closed) return;
    const line = `${toJsonText(row)}\n`;
    this.buffer += line;
    this.rows++;
    this.bytes += Buffer.byteLength(line);
    if (this.buffer.length >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (this.buffer === '' || this.closed) return;
    const text = this.buffer;
    this.buffer = '';
    this.stream.write(text);
  }

  /** Drops whatever is buffered and ignores later rows: the stream is gone or the run is over. */
  close(): void {
    this.closed = true;
    this.buffer = '';
  }
}

import type { DecodeContext, DecodedBatch, StreamDecoder } from './Format.js';
import { RowSink } from './RowSink.js';
import { PendingBytes } from './PendingBytes.js';
import { asBuffer } from './asBuffer.js';
import { parseJsonRow } from './parseJsonRow.js';

const LF = 10;

/**
 * Decodes newline-delimited JSON: one object per line. Offsets are byte positions of lines.
 * Blank lines are skipped, a CR before the LF is ignored (JSON whitespace), a last line without
 * a line break is decoded by `end()` (while tailing, it waits for its line break), and a UTF-8
 * byte order mark at byte 0 is skipped.
 */
export class NdjsonStreamDecoder implements StreamDecoder {
  readonly startByte: number;
  private readonly sink: RowSink;
  private readonly pending = new PendingBytes();
  /** Byte position of the first pending byte. */
  private position: number;

  constructor(startByte: number, context: DecodeContext) {
    this.startByte = startByte;
    this.position = startByte;
    this.sink = new RowSink(context);
  }

  push(bytes: Uint8Array): DecodedBatch {
    const chunk = asBuffer(bytes);
    this.pending.add(chunk);
    if (chunk.indexOf(LF) === -1) return this.sink.take(String(this.position));
    const buffer = this.pending.take();
    let start = 0;
    try {
      for (let nl = buffer.indexOf(LF); nl !== -1; nl = buffer.indexOf(LF, start)) {
        this.line(buffer, start, nl + 1);
        start = nl + 1;
      }
    } finally {
      this.position += start;
      this.pending.keep(buffer.subarray(start));
    }
    return this.sink.take(String(this.position));
  }

  end(): DecodedBatch {
    const buffer = this.pending.take();
    this.line(buffer, 0, buffer.length);
    this.position += buffer.length;
    return this.sink.take(String(this.position));
  }

  /** Decodes the line `buffer[start, end)` (`end` past its LF, if any). */
  private line(buffer: Buffer, start: number, end: number): void {
    const offset = this.position + start;
    let from = start;
    if (offset === 0 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) from += 3;
    if (isBlank(buffer, from, end)) return;
    let row;
    try {
      row = parseJsonRow(buffer.toString('utf8', from, end));
    } catch (err) {
      this.sink.bad(String(offset), `malformed JSON line: ${(err as Error).message}`, buffer.slice(start, end), err);
      return;
    }
    this.sink.add(row, String(offset), buffer, start, end);
  }
}

function isBlank(buffer: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buffer[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}

import { SourceError } from '../core/SourceError.js';
import type { DecodeContext, DecodedBatch, StreamDecoder } from './Format.js';
import { RowSink } from './RowSink.js';
import { asBuffer } from './asBuffer.js';
import { parseJsonRow } from './parseJsonRow.js';
import { firstInvalidUtf8, invalidUtf8Message, isValidUtf8 } from './utf8.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

type Mode = 'start' | 'between' | 'value' | 'done';

/**
 * Decodes a file holding one JSON array of objects (`[{...}, {...}]`), element by element, so
 * that memory is bounded by the largest element rather than the file. With `concatenated`, the
 * file is a sequence of JSON objects without the brackets, each over as many lines as it likes
 * (pretty-printed JSON, `jq` output): the same scanner, with no `[` to expect and no `]` to wait
 * for; a `]` at the top level is then a bad record like any stray character.
 *
 * The offset of an element is the byte position just past the previous element (or past the
 * `[`): a decoder opened there skips whitespace and a comma and decodes exactly that element.
 * After the last element, `nextOffset` is the position of the closing `]`.
 * An element that is not valid JSON, or not an object, is a bad record; so is a file that ends
 * inside the array (reported by `end()`), and an element with invalid UTF-8. Errors give the
 * 1-based line of the element, counted from where the decoder started (`startByte`).
 */
export class JsonArrayStreamDecoder implements StreamDecoder {
  readonly startByte: number;
  private readonly sink: RowSink;
  private mode: Mode;
  /** Bytes from `bufferStart` on, kept while an element is incomplete. */
  private buffer: Buffer = Buffer.alloc(0);
  private bufferStart: number;
  /** Absolute position of the next byte to scan. */
  private scan: number;
  /** Where the current element's offset region starts (past the previous element). */
  private regionStart: number;
  /** Where the current value starts (mode `value`). */
  private valueStart = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Line breaks scanned since `startByte`. */
  private lineBreaks = 0;
  /** Data after the closing `]`, reported once at the end of the input. */
  private trailing: { at: number; line: number; raw: Buffer } | null = null;
  /** The line the current value starts on. */
  private valueLine = 1;

  constructor(
    startByte: number,
    private readonly context: DecodeContext,
    private readonly concatenated = false,
  ) {
    this.startByte = startByte;
    this.bufferStart = startByte;
    this.scan = startByte;
    this.regionStart = startByte;
    this.mode = startByte === 0 && !concatenated ? 'start' : 'between';
    this.sink = new RowSink(context, undefined, () => this.valueLine, startByte);
  }

  push(bytes: Uint8Array): DecodedBatch {
    const chunk = asBuffer(bytes);
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    this.run(false);
    return this.sink.take(String(this.regionStart));
  }

  end(): DecodedBatch {
    this.run(true);
    return this.sink.take(String(this.regionStart));
  }

  private run(final: boolean): void {
    const buffer = this.buffer;
    const base = this.bufferStart;
    const limit = base + buffer.length;
    try {
      for (; this.scan < limit; this.scan++) {
        const c = buffer[this.scan - base] as number;
        if (c === 0x0a) this.lineBreaks++;
        switch (this.mode) {
          case 'start':
            if (isSpace(c) || (this.scan < 3 && (c === 0xef || c === 0xbb || c === 0xbf))) break;
            if (c !== OPEN_BRACKET) {
              throw new SourceError(`json: expected a JSON array ('[') at byte ${this.scan}`, this.where(this.scan));
            }
            this.mode = 'between';
            this.regionStart = this.scan + 1;
            break;
          case 'between':
            if (isSpace(c) || (c === COMMA && !this.concatenated)) break;
            if (this.concatenated && this.scan < 3 && (c === 0xef || c === 0xbb || c === 0xbf)) break;
            if (c === CLOSE_BRACKET && !this.concatenated) {
              // regionStart stays *at* the `]`: resuming there reads the `]` again and ends, whereas
              // a position past it would look like a truncated array.
              this.mode = 'done';
              break;
            }
            this.mode = 'value';
            this.valueStart = this.scan;
            this.valueLine = this.lineBreaks + 1;
            this.depth = 0;
            this.inString = false;
            this.escaped = false;
            this.scanValue(c, buffer, base);
            break;
          case 'value':
            this.scanValue(c, buffer, base);
            break;
          case 'done':
            if (isSpace(c)) break;
            // Data after the array: one bad record for all of it, reported at the end of the input
            // (when its length is known; at once under `fail`). Until then the offset stays at the `]`.
            if (this.trailing === null) {
              this.trailing = { at: this.scan, line: this.lineBreaks + 1, raw: buffer.slice(this.scan - base) };
              if (this.context.badRecords.policy === 'fail') this.reportTrailing(limit);
            }
            this.scan = limit;
            break;
        }
      }
      if (final) this.finish(buffer, base, limit);
    } finally {
      // Keep only the bytes of an element still in progress.
      const keep = this.mode === 'value' ? this.valueStart : this.scan;
      this.buffer = keep >= limit ? Buffer.alloc(0) : buffer.subarray(keep - base);
      this.bufferStart = Math.min(keep, limit);
    }
  }

  /** Advances the value scanner over byte `c` at `this.scan`. */
  private scanValue(c: number, buffer: Buffer, base: number): void {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === BACKSLASH) this.escaped = true;
      else if (c === QUOTE) {
        this.inString = false;
        if (this.depth === 0) this.element(buffer, base, this.scan + 1);
      }
      return;
    }
    if (c === QUOTE) this.inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (this.depth === 0) {
        if (this.scan === this.valueStart) {
          // A stray `}` where an element should start: a bad element of its own (rescanning it
          // would start the same empty value again, forever).
          this.element(buffer, base, this.scan + 1);
          return;
        }
        // A bare value (number, literal) ended by the array's `]`: rescan the `]`.
        this.element(buffer, base, this.scan);
        this.scan--;
        return;
      }
      if (--this.depth === 0) this.element(buffer, base, this.scan + 1);
    } else if (this.depth === 0 && (c === COMMA || isSpace(c))) {
      this.element(buffer, base, this.scan);
    }
  }

  /** The value `[valueStart, end)` is complete. */
  private element(buffer: Buffer, base: number, end: number): void {
    const position = this.regionStart;
    const start = this.valueStart - base;
    this.mode = 'between';
    this.regionStart = end;
    const line = this.valueLine;
    const invalid = firstInvalidUtf8IfAny(buffer, start, end - base);
    if (invalid !== -1) {
      const message = `malformed JSON array element: ${invalidUtf8Message(base + invalid, buffer[invalid])}`;
      this.sink.bad(String(position), message, buffer.slice(start, end - base), undefined, { line });
      return;
    }
    let row;
    try {
      row = parseJsonRow(buffer.toString('utf8', start, end - base));
    } catch (err) {
      this.sink.bad(String(position), `malformed JSON array element: ${(err as Error).message}`, buffer.slice(start, end - base), err, { line });
      return;
    }
    this.sink.add(row, position, 0, buffer, start, end - base);
  }

  private reportTrailing(limit: number): void {
    const trailing = this.trailing;
    if (trailing === null) return;
    this.trailing = null;
    this.regionStart = limit;
    this.sink.bad(String(trailing.at), 'json: unexpected data after the end of the JSON array', trailing.raw, undefined, {
      line: trailing.line,
      bytes: limit - trailing.at,
    });
  }

  private finish(buffer: Buffer, base: number, limit: number): void {
    if (this.trailing !== null) this.reportTrailing(limit);
    if (this.mode === 'value') {
      if (this.depth === 0 && !this.inString) {
        this.element(buffer, base, limit);
      } else {
        const offset = String(this.regionStart);
        this.regionStart = limit;
        this.mode = 'done';
        this.sink.bad(offset, 'json: the file ends inside a JSON array element', buffer.slice(this.valueStart - base), undefined, { line: this.valueLine });
        return;
      }
    }
    if (this.mode === 'between' && !this.concatenated) {
      const offset = String(this.regionStart);
      this.regionStart = limit;
      this.mode = 'done';
      this.sink.bad(offset, "json: the file ends before the JSON array's closing ']'", null, undefined, { line: this.lineBreaks + 1, bytes: 0 });
    }
  }

  private where(offset: number): { source: string; split: string; offset: string } {
    return { source: this.context.source, split: this.context.splitId, offset: String(offset) };
  }
}

/** {@link firstInvalidUtf8}, after a native check that finds most input valid. */
function firstInvalidUtf8IfAny(buffer: Buffer, start: number, end: number): number {
  return isValidUtf8(buffer, start, end) ? -1 : firstInvalidUtf8(buffer, start, end);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

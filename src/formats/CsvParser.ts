import { isAscii, isUtf8 } from 'node:buffer';
import { firstInvalidUtf8 } from './utf8.js';

/** The punctuation of a CSV dialect; each a single ASCII character. */
export interface CsvDialect {
  readonly delimiter: string;
  readonly quote: string;
  /** Inside a quoted field, makes the next quote (or escape) literal. Equal to `quote` for RFC 4180's `""`. */
  readonly escape: string;
  /** See {@link CsvParser}; default {@link DEFAULT_CSV_MAX_RECORD_BYTES}. */
  readonly maxRecordBytes?: number;
}

/**
 * The default longest quoted record, in bytes: 1 MiB. Past it a quote is taken for a stray one
 * (Python's `csv` module stops at 128 KiB a field, `csv.field_size_limit()`).
 */
export const DEFAULT_CSV_MAX_RECORD_BYTES = 1024 * 1024;

/**
 * Receives the records found by {@link CsvParser}. `start`/`end` are byte positions relative to
 * the bytes handed to {@link CsvParser.parse}; `end` is just past the record's line break.
 */
export interface CsvRecordHandler {
  /**
   * A record's fields; a field is `null` when it was empty and unquoted (`a,,b`). May return a
   * position before `end` to resume parsing at (only for a record spanning lines, which the
   * handler rejected and whose first line alone it reported).
   */
  record(start: number, end: number, fields: (string | null)[]): { readonly resumeAt: number } | void;
  /** A malformed record, and why. */
  malformed(start: number, end: number, error: string): void;
}

const LF = 10;
const EMPTY = Buffer.alloc(0);
const CR = 13;

/**
 * A hand-written RFC 4180 state machine (with LF or CRLF line breaks, a configurable delimiter,
 * quote and escape, quoted fields spanning lines).
 *
 * Why hand-written rather than csv-parse or papaparse: a restart must resume at the exact *byte*
 * of the next record. csv-parse reports byte positions only through its per-record `info`, and
 * papaparse reports UTF-16 character cursors, not bytes. Both are also slower at header-keyed
 * rows: on a 1M-row, 9-column lineitem-like file (Node 20, 2 cores), csv-parse `columns: true`
 * ran at ~0.19M rows per CPU-second, papaparse `header: true` at ~0.79M, this parser at ~1.13M.
 * It decodes each run of complete lines once as latin1, so that one character is one byte
 * and every character position is a byte position, scans it with `indexOf` (native memchr), and
 * cuts fields with `slice`/`split`. When the run is not pure ASCII (checked with SIMD by
 * `isAscii`), field text is decoded as UTF-8 from the same byte ranges. Structure
 * characters must be ASCII, so they can never appear inside a multi-byte UTF-8 sequence.
 * A non-ASCII run is checked to be valid UTF-8 (natively); only when it is not are records
 * checked one by one, and a record with invalid UTF-8 is malformed (never decoded to U+FFFD).
 *
 * A stray quote must not swallow the rest of a file as one field: a quoted record that has no
 * closing quote by the end of the input, or runs past `maxRecordBytes`, is malformed *from its
 * start to the end of its first line*, and parsing resumes at the next line.
 *
 * {@link lines} counts the line breaks of the records parsed so far, for line numbers in errors.
 */
export class CsvParser {
  private readonly d: number;
  private readonly q: number;
  private readonly e: number;
  private readonly dChar: string;
  private readonly qChar: string;
  private readonly eChar: string;
  private readonly maxRecordBytes: number;
  /** Line breaks in the records (and blank lines) parsed so far; a handler's record starts on line `lines + 1`. */
  lines = 0;
  /** During {@link parse}: the bytes parsed, and whether they hold invalid UTF-8 somewhere. */
  private bytes: Buffer = EMPTY;
  private invalidUtf8 = false;

  constructor(dialect: CsvDialect) {
    this.maxRecordBytes = dialect.maxRecordBytes ?? DEFAULT_CSV_MAX_RECORD_BYTES;
    this.d = dialect.delimiter.charCodeAt(0);
    this.q = dialect.quote.charCodeAt(0);
    this.e = dialect.escape.charCodeAt(0);
    this.dChar = dialect.delimiter;
    this.qChar = dialect.quote;
    this.eChar = dialect.escape;
  }

  /**
   * Parses the complete records at the start of `bytes`, handing each to `handler` (blank
   * lines are skipped). Returns the position just past the last complete record: the caller keeps
   * the bytes from there for the next call. With `final`, the end of `bytes` also ends a record.
   */
  parse(bytes: Buffer, final: boolean, handler: CsvRecordHandler): number {
    // Only complete lines can hold complete records; a record never ends inside the tail.
    const limit = final ? bytes.length : bytes.lastIndexOf(LF) + 1;
    if (limit === 0) return 0;
    const text = bytes.toString('latin1', 0, limit);
    const utf8 = !isAscii(bytes.subarray(0, limit));
    this.bytes = bytes;
    this.invalidUtf8 = utf8 && !isUtf8(bytes.subarray(0, limit));
    const n = text.length;
    const { d, q, dChar, qChar } = this;
    let p = 0;
    // Position of the next quote character at or after p (n when none): lines before it take the fast path.
    let nextQuote = -1;
    while (p < n) {
      let nl = text.indexOf('\n', p);
      if (nl === -1) {
        if (!final) break;
        nl = n;
      }
      if (nextQuote < p) {
        nextQuote = text.indexOf(qChar, p);
        if (nextQuote === -1) nextQuote = n;
      }
      if (nextQuote >= nl) {
        let contentEnd = nl;
        if (contentEnd > p && text.charCodeAt(contentEnd - 1) === CR) contentEnd--;
        const end = nl < n ? nl + 1 : n;
        if (contentEnd > p && this.invalidUtf8 && this.badUtf8(p, end, handler)) {
          // Reported as malformed.
        } else if (contentEnd > p) {
          // Without quotes, fields are exactly the delimiter-separated pieces; in a non-ASCII run the
          // line is decoded as UTF-8 once (an ASCII delimiter byte never occurs inside a multi-byte sequence).
          const line = utf8 ? bytes.toString('utf8', p, contentEnd) : text.slice(p, contentEnd);
          const fields: (string | null)[] = line.split(dChar);
          for (let i = 0; i < fields.length; i++) if (fields[i] === '') fields[i] = null;
          handler.record(p, end, fields);
        }
        if (nl < n) this.lines++;
        p = end;
        continue;
      }
      // Slow path: a quote somewhere in this line, so the record may span lines.
      const end = this.parseQuoted(text, p, final, utf8, d, q, handler);
      if (end === -1) break;
      // A parser bug must fail loudly, never spin on the same record.
      if (end <= p) throw new Error(`CSV parser made no progress at byte ${p}`);
      this.lines += countLineBreaks(text, p, end);
      p = end;
      // Quotes consumed by that record are behind us; rescan lazily.
      if (nextQuote < p) nextQuote = -1;
    }
    // Keep no reference to the caller's bytes (it may reuse them).
    this.bytes = EMPTY;
    return p;
  }

  /** Parses one record field by field; returns its end, or -1 when it is incomplete (needs more bytes). */
  private parseQuoted(text: string, start: number, final: boolean, utf8: boolean, d: number, q: number, handler: CsvRecordHandler): number {
    const n = text.length;
    const fields: (string | null)[] = [];
    let i = start;
    for (;;) {
      if (i < n && text.charCodeAt(i) === q) {
        const value = this.readQuoted(text, i + 1);
        if (value === null && !final && n - start <= this.maxRecordBytes) return -1;
        if (value === null || value.end - start > this.maxRecordBytes) {
          const why =
            value === null && n - start <= this.maxRecordBytes
              ? 'unterminated quoted field (the input ends before its closing quote)'
              : `quoted record longer than ${this.maxRecordBytes} bytes (maxRecordBytes): taken for a stray quote`;
          // Resynchronise at the next line: only this line is lost, not the rest of the input.
          const nl = text.indexOf('\n', start);
          return malformed(handler, start, nl === -1 ? n : nl + 1, `${why}; the line is skipped, reading resumes at the next line`);
        }
        fields.push(utf8 ? fromLatin1(value.text) : value.text);
        i = value.end;
        const c = text.charCodeAt(i);
        if (i >= n) return this.emit(handler, start, n, fields);
        if (c === d) {
          i++;
          continue;
        }
        if (c === LF) return this.emit(handler, start, i + 1, fields);
        if (c === CR && text.charCodeAt(i + 1) === LF) return this.emit(handler, start, i + 2, fields);
        // A non-ASCII byte is named in hex: latin1 text would show it as another character.
        const what = c > 0x7f ? `byte 0x${c.toString(16)}` : `character ${JSON.stringify(text[i])}`;
        const message = `unexpected ${what} after the closing quote of field ${fields.length}`;
        const firstBreak = text.indexOf('\n', start);
        if (firstBreak !== -1 && firstBreak < i) {
          // The quoted field ran over line breaks and then turned out wrong: its opening quote
          // was most likely a stray one. Resynchronise after the record's first line, so that a
          // stray quote closed by another one lines later does not take those lines with it.
          return malformed(handler, start, firstBreak + 1, `${message}, in a quoted field spanning lines: taken for a stray quote, the line is skipped`);
        }
        // Resynchronise at the next line break: the rest of this line cannot be trusted.
        const nl = text.indexOf('\n', i);
        if (nl === -1 && !final) return -1;
        return malformed(handler, start, nl === -1 ? n : nl + 1, message);
      }
      let delim = text.indexOf(this.dChar, i);
      let nl = text.indexOf('\n', i);
      if (nl === -1) {
        if (!final) return -1;
        nl = n;
      }
      if (delim !== -1 && delim < nl) {
        fields.push(i === delim ? null : utf8 ? fromLatin1(text.slice(i, delim)) : text.slice(i, delim));
        i = delim + 1;
        continue;
      }
      let contentEnd = nl;
      if (contentEnd > i && text.charCodeAt(contentEnd - 1) === CR) contentEnd--;
      fields.push(i === contentEnd ? null : utf8 ? fromLatin1(text.slice(i, contentEnd)) : text.slice(i, contentEnd));
      return this.emit(handler, start, nl < n ? nl + 1 : n, fields);
    }
  }

  /** Hands a record of the slow path to `handler`, unless it holds invalid UTF-8. */
  private emit(handler: CsvRecordHandler, start: number, end: number, fields: (string | null)[]): number {
    if (this.invalidUtf8 && this.badUtf8(start, end, handler)) return end;
    return record(handler, start, end, fields);
  }

  /** Reports `bytes[start, end)` as malformed if it holds invalid UTF-8; whether it did. */
  private badUtf8(start: number, end: number, handler: CsvRecordHandler): boolean {
    if (isUtf8(this.bytes.subarray(start, end))) return false;
    const at = firstInvalidUtf8(this.bytes, start, end);
    const byte = this.bytes[at] ?? 0;
    handler.malformed(start, end, `invalid UTF-8 (0x${byte.toString(16).padStart(2, '0')}) at byte ${at - start} of the record`);
    return true;
  }

  /** Reads a quoted field's content from `i` (just past the opening quote) to its closing quote. */
  private readQuoted(text: string, i: number): { text: string; end: number } | null {
    const { q, e, qChar, eChar } = this;
    let value = '';
    if (e === q) {
      for (;;) {
        const k = text.indexOf(qChar, i);
        if (k === -1) return null;
        if (text.charCodeAt(k + 1) === q) {
          value += text.slice(i, k + 1);
          i = k + 2;
          continue;
        }
        return { text: value + text.slice(i, k), end: k + 1 };
      }
    }
    for (;;) {
      const kq = text.indexOf(qChar, i);
      if (kq === -1) return null;
      const ke = text.indexOf(eChar, i);
      if (ke !== -1 && ke < kq) {
        const next = text.charCodeAt(ke + 1);
        if (next === q || next === e) {
          value += text.slice(i, ke) + text[ke + 1];
          i = ke + 2;
        } else {
          value += text.slice(i, ke + 1);
          i = ke + 1;
        }
        continue;
      }
      return { text: value + text.slice(i, kq), end: kq + 1 };
    }
  }
}

function record(handler: CsvRecordHandler, start: number, end: number, fields: (string | null)[]): number {
  const resume = handler.record(start, end, fields)?.resumeAt;
  return resume !== undefined && resume > start && resume < end ? resume : end;
}

function malformed(handler: CsvRecordHandler, start: number, end: number, error: string): number {
  handler.malformed(start, end, error);
  return end;
}

/** The number of line breaks in `text[start, end)`. */
function countLineBreaks(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', start); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

const nonAscii = /[^\x00-\x7f]/;

/** Re-decodes a latin1-decoded field as UTF-8 when it holds non-ASCII bytes. */
function fromLatin1(field: string): string {
  return nonAscii.test(field) ? Buffer.from(field, 'latin1').toString('utf8') : field;
}

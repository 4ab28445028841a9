import { SourceError } from '../core/SourceError.js';
import { CsvParser } from './CsvParser.js';
import type { CsvRecordHandler } from './CsvParser.js';
import { CsvRowBuilder } from './CsvRowBuilder.js';
import type { DecodeContext, DecodedBatch, Row, StreamDecoder } from './Format.js';
import { PendingBytes } from './PendingBytes.js';
import { RowSink } from './RowSink.js';
import { asBuffer } from './asBuffer.js';
import { textWindowEnd } from './textWindow.js';
import { valuesConverterOf, type ValuesConverter } from './ValuesConverter.js';
import type { ResolvedCsvOptions } from './csvFormat.js';

const BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * Decodes CSV bytes from a byte position. Offsets are byte positions of record starts, so a
 * restart resumes exactly at the next record, also after quoted fields spanning lines. Errors
 * give the record's 1-based line, counted from `startByte` (the start of the file, or the resume
 * position: the lines before it are not read).
 */
export class CsvStreamDecoder implements StreamDecoder, CsvRecordHandler {
  readonly startByte: number;
  private readonly parser: CsvParser;
  private readonly sink: RowSink;
  /** Bytes received but not yet parsed (an incomplete record), in order. */
  private readonly pending = new PendingBytes();
  /** Byte position of the first pending byte. */
  private position: number;
  private builder: CsvRowBuilder | null;
  private bomChecked: boolean;
  /** The bytes being parsed and the byte position of their start, during {@link decode}. */
  private buffer: Buffer = Buffer.alloc(0);
  private base = 0;
  /** The context's converter by position, when it has one (see {@link ValuesConverter}). */
  private readonly converter: ValuesConverter | undefined;
  /** The converter's values of a record's fields, for the current builder. */
  private values: ((fields: (string | null)[]) => readonly unknown[] | string) | undefined;

  /**
   * @param builder The row builder when the header is already known (or there is none);
   *   `null` when the first record read is the header.
   */
  constructor(
    private readonly options: ResolvedCsvOptions,
    startByte: number,
    builder: CsvRowBuilder | null,
    private readonly context: DecodeContext,
  ) {
    this.startByte = startByte;
    this.position = startByte;
    this.builder = builder;
    this.converter = valuesConverterOf(context.convert);
    this.values = builder === null || this.converter === undefined ? undefined : builder.valuesFor(this.converter);
    this.bomChecked = startByte !== 0;
    this.parser = new CsvParser(options);
    // Errors are reported while the parser hands over a record, which starts on the line after
    // the line breaks it has counted.
    this.sink = new RowSink(context, undefined, () => this.parser.lines + 1, startByte);
  }

  /** The row builder, once the header is known (always, without a header). */
  get rowBuilder(): CsvRowBuilder | null {
    return this.builder;
  }

  push(bytes: Uint8Array): DecodedBatch {
    const chunk = asBuffer(bytes);
    this.pending.add(chunk);
    // No line break, no new complete record (the BOM check can wait too).
    if (chunk.indexOf(10) === -1) return this.sink.take(String(this.position));
    return this.decode(false);
  }

  end(): DecodedBatch {
    return this.decode(true);
  }

  private decode(final: boolean): DecodedBatch {
    let buffer = this.pending.take();
    if (!this.bomChecked) {
      if (buffer.length < BOM.length && !final) {
        this.pending.keep(buffer);
        return this.sink.take(String(this.position));
      }
      this.bomChecked = true;
      if (buffer[0] === BOM[0] && buffer[1] === BOM[1] && buffer[2] === BOM[2]) {
        buffer = buffer.subarray(BOM.length);
        this.position += BOM.length;
      }
    }
    const base = this.position;
    let consumed = 0;
    try {
      // The parser decodes what it is handed as one string: hand it windows of complete lines.
      let limit = textWindowEnd(buffer, 0, buffer.length);
      for (;;) {
        const last = limit === buffer.length;
        const window = buffer.subarray(consumed, limit);
        this.buffer = window;
        this.base = base + consumed;
        const parsed = this.parser.parse(window, final && last, this);
        consumed += parsed;
        if (last) break;
        // A record longer than a window (quoted line breaks): hand the parser all the rest.
        limit = parsed === 0 ? buffer.length : textWindowEnd(buffer, consumed, buffer.length);
      }
    } finally {
      // Even when a bad record throws (policy `fail`), keep the state consistent.
      this.buffer = Buffer.alloc(0);
      this.position = base + consumed;
      this.pending.keep(buffer.subarray(consumed));
    }
    return this.sink.take(String(this.position));
  }

  /** @internal Called by the parser for each record. */
  record(start: number, end: number, fields: (string | null)[]): { readonly resumeAt: number } | void {
    const builder = this.builder;
    if (builder === null) {
      this.builder = headerBuilder(fields, this.options, this.context);
      this.values = this.converter === undefined ? undefined : this.builder.valuesFor(this.converter);
      return;
    }
    const values = this.values;
    const row = values === undefined ? builder.build(fields) : values(fields);
    if (typeof row === 'string') {
      // A record spanning lines with the wrong field count most likely began at a stray quote:
      // report its first line only and parse again from the next one.
      const firstBreak = this.buffer.indexOf(10, start);
      if (firstBreak !== -1 && firstBreak < end - 1) {
        this.malformed(start, firstBreak + 1, `${row}, in a quoted field spanning lines: taken for a stray quote, the line is skipped`);
        return { resumeAt: firstBreak + 1 };
      }
      this.malformed(start, end, row);
      return;
    }
    if (values !== undefined) this.sink.addValues(this.converter!, row as readonly unknown[], this.base + start, 0, this.buffer, start, end);
    else this.sink.add(row as Row, this.base + start, 0, this.buffer, start, end);
  }

  /** @internal Called by the parser for each malformed record. */
  malformed(start: number, end: number, error: string): void {
    const offset = String(this.base + start);
    if (this.builder === null) {
      throw new SourceError(`malformed CSV header: ${error}`, {
        source: this.context.source,
        split: this.context.splitId,
        offset,
        line: this.parser.lines + 1,
        lineFrom: this.startByte,
      });
    }
    this.sink.bad(offset, `malformed CSV record: ${error}`, this.buffer.slice(start, end), undefined, { line: this.parser.lines + 1 });
  }
}

/**
 * The row builder for a file whose header is `fields`: keys are the header names, or the declared
 * columns looked up in the header by name (each must be there).
 */
export function headerBuilder(fields: readonly (string | null)[], options: ResolvedCsvOptions, context: DecodeContext): CsvRowBuilder {
  const names = fields.map((f) => f ?? '');
  const where = { source: context.source, split: context.splitId, offset: '0' };
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new SourceError(`CSV header has the column ${JSON.stringify(name)} twice`, where);
    seen.add(name);
  }
  const emptyAsNull = options.empty === 'null';
  if (options.columns === undefined) return new CsvRowBuilder(names, names.length, null, emptyAsNull);
  const positions = options.columns.map((column) => {
    const at = names.indexOf(column);
    if (at === -1) {
      throw new SourceError(
        `CSV header has no column ${JSON.stringify(column)} (declared columns: ${options.columns?.join(', ')}; header: ${names.join(', ')})`,
        where,
      );
    }
    return at;
  });
  return new CsvRowBuilder(options.columns, names.length, positions, emptyAsNull);
}

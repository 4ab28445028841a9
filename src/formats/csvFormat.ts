import { SourceError } from '../core/SourceError.js';
import { CsvParser, DEFAULT_CSV_MAX_RECORD_BYTES } from './CsvParser.js';
import { CsvRowBuilder } from './CsvRowBuilder.js';
import { CsvStreamDecoder } from './CsvStreamDecoder.js';
import type { ByteInput, DecodeContext, Format, Row, StreamDecoder } from './Format.js';
import { asBuffer } from './asBuffer.js';
import { parseByteOffset } from './parseByteOffset.js';

/** How empty CSV fields decode. */
export type CsvEmpty = 'null' | 'empty';

/** Options of the CSV format. */
export interface CsvFormatOptions {
  /** Field separator, one ASCII character. Default `,`. */
  readonly delimiter?: string;
  /** Whether the first record of a file is a header naming the columns. Default `true`. */
  readonly header?: boolean;
  /** Quote character, one ASCII character. Default `"`. */
  readonly quote?: string;
  /** Escape inside quoted fields, one ASCII character. Default: the quote (RFC 4180's `""`). */
  readonly escape?: string;
  /**
   * `null` (default): an empty *unquoted* field is `null`, while a quoted empty field (`""`) is
   * the empty string, as in PostgreSQL's `COPY ... CSV`, so both can be told apart.
   * `empty`: every empty field is the empty string.
   */
  readonly empty?: CsvEmpty;
  /**
   * Declared column names. With a header, rows hold exactly these columns, looked up in the
   * header by name (a missing one is an error). Without a header, fields map to them by
   * position and every record must have exactly this many fields. Without a header and without
   * columns, keys are `c1`, `c2`, ... for however many fields each record has.
   */
  readonly columns?: readonly string[];
  /**
   * The longest a record holding a quoted field may be, in bytes: a quote left open longer is
   * taken for a stray one, and only its line is a bad record. Default 1 MiB
   * ({@link DEFAULT_CSV_MAX_RECORD_BYTES}).
   */
  readonly maxRecordBytes?: number;
}

/** {@link CsvFormatOptions} with defaults applied and checked. */
export interface ResolvedCsvOptions {
  readonly delimiter: string;
  readonly header: boolean;
  readonly quote: string;
  readonly escape: string;
  readonly empty: CsvEmpty;
  readonly columns: readonly string[] | undefined;
  readonly maxRecordBytes: number;
}

/**
 * The CSV format: RFC 4180 with LF or CRLF line breaks, quoted fields that may hold delimiters,
 * quotes and line breaks, UTF-8 text (a leading byte order mark is skipped). Blank lines are
 * skipped. Every value is a string (or `null`, see {@link CsvFormatOptions.empty}); a declared
 * schema's `convert` turns them into typed values.
 *
 * Stream offsets are the byte positions of records. With a header, a decoder opened at an offset
 * first reads the header from byte 0. A record with a field count other than the header's (or
 * the declared columns', without a header), text after a closing quote or invalid UTF-8 is a bad
 * record; reading goes on at the next record under the `skip`/`dead-letter` policies. A quote left
 * open to the end of the input or past `maxRecordBytes` makes a bad record of its line only, and
 * reading resumes at the next line (a stray quote does not swallow the rest of the file).
 *
 * `decodeMessage` decodes one record per payload (Kafka/Kinesis CSV topics carry no header):
 * fields map to `columns` by position.
 *
 * @example
 * const format = csvFormat({ delimiter: ';', columns: ['id', 'name'], header: false });
 */
export function csvFormat(options: CsvFormatOptions = {}): Format {
  const resolved = resolveCsvOptions(options);
  const parser = new CsvParser(resolved);
  const emptyAsNull = resolved.empty === 'null';
  const messageBuilder = new CsvRowBuilder(resolved.columns ?? [], resolved.columns?.length ?? null, null, emptyAsNull);
  return {
    name: 'csv',
    tailable: true,
    decodeMessage(payload: Uint8Array): Row | null {
      let bytes = asBuffer(payload);
      // One record per payload: a trailing line break ends it, it does not start a blank record.
      if (bytes[bytes.length - 1] === 10) bytes = bytes.subarray(0, bytes[bytes.length - 2] === 13 ? -2 : -1);
      if (bytes.length === 0) return null;
      const records: (string | null)[][] = [];
      parser.parse(bytes, true, {
        record: (_start, _end, fields) => {
          records.push(fields);
        },
        malformed: (_start, _end, error) => {
          throw new Error(`malformed CSV record: ${error}`);
        },
      });
      const fields = records[0];
      if (records.length !== 1 || fields === undefined) throw new Error(`expected one CSV record, found ${records.length}`);
      const row = messageBuilder.build(fields);
      if (typeof row === 'string') throw new Error(`malformed CSV record: ${row}`);
      return row;
    },
    async openStream(input: ByteInput, offset: string | null, context: DecodeContext): Promise<StreamDecoder> {
      const start = parseByteOffset(offset, context, 'csv');
      if (!resolved.header) {
        const builder = new CsvRowBuilder(resolved.columns ?? [], resolved.columns?.length ?? null, null, emptyAsNull);
        return new CsvStreamDecoder(resolved, start, builder, context);
      }
      if (start === 0) return new CsvStreamDecoder(resolved, 0, null, context);
      return new CsvStreamDecoder(resolved, start, await readHeader(input, start, resolved, context), context);
    },
  };
}

/** Reads the header record from byte 0, for a decoder resuming at `start`. */
async function readHeader(input: ByteInput, start: number, options: ResolvedCsvOptions, context: DecodeContext): Promise<CsvRowBuilder> {
  const decoder = new CsvStreamDecoder(options, 0, null, context);
  // Only the header is wanted: read no further than the resume position.
  for await (const bytes of input.stream(0, start)) {
    decoder.push(bytes);
    if (decoder.rowBuilder !== null) return decoder.rowBuilder;
  }
  decoder.end();
  if (decoder.rowBuilder !== null) return decoder.rowBuilder;
  throw new SourceError(`csv: no header record before offset ${start}`, { source: context.source, split: context.splitId, offset: String(start) });
}

const csvEmptyValues: readonly CsvEmpty[] = ['null', 'empty'];

/** Applies defaults and checks {@link CsvFormatOptions}; throws an `Error` naming the bad option. */
export function resolveCsvOptions(options: CsvFormatOptions): ResolvedCsvOptions {
  const delimiter = options.delimiter ?? ',';
  const quote = options.quote ?? '"';
  const escape = options.escape ?? quote;
  const empty = options.empty ?? 'null';
  for (const [name, value] of [['delimiter', delimiter], ['quote', quote], ['escape', escape]] as const) {
    if (value.length !== 1 || value.charCodeAt(0) > 0x7f || value === '\n' || value === '\r') {
      throw new Error(`csv option '${name}' must be one ASCII character other than a line break, got ${JSON.stringify(value)}`);
    }
  }
  if (delimiter === quote) throw new Error(`csv options 'delimiter' and 'quote' must differ, both are ${JSON.stringify(quote)}`);
  if (escape === delimiter) throw new Error(`csv options 'delimiter' and 'escape' must differ, both are ${JSON.stringify(escape)}`);
  if (!csvEmptyValues.includes(empty)) {
    throw new Error(`csv option 'empty' must be one of ${csvEmptyValues.join(', ')}, got ${JSON.stringify(empty)}`);
  }
  if (options.columns !== undefined) {
    const seen = new Set<string>();
    for (const column of options.columns) {
      if (seen.has(column)) throw new Error(`csv column ${JSON.stringify(column)} is declared twice`);
      seen.add(column);
    }
  }
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_CSV_MAX_RECORD_BYTES;
  if (!Number.isSafeInteger(maxRecordBytes) || maxRecordBytes < 1) {
    throw new Error(`csv option 'maxRecordBytes' must be a positive integer, got ${String(maxRecordBytes)}`);
  }
  return { delimiter, header: options.header ?? true, quote, escape, empty, columns: options.columns, maxRecordBytes };
}

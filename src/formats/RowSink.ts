import { BadRecordError, type BadRecordLoss } from '../core/SourceError.js';
import type { DecodeContext, DecodedBatch, Row } from './Format.js';
import type { ValuesConverter } from './ValuesConverter.js';

/**
 * Formats the offset of the record at `position` (and `index`, for formats whose positions have
 * two parts, like Avro's block and record index).
 */
export type OffsetFormatter = (position: number, index: number) => string;

/** The offset of a byte-positioned record: its byte position in decimal. */
export const byteOffset: OffsetFormatter = (position) => String(position);

/** What a bad record cost and where it was: {@link BadRecordLoss} and its 1-based line. */
export interface BadRecordDetail extends BadRecordLoss {
  readonly line?: number;
}

/**
 * Collects the rows of one decoded batch, with the offset of its first row, and routes every bad
 * record (malformed, or rejected by `context.convert`) to `context.badRecords` at its exact offset.
 * Shared by the stream decoders so that they all treat bad records the same way.
 *
 * Rows are added with numeric positions: the offset string is made only where one is needed
 * (the batch's first row, a bad record), not once per row.
 */
export class RowSink {
  private rows: Row[] = [];
  private firstPosition = -1;
  private firstIndex = 0;

  /**
   * @param lineOf For text formats: the 1-based line of the record at a byte position (asked
   *   only for a bad record, while it is being decoded).
   * @param lineFrom The byte position lines are counted from (where the decoder started).
   */
  constructor(
    private readonly context: DecodeContext,
    private readonly formatOffset: OffsetFormatter = byteOffset,
    private readonly lineOf?: (position: number) => number,
    private readonly lineFrom = 0,
  ) {}

  /**
   * Adds a decoded row found at `position`/`index` (see {@link OffsetFormatter}), after
   * `context.convert`. The record's raw bytes, `bytes[start, end)`, are copied only if it turns out bad.
   */
  add(row: Row, position: number, index: number, bytes: Uint8Array, start: number, end: number): void {
    const convert = this.context.convert;
    if (convert !== undefined) {
      try {
        row = convert(row);
      } catch (err) {
        this.rejected(err, position, index, bytes, start, end);
        return;
      }
    }
    this.accept(row, position, index);
  }

  /**
   * Adds the row `converter` makes of a record's `values` (see {@link ValuesConverter}): what
   * {@link add} does with the context's converter, without a row of raw values in between.
   */
  addValues(converter: ValuesConverter, values: readonly unknown[], position: number, index: number, bytes: Uint8Array, start: number, end: number): void {
    let row: Row;
    try {
      row = converter.convert(values);
    } catch (err) {
      this.rejected(err, position, index, bytes, start, end);
      return;
    }
    this.accept(row, position, index);
  }

  /** Keeps a converted row, noting where the batch's first row is. */
  private accept(row: Row, position: number, index: number): void {
    if (this.firstPosition === -1) {
      this.firstPosition = position;
      this.firstIndex = index;
    }
    this.rows.push(row);
  }

  /** Reports a record the conversion rejected as bad, with its raw bytes and, for text, its line. */
  private rejected(err: unknown, position: number, index: number, bytes: Uint8Array, start: number, end: number): void {
    const detail = this.lineOf === undefined ? undefined : { line: this.lineOf(position), bytes: end - start };
    this.bad(this.formatOffset(position, index), err instanceof Error ? err.message : String(err), bytes.slice(start, end), err, detail);
  }

  /**
   * Reports a bad record at `offset`; throws under the `fail` policy. For text formats (those
   * with `lineOf`) the bytes lost default to the raw record's length.
   */
  bad(offset: string, message: string, raw: Uint8Array | null, cause?: unknown, detail?: BadRecordDetail): void {
    const { source, splitId } = this.context;
    const line = detail?.line;
    const location = line === undefined ? { source, split: splitId, offset } : { source, split: splitId, offset, line, lineFrom: this.lineFrom };
    const options = { ...(cause === undefined ? {} : { cause }), ...(detail?.records === undefined ? {} : { records: detail.records }) };
    const bytes = detail?.bytes ?? (this.lineOf !== undefined && raw !== null ? raw.length : undefined);
    const error = new BadRecordError(message, location, bytes === undefined ? options : { ...options, bytes });
    this.context.badRecords.handle(error, raw);
  }

  /** The batch so far, ending at `nextOffset`; the sink starts a new batch. */
  take(nextOffset: string): DecodedBatch {
    const offset = this.firstPosition === -1 ? nextOffset : this.formatOffset(this.firstPosition, this.firstIndex);
    const batch: DecodedBatch = { rows: this.rows, offset, nextOffset };
    this.rows = [];
    this.firstPosition = -1;
    return batch;
  }
}

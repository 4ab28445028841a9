import { BadRecordError } from '../core/SourceError.js';
import type { DecodeContext, DecodedBatch, Row } from './Format.js';

/**
 * Collects the rows of one decoded batch, with the offset of its first row, and routes every bad
 * record (malformed, or rejected by `context.convert`) to `context.badRecords` at its exact offset.
 * Shared by the stream decoders so that they all treat bad records the same way.
 */
export class RowSink {
  private rows: Row[] = [];
  private firstOffset: string | undefined;

  constructor(private readonly context: DecodeContext) {}

  /**
   * Adds a decoded row found at `offset`, after `context.convert`. The record's raw bytes,
   * `bytes[start, end)`, are copied only if it turns out bad.
   */
  add(row: Row, offset: string, bytes: Uint8Array, start: number, end: number): void {
    const convert = this.context.convert;
    if (convert !== undefined) {
      try {
        row = convert(row);
      } catch (err) {
        this.bad(offset, err instanceof Error ? err.message : String(err), bytes.slice(start, end), err);
        return;
      }
    }
    if (this.firstOffset === undefined) this.firstOffset = offset;
    this.rows.push(row);
  }

  /** Reports a bad record at `offset`; throws under the `fail` policy. */
  bad(offset: string, message: string, raw: Uint8Array | null, cause?: unknown): void {
    const { source, splitId } = this.context;
    const error = new BadRecordError(message, { source, split: splitId, offset }, cause === undefined ? undefined : { cause });
    this.context.badRecords.handle(error, raw);
  }

  /** The batch so far, ending at `nextOffset`; the sink starts a new batch. */
  take(nextOffset: string): DecodedBatch {
    const batch: DecodedBatch = { rows: this.rows, offset: this.firstOffset ?? nextOffset, nextOffset };
    this.rows = [];
    this.firstOffset = undefined;
    return batch;
  }
}

import { SourceError } from '../core/SourceError.js';
import type { AvroDecompress } from './avroCodec.js';
import type { AvroContainerHeader } from './AvroContainerHeader.js';
import { readAvroLong } from './AvroContainerHeader.js';
import type { AvroRowReader } from './avroRuntime.js';
import type { DecodeContext, DecodedBatch, Row, StreamDecoder } from './Format.js';
import { RowSink } from './RowSink.js';
import { PendingBytes } from './PendingBytes.js';
import { asBuffer } from './asBuffer.js';

/** A position in an Avro container file: a block's byte position and a record index in it. */
export interface AvroPosition {
  readonly block: number;
  readonly index: number;
}

/** Formats a position as the offset string `"<block byte>:<record index>"`, e.g. `"12345:7"`. */
export function formatAvroOffset(block: number, index: number): string {
  return `${block}:${index}`;
}

/** Parses an offset made by {@link formatAvroOffset}; throws a `SourceError` for anything else. */
export function parseAvroOffset(offset: string, context: DecodeContext): AvroPosition {
  const match = /^(0|[1-9][0-9]*):(0|[1-9][0-9]*)$/.exec(offset);
  const block = Number(match?.[1]);
  const index = Number(match?.[2]);
  if (match === null || !Number.isSafeInteger(block) || !Number.isSafeInteger(index)) {
    throw new SourceError(`avro: invalid offset ${JSON.stringify(offset)}, expected "<block byte>:<record index>"`, {
      source: context.source,
      split: context.splitId,
    });
  }
  return { block, index };
}

/** Blocks larger than this are taken as corrupt sizes rather than buffered. */
const MAX_BLOCK_BYTES = 1 << 30;

/**
 * Decodes the blocks of an Avro object container file, one whole block at a time (memory is
 * bounded by the largest block). A record's offset is its block's byte position and its index
 * in the block, so a decoder opened at `"B:i"` decodes block B and drops its first i records.
 *
 * A block whose sync marker does not match the header's is a bad record at `"B:0"`: under
 * `skip`/`dead-letter`, when a sound block follows where its header says it ends, the decoder
 * goes on there; otherwise (a corrupt count or size) it searches for the next sync marker.
 * A block that does not decompress is a bad record and is skipped; a record that does not
 * decode is a bad record and the rest of its block is skipped (its end is unknown).
 *
 * Every bad record says what was lost (`BadRecordError.records`/`bytes`): the block header's
 * record count (the rest of the block, after a record that does not decode), and the bytes from
 * the block to where reading goes on. After a search for the sync marker the bytes are exact and
 * the records a lower bound (the blocks in between are unreadable); the error is reported when
 * the marker is found (or the input ends), except under `fail`, which throws at once.
 */
export class AvroStreamDecoder implements StreamDecoder {
  readonly startByte: number;
  private readonly sink: RowSink;
  private readonly pending = new PendingBytes();
  /** Byte position of the first pending byte: the next block's start, unless resynchronising. */
  private position: number;
  private resynchronising = false;
  /** The corrupt block a search for the sync marker started from, reported when the search ends. */
  private lost: { at: number; why: string; records: number; raw: Buffer } | null = null;
  /**
   * Pending bytes the incomplete block at the start needs (0: unknown). Until that many have
   * arrived, pushes only append: a block larger than a read is not re-joined on every read.
   */
  private need = 0;

  constructor(
    private readonly header: AvroContainerHeader,
    private readonly reader: AvroRowReader,
    private readonly decompress: AvroDecompress,
    private readonly start: AvroPosition,
    private readonly context: DecodeContext,
  ) {
    this.startByte = start.block;
    this.position = start.block;
    this.sink = new RowSink(context, formatAvroOffset);
  }

  push(bytes: Uint8Array): DecodedBatch {
    if (bytes.length > 0) {
      if (this.pending.length + bytes.length < this.need) this.pending.add(bytes);
      else this.blocks(this.pending.takeWith(asBuffer(bytes)), false);
    }
    return this.sink.take(formatAvroOffset(this.position, 0));
  }

  end(): DecodedBatch {
    this.blocks(this.pending.take(), true);
    return this.sink.take(formatAvroOffset(this.position, 0));
  }

  /** Decodes the complete blocks at the start of `buffer`; keeps the rest pending. */
  private blocks(buffer: Buffer, final: boolean): void {
    this.need = 0;
    const sync = this.header.sync;
    let p = 0;
    try {
      while (p < buffer.length) {
        if (this.resynchronising) {
          const found = buffer.indexOf(sync, p);
          if (found === -1) {
            // Keep a possible partial marker at the end.
            p = Math.max(p, buffer.length - (sync.length - 1));
            break;
          }
          p = found + sync.length;
          this.resynchronising = false;
          this.reportLost(this.position + p);
          continue;
        }
        const end = this.block(buffer, p, final);
        if (end === -1) break;
        p = end;
      }
      if (final && p < buffer.length) {
        if (!this.resynchronising) {
          const at = formatAvroOffset(this.position + p, 0);
          const records = declaredCount(buffer, p);
          this.sink.bad(at, 'avro: the file ends inside a block (truncated file)', buffer.slice(p), undefined, {
            bytes: buffer.length - p,
            ...(records === undefined ? {} : { records }),
          });
        }
        p = buffer.length;
      }
      if (final && this.lost !== null) this.reportLost(this.position + p);
    } finally {
      this.position += p;
      this.pending.keep(buffer.subarray(p));
    }
  }

  /** Decodes the block at `buffer[p]`; returns its end, or -1 when it is not complete yet. */
  private block(buffer: Buffer, p: number, final: boolean): number {
    const blockPosition = this.position + p;
    let count: { value: number; next: number } | null;
    let size: { value: number; next: number } | null;
    try {
      count = readAvroLong(buffer, p);
      size = count === null ? null : readAvroLong(buffer, count.next);
    } catch {
      return this.corrupt(buffer, p, buffer.length, 'corrupt block header', 1);
    }
    if (count === null || size === null) return this.incomplete(0);
    if (count.value < 0 || size.value < 0 || size.value > MAX_BLOCK_BYTES) {
      return this.corrupt(buffer, p, size.next, `corrupt block header (count ${count.value}, size ${size.value})`, 1);
    }
    const sync = this.header.sync;
    const dataEnd = size.next + size.value;
    const end = dataEnd + sync.length;
    if (buffer.length < end) {
      // At the end of the input, a sync marker inside the declared block (followed by more data)
      // means its size is corrupt rather than the file truncated: search from the block's start.
      const marker = final ? buffer.indexOf(sync, size.next) : -1;
      if (marker !== -1 && marker + sync.length < buffer.length) {
        return this.corrupt(buffer, p, marker + sync.length, `corrupt block header (count ${count.value}, size ${size.value} runs past the next sync marker)`, count.value);
      }
      return this.incomplete(end - p);
    }
    if (!buffer.subarray(dataEnd, end).equals(sync)) {
      // Only the marker may be damaged: when a sound block follows where this one's header says
      // it ends, go on there and lose this block only.
      const next = this.soundBlockAt(buffer, end);
      if (next === undefined && !final) return this.incomplete(0);
      if (next === true || (next === undefined && end === buffer.length)) {
        this.sink.bad(formatAvroOffset(blockPosition, 0), 'avro: sync marker mismatch: the block is corrupt', buffer.slice(p, end), undefined, {
          records: count.value,
          bytes: end - p,
        });
        return end;
      }
      return this.corrupt(buffer, p, end, 'sync marker mismatch: the block is corrupt', count.value);
    }
    let data: Buffer;
    try {
      data = this.decompress(buffer.subarray(size.next, dataEnd));
    } catch (err) {
      this.sink.bad(formatAvroOffset(blockPosition, 0), `avro: cannot decompress block: ${(err as Error).message}`, buffer.slice(p, end), err, {
        records: count.value,
        bytes: end - p,
      });
      return end;
    }
    const skip = blockPosition === this.start.block ? this.start.index : 0;
    const reader = this.reader;
    reader.start(data);
    for (let i = 0; i < count.value; i++) {
      const q = reader.position;
      let row: Row | undefined;
      let problem: unknown;
      try {
        row = reader.next();
      } catch (err) {
        problem = err;
      }
      if (row === undefined) {
        const why = problem instanceof Error ? problem.message : 'the block ends inside the record';
        const at = formatAvroOffset(blockPosition, i);
        const message = `avro: cannot decode record ${i} of ${count.value} in the block (the rest of the block is skipped): ${why}`;
        this.sink.bad(at, message, data.slice(q), problem, { records: Math.max(1, count.value - Math.max(i, skip)) });
        break;
      }
      if (i >= skip) this.sink.add(row, blockPosition, i, data, q, reader.position);
    }
    return end;
  }

  /** Notes that the block at the start of the pending bytes needs `bytes` (0: unknown) and returns -1. */
  private incomplete(bytes: number): number {
    this.need = bytes;
    return -1;
  }

  /**
   * Whether a block with a matching sync marker starts at `buffer[p]`: `undefined` when the
   * bytes end before that is known.
   */
  private soundBlockAt(buffer: Buffer, p: number): boolean | undefined {
    let count: { value: number; next: number } | null;
    let size: { value: number; next: number } | null;
    try {
      count = readAvroLong(buffer, p);
      size = count === null ? null : readAvroLong(buffer, count.next);
    } catch {
      return false;
    }
    if (count === null || size === null) return undefined;
    if (count.value < 0 || size.value < 0 || size.value > MAX_BLOCK_BYTES) return false;
    const end = size.next + size.value + this.header.sync.length;
    if (buffer.length < end) return undefined;
    return buffer.subarray(end - this.header.sync.length, end).equals(this.header.sync);
  }

  /**
   * A corrupt block at `p`: starts searching for the next sync marker after it. Under `fail`
   * this throws at once; otherwise the bad record is reported when the search ends, with the
   * bytes it skipped. `records` is the block header's count (at least 1).
   */
  private corrupt(buffer: Buffer, p: number, end: number, why: string, records: number): number {
    const at = this.position + p;
    const raw = buffer.slice(p, Math.min(end, buffer.length));
    if (this.context.badRecords.policy === 'fail') this.sink.bad(formatAvroOffset(at, 0), `avro: ${why}`, raw);
    this.resynchronising = true;
    this.lost = { at, why, records: Math.max(1, records), raw };
    return p + 1;
  }

  /** Reports the corrupt block the search for a sync marker started from; reading resumes at `resume`. */
  private reportLost(resume: number): void {
    const lost = this.lost;
    if (lost === null) return;
    this.lost = null;
    const bytes = resume - lost.at;
    // The count came from a header that did not check out: never claim more records than bytes.
    const records = Math.max(1, Math.min(lost.records, bytes));
    const message = `avro: ${lost.why}; ${bytes} bytes skipped to the next sync marker (at least ${records} record(s) lost)`;
    this.sink.bad(formatAvroOffset(lost.at, 0), message, lost.raw, undefined, { records, bytes });
  }
}

/** The record count of the block header at `buffer[p]`, when it reads as one. */
function declaredCount(buffer: Buffer, p: number): number | undefined {
  try {
    const count = readAvroLong(buffer, p);
    return count !== null && count.value > 0 ? count.value : undefined;
  } catch {
    return undefined;
  }
}

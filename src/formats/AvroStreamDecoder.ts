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
 * `skip`/`dead-letter` the decoder searches for the next sync marker and goes on from there.
 * A block that does not decompress is a bad record and is skipped; a record that does not
 * decode is a bad record and the rest of its block is skipped (its end is unknown).
 */
export class AvroStreamDecoder implements StreamDecoder {
  readonly startByte: number;
  private readonly sink: RowSink;
  private readonly pending = new PendingBytes();
  /** Byte position of the first pending byte: the next block's start, unless resynchronising. */
  private position: number;
  private resynchronising = false;
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
    context: DecodeContext,
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
          continue;
        }
        const end = this.block(buffer, p);
        if (end === -1) break;
        p = end;
      }
      if (final && p < buffer.length) {
        if (!this.resynchronising) {
          const at = formatAvroOffset(this.position + p, 0);
          this.sink.bad(at, 'avro: the file ends inside a block (truncated file)', buffer.slice(p));
        }
        p = buffer.length;
      }
    } finally {
      this.position += p;
      this.pending.keep(buffer.subarray(p));
    }
  }

  /** Decodes the block at `buffer[p]`; returns its end, or -1 when it is not complete yet. */
  private block(buffer: Buffer, p: number): number {
    const blockPosition = this.position + p;
    let count: { value: number; next: number } | null;
    let size: { value: number; next: number } | null;
    try {
      count = readAvroLong(buffer, p);
      size = count === null ? null : readAvroLong(buffer, count.next);
    } catch {
      return this.corrupt(buffer, p, buffer.length, 'corrupt block header');
    }
    if (count === null || size === null) return this.incomplete(0);
    if (count.value < 0 || size.value < 0 || size.value > MAX_BLOCK_BYTES) {
      return this.corrupt(buffer, p, size.next, `corrupt block header (count ${count.value}, size ${size.value})`);
    }
    const dataEnd = size.next + size.value;
    const end = dataEnd + this.header.sync.length;
    if (buffer.length < end) return this.incomplete(end - p);
    if (!buffer.subarray(dataEnd, end).equals(this.header.sync)) {
      return this.corrupt(buffer, p, end, 'sync marker mismatch: the block is corrupt');
    }
    let data: Buffer;
    try {
      data = this.decompress(buffer.subarray(size.next, dataEnd));
    } catch (err) {
      this.sink.bad(formatAvroOffset(blockPosition, 0), `avro: cannot decompress block: ${(err as Error).message}`, buffer.slice(p, end), err);
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
        this.sink.bad(at, `avro: cannot decode record ${i} of ${count.value} in the block (the rest of the block is skipped): ${why}`, data.slice(q), problem);
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

  /** Reports a corrupt block at `p` and starts searching for the next sync marker after it. */
  private corrupt(buffer: Buffer, p: number, end: number, why: string): number {
    this.resynchronising = true;
    this.sink.bad(formatAvroOffset(this.position + p, 0), `avro: ${why}`, buffer.slice(p, end));
    return p + 1;
  }
}

import type * as Avsc from 'avsc';
import { SourceError } from '../core/SourceError.js';
import type { AvroDecompress } from './avroCodec.js';
import type { AvroContainerHeader } from './AvroContainerHeader.js';
import { readAvroLong } from './AvroContainerHeader.js';
import type { DecodeContext, DecodedBatch, Row, StreamDecoder } from './Format.js';
import { RowSink } from './RowSink.js';
import { PendingBytes } from './PendingBytes.js';

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

  constructor(
    private readonly header: AvroContainerHeader,
    private readonly type: Avsc.Type,
    private readonly makeRow: (value: unknown) => Row,
    private readonly decompress: AvroDecompress,
    private readonly start: AvroPosition,
    context: DecodeContext,
  ) {
    this.startByte = start.block;
    this.position = start.block;
    this.sink = new RowSink(context);
  }

  push(bytes: Uint8Array): DecodedBatch {
    if (bytes.length > 0) {
      this.pending.add(bytes);
      this.blocks(false);
    }
    return this.sink.take(formatAvroOffset(this.position, 0));
  }

  end(): DecodedBatch {
    this.blocks(true);
    return this.sink.take(formatAvroOffset(this.position, 0));
  }

  private blocks(final: boolean): void {
    const buffer = this.pending.take();
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
    const at = (index: number): string => formatAvroOffset(blockPosition, index);
    let count: { value: number; next: number } | null;
    let size: { value: number; next: number } | null;
    try {
      count = readAvroLong(buffer, p);
      size = count === null ? null : readAvroLong(buffer, count.next);
    } catch {
      return this.corrupt(buffer, p, buffer.length, 'corrupt block header');
    }
    if (count === null || size === null) return -1;
    if (count.value < 0 || size.value < 0 || size.value > MAX_BLOCK_BYTES) {
      return this.corrupt(buffer, p, size.next, `corrupt block header (count ${count.value}, size ${size.value})`);
    }
    const dataEnd = size.next + size.value;
    const end = dataEnd + this.header.sync.length;
    if (buffer.length < end) return -1;
    if (!buffer.subarray(dataEnd, end).equals(this.header.sync)) {
      return this.corrupt(buffer, p, end, 'sync marker mismatch: the block is corrupt');
    }
    let data: Buffer;
    try {
      data = this.decompress(buffer.subarray(size.next, dataEnd));
    } catch (err) {
      this.sink.bad(at(0), `avro: cannot decompress block: ${(err as Error).message}`, buffer.slice(p, end), err);
      return end;
    }
    const skip = blockPosition === this.start.block ? this.start.index : 0;
    let q = 0;
    for (let i = 0; i < count.value; i++) {
      let decoded: { value: unknown; offset: number } | undefined;
      let problem: unknown;
      try {
        decoded = this.type.decode(data, q);
      } catch (err) {
        problem = err;
      }
      if (decoded === undefined || decoded.offset < 0) {
        const why = problem instanceof Error ? problem.message : 'the block ends inside the record';
        this.sink.bad(at(i), `avro: cannot decode record ${i} of ${count.value} in the block (the rest of the block is skipped): ${why}`, data.slice(q), problem);
        break;
      }
      if (i >= skip) this.sink.add(this.makeRow(decoded.value), at(i), data, q, decoded.offset);
      q = decoded.offset;
    }
    return end;
  }

  /** Reports a corrupt block at `p` and starts searching for the next sync marker after it. */
  private corrupt(buffer: Buffer, p: number, end: number, why: string): number {
    this.resynchronising = true;
    this.sink.bad(formatAvroOffset(this.position + p, 0), `avro: ${why}`, buffer.slice(p, end));
    return p + 1;
  }
}

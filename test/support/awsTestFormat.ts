import type { BadRecordHandler } from '../../src/core/BadRecordHandler.js';
import { BadRecordError } from '../../src/core/SourceError.js';
import type { ByteInput, DecodeContext, DecodedBatch, Format, Row, StreamDecoder } from '../../src/formats/Format.js';

/**
 * A minimal NDJSON format with byte offsets, for the S3 connector tests: its requests to the
 * `ByteInput` are fixed and known (a header read is exactly `[0, 64)`), so tests can assert the
 * exact ranged GETs a resume sends. Offsets are byte positions of line starts. With
 * `header: true` the first line is a header that the decoder reads from byte 0 even when
 * resuming, and copies into every row. The real formats (`createFormat`) are tested through S3
 * in `s3Formats.test.ts`.
 */
export function testNdjsonFormat(options: { header?: boolean } = {}): Format & { headersRead: number } {
  const format = {
    name: 'test-ndjson',
    headersRead: 0,
    decodeMessage(payload: Uint8Array): Row | null {
      return JSON.parse(Buffer.from(payload).toString('utf8')) as Row;
    },
    async openStream(input: ByteInput, offset: string | null, context: DecodeContext): Promise<StreamDecoder> {
      let start = offset === null ? 0 : Number(offset);
      let header: string | undefined;
      if (options.header === true) {
        const bytes: Buffer[] = [];
        for await (const b of input.stream(0, 64)) bytes.push(Buffer.from(b));
        const text = Buffer.concat(bytes).toString('utf8');
        const newline = text.indexOf('\n');
        if (newline < 0) throw new Error('header line longer than 64 bytes');
        header = text.slice(0, newline);
        format.headersRead++;
        if (offset === null) start = Buffer.byteLength(header) + 1;
      }
      return new LineDecoder(start, context, header);
    },
  };
  return format;
}

class LineDecoder implements StreamDecoder {
  private pending = Buffer.alloc(0);
  private position: number;
  constructor(
    readonly startByte: number,
    private readonly context: DecodeContext,
    private readonly header: string | undefined,
  ) {
    this.position = startByte;
  }

  push(bytes: Uint8Array): DecodedBatch {
    this.pending = this.pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.pending, bytes]);
    return this.decode(false);
  }

  end(): DecodedBatch {
    return this.decode(true);
  }

  private decode(atEnd: boolean): DecodedBatch {
    const rows: Row[] = [];
    const first = this.position;
    let cursor = 0;
    for (;;) {
      let newline = this.pending.indexOf(10, cursor);
      if (newline < 0) {
        if (!atEnd || cursor >= this.pending.length) break;
        newline = this.pending.length;
      }
      const line = this.pending.subarray(cursor, newline).toString('utf8');
      const offset = this.position;
      this.position += newline - cursor + (newline < this.pending.length ? 1 : 0);
      cursor = newline + 1;
      if (line.trim() === '') continue;
      try {
        const row = JSON.parse(line) as Row;
        if (this.header !== undefined) row.header = this.header;
        rows.push(this.context.convert ? this.context.convert(row) : row);
      } catch (err) {
        handle(this.context.badRecords, new BadRecordError(`bad JSON line: ${(err as Error).message}`, { source: this.context.source, split: this.context.splitId, offset: String(offset) }), Buffer.from(line));
      }
    }
    this.pending = cursor >= this.pending.length ? Buffer.alloc(0) : this.pending.subarray(cursor);
    return { rows, offset: String(first), nextOffset: String(this.position) };
  }
}

function handle(badRecords: BadRecordHandler, error: BadRecordError, raw: Uint8Array): void {
  badRecords.handle(error, raw);
}

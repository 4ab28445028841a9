import { readFileSync } from 'node:fs';
import type * as Avsc from 'avsc';
import { SourceError } from '../core/SourceError.js';
import { avroDecompressor } from './avroCodec.js';
import { NotAvroError, parseAvroContainerHeader } from './AvroContainerHeader.js';
import type { AvroContainerHeader } from './AvroContainerHeader.js';
import { avroFingerprint64 } from './avroFingerprint.js';
import { applyConversions, avroLogicalConversions, type AvroSchemaJson, type LogicalConversion } from './avroLogicalTypes.js';
import { avroRowMaker, avroRowReader, avroType, loadAvsc, requireAvsc, type AvroRowReader } from './avroRuntime.js';
import { AvroStreamDecoder, parseAvroOffset } from './AvroStreamDecoder.js';
import type { ByteInput, DecodeContext, Format, Row, StreamDecoder } from './Format.js';
import { asBuffer } from './asBuffer.js';

/** Options of the Avro format. */
export interface AvroFormatOptions {
  /**
   * The writer schema as JSON text, for `decodeMessage`. Container files always use the schema
   * in their own header (schema resolution against a reader schema is not supported yet).
   */
  readonly schema?: string;
  /** A file holding the writer schema (`.avsc`), instead of `schema`; read once, when the format is created. */
  readonly schemaFile?: string;
}

/**
 * The Avro format (needs the optional peer dependency `avsc`).
 *
 * Files are Avro object container files, read block by block with their embedded writer
 * schema; codecs `null`, `deflate`, `snappy` (with its CRC32 check; needs `snappyjs`) and
 * `zstandard` (needs `fzstd`). Offsets are `"<block byte position>:<record index>"`; resuming
 * first reads the header (schema, codec, sync marker) from byte 0.
 *
 * `decodeMessage` decodes one message with the writer schema given as `schema` or `schemaFile`:
 * either Avro's single-object encoding (`C3 01`, the schema's 8-byte CRC-64-AVRO fingerprint,
 * then the datum; a fingerprint of another schema is an error) or the bare binary datum.
 *
 * `long` values decode as `bigint` (exact beyond 2^53); see {@link avroType} for the others.
 * Records decode as plain objects. Logical types of the top-level record's fields become what
 * the SQL types read (see {@link avroLogicalConversions}): `decimal` as exact decimal text,
 * timestamps as UTC text with their micros, `date` as `YYYY-MM-DD`.
 *
 * @example
 * const format = avroFormat({ schemaFile: 'schemas/order.avsc' });
 */
export function avroFormat(options: AvroFormatOptions = {}): Format {
  if (options.schema !== undefined && options.schemaFile !== undefined) {
    throw new Error("avro options 'schema' and 'schema.file' exclude each other: give one");
  }
  const writerSchema = readWriterSchema(options);
  let messages: MessageDecoder | undefined;
  return {
    name: 'avro',
    tailable: false,
    decodeMessage(payload: Uint8Array): Row | null {
      if (writerSchema === undefined) {
        throw new Error("avro: decoding messages needs the writer schema: set the option 'schema' or 'schema.file'");
      }
      messages ??= messageDecoder(writerSchema);
      if (payload.length === 0) return null;
      return messages(asBuffer(payload));
    },
    async openStream(input: ByteInput, offset: string | null, context: DecodeContext): Promise<StreamDecoder> {
      const start = offset === null ? null : parseAvroOffset(offset, context);
      const avsc = await loadAvsc();
      const header = await readHeader(input, context);
      const where = { source: context.source, split: context.splitId };
      const schemaText = header.metadata.get('avro.schema');
      if (schemaText === undefined) throw new SourceError('avro: the file header has no avro.schema', where);
      let type: Avsc.Type;
      try {
        type = avroType(avsc, JSON.parse(schemaText.toString('utf8')) as Avsc.Schema);
      } catch (err) {
        throw new SourceError(`avro: invalid schema in the file header: ${(err as Error).message}`, where, { cause: err });
      }
      const codec = header.metadata.get('avro.codec')?.toString('utf8') || 'null';
      let decompress;
      try {
        decompress = await avroDecompressor(codec);
      } catch (err) {
        throw new SourceError((err as Error).message, where, { cause: err });
      }
      if (start !== null && start.block < header.end) {
        throw new SourceError(`avro: offset ${offset} is inside the file header (which ends at byte ${header.end})`, where);
      }
      const conversions = avroLogicalConversions(JSON.parse(schemaText.toString('utf8')) as AvroSchemaJson);
      const rows = conversions === undefined ? avroRowReader(type) : convertingReader(avroRowReader(type), conversions);
      return new AvroStreamDecoder(header, rows, decompress, start ?? { block: header.end, index: 0 }, context);
    },
  };
}

type MessageDecoder = (payload: Buffer) => Row;

/** `reader` with Avro's logical types converted in each row it reads (see {@link avroLogicalConversions}). */
function convertingReader(reader: AvroRowReader, conversions: Map<string, LogicalConversion>): AvroRowReader {
  return {
    start: (data, from) => reader.start(data, from),
    next: () => {
      const row = reader.next();
      return row === undefined ? undefined : applyConversions(row, conversions);
    },
    get position() {
      return reader.position;
    },
  };
}

function messageDecoder(schema: Avsc.Schema): MessageDecoder {
  const avsc = requireAvsc();
  const type = avroType(avsc, schema);
  const conversions = avroLogicalConversions(schema as AvroSchemaJson);
  const plainRow = avroRowMaker(type);
  const makeRow = conversions === undefined ? plainRow : (value: unknown) => applyConversions(plainRow(value), conversions);
  const fingerprint = Buffer.alloc(8);
  fingerprint.writeBigUInt64LE(avroFingerprint64(JSON.stringify(type.schema())));
  return (payload) => {
    const singleObject = payload.length >= 10 && payload[0] === 0xc3 && payload[1] === 0x01;
    if (singleObject && payload.subarray(2, 10).equals(fingerprint)) return makeRow(type.fromBuffer(payload.subarray(10)));
    try {
      return makeRow(type.fromBuffer(payload));
    } catch (err) {
      if (singleObject) {
        throw new Error(
          `avro: the message is in single-object encoding with schema fingerprint ${payload.subarray(2, 10).toString('hex')}, ` +
            `but the writer schema's is ${fingerprint.toString('hex')}`,
          { cause: err },
        );
      }
      throw err;
    }
  };
}

/** The writer schema of `options` (`schema` or `schemaFile`), parsed; `undefined` when neither is given. Throws naming the option or file. */
export function readAvroWriterSchema(options: AvroFormatOptions): Avsc.Schema | undefined {
  if (options.schema !== undefined && options.schemaFile !== undefined) {
    throw new Error("avro options 'schema' and 'schema.file' exclude each other: give one");
  }
  return readWriterSchema(options);
}

function readWriterSchema(options: AvroFormatOptions): Avsc.Schema | undefined {
  let text = options.schema;
  let what = "avro option 'schema'";
  if (options.schemaFile !== undefined) {
    what = `avro schema file ${options.schemaFile}`;
    try {
      text = readFileSync(options.schemaFile, 'utf8');
    } catch (err) {
      throw new Error(`cannot read the ${what}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Avsc.Schema;
  } catch (err) {
    throw new Error(`the ${what} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads the container header from byte 0 (bounded: a header is a few KB). */
async function readHeader(input: ByteInput, context: DecodeContext): Promise<AvroContainerHeader> {
  const where = { source: context.source, split: context.splitId, offset: '0' };
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of input.stream(0)) {
      chunks.push(Buffer.from(chunk));
      const header = parseAvroContainerHeader(Buffer.concat(chunks));
      if (header !== null) return header;
    }
  } catch (err) {
    if (err instanceof NotAvroError) throw new SourceError(`avro: ${err.message}`, where, { cause: err });
    throw err;
  }
  throw new SourceError('avro: the file ends inside the container header (truncated or empty file)', where);
}

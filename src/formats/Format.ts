import type { BadRecordHandler } from '../core/BadRecordHandler.js';

/** A decoded record: column name to value. */
export type Row = Record<string, unknown>;

/**
 * Checks and converts a decoded row (the SQL layer passes one built from a declared schema).
 * Throws a plain `Error` whose message names the column when the row violates the schema; the
 * format turns that into a bad record at the row's exact offset.
 */
export type RowConverter = (row: Row) => Row;

/** What a format is handed to decode one split. */
export interface DecodeContext {
  /** Source name, for errors. */
  readonly source: string;
  /** Split id (file path, object key, partition), for errors. */
  readonly splitId: string;
  /** Applies the source's bad-record policy; throws under `fail`. */
  readonly badRecords: BadRecordHandler;
  /** Applied to every decoded row; its errors are bad records too. */
  readonly convert?: RowConverter;
}

/**
 * Random access to the bytes of one file or object. `stream(start)` yields the bytes from
 * `start` to the current end; for a growing file, a later call picks up what was appended.
 */
export interface ByteInput {
  /** Reads `[start, end)`, or to the current end when `end` is omitted. */
  stream(start: number, end?: number): AsyncIterable<Uint8Array>;
  /** The current size in bytes, when known. */
  size(): Promise<number | undefined>;
}

/** Rows decoded from some bytes, with the positions a checkpoint needs. */
export interface DecodedBatch {
  readonly rows: Row[];
  /** Position of the first row of the batch (meaningful only when `rows` is not empty). */
  readonly offset: string;
  /** Position after the last row decoded so far: where a restart resumes. */
  readonly nextOffset: string;
}

/**
 * An incremental decoder for one split. Bytes arrive in order starting at `startByte`; each
 * `push` returns the rows completed by those bytes. Malformed records go to
 * `context.badRecords` with their exact offset.
 */
export interface StreamDecoder {
  /** The byte position the caller must start streaming from. */
  readonly startByte: number;
  push(bytes: Uint8Array): DecodedBatch;
  /** The input is exhausted (bounded read): flush what is left, e.g. a last line without a newline. */
  end(): DecodedBatch;
}

/**
 * A data format: JSON, CSV, Avro, Debezium. A format can decode single message payloads (Kafka
 * values, Kinesis records) and/or byte streams (files, objects) with resumable offsets.
 *
 * `offset` strings are the format's own: a byte offset for line formats, a block position and
 * record index for Avro container files. A stream decoder opened at an offset it produced must
 * yield exactly the records from that position on.
 */
export interface Format {
  readonly name: string;
  /** Decodes one payload into a row, or `null` when the payload carries no row (a tombstone). Throws on malformed input. */
  decodeMessage?(payload: Uint8Array): Row | null;
  /**
   * Decodes one message into its rows, when a message can hold several (a JSON array, a Canal
   * event) or needs its key (an upsert, whose empty value deletes the key): `payload` is `null`
   * for a tombstone (a Kafka record without a value), `key` is the message key (`null` when
   * none). Change-data formats attach each row's operation (`OP`, src/core/Changelog.ts).
   * Throws on malformed input: the whole message is then one bad record. Connectors prefer it
   * to {@link decodeMessage} when present (see `messageRowsDecoder`).
   */
  decodeMessages?(payload: Uint8Array | null, key: Uint8Array | null): Row[];
  /**
   * Fetches what decoding these payloads needs and does not have yet (writer schemas by the id
   * in each message, from a schema registry), before the connector decodes them in order.
   * Returns `undefined` when everything is at hand, so the common path stays synchronous; a
   * promise otherwise, which rejects when the fetching failed (the registry is down: the
   * connector fails with the split and position). A payload whose schema does not exist is not
   * a rejection: decoding that message throws, and it is one bad record.
   */
  prefetch?(payloads: readonly (Uint8Array | null)[]): Promise<void> | undefined;
  /** Opens a resumable decoder over a byte stream. */
  openStream?(input: ByteInput, offset: string | null, context: DecodeContext): Promise<StreamDecoder>;
  /** True when appended bytes can be decoded after the end was reached (line formats). */
  readonly tailable?: boolean;
}

import type { KafkaMessage } from 'kafkajs';
import type { BadRecordHandler } from '../../core/BadRecordHandler.js';
import { BadRecordError } from '../../core/SourceError.js';
import type { SourceMessage } from '../../core/SourceMessage.js';
import type { Format, Row, RowConverter } from '../../formats/Format.js';
import { convertChangeRow, messageRowsDecoder } from '../../formats/messageRowsDecoder.js';
import type { KafkaSourceConfig } from './KafkaSourceConfig.js';
import type { KafkaSplit } from './KafkaSplit.js';

/**
 * Turns the kafkajs messages of one fetch into the records a chunk carries. `prefetch`, when
 * the format has one, fetches what decoding the messages needs first (writer schemas from a
 * schema registry): `undefined` when nothing is missing, so decoding stays synchronous.
 */
export type KafkaRecordDecoder<T> = ((messages: readonly KafkaMessage[], split: KafkaSplit, badRecords: BadRecordHandler) => T[]) & {
  readonly prefetch?: (messages: readonly KafkaMessage[]) => Promise<void> | undefined;
};

/**
 * Raw mode: each message as a {@link SourceMessage}. Repeated header keys keep their last value
 * (use a format with the `headers` metadata column to see them all).
 */
export function messageDecoder(): KafkaRecordDecoder<SourceMessage> {
  return (messages, split) =>
    messages.map((m) => {
      const headers: Record<string, Uint8Array | string | undefined> = {};
      for (const [key, value] of Object.entries(m.headers ?? {})) headers[key] = Array.isArray(value) ? value[value.length - 1] : value;
      return {
        splitId: split.id,
        offset: m.offset,
        key: m.key ?? null,
        payload: m.value ?? null,
        timestamp: Number(m.timestamp),
        headers,
      };
    });
}

/**
 * Row mode: the value (and key) go through the format (JSON, CSV, Avro, Debezium ...), which
 * gives the message's rows (none for most tombstones, several for a JSON array or a Canal
 * event), then each row goes through the schema check and gets the requested metadata columns.
 * A message that fails to decode, or one of whose rows fails to convert, is one bad record,
 * reported with its partition and offset, and gives no row.
 */
export function rowDecoder(config: KafkaSourceConfig, format: Format, convert?: RowConverter): KafkaRecordDecoder<Row> {
  const decode = messageRowsDecoder(format);
  if (decode === undefined) {
    throw new TypeError(`Kafka source '${config.source}': format '${format.name}' cannot decode single messages`);
  }
  const { include, includeEncoding, source } = config;
  const text = new TextDecoder();
  const bytes = (value: Buffer | string | null | undefined, encoding: 'utf8' | 'bytes' = includeEncoding): string | Uint8Array | null => {
    if (value === null || value === undefined) return null;
    if (encoding === 'bytes') return typeof value === 'string' ? Buffer.from(value) : new Uint8Array(value);
    return typeof value === 'string' ? value : text.decode(value);
  };
  const prefetch = format.prefetch?.bind(format);
  const decodeRows = (messages: readonly KafkaMessage[], split: KafkaSplit, badRecords: BadRecordHandler): Row[] => {
    const rows: Row[] = [];
    for (const message of messages) {
      const value = message.value ?? null;
      const bad = (what: string, err: unknown): void => {
        const reason = err instanceof Error ? err.message : String(err);
        badRecords.handle(new BadRecordError(`${what}: ${reason}`, { source, split: split.id, offset: message.offset }, { cause: err }), value ?? new Uint8Array(0));
      };
      let decoded: Row[];
      try {
        decoded = decode(value, message.key ?? null);
      } catch (err) {
        bad(`cannot decode the value as ${format.name}`, err);
        continue;
      }
      if (decoded.length === 0) continue;
      if (convert !== undefined) {
        try {
          decoded = decoded.map((row) => convertChangeRow(convert, row));
        } catch (err) {
          bad('the value does not fit the schema', err);
          continue;
        }
      }
      for (const row of decoded) {
        for (const { field, column, header, encoding, timestampAs } of include) {
          switch (field) {
            case 'key':
              row[column] = bytes(message.key, encoding);
              break;
            case 'partition':
              row[column] = split.partition;
              break;
            case 'offset':
              row[column] = message.offset;
              break;
            case 'timestamp':
              row[column] = timestampAs === 'date' ? new Date(Number(message.timestamp)) : Number(message.timestamp);
              break;
            case 'headers': {
              if (header !== undefined) {
                const value = message.headers?.[header];
                row[column] = bytes(Array.isArray(value) ? value[value.length - 1] : value, encoding);
                break;
              }
              const headers: { key: string; value: string | Uint8Array | null }[] = [];
              for (const [key, value] of Object.entries(message.headers ?? {})) {
                for (const v of Array.isArray(value) ? value : [value]) headers.push({ key, value: bytes(v) });
              }
              row[column] = headers;
              break;
            }
          }
        }
        rows.push(row);
      }
    }
    return rows;
  };
  if (prefetch === undefined) return decodeRows;
  return Object.assign(decodeRows, { prefetch: (messages: readonly KafkaMessage[]) => prefetch(messages.map((m) => m.value ?? null)) });
}

import type * as Avsc from 'avsc';
import { applyConversions, avroLogicalConversions, type AvroSchemaJson, type LogicalConversion } from './avroLogicalTypes.js';
import { avroRowMaker, avroRowReader, avroType, requireAvsc, type AvroRowReader } from './avroRuntime.js';
import { asBuffer } from './asBuffer.js';
import { confluentSchemaId } from './confluentWireFormat.js';
import type { Format, Row } from './Format.js';
import { SchemaNotFoundError, SchemaRegistryClient, type SchemaRegistryOptions } from './SchemaRegistryClient.js';

/** Options of {@link registryAvroFormat}. */
export interface RegistryAvroFormatOptions {
  /** The registry (its Confluent API's base URL and credentials), or a client to share. */
  readonly registry: SchemaRegistryOptions | SchemaRegistryClient;
  /**
   * The subject whose latest version is the reader schema (`<topic>-value` under Confluent's
   * default TopicNameStrategy): fields a writer schema lacks get their defaults, fields it added
   * later are dropped, so every row has the same columns. Without it each message is read with
   * its own writer schema.
   */
  readonly subject?: string;
  /**
   * The reader schema by id instead of the subject's latest version: the version a source's
   * columns were derived from at CREATE (`schema.registry.reader.id`), so its rows keep those
   * columns whatever versions are registered later.
   */
  readonly readerSchemaId?: number;
}

/** How messages of one writer schema id are read. */
interface WriterReader {
  /** Decodes the datum of `message`, which starts after its 5-byte header. */
  readonly decode: (message: Buffer) => Row;
  /** The schema rows come out in: the reader schema, else the writer's (one object per schema, for caches keyed by it). */
  readonly schema: AvroSchemaJson;
}

/** {@link registryAvroFormat}'s format, with what formats built on it (debezium_avro) need. */
export interface RegistryAvroFormat extends Format {
  readonly registry: SchemaRegistryClient;
  /** Decodes one message (after its prefetch) and says in which schema its row is; throws like `decodeMessage`. */
  decodeRecord(payload: Uint8Array): { readonly row: Row; readonly schema: AvroSchemaJson };
}

/**
 * Avro in the Confluent Schema Registry wire format (`FORMAT PLAIN ENCODE AVRO (schema.registry =
 * 'http://...')`; needs the optional peer dependency `avsc`): byte 0, the writer schema's id in
 * 4 bytes, then the datum. Writer schemas are fetched by id from the registry (each once, see
 * {@link SchemaRegistryClient}) in {@link Format.prefetch}, which connectors call before
 * decoding a batch. With a `subject`, its latest version (fetched once, first) is the reader
 * schema: messages written with older or newer versions are resolved to it by Avro's rules
 * (a field added with a default reads as that default from older messages).
 *
 * Logical types become what the SQL types read ({@link avroLogicalConversions}): `decimal` as
 * exact decimal text, timestamps as UTC text with their micros, `date` as `YYYY-MM-DD`; `long`s
 * are exact `bigint`s.
 *
 * A message not in the wire format, or naming a schema id the registry does not have, fails to
 * decode (a bad record at its offset); a registry that does not answer rejects the prefetch.
 *
 * @example
 * const format = registryAvroFormat({ registry: { url: 'http://127.0.0.1:18081/apis/ccompat/v7' }, subject: 'orders-value' });
 * await format.prefetch?.([value]);
 * format.decodeMessage?.(value); // { id: 1n, price: '12.34', ... }
 */
export function registryAvroFormat(options: RegistryAvroFormatOptions): RegistryAvroFormat {
  const registry = options.registry instanceof SchemaRegistryClient ? options.registry : new SchemaRegistryClient(options.registry);
  const avsc = requireAvsc();
  const readers = new Map<number, WriterReader | Error>();
  let reader: ReaderSchema | undefined;
  /** Settles once the subject's latest version is known (or known not to exist). */
  let latest: Promise<void> | undefined;
  let latestDone = options.subject === undefined && options.readerSchemaId === undefined;

  const readerFor = (id: number): WriterReader | Error => {
    let found = readers.get(id);
    if (found !== undefined) return found;
    const cached = registry.cached(id);
    if (cached === undefined) {
      return new Error(`schema id ${id} has not been fetched from the schema registry ${registry.shownUrl} (the connector did not prefetch it)`);
    }
    if (cached instanceof SchemaNotFoundError) found = cached;
    else if (cached.type !== 'AVRO') found = new Error(`schema id ${id} is a ${cached.type} schema, not Avro`);
    else {
      try {
        found = writerReader(avsc, JSON.parse(cached.schema) as AvroSchemaJson, reader);
      } catch (err) {
        found = new Error(
          `schema id ${id} cannot be read${reader === undefined ? '' : options.readerSchemaId === undefined ? ` as the subject's latest version` : ` as schema id ${options.readerSchemaId}, the version the columns were derived from`}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    readers.set(id, found);
    return found;
  };

  return {
    name: 'avro',
    tailable: false,
    registry,
    prefetch(payloads) {
      if (latestDone) return registry.fetchMissing(payloads);
      return (async () => {
        if (!latestDone) {
          latest ??= (
            options.readerSchemaId === undefined
              ? registry.latest(options.subject!).then((v) => ({ ...v, what: `the latest version of subject ${v.subject}` }))
              : registry.schemaById(options.readerSchemaId).then((v) => ({ ...v, what: `the reader schema id ${v.id}` }))
          ).then(
            (version) => {
              if (version.type !== 'AVRO') throw new Error(`${version.what} is a ${version.type} schema, not Avro`);
              const schema = JSON.parse(version.schema) as AvroSchemaJson;
              const type = avroType(avsc, schema as Avsc.Schema);
              reader = { json: schema, type, canonical: JSON.stringify(type.schema()), conversions: avroLogicalConversions(schema) };
              latestDone = true;
            },
            (err: unknown) => {
              latest = undefined;
              // No such subject: messages are read with their own writer schemas. A pinned reader
              // schema that is gone is an error: rows would lose the columns derived from it.
              if (err instanceof SchemaNotFoundError && options.readerSchemaId === undefined) latestDone = true;
              else throw err;
            },
          );
          await latest;
        }
        await registry.fetchMissing(payloads);
      })();
    },
    decodeMessage(payload: Uint8Array): Row | null {
      if (payload.length === 0) return null;
      const found = readerFor(confluentSchemaId(payload));
      if (found instanceof Error) throw found;
      return found.decode(asBuffer(payload));
    },
    decodeRecord(payload: Uint8Array) {
      const found = readerFor(confluentSchemaId(payload));
      if (found instanceof Error) throw found;
      return { row: found.decode(asBuffer(payload)), schema: found.schema };
    },
  };
}

interface ReaderSchema {
  readonly json: AvroSchemaJson;
  readonly type: Avsc.Type;
  readonly canonical: string;
  readonly conversions: Map<string, LogicalConversion> | undefined;
}

/**
 * The reader of one writer schema: avsc's tap reader over the writer type when there is no
 * reader schema or it is the same schema (the fast path), else avsc's resolver to the reader.
 */
function writerReader(avsc: typeof Avsc, schema: AvroSchemaJson, reader: ReaderSchema | undefined): WriterReader {
  const writer = avroType(avsc, schema as Avsc.Schema);
  if (reader === undefined || JSON.stringify(writer.schema()) === reader.canonical) {
    const conversions = reader?.conversions ?? avroLogicalConversions(schema);
    const rows: AvroRowReader = avroRowReader(writer);
    return {
      schema: reader?.json ?? schema,
      decode: (message) => {
        rows.start(message, 5);
        const row = rows.next();
        if (row === undefined) throw new Error(`the Avro datum ends early (${message.length - 5} bytes)`);
        if (rows.position !== message.length) throw new Error(`${message.length - rows.position} bytes after the Avro datum`);
        return conversions === undefined ? row : applyConversions(row, conversions);
      },
    };
  }
  const resolver = reader.type.createResolver(writer);
  const makeRow = avroRowMaker(reader.type);
  const conversions = reader.conversions;
  return {
    schema: reader.json,
    decode: (message) => {
      const row = makeRow(reader.type.fromBuffer(message.subarray(5), resolver));
      return conversions === undefined ? row : applyConversions(row, conversions);
    },
  };
}

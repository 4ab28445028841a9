import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';
import { asBuffer } from './asBuffer.js';
import { confluentSchemaId } from './confluentWireFormat.js';
import type { Format, Row } from './Format.js';
import { SchemaNotFoundError, SchemaRegistryClient, type SchemaRegistryOptions } from './SchemaRegistryClient.js';

/** Options of {@link protobufFormat}. */
export interface ProtobufFormatOptions {
  /**
   * The message type, fully qualified (`shop.Order`). Needed with `schemaFile`; with `registry`
   * the message indexes in each message say which type it is, and `message`, when given, must
   * agree.
   */
  readonly message?: string;
  /**
   * The schema: a `FileDescriptorSet` (`protoc --include_imports --descriptor_set_out=x.pb`, as
   * RisingWave's `schema.location` takes) or a `.proto` file (by its extension). Read once, when
   * the format is made.
   */
  readonly schemaFile?: string;
  /** A schema registry instead: messages in the Confluent wire format, schemas (`.proto` text) by id. */
  readonly registry?: SchemaRegistryOptions | SchemaRegistryClient;
}

type ProtobufModule = typeof Protobuf;

/** Loaded synchronously on first use (decodeMessage is synchronous; protobufjs is CommonJS). */
function requireProtobuf(): ProtobufModule {
  try {
    const require = createRequire(import.meta.url);
    const protobuf = require('protobufjs') as ProtobufModule;
    // Adds Root.fromDescriptor (FileDescriptorSet input).
    require('protobufjs/ext/descriptor');
    return protobuf;
  } catch (err) {
    throw new Error("the protobuf format needs the optional peer dependency 'protobufjs': npm install protobufjs", { cause: err });
  }
}

/**
 * How decoded messages become rows: 64-bit integers as exact `bigint`s, enums as their names,
 * bytes as `Buffer`s, unset fields as their proto3 defaults (as RisingWave reads them).
 */
const CONVERSION: Protobuf.IConversionOptions = { longs: BigInt, enums: String, defaults: true, arrays: true, objects: true };

/**
 * The Protobuf format (`FORMAT PLAIN ENCODE PROTOBUF (message = 'shop.Order', schema.location =
 * 'file:///schemas/shop.pb')`; needs the optional peer dependency `protobufjs`).
 *
 * With `schemaFile` each message value is one encoded `message`. With `registry` values are in
 * the Confluent wire format (byte 0, the schema id, the message indexes, the message), as
 * Confluent's KafkaProtobufSerializer writes them; the `.proto` schemas are fetched by id (each
 * once) in {@link Format.prefetch}.
 *
 * Rows are the message's fields: 64-bit integers as `bigint`s, enums as names, bytes as
 * `Buffer`s, nested messages as objects, a `google.protobuf.Timestamp` field as UTC text
 * (`YYYY-MM-DD HH:MM:SS.ffffff`), unset fields as their defaults.
 *
 * @example
 * const format = protobufFormat({ message: 'shop.Order', schemaFile: 'schemas/shop.pb' });
 * format.decodeMessage?.(value); // { id: 7n, status: 'PAID', ... }
 */
export function protobufFormat(options: ProtobufFormatOptions): Format {
  const protobuf = requireProtobuf();
  if (options.registry !== undefined) {
    if (options.schemaFile !== undefined) throw new Error("protobuf options 'schema.registry' and 'schema.location' exclude each other: the registry gives the schemas");
    return registryProtobuf(protobuf, options.registry, options.message);
  }
  if (options.schemaFile === undefined) throw new Error("protobuf needs the schema: set 'schema.location' (a FileDescriptorSet or a .proto file) or 'schema.registry'");
  if (options.message === undefined) throw new Error("protobuf needs the message type: set 'message' (fully qualified, e.g. shop.Order)");
  const root = readRoot(protobuf, options.schemaFile);
  let type: Protobuf.Type;
  try {
    type = root.lookupType(options.message);
  } catch (err) {
    throw new Error(`protobuf: ${options.schemaFile} has no message ${options.message}: ${(err as Error).message}`, { cause: err });
  }
  const toRow = rowMaker(type);
  return {
    name: 'protobuf',
    tailable: false,
    decodeMessage(payload: Uint8Array): Row | null {
      if (payload.length === 0) return null;
      return toRow(type.decode(payload));
    },
  };
}

/**
 * The message type a protobuf source reads, for deriving its columns: `message` in the schema file
 * (a FileDescriptorSet or a `.proto` file), or in a registry's `.proto` text (`message`, else the
 * file's first message, the one a wire-format message with the index `[0]` names).
 *
 * @example
 * protobufMessageType({ schemaFile: 'schemas/shop.pb' }, 'shop.Order').fieldsArray.map((f) => f.name); // ['id', ...]
 */
export function protobufMessageType(schema: { readonly schemaFile: string } | { readonly schemaText: string }, message: string | undefined): Protobuf.Type {
  const protobuf = requireProtobuf();
  const root = 'schemaFile' in schema ? readRoot(protobuf, schema.schemaFile) : parseProto(protobuf, schema.schemaText);
  if (message === undefined) {
    const first = topLevelTypes(root)[0];
    if (first === undefined || 'schemaFile' in schema) throw new Error("protobuf needs the message type: set 'message' (fully qualified, e.g. shop.Order)");
    return first;
  }
  try {
    return root.lookupType(message);
  } catch (err) {
    throw new Error(`protobuf: the schema has no message ${message}: ${(err as Error).message}`, { cause: err });
  }
}

function readRoot(protobuf: ProtobufModule, file: string): Protobuf.Root {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read the protobuf schema ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    if (file.endsWith('.proto')) return parseProto(protobuf, bytes.toString('utf8'));
    return (protobuf.Root as unknown as { fromDescriptor(b: Uint8Array, o?: { keepCase?: boolean }): Protobuf.Root }).fromDescriptor(bytes, { keepCase: true });
  } catch (err) {
    throw new Error(`the protobuf schema ${file} is not a ${file.endsWith('.proto') ? '.proto file' : 'FileDescriptorSet'}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * A `.proto` file's types, with the well-known types it imports (`google/protobuf/timestamp.proto`
 * ...) from protobufjs's own copies: `parse` records imports without loading them, and a
 * registry serves a schema without its well-known imports.
 */
function parseProto(protobuf: ProtobufModule, text: string): Protobuf.Root {
  const parsed = protobuf.parse(text, { keepCase: true });
  const common = protobuf.common as unknown as { get(file: string): { nested?: Record<string, unknown> } | null };
  for (const file of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
    const json = common.get(file);
    if (json?.nested !== undefined) parsed.root.addJSON(json.nested as Protobuf.INamespace['nested'] & object);
  }
  parsed.root.resolveAll();
  return parsed.root;
}

/** A decoded message as a row: see {@link CONVERSION}; Timestamp fields as text. */
function rowMaker(type: Protobuf.Type): (message: Protobuf.Message) => Row {
  const timestamps = type.fieldsArray.filter((f) => !f.repeated && f.resolve().resolvedType?.fullName === '.google.protobuf.Timestamp').map((f) => f.name);
  return (message) => {
    const row = type.toObject(message, CONVERSION) as Row;
    for (const name of timestamps) {
      const v = row[name] as { seconds?: bigint; nanos?: number } | null | undefined;
      row[name] = v === null || v === undefined ? null : timestampText(BigInt(v.seconds ?? 0n), v.nanos ?? 0);
    }
    return row;
  };
}

function timestampText(seconds: bigint, nanos: number): string {
  const iso = new Date(Number(seconds) * 1000).toISOString();
  const micros = String(Math.floor(nanos / 1000)).padStart(6, '0').replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${micros === '' ? '' : `.${micros}`}`;
}

/** Protobuf in the Confluent wire format, `.proto` schemas from the registry. */
function registryProtobuf(protobuf: ProtobufModule, registryOptions: SchemaRegistryOptions | SchemaRegistryClient, message: string | undefined): Format {
  const registry = registryOptions instanceof SchemaRegistryClient ? registryOptions : new SchemaRegistryClient(registryOptions);
  const roots = new Map<number, Protobuf.Root | Error>();
  const readers = new Map<string, { type: Protobuf.Type; toRow: (m: Protobuf.Message) => Row }>();
  const rootOf = (id: number): Protobuf.Root => {
    let root = roots.get(id);
    if (root === undefined) {
      const cached = registry.cached(id);
      if (cached === undefined) throw new Error(`schema id ${id} has not been fetched from the schema registry ${registry.shownUrl} (the connector did not prefetch it)`);
      if (cached instanceof SchemaNotFoundError) root = cached;
      else if (cached.type !== 'PROTOBUF') root = new Error(`schema id ${id} is a ${cached.type} schema, not Protobuf`);
      else {
        try {
          root = parseProto(protobuf, cached.schema);
        } catch (err) {
          root = new Error(`schema id ${id} is not a .proto schema protobufjs reads: ${(err as Error).message}`, { cause: err });
        }
      }
      roots.set(id, root);
    }
    if (root instanceof Error) throw root;
    return root;
  };
  return {
    name: 'protobuf',
    tailable: false,
    prefetch: (payloads) => registry.fetchMissing(payloads),
    decodeMessage(payload: Uint8Array): Row | null {
      if (payload.length === 0) return null;
      const id = confluentSchemaId(payload);
      const root = rootOf(id);
      const buf = asBuffer(payload);
      const { indexes, end } = messageIndexes(buf, 5);
      const key = `${id}:${indexes.join('.')}`;
      let reader = readers.get(key);
      if (reader === undefined) {
        const type = typeAt(root, indexes, id);
        if (message !== undefined && type.fullName.replace(/^\./, '') !== message.replace(/^\./, '')) {
          throw new Error(`the message is a ${type.fullName.replace(/^\./, '')} (schema id ${id}), not the declared ${message}`);
        }
        reader = { type, toRow: rowMaker(type) };
        readers.set(key, reader);
      }
      return reader.toRow(reader.type.decode(buf.subarray(end)));
    },
  };
}

/**
 * Confluent's message indexes after the schema id: a zig-zag varint count, then that many
 * zig-zag varint indexes (the path of the message type among the file's messages and their
 * nested ones); a count of 0 means the first message, `[0]`.
 */
function messageIndexes(buf: Buffer, from: number): { indexes: number[]; end: number } {
  let pos = from;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw new Error('the message ends inside its message indexes');
      const b = buf[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 35) throw new Error('a message index is not a valid varint');
    }
    return result % 2 === 1 ? -(result + 1) / 2 : result / 2;
  };
  const count = varint();
  if (count < 0 || count > 100) throw new Error(`invalid message index count ${count}`);
  if (count === 0) return { indexes: [0], end: pos };
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) indexes.push(varint());
  return { indexes, end: pos };
}

/** The message type at `indexes`: among the file's top-level messages, then their nested ones. */
function typeAt(root: Protobuf.Root, indexes: readonly number[], id: number): Protobuf.Type {
  let level = topLevelTypes(root);
  let type: Protobuf.Type | undefined;
  for (const i of indexes) {
    type = level[i];
    if (type === undefined) throw new Error(`schema id ${id} has no message at index path ${indexes.join('.')}`);
    level = type.nestedArray.filter((n): n is Protobuf.Type => 'fieldsArray' in n);
  }
  return type!;
}

/** The messages a .proto file declares at its top level, in order (inside its package's namespace). */
function topLevelTypes(root: Protobuf.Root): Protobuf.Type[] {
  let ns: Protobuf.NamespaceBase = root;
  // `package a.b;` nests everything in namespaces a and b; google's well-known types live beside them.
  for (;;) {
    const nested = ns.nestedArray.filter((n) => n.name !== 'google');
    const types = nested.filter((n): n is Protobuf.Type => 'fieldsArray' in n);
    if (types.length > 0 || nested.length !== 1 || !('nestedArray' in nested[0]!)) return types;
    ns = nested[0] as Protobuf.NamespaceBase;
  }
}

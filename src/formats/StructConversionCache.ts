import { structConversions, type ConnectField, type FieldConversion } from './kafkaConnectTypes.js';

/** Structs whose conversions a cache remembers (a topic carries one table's schema, a few while it evolves). */
const CACHED_STRUCTS = 8;

interface Entry {
  readonly fields: readonly ConnectField[];
  readonly conversions: Map<string, FieldConversion> | undefined;
}

/**
 * The conversions of a Kafka Connect struct ({@link structConversions}), remembered across
 * messages. With the JSON converter's `schema` part every message repeats the schema, parsed
 * into new objects each time; building the conversion map (a Map and a closure per field with
 * a logical type) per message was work thrown away after one row. A struct is looked up by what
 * the conversions depend on (each field's name, logical type name and `scale` parameter, in
 * order), compared field by field with the remembered ones: no text is built per message, and
 * a changed schema (a column added, a decimal's scale altered) never meets stale conversions.
 * The newest {@link CACHED_STRUCTS} structs are kept.
 *
 * @example
 * const cache = new StructConversionCache();
 * cache.get(JSON.parse(schemaText).fields[1]) === cache.get(JSON.parse(schemaText).fields[1]); // true: built once
 */
export class StructConversionCache {
  readonly #entries: Entry[] = [];

  /** The conversions of `struct` (`undefined` when it has no field with a logical type to convert). */
  get(struct: ConnectField | undefined): Map<string, FieldConversion> | undefined {
    const fields = struct?.fields;
    if (fields === undefined || !Array.isArray(fields)) return structConversions(struct);
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (sameConversionFields(entry.fields, fields)) {
        // Most recently used first: the common case (one schema) is one comparison.
        if (i > 0) {
          entries.splice(i, 1);
          entries.unshift(entry);
        }
        return entry.conversions;
      }
    }
    const conversions = structConversions(struct);
    // Remember a copy of what the comparison reads, not the message's own objects.
    entries.unshift({ fields: fields.map(conversionKey), conversions });
    if (entries.length > CACHED_STRUCTS) entries.length = CACHED_STRUCTS;
    return conversions;
  }
}

/** The parts of a field that {@link structConversions} reads. */
function conversionKey(field: ConnectField): ConnectField {
  const scale = field.parameters?.['scale'];
  return {
    ...(field.field === undefined ? {} : { field: field.field }),
    ...(field.name === undefined ? {} : { name: field.name }),
    ...(scale === undefined ? {} : { parameters: { scale } }),
  };
}

function sameConversionFields(known: readonly ConnectField[], fields: readonly ConnectField[]): boolean {
  if (known.length !== fields.length) return false;
  for (let i = 0; i < known.length; i++) {
    const a = known[i]!;
    const b = fields[i];
    if (typeof b !== 'object' || b === null) return false;
    if (a.field !== b.field || a.name !== b.name || a.parameters?.['scale'] !== b.parameters?.['scale']) return false;
  }
  return true;
}

import { confluentSchemaId } from './confluentWireFormat.js';
import type { Format, Row } from './Format.js';
import { SchemaNotFoundError, SchemaRegistryClient, type SchemaRegistryOptions } from './SchemaRegistryClient.js';

/**
 * JSON in the Confluent wire format (`FORMAT PLAIN ENCODE JSON (schema.registry = 'http://...')`),
 * as Confluent's KafkaJsonSchemaSerializer writes it: byte 0, the id of a JSON Schema in the
 * registry, then the JSON text, which `json` decodes (exact big integers, one row per array
 * element). The schema ids are checked against the registry (each fetched once, in
 * {@link Format.prefetch}): an unknown id or a schema of another type is a bad record. The JSON
 * Schema itself is not applied: declared columns are (the SQL schema check).
 *
 * @example
 * const format = registryJsonFormat(jsonFormat(), { url: 'http://127.0.0.1:18081/apis/ccompat/v7' });
 */
export function registryJsonFormat(json: Format, registryOptions: SchemaRegistryOptions | SchemaRegistryClient): Format {
  const registry = registryOptions instanceof SchemaRegistryClient ? registryOptions : new SchemaRegistryClient(registryOptions);
  const decodeMessages = json.decodeMessages?.bind(json);
  const decodeMessage = json.decodeMessage?.bind(json);
  /** The JSON text of a framed message, after checking its schema id. */
  const body = (payload: Uint8Array): Uint8Array => {
    const id = confluentSchemaId(payload);
    const cached = registry.cached(id);
    if (cached === undefined) throw new Error(`schema id ${id} has not been fetched from the schema registry ${registry.shownUrl} (the connector did not prefetch it)`);
    if (cached instanceof SchemaNotFoundError) throw cached;
    if (cached.type !== 'JSON') throw new Error(`schema id ${id} is a ${cached.type} schema, not a JSON Schema`);
    return payload.subarray(5);
  };
  return {
    name: 'json',
    tailable: false,
    prefetch: (payloads) => registry.fetchMissing(payloads),
    ...(decodeMessage === undefined ? {} : { decodeMessage: (payload: Uint8Array): Row | null => (payload.length === 0 ? null : decodeMessage(body(payload))) }),
    ...(decodeMessages === undefined ? {} : { decodeMessages: (payload: Uint8Array | null, key: Uint8Array | null): Row[] => (payload === null || payload.length === 0 ? [] : decodeMessages(body(payload), key)) }),
  };
}

/** The first byte of a message in the Confluent Schema Registry wire format. */
export const CONFLUENT_MAGIC = 0;

/**
 * The schema id of a message in the Confluent wire format (byte 0 is 0, then the schema id as a
 * 4-byte big-endian integer, then the encoded datum). Throws a message that says what the bytes
 * look like instead when they are not in that format.
 *
 * @example
 * confluentSchemaId(Buffer.from([0, 0, 0, 0, 7, 2])); // 7
 */
export function confluentSchemaId(payload: Uint8Array): number {
  if (payload.length < 5 || payload[0] !== CONFLUENT_MAGIC) {
    throw new Error(`not in the Confluent schema registry wire format: ${describeStart(payload)}`);
  }
  return ((payload[1]! << 24) | (payload[2]! << 16) | (payload[3]! << 8) | payload[4]!) >>> 0;
}

/** The schema id of each payload in the wire format (others are left out: decoding reports them). */
export function confluentSchemaIds(payloads: readonly (Uint8Array | null)[]): Set<number> {
  const ids = new Set<number>();
  for (const p of payloads) {
    if (p !== null && p.length >= 5 && p[0] === CONFLUENT_MAGIC) ids.add(((p[1]! << 24) | (p[2]! << 16) | (p[3]! << 8) | p[4]!) >>> 0);
  }
  return ids;
}

function describeStart(payload: Uint8Array): string {
  if (payload.length === 0) return 'the message is empty';
  const first = payload[0]!;
  const hex = `0x${first.toString(16).padStart(2, '0')}`;
  if (first !== CONFLUENT_MAGIC) {
    const guess = first === 0x7b || first === 0x5b ? ' (it looks like JSON)' : first === 0xc3 && payload[1] === 0x01 ? " (it is Avro's single-object encoding)" : '';
    return `magic byte is ${hex}, expected 0x00${guess}`;
  }
  return `${payload.length} bytes, shorter than the 5-byte header (magic byte and schema id)`;
}

const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;

let table: bigint[] | undefined;

/**
 * The CRC-64-AVRO (Rabin) fingerprint of a schema's Parsing Canonical Form, as the Avro spec
 * defines it; the single-object encoding carries it (little-endian) after the `C3 01` marker.
 */
export function avroFingerprint64(canonicalForm: string): bigint {
  if (table === undefined) {
    table = [];
    for (let i = 0; i < 256; i++) {
      let fp = BigInt(i);
      for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n));
      table.push(fp & MASK);
    }
  }
  let fp = EMPTY;
  for (const b of Buffer.from(canonicalForm, 'utf8')) fp = (fp >> 8n) ^ (table[Number((fp ^ BigInt(b)) & 0xffn)] as bigint);
  return fp & MASK;
}

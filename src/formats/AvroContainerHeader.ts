/** The header of an Avro object container file. */
export interface AvroContainerHeader {
  /** Metadata (`avro.schema`, `avro.codec`, user keys), values as raw bytes. */
  readonly metadata: ReadonlyMap<string, Buffer>;
  /** The 16-byte marker that ends every block. */
  readonly sync: Buffer;
  /** Byte position of the first block. */
  readonly end: number;
}

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1

/** Thrown when the bytes are not the start of an Avro object container file. */
export class NotAvroError extends Error {}

/**
 * Parses the header at the start of `bytes`: `null` when more bytes are needed. Throws
 * {@link NotAvroError} when the bytes cannot be a container file header.
 */
export function parseAvroContainerHeader(bytes: Buffer): AvroContainerHeader | null {
  if (bytes.length < MAGIC.length) {
    if (!MAGIC.subarray(0, bytes.length).equals(bytes)) throw new NotAvroError('not an Avro object container file (bad magic)');
    return null;
  }
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw new NotAvroError('not an Avro object container file (bad magic)');
  const metadata = new Map<string, Buffer>();
  let pos = MAGIC.length;
  for (;;) {
    const count = readAvroLong(bytes, pos);
    if (count === null) return null;
    pos = count.next;
    let n = count.value;
    if (n === 0) break;
    if (n < 0) {
      // A negative count is followed by the block's byte size, which we do not need.
      const size = readAvroLong(bytes, pos);
      if (size === null) return null;
      pos = size.next;
      n = -n;
    }
    for (let i = 0; i < n; i++) {
      const key = readAvroBytes(bytes, pos);
      if (key === null) return null;
      const value = readAvroBytes(bytes, key.next);
      if (value === null) return null;
      metadata.set(key.value.toString('utf8'), value.value);
      pos = value.next;
    }
  }
  if (bytes.length < pos + 16) return null;
  return { metadata, sync: Buffer.from(bytes.subarray(pos, pos + 16)), end: pos + 16 };
}

/**
 * Reads a zig-zag varint `long` at `pos`: `null` when the bytes end first. Block counts and sizes
 * fit in a double; a varint longer than 10 bytes is corrupt and throws.
 */
export function readAvroLong(bytes: Uint8Array, pos: number): { value: number; next: number } | null {
  let n = 0;
  let scale = 1;
  for (let i = pos; i < bytes.length; i++) {
    const b = bytes[i] as number;
    n += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      // Zig-zag: even n is n/2, odd n is -(n+1)/2 (integer arithmetic on a double, exact below 2^53).
      const value = n % 2 === 0 ? n / 2 : -(n + 1) / 2;
      return { value, next: i + 1 };
    }
    scale *= 128;
    if (i - pos >= 9) throw new NotAvroError('corrupt Avro varint (longer than 10 bytes)');
  }
  return null;
}

function readAvroBytes(bytes: Buffer, pos: number): { value: Buffer; next: number } | null {
  const length = readAvroLong(bytes, pos);
  if (length === null) return null;
  if (length.value < 0) throw new NotAvroError('corrupt Avro header (negative length)');
  const end = length.next + length.value;
  if (bytes.length < end) return null;
  return { value: Buffer.from(bytes.subarray(length.next, end)), next: end };
}

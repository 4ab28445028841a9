/**
 * PostgreSQL log sequence numbers: 64-bit WAL positions written `XXXXXXXX/XXXXXXXX` (hex, upper
 * and lower 32 bits). Kept as `bigint` so that comparisons are exact.
 *
 * @example
 * formatLsn(parseLsn('0/16B3748') + 8n) // '0/16B3750'
 */
export type Lsn = bigint;

/** Parses `16/B374D848`; throws a `SyntaxError` naming the text otherwise. */
export function parseLsn(text: string): Lsn {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (m === null) throw new SyntaxError(`invalid PostgreSQL LSN "${text}"`);
  return (BigInt(`0x${m[1]!}`) << 32n) | BigInt(`0x${m[2]!}`);
}

/** Writes an LSN the way PostgreSQL does (`0/16B3748`). */
export function formatLsn(lsn: Lsn): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** Reads a big-endian 64-bit LSN from a buffer. */
export function readLsn(buffer: Buffer, offset: number): Lsn {
  return buffer.readBigUInt64BE(offset);
}

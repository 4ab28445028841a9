import type * as NodeCrypto from 'node:crypto';
import { findNonJson } from '../core/assertJsonValue.js';

/**
 * One change of a {@link FileStore} write: `[key, valueText]` stores the value (its JSON text),
 * `[key]` removes the key.
 */
export type LogOp = readonly [key: string, text?: string];

/** Where a log's readable records end, and what they did. */
export interface LogReplay {
  /** Bytes of whole, valid records from the file's start: where the next record would go. */
  readonly validBytes: number;
  /**
   * Whether bytes follow the last valid record: a record whose write never completed (its
   * fdatasync never returned, so its write was never acknowledged).
   */
  readonly tornTail: boolean;
}

const LF = 0x0a;
const SPACE = 0x20;
const HASH_HEX = 64;

/**
 * The log line of one write: the SHA-256 of the record's JSON text in hex, a space, the record,
 * a line feed. The record is a JSON array of {@link LogOp}s applied in order. JSON text holds no
 * raw line feed, so a line is one record, and a record torn by a crash is its file's last line.
 */
export function encodeLogRecord(crypto: typeof NodeCrypto, ops: readonly LogOp[]): string {
  const parts = ops.map(([key, text]) => (text === undefined ? `[${JSON.stringify(key)}]` : `[${JSON.stringify(key)},${text}]`));
  const record = `[${parts.join(',')}]`;
  return `${crypto.createHash('sha256').update(record, 'utf8').digest('hex')} ${record}\n`;
}

/**
 * Applies the records of a log's bytes to `entries`, in order.
 *
 * A last line that is not a whole, valid record and looks cut short (no line feed at its end, or
 * zero bytes in it) ends the log: that is a write torn by a crash before its fdatasync returned,
 * never acknowledged, so it is left out. Any other line that is not a valid record (a failed
 * checksum, not UTF-8, not JSON) is corruption: `corrupt` is called with what was wrong and must
 * throw. So is a record whose checksum holds but whose content is not a list of operations
 * (nothing but a bug or a hand edit writes that).
 */
export function replayLog(
  crypto: typeof NodeCrypto,
  bytes: Uint8Array,
  entries: Map<string, string>,
  corrupt: (problem: string) => never,
): LogReplay {
  // fatal: bytes that are not UTF-8 fail the record instead of turning into U+FFFD (its checksum,
  // checked first, catches a flipped bit anyway).
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const decode = (body: Uint8Array): string => utf8.decode(body);
  let position = 0;
  while (position < bytes.length) {
    const end = bytes.indexOf(LF, position);
    const record = end === -1 ? undefined : checkedRecord(crypto, decode, bytes.subarray(position, end));
    if (record === undefined) {
      // What an append cut short by a crash leaves: a prefix of its line (no line feed yet), or,
      // where the file system had extended the file before writing all of it, zeros in it.
      if (end === -1 || bytes.subarray(position, end).includes(0)) {
        if (end === -1 || end + 1 === bytes.length) return { validBytes: position, tornTail: true };
      }
      throw corrupt(
        end + 1 === bytes.length
          ? `has a damaged last record at byte ${position}: a whole line that fails its checksum, UTF-8 or JSON (not a write cut short by a crash)`
          : `has a damaged record at byte ${position} with records after it (its checksum, UTF-8 or JSON is broken)`,
      );
    }
    const ops = asOps(record);
    if (ops === undefined) throw corrupt(`has a record at byte ${position} that is not a list of [key] and [key, value] operations`);
    for (const [key, value] of ops) {
      if (value === undefined) entries.delete(key);
      else {
        const problem = findNonJson(value, '$', new Set());
        if (problem !== undefined) throw corrupt(`has a value for ${JSON.stringify(key)} at byte ${position} that is not JSON: ${problem}`);
        entries.set(key, JSON.stringify(value));
      }
    }
    position = end! + 1;
  }
  return { validBytes: position, tornTail: false };
}

/** The parsed record of a line whose checksum holds, or `undefined`. */
function checkedRecord(crypto: typeof NodeCrypto, decode: (body: Uint8Array) => string, line: Uint8Array): unknown {
  if (line.length < HASH_HEX + 2 || line[HASH_HEX] !== SPACE) return undefined;
  const hash = String.fromCharCode(...line.subarray(0, HASH_HEX));
  const body = line.subarray(HASH_HEX + 1);
  if (crypto.createHash('sha256').update(body).digest('hex') !== hash) return undefined;
  try {
    return JSON.parse(decode(body)) as unknown;
  } catch {
    return undefined;
  }
}

function asOps(record: unknown): Array<readonly [string, unknown]> | undefined {
  if (!Array.isArray(record)) return undefined;
  const ops: Array<readonly [string, unknown]> = [];
  for (const op of record as unknown[]) {
    if (!Array.isArray(op) || (op.length !== 1 && op.length !== 2) || typeof op[0] !== 'string') return undefined;
    ops.push([op[0] as string, op.length === 2 ? (op[1] as unknown) : undefined]);
  }
  return ops;
}

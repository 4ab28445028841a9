import type { JsonValue } from '../../core/Json.js';

/**
 * Where an `fs` reader stands in a file, as stored in checkpoints: the format's own offset plus
 * what identifies the file and the bytes already read, so a restart can tell a file that grew
 * from one that was truncated, rewritten or replaced (the way Filebeat's `fingerprint` file
 * identity and Fluent Bit's inode-plus-offset database do).
 *
 * - `dev`/`ino`: device and inode when the position was recorded (decimal strings: inodes can
 *   exceed 2^53). They recognise a rotated file under its new name. Another machine (a restored
 *   state directory) has other inodes: there the fingerprints alone decide.
 * - `head`: hash of the first `headLen` bytes (up to {@link FINGERPRINT_BYTES}).
 * - `tail`: hash of the `tailLen` bytes just before the offset's byte position (up to
 *   {@link TAIL_BYTES}): catches a file truncated and rewritten past the offset with the same
 *   beginning (a CSV header, a log preamble).
 * - `read`: bytes read from the file when the position was recorded; a finished file whose size
 *   differs is opened again.
 */
export interface FilePosition {
  /** The format's offset (`"1234"`, Avro `"block:record"`); `null`: the start of the file. */
  readonly at: string | null;
  readonly dev?: string;
  readonly ino?: string;
  readonly head?: string;
  readonly headLen?: number;
  readonly tail?: string;
  readonly tailLen?: number;
  readonly read?: number;
}

/** Bytes hashed from the start of a file to fingerprint it (Filebeat's default length). */
export const FINGERPRINT_BYTES = 1024;

/** Bytes hashed just before a stored offset. */
export const TAIL_BYTES = 64;

/** Serialises a position as the split offset stored in checkpoints. */
export function encodePosition(position: FilePosition): string {
  const out: Record<string, JsonValue> = { at: position.at };
  for (const key of ['dev', 'ino', 'head', 'headLen', 'tail', 'tailLen', 'read'] as const) {
    const value = position[key];
    if (value !== undefined) out[key] = value;
  }
  return JSON.stringify(out);
}

/**
 * Reads a stored offset back. A plain format offset (written before positions carried
 * fingerprints) is accepted as a position without identity: only the size is checked then.
 * Throws an `Error` for JSON that is not a position.
 */
export function decodePosition(offset: string | null): FilePosition {
  if (offset === null) return { at: null };
  if (!offset.startsWith('{')) return { at: offset };
  let parsed: unknown;
  try {
    parsed = JSON.parse(offset);
  } catch {
    throw new Error(`invalid stored file position ${JSON.stringify(offset)}`);
  }
  const p = parsed as Record<string, unknown>;
  const str = (v: unknown): v is string => typeof v === 'string';
  const int = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  const ok =
    typeof p === 'object' &&
    p !== null &&
    (p['at'] === null || str(p['at'])) &&
    (p['dev'] === undefined || str(p['dev'])) &&
    (p['ino'] === undefined || str(p['ino'])) &&
    (p['head'] === undefined || str(p['head'])) &&
    (p['headLen'] === undefined || int(p['headLen'])) &&
    (p['tail'] === undefined || str(p['tail'])) &&
    (p['tailLen'] === undefined || int(p['tailLen'])) &&
    (p['read'] === undefined || int(p['read']));
  if (!ok) throw new Error(`invalid stored file position ${JSON.stringify(offset)}`);
  return p as unknown as FilePosition;
}

/**
 * The byte position of a format offset: every file format's offset starts with one (the next
 * line's byte for JSON lines and CSV, the block's byte for Avro), and the bytes before it have
 * all been read. `null` is 0.
 */
export function bytePositionOf(at: string | null): number {
  if (at === null) return 0;
  const match = /^[0-9]+/.exec(at);
  return match === null ? 0 : Number(match[0]);
}

/** The format offset of a stored offset, for messages. */
export function describeOffset(offset: string | null): string | undefined {
  if (offset === null) return undefined;
  try {
    return decodePosition(offset).at ?? '0';
  } catch {
    return offset;
  }
}

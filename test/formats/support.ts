import type { BadRecordHandler, BadRecordPolicy } from '../../src/core/BadRecordHandler.js';
import type { BadRecordError } from '../../src/core/SourceError.js';
import type { ByteInput, DecodeContext, Format, Row, RowConverter } from '../../src/formats/Format.js';
import { prng } from '../../bench/prng.js';

/** A bad-record handler that applies a policy and keeps what it was handed, for assertions. */
export class RecordingHandler implements BadRecordHandler {
  readonly errors: BadRecordError[] = [];
  readonly raws: (Uint8Array | null)[] = [];
  readonly deadLetters: { error: BadRecordError; raw: Uint8Array | null }[] = [];
  constructor(readonly policy: BadRecordPolicy = 'fail') {}
  handle(error: BadRecordError, raw: Uint8Array | null): void {
    this.errors.push(error);
    this.raws.push(raw);
    if (this.policy === 'fail') throw error;
    if (this.policy === 'dead-letter') this.deadLetters.push({ error, raw });
  }
}

export function context(handler: BadRecordHandler = new RecordingHandler(), convert?: RowConverter): DecodeContext {
  return { source: 'test-source', splitId: 'split-1', badRecords: handler, ...(convert ? { convert } : {}) };
}

/** A `ByteInput` over bytes in memory, yielding `chunkSize`-byte pieces (to exercise header reads across chunks). */
export function memoryInput(bytes: Uint8Array, chunkSize = 5): ByteInput & { streams: number[] } {
  const streams: number[] = [];
  return {
    streams,
    async *stream(start: number, end?: number) {
      streams.push(start);
      const stop = Math.min(end ?? bytes.length, bytes.length);
      for (let i = start; i < stop; i += chunkSize) yield bytes.slice(i, Math.min(i + chunkSize, stop));
    },
    async size() {
      return bytes.length;
    },
  };
}

/** How the bytes after `startByte` are cut into pushes. */
export type Chunking = 'whole' | 'bytes' | { seed: number };

export interface Decoded {
  readonly rows: Row[];
  /** The offset of each row, as the batches report them (see {@link decode}). */
  readonly offsets: string[];
  /** Each batch's `nextOffset`, in order. */
  readonly nextOffsets: string[];
  readonly nextOffset: string;
  readonly startByte: number;
  /** For each batch with rows: the index of its first row and the batch's `offset`. */
  readonly batchStarts: { index: number; offset: string }[];
}

/**
 * Opens `format` over `bytes` at `offset` and pushes the bytes from `startByte` in pieces.
 * A batch's `offset` is its first row's; later rows of the same batch get offsets only when the
 * format's offsets are Avro's `block:index` (a block's records come in one batch), else the
 * helper fails: per-row offsets need a chunking of one record per batch (`bytes`).
 */
export async function decode(
  format: Format,
  bytes: Uint8Array,
  offset: string | null = null,
  chunking: Chunking = 'whole',
  ctx: DecodeContext = context(),
): Promise<Decoded> {
  const decoder = await (format.openStream as NonNullable<Format['openStream']>)(memoryInput(bytes), offset, ctx);
  const rest = bytes.subarray(decoder.startByte);
  const rows: Row[] = [];
  const offsets: string[] = [];
  const nextOffsets: string[] = [];
  const batchStarts: { index: number; offset: string }[] = [];
  const collect = (batch: { rows: Row[]; offset: string; nextOffset: string }, perRow: boolean): void => {
    if (batch.rows.length > 0) batchStarts.push({ index: rows.length, offset: batch.offset });
    batch.rows.forEach((row, i) => {
      rows.push(row);
      offsets.push(i === 0 ? batch.offset : rowOffset(batch.offset, i, perRow));
    });
    nextOffsets.push(batch.nextOffset);
  };
  const pieces = cut(rest, chunking);
  for (const piece of pieces) collect(decoder.push(piece), chunking === 'bytes');
  collect(decoder.end(), chunking === 'bytes');
  return { rows, offsets, nextOffsets, nextOffset: nextOffsets[nextOffsets.length - 1] as string, startByte: decoder.startByte, batchStarts };
}

function rowOffset(first: string, i: number, perRow: boolean): string {
  const avro = /^(\d+):(\d+)$/.exec(first);
  if (avro) return `${avro[1]}:${Number(avro[2]) + i}`;
  if (perRow) throw new Error(`a batch of several rows at byte offset ${first} while feeding one byte at a time`);
  return '?';
}

/** Cuts bytes into pieces: whole, one byte each, or at seeded random points (some empty). */
export function cut(bytes: Uint8Array, chunking: Chunking): Uint8Array[] {
  if (chunking === 'whole') return [bytes];
  if (chunking === 'bytes') return Array.from(bytes, (_, i) => bytes.slice(i, i + 1));
  const random = seeded(chunking.seed);
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; ) {
    const n = Math.floor(random() * 12);
    pieces.push(bytes.slice(i, i + n));
    i += n;
  }
  return pieces;
}

/** A small deterministic PRNG (mulberry32), the one the benchmark data comes from. */
export const seeded = prng;

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * For every row offset of a one-byte-at-a-time decode, checks that a decoder opened there yields
 * exactly the suffix of rows from that row on, with the same offsets.
 */
export async function assertResumesEverywhere(
  format: Format,
  bytes: Uint8Array,
  assertEqual: (actual: unknown, expected: unknown, message: string) => void,
): Promise<number> {
  const full = await decode(format, bytes, null, 'bytes');
  for (let i = 0; i < full.offsets.length; i++) {
    const offset = full.offsets[i] as string;
    const resumed = await decode(format, bytes, offset, { seed: i + 1 });
    assertEqual(resumed.rows, full.rows.slice(i), `rows resumed at ${offset}`);
    const again = await decode(format, bytes, offset, 'bytes');
    assertEqual(again.offsets, full.offsets.slice(i), `offsets resumed at ${offset}`);
  }
  // Resuming at the final nextOffset yields nothing.
  const atEnd = await decode(format, bytes, full.nextOffset);
  assertEqual(atEnd.rows, [], `rows resumed at the end (${full.nextOffset})`);
  return full.offsets.length;
}

/**
 * Decodes `bytes` one byte at a time and in `seeds` random cuttings: every cutting must give the
 * same rows, each batch's `offset` must be its first row's offset, and the last `nextOffset` must
 * be the same. Returns the one-byte-at-a-time decode.
 */
export async function assertChunkingInvariant(
  format: Format,
  bytes: Uint8Array,
  assertEqual: (actual: unknown, expected: unknown, message: string) => void,
  seeds: readonly number[] = [1, 2, 3],
  ctx: () => DecodeContext = () => context(),
): Promise<Decoded> {
  const full = await decode(format, bytes, null, 'bytes', ctx());
  for (const chunking of ['whole', ...seeds.map((seed) => ({ seed }))] as const) {
    const other = await decode(format, bytes, null, chunking, ctx());
    const what = JSON.stringify(chunking);
    assertEqual(other.rows, full.rows, `rows (${what})`);
    assertEqual(
      other.batchStarts.map((b) => b.offset),
      other.batchStarts.map((b) => full.offsets[b.index]),
      `batch offsets (${what})`,
    );
    assertEqual(other.nextOffset, full.nextOffset, `last nextOffset (${what})`);
  }
  return full;
}

import type { BadRecordPolicy } from '../core/BadRecordHandler.js';
import { SourceError, type SourceErrorLocation } from '../core/SourceError.js';
import type { Row } from '../formats/Format.js';
import type { FormatSpec } from './FormatSpec.js';
import type { PackedRows } from './packedRows.js';

/**
 * Decode one byte range of a file. The worker opens the format's stream decoder at `start`
 * (a format offset, `null`: the start of the file) or, when `startAfter` is given instead, at the
 * first line start at or after that byte (a guess the main thread verifies, see
 * `orderedRangeBatches`). It reads to the first record boundary at or after `end` (to the end of
 * the file when `end` is omitted): every batch's `nextOffset` is a record start.
 */
export interface DecodeTask {
  readonly type: 'task';
  readonly id: number;
  readonly path: string;
  readonly format: FormatSpec;
  readonly source: string;
  readonly split: string;
  readonly start: string | null;
  readonly startAfter?: number;
  readonly end?: number;
  readonly readBufferBytes: number;
  /** The source's bad-record policy: a decoder may decode differently under `fail` (JSON arrays). */
  readonly policy: BadRecordPolicy;
  /** Batches the worker may send before it waits for an `ack`: bounds memory and lets pausing work. */
  readonly window: number;
  /** Test seam: fail the task (`throw`) or kill the thread (`exit`) after this many batches. */
  readonly fault?: { readonly kind: 'throw' | 'exit'; readonly afterBatches: number };
}

/** A bad record as the worker found it; the main thread applies the source's policy to it. */
export interface WorkerBadRecord {
  /** The message without the location (the main thread names it, with line numbers from where its read began). */
  readonly message: string;
  readonly location: SourceErrorLocation;
  readonly records?: number;
  readonly bytes?: number;
  readonly raw: Uint8Array | null;
}

/**
 * The message of `error` without the location text `SourceError` puts in front of it.
 * @internal
 */
export function bareMessage(error: SourceError): string {
  const prefix = new SourceError('', { source: error.source, ...(error.split === undefined ? {} : { split: error.split }), ...(error.offset === undefined ? {} : { offset: error.offset }), ...(error.line === undefined ? {} : { line: error.line }), ...(error.lineFrom === undefined ? {} : { lineFrom: error.lineFrom }) }).message;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

/** Main thread to worker. */
export type ToWorker = DecodeTask | { readonly type: 'ack'; readonly id: number } | { readonly type: 'cancel'; readonly id: number };

/** Rows decoded from a stretch of bytes, with what the main thread needs to check and store them. */
export interface WorkerBatch {
  readonly type: 'batch';
  readonly id: number;
  /** The rows, packed when they are all strings (see `packRows`); the pool unpacks them. */
  readonly rows: Row[] | PackedRows;
  /** The format offset of the first row (meaningful when `rows` is not empty). */
  readonly offset: string;
  /** Where the batch's bytes start (the previous batch's `nextOffset`, or the task's start). */
  readonly from: string;
  /** Where a restart resumes after this batch: a record start. */
  readonly nextOffset: string;
  /** Bytes of the file read so far (the file must still have at least this many). */
  readonly read: number;
  /** Bad records of this batch, in file order, to be handled before its rows are delivered. */
  readonly bad: readonly WorkerBadRecord[];
}

/** A batch with its rows unpacked, as its owner delivers it. */
export type DecodedRangeBatch = Omit<WorkerBatch, 'rows'> & { readonly rows: Row[] };

/** Worker to main thread. `started` comes first and says where decoding really began. */
export type FromWorker =
  | { readonly type: 'started'; readonly id: number; readonly start: string }
  | WorkerBatch
  | { readonly type: 'done'; readonly id: number; readonly end: string; readonly lineBreaks: number }
  | { readonly type: 'failed'; readonly id: number; readonly message: string; readonly location?: SourceErrorLocation; readonly stack?: string };

import { open } from 'node:fs/promises';
import { SourceError, type SourceErrorLocation } from '../../core/SourceError.js';
import type { DecodeHandle, DecodePool } from '../../parallel/DecodePool.js';
import type { DecodeTask, DecodedRangeBatch, WorkerBatch } from '../../parallel/decodeProtocol.js';
import { unpackRows } from '../../parallel/packedRows.js';
import type { FormatSpec } from '../../parallel/FormatSpec.js';

/** Default nominal size of the byte ranges one file is cut into (`fs.decode.range.bytes`). */
export const DEFAULT_RANGE_BYTES = 2 * 1024 * 1024;

/** What {@link decodeInRanges} reads. */
export interface RangeDecodeOptions {
  readonly pool: Pick<DecodePool, 'size' | 'submit'>;
  readonly path: string;
  readonly format: FormatSpec;
  readonly source: string;
  readonly split: string;
  /** The verified format offset to start at (`null`: the start of the file). */
  readonly start: string | null;
  readonly startByte: number;
  /** The file's size when reading began: only bytes below it are cut into ranges. */
  readonly size: number;
  /** Nominal range size; the file is read as one range when it is not cut. */
  readonly rangeBytes: number;
  /** Whether every line start may be guessed as a record start and checked (NDJSON, CSV). */
  readonly splittable: boolean;
  readonly readBufferBytes: number;
  readonly policy: DecodeTask['policy'];
  /** Test seam, passed to every task. */
  readonly fault?: DecodeTask['fault'];
}

/** A batch in file order, verified; `ack` once it is delivered so its worker decodes on. */
export interface OrderedBatch {
  readonly batch: DecodedRangeBatch;
  readonly ack: () => void;
  /** Where the batch's range began, and the line breaks between the read's start and there (bad records' lines count from the read's start). */
  readonly rangeStart: number;
  readonly lineBase: number;
}

interface Range {
  readonly index: number;
  /** `null`: speculative (starts at the first line start at or after `after`). */
  readonly start: string | null | undefined;
  handle: DecodeHandle | undefined;
  started: string | undefined;
  readonly batches: WorkerBatch[];
  end: string | undefined;
  lineBreaks: number;
  failure: { readonly error: Error; readonly location: SourceErrorLocation | undefined } | undefined;
  wake: (() => void) | undefined;
}

/**
 * Decodes one file on a pool's worker threads, cut into byte ranges decoded at the same time,
 * and yields the batches in file order: ordering within the file and every offset are exactly
 * those of a one-thread read, so checkpoints do not change.
 *
 * How a range boundary is found safely. The file is cut at nominal bytes `start + k *
 * rangeBytes`. Range k+1 starts, as a guess, at the first line start at or after its nominal
 * byte; range k decodes from its own (verified) start across its nominal end until its decoder
 * completes a record at or after that byte, and reports where that record ended. Only then,
 * in order, is range k+1's guess checked: when it equals that end, range k+1 began at a record
 * start that a continuous decode from the file's start also reaches, so its records are exactly
 * the one-thread decode's. NDJSON guesses are always right (a record is a line). A CSV guess is
 * wrong when the line break before it lies inside a quoted field (a quoted newline across the
 * boundary): range k+1's work is then discarded (its rows and bad records were never delivered)
 * and it is decoded again from the verified end. A stray quote, a malformed record or any other
 * parse state is handled by the same check, since range k's decoder parsed continuously from a
 * verified start. The worst case (a quoted newline at every boundary) decodes those ranges
 * twice; it never yields a wrong row.
 */
export async function* decodeInRanges(options: RangeDecodeOptions): AsyncGenerator<OrderedBatch, void, undefined> {
  const { pool, rangeBytes, size, startByte } = options;
  const nominal: number[] = [];
  if (options.splittable) for (let at = startByte + rangeBytes; at < size; at += rangeBytes) nominal.push(at);
  const count = nominal.length + 1;
  const lookahead = Math.max(1, pool.size);
  // A range decoded ahead must be able to finish while the ones before it are delivered, or its
  // thread idles: its whole range may wait decoded. Memory: about `lookahead` ranges of rows.
  const window = Math.ceil(rangeBytes / options.readBufferBytes) + 2;
  const ranges: (Range | undefined)[] = [];

  const submit = (index: number, start: string | null | undefined, first = false): Range => {
    const end = nominal[index];
    const range: Range = {
      index,
      start,
      started: undefined,
      batches: [],
      end: undefined,
      lineBreaks: 0,
      failure: undefined,
      wake: undefined,
      handle: undefined,
    };
    const notify = (): void => {
      const wake = range.wake;
      range.wake = undefined;
      wake?.();
    };
    const task: Omit<DecodeTask, 'type' | 'id'> = {
      path: options.path,
      format: options.format,
      source: options.source,
      split: options.split,
      start: start ?? null,
      ...(start === undefined ? { startAfter: nominal[index - 1] as number } : {}),
      ...(end === undefined ? {} : { end }),
      readBufferBytes: options.readBufferBytes,
      policy: options.policy,
      window,
      ...(options.fault === undefined ? {} : { fault: options.fault }),
    };
    // A redo goes first: every thread may be held by later ranges waiting for it to be delivered.
    range.handle = pool.submit(task, first, {
      started: (at) => {
        range.started = at;
        notify();
      },
      batch: (batch) => {
        range.batches.push(batch);
        notify();
      },
      done: (at, lineBreaks) => {
        range.end = at;
        range.lineBreaks = lineBreaks;
        notify();
      },
      failed: (error, location) => {
        range.failure = { error, location };
        notify();
      },
    });
    ranges[index] = range;
    return range;
  };
  const waitFor = async (range: Range, ready: () => boolean): Promise<void> => {
    while (!ready()) await new Promise<void>((r) => (range.wake = r));
  };

  try {
    // Range 0 starts at the verified start; later ones at a guess.
    submit(0, options.start);
    let verified: string | null = options.start;
    let delivered = String(startByte);
    let lineBase = 0;
    for (let index = 0; index < count; index++) {
      for (let ahead = index + 1; ahead < Math.min(count, index + 1 + lookahead); ahead++) if (ranges[ahead] === undefined) submit(ahead, undefined);
      let range = ranges[index] as Range;
      if (range.start === undefined) {
        // A guess: wait for where it began (or its failure), and redo it from the verified start if it was wrong.
        await waitFor(range, () => range.started !== undefined || range.failure !== undefined);
        if (range.failure !== undefined || range.started !== verified) {
          range.handle?.cancel();
          range = submit(index, verified, true);
        }
      }
      for (;;) {
        await waitFor(range, () => range.batches.length > 0 || range.end !== undefined || range.failure !== undefined);
        const batch = range.batches.shift();
        if (batch !== undefined) {
          delivered = batch.nextOffset;
          yield {
            batch: Array.isArray(batch.rows) ? (batch as DecodedRangeBatch) : { ...batch, rows: unpackRows(batch.rows) },
            ack: (range.handle as DecodeHandle).ack,
            rangeStart: Number(range.started ?? startByte),
            lineBase,
          };
          continue;
        }
        if (range.failure !== undefined) {
          const { error, location } = range.failure;
          throw new SourceError(
            `decoding on a worker thread failed at byte ${delivered} (range ${index + 1} of ${count}): ${error.message}`,
            location ?? { source: options.source, split: options.split, offset: delivered },
            { cause: error },
          );
        }
        verified = range.end as string;
        lineBase += range.lineBreaks;
        ranges[index] = undefined;
        break;
      }
    }
  } finally {
    for (const range of ranges) range?.handle?.cancel();
  }
}

/**
 * Whether a JSON file is newline-delimited JSON, which can be cut at any line start: its first
 * non-blank character opens an object that a line break closes (what the json format's `auto`
 * layout detection calls `ndjson`; arrays and pretty-printed objects are read as one range).
 */
export async function isNdjsonFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(1024 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const bytes = buffer.subarray(0, bytesRead);
    const nl = bytes.indexOf(10);
    if (nl === -1) return false;
    const line = bytes.toString('utf8', 0, nl).replace(/^\uFEFF/, '').trim();
    if (!line.startsWith('{')) return false;
    try {
      const value: unknown = JSON.parse(line);
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    } catch {
      return false;
    }
  } finally {
    await handle.close();
  }
}

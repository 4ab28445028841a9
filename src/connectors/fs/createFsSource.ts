import { resolve } from 'node:path';
import type { SourceOptions } from '../ConnectorFactory.js';
import { createSource } from '../../core/createSource.js';
import type { Source } from '../../core/Source.js';
import type { Format, Row, RowConverter } from '../../formats/Format.js';
import { fileChanges } from './fileChanges.js';
import { FsEnumerator, type ScanMode } from './FsEnumerator.js';
import { FsSplitReader, type FileChangedPolicy } from './FsSplitReader.js';
import { globMatcher } from './globMatcher.js';
import { Semaphore } from './Semaphore.js';
import { availableParallelism } from 'node:os';
import { DecodePool } from '../../parallel/DecodePool.js';
import type { FormatSpec } from '../../parallel/FormatSpec.js';
import type { DecodeTask } from '../../parallel/decodeProtocol.js';
import { DEFAULT_RANGE_BYTES } from './rangeDecode.js';

/** Default of {@link FsSourceOptions.decodeThreads}: decode on the main thread (see its doc for why). */
export const DEFAULT_DECODE_THREADS = 1;

/**
 * Default of {@link FsSourceOptions.maxOpenFiles}. One file at a time: decoding is the work and
 * it has one thread, so files read side by side only interleave their rows, keep more of them
 * in flight and make the garbage collector work harder (1M rows over 100 files: best runs 0.91 s
 * at 1, 1.09 s at 2, 1.38 s at 4, 3.7 s at 16, against 0.92 s for the same rows in one file;
 * bench case many-files). Reads still run ahead of decoding within the file, and a bounded scan
 * opens the next file (position check, fingerprint, first read) while one is decoded.
 */
export const DEFAULT_MAX_OPEN_FILES = 1;

/** Options of {@link createFsSource}; the SQL properties are given beside each. */
export interface FsSourceOptions extends SourceOptions {
  /** The directory to scan (`fs.path`, `posix_fs.root`). Relative paths resolve against the working directory. */
  readonly path: string;
  /** Which files, relative to `path` (`fs.match_pattern`, `match_pattern`). Default `*`: every file, at any depth. See {@link globMatcher}. */
  readonly pattern?: string;
  /** `bounded` (default): read the files present at start, then complete. `unbounded`: keep watching (`fs.scan.mode`). */
  readonly scanMode?: ScanMode;
  /** Decodes the files; must support `openStream` (json, csv, avro). */
  readonly format: Format;
  /** Checks and converts every row (a declared schema). */
  readonly convert?: RowConverter;
  /** Unbounded: use `fs.watch` for prompt notice of new and appended files (`fs.watch`). Default `true`. */
  readonly watch?: boolean;
  /** Unbounded: also re-list and re-check files this often, in ms; `0` for `fs.watch` alone (`fs.poll.interval.ms`). Default 1000. */
  readonly pollIntervalMs?: number;
  /** Unbounded, non-tailable formats (Avro): read a file once it has been unmodified this long, in ms (`fs.stable.ms`). Default 1000. */
  readonly stableMs?: number;
  /** Bytes per read (`fs.read.buffer.bytes`). Default 256 KiB. */
  readonly readBufferBytes?: number;
  /**
   * Files read at the same time (`fs.max.open.files`); a bounded scan opens one more ahead of its
   * turn. Each holds a read buffer, so this bounds memory and file descriptors whatever the
   * number of files. Default 1 (see {@link DEFAULT_MAX_OPEN_FILES}).
   */
  readonly maxOpenFiles?: number;
  /** Called when `fs.watch` fails and the source falls back to polling. */
  readonly onWatchError?: (err: unknown) => void;
  /**
   * A file that no longer matches its stored or current position (shrank below it, its first
   * 1024 bytes or the 64 bytes before the position changed, replaced while read): `'fail'`
   * (default) fails the source naming file and offset, `'reread'` warns and reads it again from
   * the start (`fs.file.changed`). See {@link FileChangedPolicy}.
   */
  readonly onFileChanged?: FileChangedPolicy;
  /**
   * Threads that decode bounded scans of `json` (NDJSON) and `csv` files (`fs.decode.threads`):
   * `1` (default) decodes on the main thread; `N >= 2` starts up to N worker threads
   * (node:worker_threads) shared by the source's files, and cuts each file into byte ranges of
   * about `decodeRangeBytes` decoded at the same time; `0` decides from the machine (CSV on one
   * thread per core beyond the first when that makes at least 4, else the main thread; see
   * `automaticThreads`). Rows, their order within a file, offsets and checkpoints are the same as
   * with one thread. Needs `formatSpec`.
   *
   * Off by default because it loses on the machines measured: rows must cross to the main
   * thread (CSV rows packed into one string, other rows by structured clone), which leaves the
   * main thread ~70 % (CSV) to ~90 % (NDJSON) of its one-thread work while the process spends
   * over twice the CPU; see bench/cases/parallelDecode.ts.
   */
  readonly decodeThreads?: number;
  /** Nominal byte range one file is cut into for worker threads (`fs.decode.range.bytes`). Default 2 MiB. */
  readonly decodeRangeBytes?: number;
  /** The format as data (`createFormat(name, options, columns)` builds `format` from it): worker threads rebuild it. */
  readonly formatSpec?: FormatSpec;
  /** @internal Test seam: every worker task fails (`throw`) or kills its thread (`exit`) after some batches. */
  readonly decodeFault?: DecodeTask['fault'];
}

/**
 * Worker threads for `decodeThreads: 0`. Measured (bench case parallel-decode, and the main
 * thread's own CPU time from /proc on 1M lineitem rows): with workers, the main thread still
 * spends ~70 % of a one-thread CSV decode (unpacking rows, its share of the pipeline) and ~85-90 %
 * for NDJSON (structured clone of nested rows costs nearly what JSON.parse does), while the
 * process spends 2.3x (CSV) and 2.4x (NDJSON) the CPU. So NDJSON never gains, and CSV can gain
 * only when at least 4 workers have cores of their own: then CSV gets one thread per core beyond
 * the first, and everything else the main thread.
 */
function automaticThreads(spec: FormatSpec | undefined): number {
  const spare = availableParallelism() - 1;
  return spec?.name === 'csv' && spare >= 4 ? spare : 1;
}

/**
 * A source over the files of a local directory: one split per file, resumable mid-file.
 *
 * Bounded (the default) reads the files present at start and completes after a final
 * checkpoint. Unbounded keeps going: new files are picked up, and files of a tailable format
 * (JSON lines, CSV) are tailed: appended records are read as they arrive. Files of a
 * non-tailable format (Avro) are read once, when they have stopped changing.
 *
 * Positions carry the file's identity (device, inode, a hash of its first 1024 bytes and of the
 * 64 bytes before the offset; see {@link FilePosition}). A restart resumes a file that grew
 * (bounded too: a finished file that grew is read on from where it stopped), follows a file
 * renamed while the job was down (the old position moves with the inode; the new file under the
 * old name starts at 0), and applies `onFileChanged` to a file that shrank or was rewritten.
 * Restored onto another machine (other inodes), a file is recognised by its fingerprints alone:
 * same bytes, same position; a rotation that happened meanwhile is then not followed, and the
 * file under the old name counts as changed. Dangling links, link loops, directories named
 * like files and a pattern matching nothing are reported on `warnings$`.
 *
 * @example
 * const source = createFsSource({
 *   name: 'orders',
 *   path: './data/orders',
 *   pattern: '*.ndjson',
 *   format: createFormat('json'),
 *   store: new MemoryStore(),
 * });
 * checkpointed(source).pipe(toRecords()).subscribe(console.log);
 */
export function createFsSource(options: FsSourceOptions): Source<Row> {
  const {
    path,
    pattern = '*',
    scanMode = 'bounded',
    format,
    convert,
    watch,
    pollIntervalMs,
    stableMs,
    readBufferBytes,
    maxOpenFiles = DEFAULT_MAX_OPEN_FILES,
    onWatchError,
    onFileChanged,
    decodeThreads = DEFAULT_DECODE_THREADS,
    decodeRangeBytes = DEFAULT_RANGE_BYTES,
    formatSpec,
    decodeFault,
    ...common
  } = options;
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`fs source '${common.name}': a directory path is required`);
  if (scanMode !== 'bounded' && scanMode !== 'unbounded') {
    throw new TypeError(`fs source '${common.name}': scan mode must be 'bounded' or 'unbounded', not '${String(scanMode)}'`);
  }
  for (const [what, value] of [
    ['poll interval', pollIntervalMs],
    ['stable time', stableMs],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new TypeError(`fs source '${common.name}': the ${what} must be a non-negative integer of milliseconds, not ${String(value)}`);
    }
  }
  if (scanMode === 'unbounded' && watch === false && pollIntervalMs === 0) {
    throw new TypeError(`fs source '${common.name}': an unbounded scan must watch or poll: set watch to true or the poll interval above 0`);
  }
  if (readBufferBytes !== undefined && !(Number.isInteger(readBufferBytes) && readBufferBytes > 0)) {
    throw new TypeError(`fs source '${common.name}': the read buffer must be a positive integer of bytes, not ${String(readBufferBytes)}`);
  }
  if (!(Number.isInteger(maxOpenFiles) && maxOpenFiles > 0)) {
    throw new TypeError(`fs source '${common.name}': the open-file limit must be a positive integer, not ${String(maxOpenFiles)}`);
  }
  if (onFileChanged !== undefined && onFileChanged !== 'fail' && onFileChanged !== 'reread') {
    throw new TypeError(`fs source '${common.name}': the file-changed policy must be 'fail' or 'reread', not '${String(onFileChanged)}'`);
  }
  if (format.openStream === undefined) {
    throw new TypeError(`fs source '${common.name}': format '${format.name}' cannot decode files (it has no stream decoder)`);
  }
  if (!(Number.isInteger(decodeThreads) && decodeThreads >= 0)) {
    throw new TypeError(`fs source '${common.name}': decode threads must be a non-negative integer (0: one per spare core, 1: the main thread), not ${String(decodeThreads)}`);
  }
  if (!(Number.isInteger(decodeRangeBytes) && decodeRangeBytes >= 1)) {
    throw new TypeError(`fs source '${common.name}': the decode range must be a positive integer of bytes, not ${String(decodeRangeBytes)}`);
  }
  const threads = decodeThreads === 0 ? automaticThreads(formatSpec) : decodeThreads;
  if (threads > 1 && formatSpec === undefined) {
    throw new TypeError(`fs source '${common.name}': decoding on ${threads} threads needs formatSpec (the format as data: name, options, columns) for the worker threads to build the format`);
  }
  let matcher;
  try {
    matcher = globMatcher(pattern);
  } catch (err) {
    throw new TypeError(`fs source '${common.name}': ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const root = resolve(path);
  const changes =
    scanMode === 'unbounded'
      ? fileChanges(root, {
          ...(watch === undefined ? {} : { watch }),
          ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
          ...(onWatchError === undefined ? {} : { onWatchError }),
          scheduler: common.scheduler,
        })
      : undefined;
  const enumerator = new FsEnumerator({ root, matcher, scanMode, ...(changes === undefined ? {} : { changes }) });
  const reader = new FsSplitReader({
    root,
    format,
    scanMode,
    openFiles: new Semaphore(maxOpenFiles),
    openAhead: new Semaphore(maxOpenFiles + 1),
    ...(changes === undefined ? {} : { changes }),
    ...(convert === undefined ? {} : { convert }),
    ...(readBufferBytes === undefined ? {} : { readBufferBytes }),
    ...(stableMs === undefined ? {} : { stableMs }),
    ...(onFileChanged === undefined ? {} : { onFileChanged }),
    ...(threads > 1 && formatSpec !== undefined && scanMode === 'bounded'
      ? { workers: { pool: new DecodePool(threads), format: formatSpec, rangeBytes: decodeRangeBytes, ...(decodeFault === undefined ? {} : { fault: decodeFault }) } }
      : {}),
    scheduler: common.scheduler,
  });
  return createSource({ ...common, enumerator, reader });
}

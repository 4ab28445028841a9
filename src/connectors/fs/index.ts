/**
 * The `fs` connector (RisingWave's `posix_fs`): files of a local directory as a source, and as a
 * lookup table. No server, no client library: the embedded default.
 *
 * - Splits are files, identified by their path relative to `fs.path`; a split's offset is the
 *   format's own (byte offset of the next line for JSON lines and CSV, block and record for
 *   Avro), so a restart resumes inside a file without repeating or skipping a record.
 * - `fs.scan.mode = 'bounded'` (default) reads the files present at start and completes after a
 *   final checkpoint. `'unbounded'` keeps running: new files are picked up (`fs.watch` plus
 *   polling every `fs.poll.interval.ms`), JSON-lines and CSV files are tailed (a partial last
 *   line waits for its newline), Avro files are read once they have not changed for
 *   `fs.stable.ms`.
 * - Positions carry the file's identity (device, inode, hash of the first 1024 bytes and of the 64
 *   before the offset): a file that grew resumes (a finished one too), a renamed one keeps its
 *   position, one that shrank or was rewritten, between runs or while read, fails the source or
 *   is re-read from the start (`fs.file.changed`).
 * - Files whose name starts with `.` are skipped unless the pattern names them: write
 *   `.name.tmp` and rename it into place for an atomic arrival.
 * - Memory stays flat: at most `fs.max.open.files` files are read at a time (a bounded scan
 *   opens one more ahead of its turn, so that its opening I/O overlaps the file before it), each
 *   `fs.read.buffer.bytes` at a time, and reading pauses while the pipeline is behind.
 * - `fs.decode.threads` (default 1, the main thread): bounded scans of JSON lines and CSV can
 *   decode on worker threads, each file cut into byte ranges of about `fs.decode.range.bytes`
 *   decoded at once and delivered in file order. A range starts at a guessed line start that is
 *   used only once the range before it, decoded from a verified start, ended its last record
 *   exactly there (a quoted newline across the boundary makes the guess wrong: the range is
 *   decoded again from the true end), so rows, order, offsets and checkpoints are those of one
 *   thread. Off by default: on the machines measured it loses (bench case parallel-decode).
 *
 * @example
 * import { createFsSource } from 'tributary/fs';
 * const source = createFsSource({ name: 'orders', path: './data', pattern: '*.csv', format: createFormat('csv') });
 *
 * @packageDocumentation
 */
export { fsConnector } from './fsConnector.js';
export { createFsSource, DEFAULT_DECODE_THREADS, DEFAULT_MAX_OPEN_FILES, type FsSourceOptions } from './createFsSource.js';
export { DEFAULT_RANGE_BYTES, decodeInRanges, type OrderedBatch, type RangeDecodeOptions } from './rangeDecode.js';
export type { FormatSpec } from '../../parallel/FormatSpec.js';
export { Semaphore } from './Semaphore.js';
export { createFsLookupTable, type FsLookupTableOptions } from './createFsLookupTable.js';
export { FsEnumerator, type FsEnumeratorOptions, type ScanMode } from './FsEnumerator.js';
export { FsSplitReader, DEFAULT_STABLE_MS, type FsSplitReaderOptions, type FileChangedPolicy, type FsWorkerDecoding } from './FsSplitReader.js';
export { FINGERPRINT_BYTES, TAIL_BYTES, type FilePosition } from './FilePosition.js';
export { FileByteInput, DEFAULT_READ_BUFFER_BYTES } from './FileByteInput.js';
export { fileChanges, type FileChange, type FileChangesOptions } from './fileChanges.js';
export { globMatcher, type GlobMatcher } from './globMatcher.js';
export { listFiles, type ListedFile } from './listFiles.js';
export type { FileSplit } from './FileSplit.js';

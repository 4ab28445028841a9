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
 * - Memory stays flat: at most `fs.max.open.files` files are read at a time, each
 *   `fs.read.buffer.bytes` at a time, and reading pauses while the pipeline is behind.
 *
 * @example
 * import { createFsSource } from 'tributary/fs';
 * const source = createFsSource({ name: 'orders', path: './data', pattern: '*.csv', format: createFormat('csv') });
 *
 * @packageDocumentation
 */
export { fsConnector } from './fsConnector.js';
export { createFsSource, DEFAULT_MAX_OPEN_FILES, type FsSourceOptions } from './createFsSource.js';
export { Semaphore } from './Semaphore.js';
export { createFsLookupTable, type FsLookupTableOptions } from './createFsLookupTable.js';
export { FsEnumerator, type FsEnumeratorOptions, type ScanMode } from './FsEnumerator.js';
export { FsSplitReader, DEFAULT_STABLE_MS, type FsSplitReaderOptions, type FileChangedPolicy } from './FsSplitReader.js';
export { FINGERPRINT_BYTES, TAIL_BYTES, type FilePosition } from './FilePosition.js';
export { FileByteInput, DEFAULT_READ_BUFFER_BYTES } from './FileByteInput.js';
export { fileChanges, type FileChange, type FileChangesOptions } from './fileChanges.js';
export { globMatcher, type GlobMatcher } from './globMatcher.js';
export { listFiles, type ListedFile } from './listFiles.js';
export type { FileSplit } from './FileSplit.js';

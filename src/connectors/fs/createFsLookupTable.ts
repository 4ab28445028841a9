import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { filter } from 'rxjs';
import type { BadRecordHandler, BadRecordPolicy } from '../../core/BadRecordHandler.js';
import { DEFAULT_BAD_RECORD_POLICY } from '../../core/SourceOptions.js';
import { BadRecordTracker } from '../../core/BadRecordTracker.js';
import type { DecodeContext, Format, Row, RowConverter } from '../../formats/Format.js';
import { LookupTable, type LookupKey } from '../../lookup/LookupTable.js';
import { lookupKeyOf } from '../../lookup/lookupKeyOf.js';
import { FileByteInput } from './FileByteInput.js';
import { fileChanges } from './fileChanges.js';
import { globMatcher } from './globMatcher.js';
import { listFiles } from './listFiles.js';

/** Options of {@link createFsLookupTable}. */
export interface FsLookupTableOptions<K extends LookupKey = LookupKey> {
  /** For errors; default: the path. */
  readonly name?: string;
  /** A file, or a directory whose files matching `pattern` together form the table. */
  readonly path: string;
  /** When `path` is a directory: which files (see `globMatcher`). Default `*`. */
  readonly pattern?: string;
  /** Must support `openStream`. */
  readonly format: Format;
  /**
   * The key: a column name, or a function of the row. Keys compare like `Map` keys (`1` is not
   * `'1'`: CSV columns are strings unless a schema converts them); rows with a `null` or missing
   * key are not indexed.
   */
  readonly key: string | ((row: Row) => K | null | undefined);
  readonly convert?: RowConverter;
  /** What to do with rows that do not decode: a policy or a handler. Default `fail`. */
  readonly badRecords?: BadRecordPolicy | BadRecordHandler;
  /** Notice changes through `fs.watch`. Default `true`. */
  readonly watch?: boolean;
  /** Also check size and modification time this often, in ms; `0` for `fs.watch` alone. Default 1000. */
  readonly pollIntervalMs?: number;
  /** Bytes per read. Default 256 KiB. */
  readonly readBufferBytes?: number;
}

/**
 * A lookup table over a local file (or the files of a directory), for {@link lookupJoin}: read
 * into a hash index on first use and rebuilt when a file changes (its size, modification time
 * or inode moved: noticed through `fs.watch` and polling). Replace the file atomically (write a
 * new file, rename it over the old one) so a rebuild never sees it half-written; a build that
 * saw the file change under it is repeated.
 *
 * @example
 * const customers = createFsLookupTable({ path: './customers.csv', format: createFormat('csv'), key: 'id' });
 * checkpointed(orders, lookupJoin(customers, (o) => String(o.customer_id))).pipe(toRecords());
 */
export function createFsLookupTable<K extends LookupKey = LookupKey>(options: FsLookupTableOptions<K>): LookupTable<K> {
  const path = resolve(options.path);
  const name = options.name ?? path;
  const { format, convert, readBufferBytes } = options;
  const openStream = format.openStream;
  if (openStream === undefined) throw new TypeError(`lookup table '${name}': format '${format.name}' cannot decode files (it has no stream decoder)`);
  const matcher = globMatcher(options.pattern ?? '*');
  const badRecords: BadRecordHandler =
    typeof options.badRecords === 'object' ? options.badRecords : new BadRecordTracker(options.badRecords ?? DEFAULT_BAD_RECORD_POLICY);
  const keyOf = lookupKeyOf<K>(options.key);

  /** The files of the table: `[id, absolute path]`, ids relative to the directory (or the file name). */
  const files = async (): Promise<{ dir: boolean; list: Array<{ id: string; path: string; version: string }> }> => {
    const s = await stat(path).catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(`'${path}' ${code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be read (${code ?? String(err)})`}`, { cause: err });
    });
    if (s.isFile()) return { dir: false, list: [{ id: basename(path), path, version: `${s.ino}:${s.size}:${s.mtimeMs}` }] };
    const listed = await listFiles(path, matcher);
    return { dir: true, list: listed.map((f) => ({ id: f.id, path: join(path, ...f.id.split('/')), version: `${f.id}:${f.size}:${f.mtimeMs}` })) };
  };

  async function* scan(): AsyncIterable<Row> {
    for (const file of (await files()).list) {
      const input = new FileByteInput(file.path, readBufferBytes);
      const context: DecodeContext = { source: name, splitId: file.id, badRecords, ...(convert === undefined ? {} : { convert }) };
      try {
        const decoder = await openStream!.call(format, input, null, context);
        for await (const bytes of input.stream(decoder.startByte)) yield* decoder.push(bytes).rows;
        yield* decoder.end().rows;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException | null)?.code;
        if (typeof code === 'string') throw new Error(`file '${file.path}' cannot be read (${code})`, { cause: err });
        throw err;
      } finally {
        input.close();
      }
    }
  }

  const version = async (): Promise<string> => (await files()).list.map((f) => f.version).join('\n');

  // Watch the file's directory rather than the file: an atomic replace swaps the inode, which a
  // watch on the file itself would not follow.
  let watchedDir = path;
  let recursive = true;
  let only: string | undefined;
  try {
    // Synchronous, once, at construction.
    if (statSync(path).isFile()) {
      watchedDir = dirname(path);
      recursive = false;
      only = basename(path);
    }
  } catch {
    // Missing for now: the first lookup reports it.
  }
  const changes = fileChanges(watchedDir, {
    recursive,
    // A table must not keep the process alive on its own (close() stops watching anyway).
    keepAlive: false,
    ...(options.watch === undefined ? {} : { watch: options.watch }),
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
  }).pipe(filter((c) => only === undefined || c.path === null || c.path === only));

  return new LookupTable<K>({ name, scan, keyOf, version, changes });
}

import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { GlobMatcher } from './globMatcher.js';

/** A file found by {@link listFiles}. */
export interface ListedFile {
  /** Path relative to the root, `/`-separated. */
  readonly id: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** Device and inode (decimal strings: they can exceed 2^53); they recognise a renamed file. */
  readonly dev: string;
  readonly ino: string;
}

/**
 * Lists the regular files below `root` that `matcher` accepts, sorted by id (so splits start in
 * a stable order). Symbolic links to files are followed; links to directories are not, which
 * rules out cycles. A directory that vanishes during the walk is skipped (a race, not an error);
 * any other error (a missing root, a directory without read permission) rejects, with an
 * `Error` naming the directory and the system error as `cause`.
 *
 * What is left out but may have been meant is reported to `warn` (one line each): a dangling
 * link or a link loop the pattern matches, a link to a directory, and a directory the pattern
 * names as if it were a file (`data.csv/` under `*.csv`).
 */
export async function listFiles(root: string, matcher: GlobMatcher, warn?: (message: string) => void): Promise<ListedFile[]> {
  const ids: string[] = [];
  await walk(root, '', 0, matcher, ids, true, warn ?? (() => {}));
  const found = await statAll(root, ids);
  found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return found;
}

/** stat calls in flight at once: enough to keep libuv's four threads busy, few enough not to flood them. */
const STAT_CONCURRENCY = 32;

/**
 * Stats every matched file, {@link STAT_CONCURRENCY} at a time rather than one after another:
 * awaited one by one, 1,000 files cost 1,000 turns of a busy event loop (the larger part of
 * restoring a 1,000-split checkpoint).
 */
async function statAll(root: string, ids: readonly string[]): Promise<ListedFile[]> {
  const found: ListedFile[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      try {
        const s = await stat(join(root, id), { bigint: true });
        found.push({ id, size: Number(s.size), mtimeMs: Number(s.mtimeMs), dev: String(s.dev), ino: String(s.ino) });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // Deleted since readdir.
        throw new Error(`file '${join(root, id)}' cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, ids.length) }, worker));
  return found;
}

async function walk(
  root: string,
  prefix: string,
  depth: number,
  matcher: GlobMatcher,
  found: string[],
  isRoot: boolean,
  warn: (message: string) => void,
): Promise<void> {
  const dir = prefix === '' ? root : join(root, prefix);
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!isRoot && (code === 'ENOENT' || code === 'ENOTDIR')) return;
    const what =
      code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a directory' : code === 'EACCES' ? 'is not readable (permission denied)' : `cannot be listed (${code ?? String(err)})`;
    throw new Error(`directory '${dir}' ${what}`, { cause: err });
  }
  for (const entry of entries) {
    const id = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    let isFile = entry.isFile();
    let isDirectory = entry.isDirectory();
    if (entry.isSymbolicLink()) {
      try {
        const target = await stat(join(root, id));
        isFile = target.isFile();
        if (target.isDirectory()) warn(`'${id}' is a symbolic link to a directory: not followed (links to directories could form a cycle)`);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (matcher(id)) {
          warn(
            code === 'ELOOP'
              ? `'${id}' is a symbolic link loop: skipped`
              : code === 'ENOENT'
                ? `'${id}' is a dangling symbolic link (its target does not exist): skipped`
                : `'${id}' is a symbolic link that cannot be followed (${code ?? String(err)}): skipped`,
          );
        }
        continue;
      }
      isDirectory = false;
    }
    // A directory the pattern names but whose contents it does not: meant to be a file?
    if (isDirectory && matcher(id) && !matcher(`${id}/x`)) warn(`'${id}' matches the pattern but is a directory: not read as a file`);
    if (isDirectory) {
      if (depth + 1 > matcher.maxDepth) continue;
      if (entry.name.startsWith('.') && !matcher.matchesHiddenDirectories) continue;
      await walk(root, id, depth + 1, matcher, found, false, warn);
    } else if (isFile && matcher(id)) {
      found.push(id);
    }
  }
}

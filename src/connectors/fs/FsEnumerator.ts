import { Observable, filter } from 'rxjs';
import type { Enumerator, EnumeratorContext } from '../../core/Enumerator.js';
import { SourceError } from '../../core/SourceError.js';
import type { FileChange } from './fileChanges.js';
import type { FileSplit } from './FileSplit.js';
import type { GlobMatcher } from './globMatcher.js';
import { listFiles, type ListedFile } from './listFiles.js';
import { bytePositionOf, decodePosition } from './FilePosition.js';
import type { SplitPosition } from '../../core/SourceSplit.js';
import type { JsonValue } from '../../core/Json.js';

/** Whether a scan reads what is there and completes, or keeps watching. */
export type ScanMode = 'bounded' | 'unbounded';

/** What {@link FsEnumerator} needs. */
export interface FsEnumeratorOptions {
  /** The scanned directory (absolute). */
  readonly root: string;
  readonly matcher: GlobMatcher;
  readonly scanMode: ScanMode;
  /** Change hints for `root`; required for `unbounded`. */
  readonly changes?: Observable<FileChange>;
}

/**
 * Lists the files of an `fs` source as splits. A bounded scan lists once and completes: the files
 * present at start are the source.
 *
 * On a restart, the first listing is compared with the restored positions, by device and inode:
 * - a file that kept its name and inode and whose size differs from what was read is re-opened
 *   even when it was finished (`reopen`): it grew, or it shrank and the reader's check reports it;
 * - a file whose inode now lies under another name was renamed (rotated: `app.log` to
 *   `app.log.1`): the new name inherits the stored position (`from`), and the file now under the
 *   old name is read from its start (`fresh`);
 * - an inode found nowhere (the file was replaced, or the state was restored onto another
 *   machine, where inodes differ) decides nothing here: the reader compares fingerprints. An unbounded scan lists again on every `rename` hint and
 * polling tick (coalesced: at most one listing runs, and at most one more is queued), emitting
 * the whole set whenever it changed. Deleted files leave the set, so their readers stop.
 */
export class FsEnumerator implements Enumerator<FileSplit> {
  constructor(private readonly options: FsEnumeratorOptions) {}

  splits(context: EnumeratorContext<FileSplit>): Observable<readonly FileSplit[]> {
    const { root, matcher, scanMode, changes } = this.options;
    // Each distinct warning once per run: an unbounded scan re-lists every poll interval.
    const warned = new Set<string>();
    const warn = (message: string): void => {
      if (warned.has(message)) return;
      warned.add(message);
      context.warn?.(message);
    };
    let first = true;
    const list = async (): Promise<FileSplit[]> => {
      let files: ListedFile[];
      try {
        files = await listFiles(root, matcher, warn);
      } catch (err) {
        throw new SourceError(err instanceof Error ? err.message : String(err), { source: context.source }, { cause: err });
      }
      if (files.length === 0) warn(`pattern '${matcher.pattern}' matches no file in '${root}'`);
      if (!first) return files.map((f) => ({ id: f.id }));
      first = false;
      const flags = restartFlags(files, context.restoredSplits);
      return files.map((f) => ({ ...flags.get(f.id), id: f.id }));
    };
    if (scanMode === 'bounded') {
      return new Observable<readonly FileSplit[]>((subscriber) => {
        list().then(
          (splits) => {
            subscriber.next(splits);
            subscriber.complete();
          },
          (err: unknown) => subscriber.error(err),
        );
      });
    }
    if (changes === undefined) throw new Error('an unbounded fs scan needs change hints');
    return new Observable<readonly FileSplit[]>((subscriber) => {
      let last: string | undefined;
      let running = false;
      let again = false;
      const run = async (): Promise<void> => {
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            const splits = await list();
            if (subscriber.closed) return;
            const key = splits.map((s) => s.id).join('\0');
            if (key !== last) {
              last = key;
              subscriber.next(splits);
            }
          } while (again && !subscriber.closed);
        } finally {
          running = false;
        }
      };
      const fail = (err: unknown): void => subscriber.error(err);
      // Subscribe to hints before the first listing, so a file arriving during it is not missed.
      const hints = changes.pipe(filter((c) => c.kind !== 'change')).subscribe({
        next: () => void run().catch(fail),
        error: fail,
      });
      run().catch(fail);
      return () => hints.unsubscribe();
    });
  }
}

/**
 * Per file id, the fields that tell the reader where a restarted read starts (see
 * {@link FsEnumerator}): `reopen`, `from` (an inherited stored offset) and `fresh`.
 */
function restartFlags(
  files: readonly ListedFile[],
  restored: ReadonlyMap<string, SplitPosition<FileSplit>>,
): Map<string, Record<string, JsonValue>> {
  const flags = new Map<string, Record<string, JsonValue>>();
  if (restored.size === 0) return flags;
  const byId = new Map(files.map((f) => [f.id, f]));
  const byInode = new Map(files.map((f) => [`${f.dev}:${f.ino}`, f]));
  for (const [id, position] of restored) {
    let stored;
    try {
      stored = decodePosition(position.offset);
    } catch {
      continue; // The reader reports an unreadable position.
    }
    const now = byId.get(id);
    const read = stored.read ?? bytePositionOf(stored.at);
    const grewOrShrank = now !== undefined && position.finished && now.size !== read;
    if (stored.dev === undefined || stored.ino === undefined) {
      if (grewOrShrank) flags.set(id, { ...flags.get(id), reopen: true });
      continue;
    }
    const inode = `${stored.dev}:${stored.ino}`;
    if (now !== undefined && `${now.dev}:${now.ino}` === inode) {
      if (grewOrShrank) flags.set(id, { ...flags.get(id), reopen: true });
      continue;
    }
    const moved = byInode.get(inode);
    if (moved !== undefined) {
      // Renamed: the position follows the file, whatever the new name's own old position was.
      flags.set(moved.id, { from: position.offset, reopen: true });
      if (now !== undefined && flags.get(id)?.['from'] === undefined) flags.set(id, { fresh: true, reopen: true });
    } else if (now !== undefined && position.finished) {
      // Another inode under the same name: replaced, or restored onto another machine. Let the
      // reader's fingerprint check decide (a copy with the same bytes simply resumes).
      if (now.size !== read) flags.set(id, { ...flags.get(id), reopen: true });
    }
  }
  return flags;
}

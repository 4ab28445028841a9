import { Observable, filter } from 'rxjs';
import type { Enumerator, EnumeratorContext } from '../../core/Enumerator.js';
import { SourceError } from '../../core/SourceError.js';
import type { FileChange } from './fileChanges.js';
import type { FileSplit } from './FileSplit.js';
import type { GlobMatcher } from './globMatcher.js';
import { listFiles } from './listFiles.js';

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
 * present at start are the source. An unbounded scan lists again on every `rename` hint and
 * polling tick (coalesced: at most one listing runs, and at most one more is queued), emitting
 * the whole set whenever it changed. Deleted files leave the set, so their readers stop.
 */
export class FsEnumerator implements Enumerator<FileSplit> {
  constructor(private readonly options: FsEnumeratorOptions) {}

  splits(context: EnumeratorContext<FileSplit>): Observable<readonly FileSplit[]> {
    const { root, matcher, scanMode, changes } = this.options;
    const list = async (): Promise<FileSplit[]> => {
      try {
        return (await listFiles(root, matcher)).map((f) => ({ id: f.id }));
      } catch (err) {
        throw new SourceError(err instanceof Error ? err.message : String(err), { source: context.source }, { cause: err });
      }
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

import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { asyncScheduler, interval, Observable, share, type SchedulerLike, type Subscription } from 'rxjs';

/** How often a watched directory is re-listed by default (`fs.poll.interval.ms`). */
export const DEFAULT_POLL_INTERVAL_MS = 1000;

/**
 * A hint that something below a watched directory may have changed:
 * - `rename`: a file or directory appeared, vanished or was renamed (`path` when known);
 * - `change`: a file's content changed (`path` when known);
 * - `poll`: the polling timer fired: anything may have changed.
 *
 * Hints only: consumers always re-list or `stat` to learn what actually changed, because
 * `fs.watch` coalesces, drops and (on some platforms) omits file names.
 */
export interface FileChange {
  readonly kind: 'rename' | 'change' | 'poll';
  /** Path relative to the watched directory, `/`-separated, or `null` when unknown. */
  readonly path: string | null;
}

/** How {@link fileChanges} notices changes. */
export interface FileChangesOptions {
  /** Use `fs.watch` (inotify, FSEvents, ReadDirectoryChangesW). Default `true`. */
  readonly watch?: boolean;
  /**
   * Emit a `poll` hint this often, in milliseconds; `0` turns polling off (only allowed with
   * `watch`). Polling stays on beside `fs.watch` by default because `fs.watch` misses events on
   * network and container file systems and fails when the inotify watch limit is reached.
   * Default 1000.
   */
  readonly pollIntervalMs?: number;
  /** Watch subdirectories too. Default `true`. */
  readonly recursive?: boolean;
  /**
   * Whether the watcher and the polling timer keep the process alive, as an unbounded source
   * must. Default `true`; a lookup table's change detection passes `false`.
   */
  readonly keepAlive?: boolean;
  /** Called once when `fs.watch` is unavailable or fails, before falling back to polling alone. */
  readonly onWatchError?: (err: unknown) => void;
  /**
   * The polling timer runs here (virtual time in tests). Default `asyncScheduler`. With
   * `keepAlive: false` and no scheduler given, polling uses an unref'd Node timer instead: a
   * scheduler's timers cannot be told not to keep the process alive.
   */
  readonly scheduler?: SchedulerLike | undefined;
}

/** Polling interval used when `fs.watch` fails and polling was configured off. */
const FALLBACK_POLL_MS = 1000;

/**
 * A shared, hot-while-subscribed stream of change hints for the directory `root` (and, by
 * default, everything below it).
 * One watcher serves every subscriber (the enumerator and every tailing reader of a source);
 * it is closed when the last one unsubscribes.
 *
 * @example
 * fileChanges('/data', { pollIntervalMs: 500 }).subscribe((c) => console.log(c.kind, c.path));
 */
export function fileChanges(root: string, options: FileChangesOptions = {}): Observable<FileChange> {
  const useWatch = options.watch ?? true;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const keepAlive = options.keepAlive ?? true;
  if (!useWatch && !(pollIntervalMs > 0)) {
    throw new Error('a directory must be watched or polled: set fs.watch to true or fs.poll.interval.ms above 0');
  }
  return new Observable<FileChange>((subscriber) => {
    let watcher: FSWatcher | undefined;
    let timer: NodeJS.Timeout | undefined;
    let polling: Subscription | undefined;
    const poll = (): void => subscriber.next({ kind: 'poll', path: null });
    const startPolling = (ms: number): void => {
      if (timer !== undefined || polling !== undefined) return;
      if (!keepAlive && options.scheduler === undefined) {
        timer = setInterval(poll, ms);
        timer.unref();
      } else {
        polling = interval(ms, options.scheduler ?? asyncScheduler).subscribe(poll);
      }
    };
    const fallBack = (err: unknown): void => {
      watcher?.close();
      watcher = undefined;
      options.onWatchError?.(err);
      startPolling(pollIntervalMs > 0 ? pollIntervalMs : FALLBACK_POLL_MS);
    };
    if (useWatch) {
      try {
        watcher = fsWatch(root, { recursive: options.recursive ?? true, persistent: keepAlive }, (eventType, filename) => {
          const path = filename === null ? null : String(filename).split('\\').join('/');
          subscriber.next({ kind: eventType === 'change' ? 'change' : 'rename', path });
        });
        watcher.on('error', fallBack);
      } catch (err) {
        fallBack(err);
      }
    }
    if (pollIntervalMs > 0) startPolling(pollIntervalMs);
    return () => {
      watcher?.close();
      if (timer !== undefined) clearInterval(timer);
      polling?.unsubscribe();
    };
  }).pipe(share());
}

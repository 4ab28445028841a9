import { Subject, type Subscription } from 'rxjs';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import type { Source } from '../../../src/core/Source.js';
import { isBarrier, isChunk, type Chunk } from '../../../src/core/SourceEvent.js';

/** What one subscription of a source delivered, through `commitEpochs`. */
export interface Run<T> {
  readonly rows: T[];
  readonly chunks: Chunk<T>[];
  /** Rows delivered before the last barrier that reached the end (committed). */
  committedRows: number;
  barriers: number;
  finalBarrier: boolean;
}

/** A running subscription of a source. */
export interface LiveRun<T> {
  readonly run: Run<T>;
  /** Unsubscribes (a crash, as far as the source can tell). */
  stop(): void;
  /** Settles when the source completes, fails, or `stop` is called. */
  readonly done: Promise<Run<T>>;
  /** The error, if the source failed. */
  error: unknown;
}

/** Subscribes to `source` through `commitEpochs` and records what arrives. */
export function startRun<T>(source: Source<T>, onEvent: (run: Run<T>) => void = () => undefined): LiveRun<T> {
  const run: Run<T> = { rows: [], chunks: [], committedRows: 0, barriers: 0, finalBarrier: false };
  let resolveDone!: (run: Run<T>) => void;
  let rejectDone!: (err: unknown) => void;
  const done = new Promise<Run<T>>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  let stopped = false;
  const live: LiveRun<T> = {
    run,
    error: undefined,
    stop: () => {
      if (stopped) return;
      stopped = true;
      setImmediate(() => subscription.unsubscribe());
      resolveDone(run);
    },
    done,
  };
  const subscription: Subscription = source.pipe(commitEpochs(source)).subscribe({
    next: (event) => {
      if (stopped) return;
      if (isChunk(event)) {
        run.chunks.push(event);
        run.rows.push(...event.records);
      } else if (isBarrier(event)) {
        run.barriers++;
        run.committedRows = run.rows.length;
        if (event.final === true) run.finalBarrier = true;
      }
      onEvent(run);
    },
    error: (err: unknown) => {
      stopped = true;
      live.error = err;
      rejectDone(err);
    },
    complete: () => {
      stopped = true;
      resolveDone(run);
    },
  });
  return live;
}

/**
 * Runs `source` until `stop(run)` returns true (then unsubscribes, like a crash at that point),
 * or until it completes or fails.
 */
export function runSource<T>(source: Source<T>, stop: (run: Run<T>) => boolean = () => false): Promise<Run<T>> {
  let live: LiveRun<T> | undefined;
  let early = false;
  live = startRun(source, (run) => {
    if (stop(run)) {
      if (live === undefined) early = true;
      else live.stop();
    }
  });
  if (early) live.stop();
  return live.done;
}

/** A barrier trigger for `SourceOptions.barriers`. */
export function manualBarriers(): Subject<void> {
  return new Subject<void>();
}

/** Resolves after `ms` (only to let a polling connector make progress, never as an assertion). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 20 ms until it holds, failing after `timeoutMs`. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

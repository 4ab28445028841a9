import { asyncScheduler, defer, type Observable, type SchedulerLike } from 'rxjs';
import { SourceError } from '../../core/SourceError.js';
import { chunk, type Chunk } from '../../core/SourceEvent.js';
import type { SourceSplit } from '../../core/SourceSplit.js';
import type { ReaderContext, SplitReader } from '../../core/SplitReader.js';
import { pauseGate } from './pauseGate.js';
import { runLoop } from './runLoop.js';
import { sleep } from './sleep.js';
import type { FetchIo, Fetched, FetchStep, SplitFetch } from './SplitFetch.js';
import { RetryBudget, type RetryEvent, type RetryPolicy } from './RetryBudget.js';

/** A retry of the fetch loop: a {@link RetryEvent} that also says which split, and where it resumes. */
export interface FetchRetryEvent extends RetryEvent {
  readonly split: string;
  /** The position the retried fetch starts from: the last one delivered, or `null` for the split's start. */
  readonly position: string | null;
}

/** A {@link RetryPolicy} whose retry events name the split and the position (logs of a many-split source need both). */
export type FetchRetryPolicy = Omit<RetryPolicy, 'onRetry'> & {
  readonly onRetry?: ((event: FetchRetryEvent) => void) | undefined;
};

/** What {@link fetchReader} builds a reader from: a fetch step and how to pace and retry it. */
export type FetchReaderOptions<S extends SourceSplit, T> = (
  | {
      /** The fetch step of a stateless connector (see {@link FetchStep}). */
      readonly fetch: FetchStep<S, T>;
      readonly open?: never;
    }
  | {
      /** Opens a split for a read whose fetches carry state (see {@link SplitFetch}). */
      readonly open: (split: S, start: string | null, io: FetchIo) => Promise<SplitFetch<T>>;
      readonly fetch?: never;
    }
) & {
  /** Timers (pacing, idling, backoff) run here; default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
  /** At least this long between the starts of two fetches of a split (an API's per-shard rate). Default 0. */
  readonly intervalMs?: number | undefined;
  /** After a fetch that brought nothing and did not move the position, wait this long (an unbounded split at its end). Default 0. */
  readonly idleMs?: number | undefined;
  /**
   * Retries of failed fetches. The budgets count failures *in a row without progress*: a fetch
   * that moves the position renews them, so a long read survives any number of spread-out
   * hiccups but not one spot that keeps failing. Without it, a failed fetch fails the read.
   */
  readonly retry?: FetchRetryPolicy | undefined;
  /** The checkpoint-complete hook, passed through to the reader (see `SplitReader.checkpointComplete`). */
  readonly checkpointComplete?: SplitReader<S, T>['checkpointComplete'];
};

/**
 * The connector base's reader (Flink's `SourceReaderBase` + `SplitFetcher`, for one split per
 * read): turns a fetch step into a {@link SplitReader}. For each split read it runs the fetch
 * loop:
 *
 * 1. wait while the source asks readers to pause (`context.paused$`);
 * 2. wait out `intervalMs` since the previous fetch started;
 * 3. fetch at the current position; a failure the retry policy classifies is retried after a
 *    backoff, up to its budget, at the *same* position (the step reopens whatever broke); the
 *    budgets start over when the position moves, or when the step says it was `stable`;
 * 4. emit the records as one chunk (a chunk without records when only the position moved, so a
 *    restart does not fetch what decoded to nothing again); nothing when neither;
 * 5. complete when the step says `done`, else wait `idleMs` if nothing came, and go to 1.
 *
 * Every wait runs on the scheduler. Unsubscribing aborts the signal the step got and closes the
 * read. A failure fails the read with a `SourceError` naming the source, the split and the last
 * position delivered (after the step's `describe`).
 *
 * ```
 * fetch results:   a---#-------b------(c,done)     (# = a transient failure)
 * retry backoff:        200ms
 * chunks:          a-----------b------c|
 * paused$:         f-------t-----f
 * fetches:         x-------   ---x                  (none while paused)
 * ```
 *
 * @example
 * // The smallest connector: an array per split, read 100 at a time.
 * const reader = fetchReader<ArraySplit, string>({
 *   fetch: async (split, position) => {
 *     const from = Number(position ?? 0);
 *     const records = upstream[split.id].slice(from, from + 100);
 *     return { records, nextOffset: String(from + records.length), done: from + records.length >= upstream[split.id].length };
 *   },
 *   retry: { classify: (e) => (isTransient(e) ? 'transient' : null), retries: { transient: 3 }, backoff: { baseMs: 100, maxMs: 5_000 } },
 * });
 * const source = createSource({ name: 'arrays', enumerator, reader });
 */
export function fetchReader<S extends SourceSplit, T>(options: FetchReaderOptions<S, T>): SplitReader<S, T> {
  const reader: SplitReader<S, T> = { read: (split, offset, context) => readSplit(options, split, offset, context) };
  const hook = options.checkpointComplete;
  if (hook !== undefined) reader.checkpointComplete = (checkpoint) => hook(checkpoint);
  return reader;
}

function readSplit<S extends SourceSplit, T>(options: FetchReaderOptions<S, T>, split: S, offset: string | null, context: ReaderContext): Observable<Chunk<T>> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const intervalMs = options.intervalMs ?? 0;
  const idleMs = options.idleMs ?? 0;
  // Per subscription: a resubscribed read starts again from `offset`.
  return defer(() => {
    let position = offset;
    let fetch: SplitFetch<T> | undefined;
    return runLoop<Chunk<T>>(
      async ({ subscriber, signal }) => {
        const io: FetchIo = { signal, scheduler, context };
        const gate = pauseGate(context.paused$, signal);
        const { open } = options;
        fetch = open !== undefined ? await open(split, offset, io) : { next: (at) => options.fetch(split, at, io) };
        try {
          /** Failures in a row since the position last moved (or the step was last stable), per budget. */
          const { retry } = options;
          const onRetry = retry?.onRetry;
          const budget =
            retry === undefined
              ? undefined
              : new RetryBudget({ ...retry, onRetry: onRetry === undefined ? undefined : (event) => onRetry({ ...event, split: split.id, position }) });
          let lastStart = -Infinity;
          for (;;) {
            await gate.wait();
            if (signal.aborted) return;
            if (intervalMs > 0) await sleep(lastStart + intervalMs - scheduler.now(), signal, scheduler);
            if (signal.aborted) return;
            lastStart = scheduler.now();
            let fetched: Fetched<T>;
            try {
              fetched = await fetch.next(position);
            } catch (err) {
              if (signal.aborted || budget === undefined) throw err;
              if (fetch.stable?.() === true) budget.reset();
              await sleep(budget.failed(err), signal, scheduler);
              continue;
            }
            if (signal.aborted) return;
            const { records, nextOffset } = fetched;
            if (nextOffset === undefined && records.length > 0) {
              throw new Error('the fetch step returned records without a nextOffset: a checkpoint could not say where they end');
            }
            const moved = nextOffset !== undefined && nextOffset !== position;
            if (moved) budget?.reset();
            const { lag } = fetched;
            if (nextOffset !== undefined && (moved || records.length > 0)) {
              const out = chunk(split.id, records, fetched.offset ?? position ?? nextOffset, nextOffset);
              if (lag !== undefined) context.metrics?.lag(split.id, lag.value, lag.unit, out);
              subscriber.next(out);
              position = nextOffset;
            } else if (lag !== undefined) {
              context.metrics?.lag(split.id, lag.value, lag.unit);
            }
            if (fetched.done === true) return;
            if (!moved && records.length === 0 && idleMs > 0) await sleep(idleMs, signal, scheduler);
          }
        } finally {
          fetch.close?.();
        }
      },
      (err) => {
        const described = fetch?.describe !== undefined && !(err instanceof SourceError) ? fetch.describe(err) : err;
        return SourceError.wrap(described, { source: context.source, split: split.id, ...(position === null ? {} : { offset: position }) });
      },
    );
  });
}

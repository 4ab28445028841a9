import type { SchedulerLike } from 'rxjs';
import type { SourceSplit } from '../../core/SourceSplit.js';
import type { ReaderContext } from '../../core/SplitReader.js';
import type { LagUnit } from '../../core/SourceMetrics.js';

/**
 * What one fetch brought: records and the position after them. The fetch loop turns it into a
 * chunk (see {@link fetchReader}).
 */
export interface Fetched<T> {
  /** In upstream order; may be empty (nothing new yet, or only records that decoded to nothing). */
  readonly records: readonly T[];
  /**
   * The position after the last record: what a checkpoint stores and a restart hands back to the
   * next fetch. Absent: the position did not move (then `records` must be empty).
   */
  readonly nextOffset?: string;
  /** The position of the first record, for error reports; default the position fetched from. */
  readonly offset?: string;
  /** The split is exhausted (a bounded split's end, a closed shard): the read completes. */
  readonly done?: boolean;
  /**
   * How far the split is behind its upstream's head after this fetch, when the upstream says
   * (Kinesis' `MillisBehindLatest`). The loop reports it with the chunk it builds (so it takes
   * effect when the source emits that chunk), or at once when the fetch built none.
   */
  readonly lag?: { readonly value: number; readonly unit: LagUnit };
}

/** What a fetch step gets besides the split and position. */
export interface FetchIo {
  /** Aborted when the read is unsubscribed: pass it to every client call. */
  readonly signal: AbortSignal;
  /** Where every wait goes (virtual time in marble tests). */
  readonly scheduler: SchedulerLike;
  /** The source's reader context: its name, bad-record policy and warnings. */
  readonly context: ReaderContext;
}

/**
 * The fetch step of a stateless connector: reads the records at `position` (`null`: the split's
 * configured start) and says where the next fetch begins. Called again with the `nextOffset` it
 * returned, never concurrently.
 *
 * @example
 * const fetch: FetchStep<LineSplit, string> = async (split, position) => {
 *   const from = Number(position ?? 0);
 *   const lines = (await readFile(split.path, 'utf8')).split('\n').slice(from, from + 100);
 *   return { records: lines, nextOffset: String(from + lines.length), done: lines.length === 0 };
 * };
 */
export type FetchStep<S extends SourceSplit, T> = (split: S, position: string | null, io: FetchIo) => Promise<Fetched<T>>;

/**
 * One split opened for reading, for connectors whose reads carry state from fetch to fetch (a
 * shard iterator, a stream decoder, a cursor): {@link fetchReader}'s `open` returns it once per read.
 */
export interface SplitFetch<T> {
  /** Fetches from `position`: the read's start at first, then the `nextOffset` returned before. */
  next(position: string | null): Promise<Fetched<T>>;
  /** Releases what the read holds; called once when it ends, however it ends. */
  close?(): void;
  /**
   * Turns a failure into the error the read fails with (it is then located at source, split and
   * position if it is not a `SourceError` already). Here because the read's state knows what was
   * going on ("GetRecords on stream 's'"). Default: the error as it is.
   */
  describe?(err: unknown): unknown;
  /**
   * Asked when a fetch fails, before the failure counts against the retry budgets: whether the
   * read had been healthy long enough before it (a connection that held for a while, on an idle
   * split where the position cannot move) that this failure starts a new run instead of
   * lengthening the last one. `true` starts the budgets over, as a moved position does. Default:
   * only a moved position does, so a long-lived connection to an idle split that a proxy or a
   * load balancer cuts now and then would spend the budget without this.
   */
  stable?(): boolean;
}

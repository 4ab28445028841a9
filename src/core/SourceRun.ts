import { Subject, Subscription, asyncScheduler, defer, interval, type SchedulerLike, type Subscriber } from 'rxjs';
import type { BadRecordTracker } from './BadRecordTracker.js';
import { writeSnapshot, type RestoredCheckpoint } from './Checkpoint.js';
import { CheckpointState } from './CheckpointState.js';
import type { Enumerator, EnumeratorContext } from './Enumerator.js';
import { FlowControl } from './FlowControl.js';
import type { MetricsRecorder } from './MetricsRecorder.js';
import { RateLimiter } from './RateLimiter.js';
import { SourceError, messageOf, type BadRecordError } from './SourceError.js';
import type { Barrier, Chunk, SourceEvent } from './SourceEvent.js';
import { DEFAULT_CHECKPOINT_INTERVAL_MS, type SourceOptions } from './SourceOptions.js';
import type { SourceSplit, SplitPosition } from './SourceSplit.js';
import type { ReaderContext, SplitReader } from './SplitReader.js';
import type { StateStore } from './StateStore.js';

/** What a run is started with, beyond the checkpoint it restores: the source's parts and settings. */
export interface RunSetup<S extends SourceSplit, T> {
  readonly name: string;
  readonly store: StateStore;
  readonly enumerator: Enumerator<S>;
  readonly reader: SplitReader<S, T>;
  readonly options: Pick<SourceOptions, 'barriers' | 'checkpointIntervalMs' | 'scheduler'>;
  readonly badRecords: BadRecordTracker;
  readonly highWaterMark: number;
  /** Reports a warning on the source's `warnings$`. */
  readonly warn: (message: string, split?: string) => void;
  /** Where a split new to the run starts, when something knows better than `null` (split leases). */
  readonly startPosition?: (id: string) => { readonly offset: string | null; readonly finished: boolean } | undefined;
  /** The lease token split `id` is held under now (split leases); a change restarts its reading at {@link startPosition}. */
  readonly leaseToken?: (id: string) => string | undefined;
  /**
   * A snapshot of the run was written (before its barrier is emitted). `departed`: splits it
   * records only because they just left the set (split leases hand them over at that position).
   * `tokens`: the lease token each split's position was read under (split leases write it only under that token).
   */
  readonly snapshotWritten: (epoch: number, splits: Readonly<Record<string, SplitPosition<S>>>, departed: ReadonlySet<string>, tokens: ReadonlyMap<string, string>) => void;
  /** Where the run counts rows and checkpoints; readers report bytes and lag to it. */
  readonly metrics: MetricsRecorder;
  /** The source's rate limit when the run starts (rows per second; `null`: none). */
  readonly rateLimit: number | null;
}

/**
 * Where a run stands, in order:
 * - `reading`: the enumerator may still change the split set;
 * - `enumerated`: the enumerator completed; readers may still be reading;
 * - `completing`: the enumerator completed and every reader finished (a bounded source): the
 *   completion is queued behind the events before it, then the final checkpoint, if anything
 *   changed since the last one;
 * - `stopped`: completed, failed or unsubscribed; nothing more happens.
 */
export type RunPhase = 'reading' | 'enumerated' | 'completing' | 'stopped';

/**
 * Whether queued events may go out: `open`, or `held` while a snapshot write is in flight (its
 * barrier is emitted once the write is done; everything queued meanwhile comes after it).
 */
export type OutputGate = 'open' | 'held';

/** A bad record a reader set aside (policy `skip` or `dead-letter`), not reported yet. */
type HeldBadRecord = readonly [error: BadRecordError, raw: Uint8Array | null];

/**
 * Items that must reach the subscriber in the order they happened. `bad`: the split's bad
 * records reported by its reader since its last chunk, reported when this item goes out.
 */
type Pending<T> =
  | { readonly kind: 'chunk'; readonly chunk: Chunk<T>; readonly bad?: readonly HeldBadRecord[] }
  | { readonly kind: 'finished'; readonly id: string; readonly reader: Subscription; readonly bad?: readonly HeldBadRecord[] }
  | { readonly kind: 'bad'; readonly bad: readonly HeldBadRecord[] }
  | { readonly kind: 'barrier'; readonly requestedAt: number }
  | { readonly kind: 'complete' };

/**
 * One subscription of a source made by `createSource`: follows the enumerator's split sets with
 * one reader per split, merges their chunks in order, takes a snapshot at each barrier request
 * (emitting the barrier once it is written) and completes a bounded source with a final
 * checkpoint. Imperative on purpose: chunks, barrier requests and reader completions must go out
 * in the exact order they happened, synchronously when the store is synchronous (virtual time),
 * and a snapshot write holds them back in place; the queue below says that more directly than a
 * chain of operators with buffers would.
 */
export class SourceRun<S extends SourceSplit, T> {
  private phase: RunPhase = 'reading';
  private output: OutputGate = 'open';
  /** Reentrancy guard of {@link drain} (an emission can enqueue synchronously). */
  private draining = false;
  private readonly state: CheckpointState<S>;
  private readonly flow: FlowControl;
  private readonly readers = new Map<string, Subscription>();
  /** Bad records each split's reader reported since its last chunk (see `readerContext`). */
  private readonly heldBad = new Map<string, HeldBadRecord[]>();
  private readonly subscriptions = new Subscription();
  private readonly pending: Pending<T>[] = [];
  private lastEpoch: number;
  private readonly finished = new Subject<string>();
  private readonly readerContext: ReaderContext;
  private readonly scheduler: SchedulerLike;
  private readonly limiter: RateLimiter;
  /** The rate limit holds the head of the queue back; `wake` (if any) retries when tokens suffice. */
  private throttled = false;
  private wake: Subscription | undefined;

  constructor(
    private readonly setup: RunSetup<S, T>,
    restored: RestoredCheckpoint<S>,
    private readonly subscriber: Subscriber<SourceEvent<T>>,
  ) {
    this.lastEpoch = restored.lastEpoch;
    this.state = new CheckpointState(restored.snapshot, setup.startPosition !== undefined);
    this.flow = new FlowControl(setup.highWaterMark, () => this.phase !== 'stopped');
    this.scheduler = setup.options.scheduler ?? asyncScheduler;
    this.limiter = new RateLimiter(setup.rateLimit, this.scheduler);
    const tracker = setup.badRecords;
    this.readerContext = {
      source: setup.name,
      // A reader reports bad records just before the chunk whose position moves past them. The
      // rate limit or a snapshot write can hold that chunk back behind a barrier, whose
      // checkpoint then does not cover the records: reported at once, they would be reported
      // (counted, dead-lettered) again when a rollback to that barrier reads them again. So they
      // wait with their split and go out with its next chunk (or its end), in one synchronous
      // step: a barrier covers both or neither. Under `fail` the tracker throws at once.
      badRecords: {
        policy: tracker.policy,
        handle: (error, raw) => {
          const split = error.split;
          if (tracker.policy === 'fail' || split === undefined || !this.readers.has(split)) return tracker.handle(error, raw);
          if (this.stopped) return;
          const held = this.heldBad.get(split);
          if (held === undefined) this.heldBad.set(split, [[error, raw]]);
          else held.push([error, raw]);
        },
      },
      paused$: this.flow.paused$,
      warn: (message) => this.warn(message),
      metrics: setup.metrics,
      chunkRows: () => chunkRowsFor(this.limiter.limit),
    };
  }

  get stopped(): boolean {
    return this.phase === 'stopped';
  }

  begin(): void {
    const { name, enumerator, options } = this.setup;
    const context: EnumeratorContext<S> = {
      source: name,
      restoredState: this.state.enumeratorState,
      restoredSplits: this.state.restoredSplits(),
      saveState: (state) => this.state.saveEnumeratorState(state),
      finished$: this.finished.asObservable(),
      warn: (message, split) => this.warn(message, split),
    };
    this.subscriptions.add(
      defer(() => enumerator.splits(context)).subscribe({
        next: (splits) => this.assign(splits),
        error: (err: unknown) => this.fail(SourceError.wrap(err, { source: name })),
        complete: () => {
          if (this.phase === 'reading') this.phase = 'enumerated';
          this.checkComplete();
        },
      }),
    );
    if (this.stopped) return;
    const barriers = options.barriers ?? interval(options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS, this.scheduler);
    this.subscriptions.add(
      barriers.subscribe({
        next: () => this.requestBarrier(),
        error: (err: unknown) => this.fail(SourceError.wrap(err, { source: name })),
      }),
    );
  }

  private warn(message: string, split?: string): void {
    if (this.stopped) return;
    this.setup.warn(message, split);
  }

  stop(): void {
    this.phase = 'stopped';
    this.heldBad.clear();
    this.wake?.unsubscribe();
    this.wake = undefined;
    this.subscriptions.unsubscribe();
    for (const reader of this.readers.values()) reader.unsubscribe();
    this.readers.clear();
    this.pending.length = 0;
    this.flow.complete();
    this.finished.complete();
  }

  /** `epoch` was committed: what was emitted before its barrier is acknowledged. */
  committed(epoch: number): void {
    this.flow.committed(epoch);
  }

  acknowledge(records: number): void {
    this.flow.acknowledge(records);
  }

  /** The source's rate limit changed: it applies from now on, to the chunk waiting too. */
  setRateLimit(rate: number | null): void {
    if (this.stopped) return;
    this.limiter.setLimit(rate);
    this.unthrottle();
    this.drain();
  }

  private assign(splits: readonly S[]): void {
    const next = new Map<string, S>();
    for (const split of splits) {
      if (next.has(split.id)) {
        this.fail(new SourceError(`enumerator emitted split id '${split.id}' twice in one set`, { source: this.setup.name, split: split.id }));
        return;
      }
      next.set(split.id, split);
    }
    for (const [id, reader] of this.readers) {
      if (!next.has(id)) {
        reader.unsubscribe();
        this.readers.delete(id);
        const { bad } = this.takeBad(id);
        // With leases what was read and not emitted is the next holder's to read (and report)
        // again; without, the split is gone and its last bad records follow its queued chunks.
        if (this.setup.startPosition !== undefined) this.dropQueued(id);
        else if (bad !== undefined) this.enqueue({ kind: 'bad', bad });
      }
    }
    this.state.assign(next);
    this.setup.metrics.assigned(next);
    for (const [id, split] of next) {
      this.followLease(id);
      const position = this.state.track(split, this.state.position(id) === undefined ? this.setup.startPosition?.(id) : undefined);
      // A finished split is read again only when the enumerator says its upstream grew.
      if (!this.readers.has(id) && (!(position?.finished ?? false) || split['reopen'] === true)) this.startReader(split, position?.offset ?? null);
      if (this.stopped) return;
    }
    this.checkComplete();
  }

  /**
   * With split leases, split `id` left the held set: its chunks read but not yet emitted (held
   * back by the rate limit or a snapshot write) are dropped. The split is handed over at the
   * position after its last *emitted* chunk, and a throttled barrier can go out ahead of these
   * chunks, so emitting them later would repeat rows the next holder reads again (and, with the
   * split back here, move its position from the wrong reader).
   */
  private dropQueued(id: string): void {
    let records = 0;
    let kept = 0;
    for (const item of this.pending) {
      if (item.kind === 'chunk' && item.chunk.splitId === id) records += item.chunk.records.length + (item.bad?.length ?? 0);
      else this.pending[kept++] = item;
    }
    if (kept === this.pending.length) return;
    this.pending.length = kept;
    this.flow.dropped(records);
  }

  /**
   * With split leases: a split held under another token than before was lost and taken again
   * (another process may have read and committed it meanwhile), so what this run read of it is
   * void: its reader stops, its chunks still queued are never emitted, and it starts again at
   * the lease's position.
   */
  private followLease(id: string): void {
    const token = this.setup.leaseToken?.(id);
    if (token === undefined) return;
    const previous = this.state.token(id);
    this.state.setToken(id, token);
    if (previous === undefined || previous === token || this.state.position(id) === undefined) return;
    this.readers.get(id)?.unsubscribe();
    this.readers.delete(id);
    this.heldBad.delete(id);
    this.dropQueued(id);
    this.state.forget(id);
  }

  /** The bad records split `id`'s reader reported since its last chunk (see `readerContext`), now the item's to report. */
  private takeBad(id: string): { bad?: readonly HeldBadRecord[] } {
    const bad = this.heldBad.get(id);
    if (bad === undefined) return {};
    this.heldBad.delete(id);
    return { bad };
  }

  private startReader(split: S, offset: string | null): void {
    const reader = new Subscription();
    this.readers.set(split.id, reader);
    reader.add(
      defer(() => this.setup.reader.read(split, offset, this.readerContext)).subscribe({
        next: (chunk) => this.enqueue({ kind: 'chunk', chunk, ...this.takeBad(chunk.splitId) }),
        error: (err: unknown) =>
          this.fail(SourceError.wrap(err, { source: this.setup.name, split: split.id, offset: this.state.position(split.id)?.offset ?? undefined })),
        complete: () => this.enqueue({ kind: 'finished', id: split.id, reader, ...this.takeBad(split.id) }),
      }),
    );
  }

  private requestBarrier(): void {
    const barrier: Pending<T> = { kind: 'barrier', requestedAt: this.scheduler.now() };
    if (this.throttled) {
      // The rate limit never delays a checkpoint: the barrier goes ahead of the chunks it holds
      // back. They have not been emitted, so the snapshot (positions after the last chunk
      // emitted) does not cover them, and they follow the barrier: nothing is skipped or lost.
      if (this.pending[0]?.kind === 'barrier') return;
      this.pending.unshift(barrier);
      this.drain();
      return;
    }
    // Requests that pile up behind a slow write would only snapshot the same positions again.
    if (this.pending.at(-1)?.kind === 'barrier') return;
    this.enqueue(barrier);
  }

  private checkComplete(): void {
    if (this.phase !== 'enumerated' || this.readers.size > 0) return;
    this.phase = 'completing';
    this.enqueue({ kind: 'complete' });
  }

  private enqueue(item: Pending<T>): void {
    if (this.stopped) return;
    this.pending.push(item);
    // Bad records count as records while they wait with their chunk: a split of nothing but
    // bad records behind a slow snapshot write would otherwise pile up their raw bytes unpaused.
    if (item.kind === 'chunk') this.flow.queued(item.chunk.records.length + (item.bad?.length ?? 0), this.output === 'held');
    this.drain();
  }

  /** Emits pending items in order, stopping while a snapshot write is in flight. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      let blocked = false;
      while (this.output === 'open' && !this.stopped && this.pending.length > 0) {
        const head = this.pending[0]!;
        // A bounded source completes once the rate limit's debt is paid, like a next chunk would.
        const wait = head.kind === 'chunk' ? this.limiter.take(head.chunk.records.length) : head.kind === 'complete' ? this.limiter.settle() : 0;
        if (wait !== 0 && !this.admit(wait)) {
          blocked = true;
          break;
        }
        this.handle(this.pending.shift()!);
      }
      // Throttling ends when the queue got through, not at each chunk let out: readers would be
      // told to resume and pause again at every chunk of a steady limit.
      if (!blocked && this.throttled && this.output === 'open' && !this.stopped) this.unthrottle();
    } finally {
      this.draining = false;
    }
  }

  /** Whether the rate limit lets the queue's head out now (`wait` 0); if not, arranges to try again. */
  private admit(wait: number): boolean {
    if (wait === 0) return true;
    if (!this.throttled) {
      this.throttled = true;
      this.flow.throttled(this.limiter.limit ?? undefined);
    }
    // Paused (Infinity): nothing to schedule; setRateLimit drains again.
    if (this.wake === undefined && wait !== Infinity) {
      this.wake = this.scheduler.schedule(() => {
        this.wake = undefined;
        this.drain();
      }, wait);
    }
    return false;
  }

  private unthrottle(): void {
    this.wake?.unsubscribe();
    this.wake = undefined;
    if (!this.throttled) return;
    this.throttled = false;
    this.flow.throttled(undefined);
  }

  private handle(item: Pending<T>): void {
    switch (item.kind) {
      case 'chunk': {
        const { chunk } = item;
        this.report(item.bad);
        this.state.advance(chunk.splitId, chunk.nextOffset);
        this.flow.emitting(chunk.records.length, item.bad?.length ?? 0);
        this.setup.metrics.chunkEmitted(chunk.splitId, chunk.records.length, chunk);
        this.subscriber.next(chunk);
        this.flow.update();
        return;
      }
      case 'finished': {
        // A reader unsubscribed by a split-set change may complete late; only the live one counts.
        if (this.readers.get(item.id) !== item.reader) {
          // Its split left the set while this waited. Without leases nothing reads it again
          // (the queued chunks still go out): its last bad records are reported here.
          if (this.setup.startPosition === undefined) this.report(item.bad);
          return;
        }
        this.report(item.bad);
        this.readers.delete(item.id);
        this.state.finish(item.id);
        this.finished.next(item.id);
        this.checkComplete();
        return;
      }
      case 'bad':
        this.report(item.bad);
        return;
      case 'barrier':
        this.checkpoint(false, item.requestedAt);
        return;
      case 'complete':
        if (this.state.changed) this.checkpoint(true, this.scheduler.now());
        else this.finish();
        return;
    }
  }

  /** Reports bad records to the source's tracker (counts, samples, dead letters) as their chunk goes out. */
  private report(bad: readonly HeldBadRecord[] | undefined): void {
    if (bad === undefined) return;
    for (const [error, raw] of bad) this.setup.badRecords.handle(error, raw);
  }

  /** @param requestedAt When the barrier was asked for: its write time counts from there. */
  private checkpoint(final: boolean, requestedAt: number): void {
    const { name, store } = this.setup;
    const epoch = ++this.lastEpoch;
    const snapshot = this.state.snapshot(epoch);
    const departed = this.state.lastDeparted;
    const tokens = this.state.lastTokens;
    this.output = 'held';
    this.subscriptions.add(
      writeSnapshot(store, name, snapshot).subscribe({
        error: (err: unknown) =>
          this.fail(new SourceError(`writing the checkpoint of epoch ${epoch} failed: ${messageOf(err)}`, { source: name }, { cause: err })),
        complete: () => {
          if (this.stopped) return;
          this.output = 'open';
          this.setup.snapshotWritten(epoch, snapshot.splits, departed, tokens);
          this.setup.metrics.checkpointWritten(epoch, this.scheduler.now() - requestedAt, snapshot, final);
          this.flow.barrier(epoch);
          const barrier: Barrier = final ? { type: 'barrier', epoch, final: true } : { type: 'barrier', epoch };
          this.subscriber.next(barrier);
          if (final) this.finish();
          else this.drain();
        },
      }),
    );
  }

  private finish(): void {
    this.stop();
    this.subscriber.complete();
  }

  private fail(err: SourceError): void {
    if (this.stopped) return;
    this.stop();
    this.subscriber.error(err);
  }
}

/** {@link ReaderContext.chunkRows} under a rate limit: a tenth of a second of it (at least one record). */
function chunkRowsFor(limit: number | null): number {
  return limit === null ? Infinity : Math.max(1, Math.ceil(limit / 10));
}

import { Observable, Subject, Subscription, asyncScheduler, map, type Subscriber } from 'rxjs';
import type { BadRecordStats, DeadLetter } from './BadRecordHandler.js';
import { BadRecordTracker } from './BadRecordTracker.js';
import { MAX_UNCOMMITTED_EPOCHS, checkpointKeys, loadCheckpoint } from './Checkpoint.js';
import { CheckpointCompleteHook } from './CheckpointCompleteHook.js';
import type { CreateSourceOptions } from './createSource.js';
import { isThenable, type MaybePromise } from './MaybePromise.js';
import { MemoryStore } from './MemoryStore.js';
import { MetricsRecorder } from './MetricsRecorder.js';
import { checkRateLimit } from './RateLimiter.js';
import type { Source } from './Source.js';
import { SourceError } from './SourceError.js';
import type { SourceEvent } from './SourceEvent.js';
import type { SourceMetrics } from './SourceMetrics.js';
import { DEFAULT_BAD_RECORD_POLICY, DEFAULT_HIGH_WATER_MARK } from './SourceOptions.js';
import { SourceRun, type RunSetup } from './SourceRun.js';
import type { LeasedPosition, SplitLeases } from './SplitLeases.js';
import type { SourceSplit, SplitPosition } from './SourceSplit.js';
import type { Enumerator } from './Enumerator.js';
import type { SourceWarning } from './SourceWarning.js';
import type { StateStore } from './StateStore.js';

/** The error a second subscription gets while one is live. */
const ALREADY_SUBSCRIBED =
  'the source is already subscribed: a source runs once at a time (two runs would write the same checkpoints); ' +
  'subscribe to one pipeline over it and share that (share()), or unsubscribe the first before subscribing again';

/**
 * The {@link Source} `createSource` builds: what outlives a subscription (the committed epoch,
 * garbage collection, the checkpoint-complete hook, bad-record counts, warnings) and the
 * one-run-at-a-time contract. Each subscription restores the last committed checkpoint and runs a
 * {@link SourceRun}.
 */
export class CheckpointedSource<S extends SourceSplit, T> extends Observable<SourceEvent<T>> implements Source<T> {
  readonly name: string;
  readonly store: StateStore;
  private readonly badRecords: BadRecordTracker;
  private setup: RunSetup<S, T>;
  /** The run (subscription) currently active; commits and acks go to it. */
  private run: SourceRun<S, T> | undefined;
  /**
   * The live subscription, from its first moment (the restore may be asynchronous) until it is
   * torn down or its run has ended: a second subscription meanwhile is refused.
   */
  private live: { run: SourceRun<S, T> | undefined } | undefined;
  /** Lowest epoch that may still have a snapshot in the store: where garbage collection starts. */
  private oldestRetained = 0;
  private committed = 0;
  private readonly hook: CheckpointCompleteHook<S>;
  private readonly warnings = new Subject<SourceWarning>();
  readonly warnings$: Observable<SourceWarning> = this.warnings.asObservable();
  private readonly recorder: MetricsRecorder;
  readonly metrics$: Observable<SourceMetrics>;
  private limit: number | null;

  /** Split leases shared with other processes, if any (see {@link SplitLeases}). */
  private readonly leases: SplitLeases | undefined;
  /** With leases: where each split last leased to this process starts. */
  private readonly leasedStarts = new Map<string, LeasedPosition | undefined>();
  /** With leases: the token each split is leased to this process under, where the leases have one. */
  private readonly leasedTokens = new Map<string, string>();
  /** With leases: written snapshots' positions, until their epoch commits to the leases. */
  private readonly leaseSnapshots = new Map<
    number,
    { readonly positions: ReadonlyMap<string, SplitPosition<S>>; readonly departed: ReadonlySet<string>; readonly tokens: ReadonlyMap<string, string> }
  >();
  /**
   * The newest epoch whose mark went to the store. Commits are called in epoch order, but with
   * leases a mark waits for the leases, and `commit` is public: a commit can reach its mark
   * after a later one did. That later mark covers it (and its garbage collection dropped this
   * epoch's snapshot), so the older mark is not written: landing last, it would leave the store
   * committed to an epoch without a snapshot (a CorruptStateError at the next start).
   * Commits do not wait for each other: one that never settles (a lost connection) must not
   * hold back the ones after it.
   */
  private marked = 0;

  constructor(options: CreateSourceOptions<S, T>) {
    super((subscriber) => this.start(subscriber));
    if (!options.name) throw new TypeError('createSource: a source needs a name');
    this.name = options.name;
    // The default store is core's own MemoryStore: a source without a store still checkpoints
    // (and rolls back within the process); durable stores live in state/, above core.
    this.store = options.store ?? new MemoryStore();
    this.badRecords = new BadRecordTracker(options.badRecords ?? DEFAULT_BAD_RECORD_POLICY);
    this.limit = checkRateLimit(options.rateLimit ?? null, `source '${this.name}': rateLimit`);
    const scheduler = options.scheduler ?? asyncScheduler;
    this.recorder = new MetricsRecorder(this.name, () => scheduler.now(), () => this.limit);
    this.metrics$ = this.recorder.metrics$;
    this.hook = new CheckpointCompleteHook(options.reader, (message) => this.warnings.next({ source: this.name, message }));
    this.leases = options.leases;
    this.setup = {
      name: this.name,
      store: this.store,
      enumerator: this.leases === undefined ? options.enumerator : this.leasedEnumerator(this.leases, options.enumerator),
      ...(this.leases === undefined ? {} : { startPosition: (id: string) => this.leasedStarts.get(id), leaseToken: (id: string) => this.leasedTokens.get(id) }),
      reader: options.reader,
      options,
      badRecords: this.badRecords,
      highWaterMark: options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
      warn: (message, split) => this.warnings.next(split === undefined ? { source: this.name, message } : { source: this.name, split, message }),
      snapshotWritten: (epoch, splits, departed, tokens) => {
        this.hook.written(epoch, splits);
        if (this.leases === undefined) return;
        this.leaseSnapshots.set(epoch, { positions: new Map(Object.entries(splits)), departed, tokens });
        if (this.leaseSnapshots.size > MAX_UNCOMMITTED_EPOCHS) this.leaseSnapshots.delete(this.leaseSnapshots.keys().next().value!);
      },
      metrics: this.recorder,
      rateLimit: this.limit,
    };
  }

  /** The enumerator narrowed to the splits leased to this process, remembering where each starts. */
  private leasedEnumerator(leases: SplitLeases, inner: Enumerator<S>): Enumerator<S> {
    return {
      splits: (context) =>
        leases.hold(this.name, inner.splits(context)).pipe(
          map((held) => {
            for (const { split, position, token } of held) {
              this.leasedStarts.set(split.id, position);
              if (token === undefined) this.leasedTokens.delete(split.id);
              else this.leasedTokens.set(split.id, token);
            }
            return held.map((h) => h.split);
          }),
        ),
    };
  }

  metrics(): SourceMetrics {
    return this.recorder.snapshot();
  }

  get rateLimit(): number | null {
    return this.limit;
  }

  setRateLimit(rowsPerSecond: number | null): void {
    this.limit = checkRateLimit(rowsPerSecond, `source '${this.name}': rate limit`);
    // Later runs (a retry, a rollback) start with it; the live one changes pace at once.
    this.setup = { ...this.setup, rateLimit: this.limit };
    this.run?.setRateLimit(this.limit);
  }

  get badRecordStats(): BadRecordStats {
    return this.badRecords.stats;
  }

  get deadLetters$(): Observable<DeadLetter> {
    return this.badRecords.deadLetters$;
  }

  commit(epoch: number): MaybePromise<void> {
    if (epoch <= this.committed) return;
    const from = this.oldestRetained;
    this.committed = epoch;
    this.oldestRetained = epoch;
    this.run?.committed(epoch);
    this.recorder.committed(epoch);
    // The hook fires only once the commit is durable: an upstream told to forget (a Pulsar ack,
    // a slot's confirmed LSN) before that could lose what a crash then rolls back to.
    const notify = this.hook.committing(epoch);
    const stale: string[] = [];
    for (let e = Math.max(from, 1); e < epoch; e++) stale.push(checkpointKeys.snapshot(this.name, e));
    const store = this.store;
    const committed = checkpointKeys.committed(this.name);
    // Garbage collection goes with the commit or after it: deleting first could leave no
    // snapshot to restore. A store with `update` does both in one atomic write (one durable write
    // a checkpoint fewer); any other deletes once the mark is written.
    const update = stale.length > 0 ? store.update?.bind(store) : undefined;
    let superseded = false;
    const mark = (): MaybePromise<void> => {
      superseded = epoch < this.marked;
      // Superseded (see `marked`): only this commit's garbage is left to collect.
      if (superseded) return update !== undefined ? update([], stale) : undefined;
      this.marked = epoch;
      return update !== undefined ? update([[committed, epoch]], stale) : store.set(committed, epoch);
    };
    // With leases the positions go to the leases first (fenced there): the epoch is marked
    // committed only once they are durable, so a restart never trusts positions they refused.
    const leased = this.commitLeases(epoch);
    const written = leased === undefined ? mark() : isThenable(leased) ? leased.then(mark) : mark();
    const collect = (): MaybePromise<void> => (update === undefined && stale.length > 0 ? store.delMany(stale) : undefined);
    // The hook of a superseded epoch stays silent: the later one has reported, or will.
    if (isThenable(written)) {
      return written.then(() => {
        if (!superseded) notify();
        return collect();
      });
    }
    if (!superseded) notify();
    return collect();
  }

  private commitLeases(epoch: number): MaybePromise<void> | undefined {
    if (this.leases === undefined) return undefined;
    const snapshot = this.leaseSnapshots.get(epoch);
    for (const e of this.leaseSnapshots.keys()) if (e <= epoch) this.leaseSnapshots.delete(e);
    return snapshot === undefined ? undefined : this.leases.commit(this.name, epoch, snapshot.positions, snapshot.departed, snapshot.tokens);
  }

  acknowledge(records: number): void {
    this.run?.acknowledge(records);
  }

  private start(subscriber: Subscriber<SourceEvent<T>>): (() => void) | undefined {
    // Two live runs would write the same checkpoints and share commits and acks: the second is
    // refused rather than silently taking over. A run that failed or completed no longer counts,
    // so `retry` and `repeat` resubscribe even before the old subscription's teardown has run.
    if (this.live !== undefined && this.live.run?.stopped !== true) {
      subscriber.error(new SourceError(ALREADY_SUBSCRIBED, { source: this.name }));
      return undefined;
    }
    const live: { run: SourceRun<S, T> | undefined } = { run: undefined };
    this.live = live;
    const subscription = new Subscription(() => {
      if (this.live === live) this.live = undefined;
    });
    subscription.add(
      loadCheckpoint<S>(this.store, this.name).subscribe({
        next: (restored) => {
          // With leases, positions come from the leases (another process may have moved a split
          // since this store's snapshot): the snapshot keeps its epoch and enumerator state only.
          if (this.leases !== undefined) {
            this.leasedStarts.clear();
            this.leasedTokens.clear();
            this.leaseSnapshots.clear();
            if (restored.snapshot !== undefined) restored = { ...restored, snapshot: { ...restored.snapshot, splits: {} } };
          }
          this.committed = restored.snapshot?.epoch ?? 0;
          this.oldestRetained = this.committed;
          this.hook.reset();
          const run = new SourceRun(this.setup, restored, subscriber);
          this.run = run;
          live.run = run;
          subscription.add(() => {
            run.stop();
            if (this.run === run) this.run = undefined;
          });
          run.begin();
        },
        error: (err: unknown) => {
          if (this.live === live) this.live = undefined;
          subscriber.error(SourceError.wrap(err, { source: this.name }));
        },
      }),
    );
    return () => subscription.unsubscribe();
  }
}

import {
  BehaviorSubject,
  Observable,
  Subject,
  Subscription,
  asyncScheduler,
  defer,
  distinctUntilChanged,
  interval,
  type Subscriber,
} from 'rxjs';
import type { BadRecordStats, DeadLetter } from './BadRecordHandler.js';
import { BadRecordTracker } from './BadRecordTracker.js';
import { checkpointKeys, loadCheckpoint, writeSnapshot, type RestoredCheckpoint, type Snapshot } from './Checkpoint.js';
import type { Enumerator, EnumeratorContext } from './Enumerator.js';
import type { JsonValue } from './Json.js';
import { isThenable, type MaybePromise } from './MaybePromise.js';
import type { Source } from './Source.js';
import { SourceError } from './SourceError.js';
import type { Barrier, Chunk, SourceEvent } from './SourceEvent.js';
import type { SourceSplit, SplitPosition } from './SourceSplit.js';
import type { SourceWarning } from './SourceWarning.js';
import type { CompletedCheckpoint, ReaderContext, SplitReader } from './SplitReader.js';
import { MemoryStore } from './MemoryStore.js';
import { DEFAULT_BAD_RECORD_POLICY, DEFAULT_CHECKPOINT_INTERVAL_MS, DEFAULT_HIGH_WATER_MARK, type SourceOptions } from './SourceOptions.js';
import type { StateStore } from './StateStore.js';

// Kept importable from here, where they were first defined.
export { DEFAULT_CHECKPOINT_INTERVAL_MS, DEFAULT_HIGH_WATER_MARK, sourceOptionsOf } from './SourceOptions.js';

/** Everything {@link createSource} needs: where splits come from, how one is read, and the common options. */
export interface CreateSourceOptions<S extends SourceSplit, T> extends SourceOptions {
  readonly enumerator: Enumerator<S>;
  readonly reader: SplitReader<S, T>;
}

/** Barriers remembered for flow control while their commit is pending. */
const MAX_UNCOMMITTED_EPOCHS = 1_024;

/**
 * Builds a {@link Source} from an enumerator and a split reader.
 *
 * Every subscription restores the last successful epoch from the state store, then:
 * - follows the enumerator's split sets: readers of splits that stay keep running, removed
 *   splits' readers are unsubscribed and their positions forgotten, new splits start from their
 *   stored position (or `null`: the connector's configured start); finished splits are not read
 *   again;
 * - merges the readers' chunks, tracking each split's position as the `nextOffset` of the last
 *   chunk *emitted*;
 * - at each barrier request, snapshots every assigned split's position, writes it to the store
 *   tagged with a new epoch and only then emits the barrier. Chunks that arrive while the write
 *   is in flight are held back and emitted after the barrier, so everything after a barrier lies
 *   after its snapshot;
 * - when the enumerator has completed and every reader has finished (a bounded source), writes
 *   a final checkpoint (a barrier with `final: true`) and completes.
 *
 * @example
 * const source = createSource({ name: 'orders', enumerator, reader, store: new MemoryStore() });
 * checkpointed(source).pipe(toRecords()).subscribe(console.log);
 */
export function createSource<S extends SourceSplit, T>(options: CreateSourceOptions<S, T>): Source<T> {
  return new CheckpointedSource(options);
}

class CheckpointedSource<S extends SourceSplit, T> extends Observable<SourceEvent<T>> implements Source<T> {
  readonly name: string;
  readonly store: StateStore;
  private readonly badRecords: BadRecordTracker;
  private readonly highWaterMark: number;
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
  /**
   * Snapshots of the current run written but not yet committed, kept for the reader's
   * checkpoint-complete hook (only when it has one). A new run starts empty: epochs of a run that
   * failed are never committed, so their hook never fires.
   */
  private readonly uncommitted = new Map<number, ReadonlyMap<string, SplitPosition<S>>>();
  /** A hook call is in flight; the next one waits in `hookNext` (newest epoch wins). */
  private hookBusy = false;
  private hookNext: CompletedCheckpoint<S> | undefined;
  private readonly warnings = new Subject<SourceWarning>();
  readonly warnings$: Observable<SourceWarning> = this.warnings.asObservable();

  constructor(private readonly options: CreateSourceOptions<S, T>) {
    super((subscriber) => this.start(subscriber));
    if (!options.name) throw new TypeError('createSource: a source needs a name');
    this.name = options.name;
    // The default store is core's own MemoryStore: a source without a store still checkpoints
    // (and rolls back within the process); durable stores live in state/, above core.
    this.store = options.store ?? new MemoryStore();
    this.badRecords = new BadRecordTracker(options.badRecords ?? DEFAULT_BAD_RECORD_POLICY);
    this.highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
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
    const splits = this.uncommitted.get(epoch);
    for (const e of this.uncommitted.keys()) if (e <= epoch) this.uncommitted.delete(e);
    const stale: string[] = [];
    for (let e = Math.max(from, 1); e < epoch; e++) stale.push(checkpointKeys.snapshot(this.name, e));
    const written = this.store.set(checkpointKeys.committed(this.name), epoch);
    // The hook fires only once the commit is durable: an upstream told to forget (a Pulsar ack,
    // a slot's confirmed LSN) before that could lose what a crash then rolls back to.
    const notify = (): void => {
      if (splits !== undefined) this.checkpointComplete({ epoch, splits });
    };
    // Garbage collection follows the commit: deleting first could leave no snapshot to restore.
    const collect = (): MaybePromise<void> => (stale.length > 0 ? this.store.delMany(stale) : undefined);
    if (isThenable(written)) {
      return written.then(() => {
        notify();
        return collect();
      });
    }
    notify();
    return collect();
  }

  /** Runs the reader's checkpoint-complete hook: in epoch order, one call at a time, coalescing. */
  private checkpointComplete(checkpoint: CompletedCheckpoint<S>): void {
    if (this.hookBusy) {
      this.hookNext = checkpoint;
      return;
    }
    const hook = this.options.reader.checkpointComplete?.bind(this.options.reader);
    if (hook === undefined) return;
    this.hookBusy = true;
    const settle = (): void => {
      this.hookBusy = false;
      const next = this.hookNext;
      this.hookNext = undefined;
      if (next !== undefined) this.checkpointComplete(next);
    };
    const failed = (err: unknown): void => {
      this.warnings.next({ source: this.name, message: `the checkpoint-complete hook of epoch ${checkpoint.epoch} failed (the checkpoint stays committed): ${describe(err)}` });
      settle();
    };
    let result: MaybePromise<void>;
    try {
      result = hook(checkpoint);
    } catch (err) {
      failed(err);
      return;
    }
    if (isThenable(result)) result.then(settle, failed);
    else settle();
  }

  /** Keeps a written snapshot for the hook until its epoch commits (bounded like flow control's marks). */
  private snapshotWritten(epoch: number, splits: Readonly<Record<string, SplitPosition<S>>>): void {
    if (this.options.reader.checkpointComplete === undefined) return;
    this.uncommitted.set(epoch, new Map(Object.entries(splits)));
    if (this.uncommitted.size > MAX_UNCOMMITTED_EPOCHS) this.uncommitted.delete(this.uncommitted.keys().next().value!);
  }

  acknowledge(records: number): void {
    this.run?.acknowledge(records);
  }

  private start(subscriber: Subscriber<SourceEvent<T>>): (() => void) | undefined {
    // Two live runs would write the same checkpoints and share commits and acks: the second is
    // refused rather than silently taking over. A run that failed or completed no longer counts,
    // so `retry` and `repeat` resubscribe even before the old subscription's teardown has run.
    if (this.live !== undefined && this.live.run?.stopped !== true) {
      subscriber.error(
        new SourceError(
          'the source is already subscribed: a source runs once at a time (two runs would write the same checkpoints); ' +
            'subscribe to one pipeline over it and share that (share()), or unsubscribe the first before subscribing again',
          { source: this.name },
        ),
      );
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
          this.committed = restored.snapshot?.epoch ?? 0;
          this.oldestRetained = this.committed;
          this.uncommitted.clear();
          const run = new SourceRun(this.options, this.name, this.store, this.badRecords, this.highWaterMark, restored, subscriber, this.warnings, (epoch, splits) =>
            this.snapshotWritten(epoch, splits),
          );
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

/** Items that must reach the subscriber in the order they happened. */
type Pending<T> =
  | { readonly kind: 'chunk'; readonly chunk: Chunk<T> }
  | { readonly kind: 'finished'; readonly id: string; readonly reader: Subscription }
  | { readonly kind: 'barrier' }
  | { readonly kind: 'complete' };

/** One subscription's worth of state: positions, readers, pending events. */
class SourceRun<S extends SourceSplit, T> {
  private readonly positions = new Map<string, SplitPosition<S>>();
  /** The current split set, in the enumerator's order. */
  private current = new Map<string, S>();
  private readonly readers = new Map<string, Subscription>();
  private readonly subscriptions = new Subscription();
  private readonly pending: Pending<T>[] = [];
  private enumeratorState: JsonValue | undefined;
  private lastEpoch: number;
  private writing = false;
  private draining = false;
  private dirty = false;
  private enumeratorDone = false;
  private completing = false;
  /** Torn down, failed or completed: nothing more happens in this run. */
  stopped = false;
  private emitted = 0;
  /** Records read but held back behind a snapshot write: in flight too, for flow control. */
  private held = 0;
  private acked = 0;
  private readonly emittedAtEpoch = new Map<number, number>();
  private readonly paused = new BehaviorSubject(false);
  private readonly finished = new Subject<string>();
  private readonly readerContext: ReaderContext;

  constructor(
    private readonly options: CreateSourceOptions<S, T>,
    private readonly name: string,
    private readonly store: StateStore,
    badRecords: BadRecordTracker,
    private readonly highWaterMark: number,
    restored: RestoredCheckpoint<S>,
    private readonly subscriber: Subscriber<SourceEvent<T>>,
    private readonly warnings: Subject<SourceWarning>,
    private readonly snapshotWritten: (epoch: number, splits: Readonly<Record<string, SplitPosition<S>>>) => void,
  ) {
    this.lastEpoch = restored.lastEpoch;
    this.enumeratorState = restored.snapshot?.enumerator;
    for (const [id, position] of Object.entries(restored.snapshot?.splits ?? {})) {
      this.positions.set(id, position);
      // The restored set is the baseline: an enumerator listing the same splits changes nothing.
      this.current.set(id, position.split);
    }
    this.readerContext = {
      source: name,
      badRecords,
      paused$: this.paused.pipe(distinctUntilChanged()),
      warn: (message) => this.warn(message),
    };
  }

  begin(): void {
    const restoredSplits = new Map(this.positions);
    const context: EnumeratorContext<S> = {
      source: this.name,
      restoredState: this.enumeratorState,
      restoredSplits,
      saveState: (state) => {
        this.enumeratorState = state;
        this.dirty = true;
      },
      finished$: this.finished.asObservable(),
      warn: (message, split) => this.warn(message, split),
    };
    this.subscriptions.add(
      defer(() => this.options.enumerator.splits(context)).subscribe({
        next: (splits) => this.assign(splits),
        error: (err: unknown) => this.fail(SourceError.wrap(err, { source: this.name })),
        complete: () => {
          this.enumeratorDone = true;
          this.checkComplete();
        },
      }),
    );
    if (this.stopped) return;
    const barriers =
      this.options.barriers ??
      interval(this.options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS, this.options.scheduler ?? asyncScheduler);
    this.subscriptions.add(
      barriers.subscribe({
        next: () => this.requestBarrier(),
        error: (err: unknown) => this.fail(SourceError.wrap(err, { source: this.name })),
      }),
    );
  }

  private warn(message: string, split?: string): void {
    if (this.stopped) return;
    this.warnings.next(split === undefined ? { source: this.name, message } : { source: this.name, split, message });
  }

  stop(): void {
    this.stopped = true;
    this.subscriptions.unsubscribe();
    for (const reader of this.readers.values()) reader.unsubscribe();
    this.readers.clear();
    this.pending.length = 0;
    this.paused.complete();
    this.finished.complete();
  }

  committed(epoch: number): void {
    const emittedBefore = this.emittedAtEpoch.get(epoch);
    for (const e of this.emittedAtEpoch.keys()) if (e <= epoch) this.emittedAtEpoch.delete(e);
    // A barrier that reached the end of the pipeline proves everything before it did too, even
    // chunks that an operator dropped without acknowledging: flow control heals itself here.
    if (emittedBefore !== undefined && emittedBefore > this.acked) {
      this.acked = emittedBefore;
      this.updatePause();
    }
  }

  acknowledge(records: number): void {
    this.acked += records;
    this.updatePause();
  }

  private updatePause(): void {
    if (this.stopped) return;
    this.paused.next(this.emitted + this.held - this.acked > this.highWaterMark);
  }

  private assign(splits: readonly S[]): void {
    const next = new Map<string, S>();
    for (const split of splits) {
      if (next.has(split.id)) {
        this.fail(new SourceError(`enumerator emitted split id '${split.id}' twice in one set`, { source: this.name, split: split.id }));
        return;
      }
      next.set(split.id, split);
    }
    for (const [id, reader] of this.readers) {
      if (!next.has(id)) {
        reader.unsubscribe();
        this.readers.delete(id);
      }
    }
    for (const id of this.positions.keys()) if (!next.has(id)) this.positions.delete(id);
    const previous = this.current;
    this.current = next;
    if (previous.size !== next.size || [...next.keys()].some((id) => !previous.has(id))) this.dirty = true;
    for (const [id, split] of next) {
      const position = this.positions.get(id);
      if (position === undefined) {
        this.positions.set(id, { split, offset: null, finished: false });
      } else if (position.split !== split) {
        this.positions.set(id, { ...position, split });
      }
      // A finished split is read again only when the enumerator says its upstream grew.
      if (!this.readers.has(id) && (!(position?.finished ?? false) || split['reopen'] === true)) this.startReader(split, position?.offset ?? null);
      if (this.stopped) return;
    }
    this.checkComplete();
  }

  private startReader(split: S, offset: string | null): void {
    const reader = new Subscription();
    this.readers.set(split.id, reader);
    reader.add(
      defer(() => this.options.reader.read(split, offset, this.readerContext)).subscribe({
        next: (chunk) => this.enqueue({ kind: 'chunk', chunk }),
        error: (err: unknown) =>
          this.fail(SourceError.wrap(err, { source: this.name, split: split.id, offset: this.positions.get(split.id)?.offset ?? undefined })),
        complete: () => this.enqueue({ kind: 'finished', id: split.id, reader }),
      }),
    );
  }

  private requestBarrier(): void {
    // Requests that pile up behind a slow write would only snapshot the same positions again.
    if (this.pending.at(-1)?.kind === 'barrier') return;
    this.enqueue({ kind: 'barrier' });
  }

  private checkComplete(): void {
    if (this.completing || !this.enumeratorDone || this.readers.size > 0 || this.stopped) return;
    this.completing = true;
    this.enqueue({ kind: 'complete' });
  }

  private enqueue(item: Pending<T>): void {
    if (this.stopped) return;
    this.pending.push(item);
    if (item.kind === 'chunk') {
      this.held += item.chunk.records.length;
      if (this.writing) this.updatePause();
    }
    this.drain();
  }

  /** Emits pending items in order, stopping while a snapshot write is in flight. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.writing && !this.stopped && this.pending.length > 0) {
        this.handle(this.pending.shift()!);
      }
    } finally {
      this.draining = false;
    }
  }

  private handle(item: Pending<T>): void {
    switch (item.kind) {
      case 'chunk': {
        const { chunk } = item;
        const position = this.positions.get(chunk.splitId);
        // A chunk read before its split left the set is still delivered; there is no position
        // left to move.
        if (position !== undefined) {
          this.positions.set(chunk.splitId, { split: position.split, offset: chunk.nextOffset, finished: false });
          this.dirty = true;
        }
        this.held -= chunk.records.length;
        this.emitted += chunk.records.length;
        this.subscriber.next(chunk);
        this.updatePause();
        return;
      }
      case 'finished': {
        // A reader unsubscribed by a split-set change may complete late; only the live one counts.
        if (this.readers.get(item.id) !== item.reader) return;
        this.readers.delete(item.id);
        const position = this.positions.get(item.id);
        if (position !== undefined) this.positions.set(item.id, { ...position, finished: true });
        this.dirty = true;
        this.finished.next(item.id);
        this.checkComplete();
        return;
      }
      case 'barrier':
        this.checkpoint(false);
        return;
      case 'complete':
        if (this.dirty) this.checkpoint(true);
        else this.finish();
        return;
    }
  }

  private checkpoint(final: boolean): void {
    const epoch = ++this.lastEpoch;
    const splits: Record<string, SplitPosition<S>> = {};
    for (const id of this.current.keys()) {
      const position = this.positions.get(id);
      if (position !== undefined) splits[id] = position;
    }
    const snapshot: Snapshot<S> =
      this.enumeratorState === undefined ? { epoch, splits } : { epoch, splits, enumerator: this.enumeratorState };
    this.writing = true;
    this.dirty = false;
    this.subscriptions.add(
      writeSnapshot(this.store, this.name, snapshot).subscribe({
        error: (err: unknown) =>
          this.fail(new SourceError(`writing the checkpoint of epoch ${epoch} failed: ${describe(err)}`, { source: this.name }, { cause: err })),
        complete: () => {
          if (this.stopped) return;
          this.writing = false;
          this.snapshotWritten(epoch, splits);
          this.emittedAtEpoch.set(epoch, this.emitted);
          // Without commitEpochs downstream nothing ever clears this; the oldest entries are the
          // least useful to flow control, so a bound costs nothing.
          if (this.emittedAtEpoch.size > MAX_UNCOMMITTED_EPOCHS) this.emittedAtEpoch.delete(this.emittedAtEpoch.keys().next().value!);
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

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

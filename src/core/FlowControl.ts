import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs';
import { MAX_UNCOMMITTED_EPOCHS } from './Checkpoint.js';

/**
 * One run's flow control: counts records in flight (emitted, or read and held back behind a
 * snapshot write, and not yet acknowledged by the end of the pipeline) and asks readers to pause
 * (`paused$`) while they exceed the high-water mark.
 */
export class FlowControl {
  private emitted = 0;
  /** Records read but held back behind a snapshot write: in flight too. */
  private held = 0;
  private acked = 0;
  /**
   * While the rate limit holds chunks back: records waiting above which readers pause too (one
   * second's worth of the limit), so a slow limit does not read a high-water mark ahead.
   */
  private backlogLimit = Infinity;
  /** Records emitted before each barrier, until its epoch commits. */
  private readonly emittedAtEpoch = new Map<number, number>();
  private readonly paused = new BehaviorSubject(false);
  /** `true` while readers should pause; what {@link ReaderContext.paused$} shows. */
  readonly paused$: Observable<boolean> = this.paused.pipe(distinctUntilChanged());

  /** @param active Whether the run is still going: a stopped run's readers hear nothing more. */
  constructor(
    private readonly highWaterMark: number,
    private readonly active: () => boolean,
  ) {}

  /**
   * A chunk was read and queued (`records`: its rows and the bad records queued with it, whose
   * raw bytes wait too). While output is held behind a write, it counts right away.
   */
  queued(records: number, outputHeld: boolean): void {
    this.held += records;
    if (outputHeld || this.backlogLimit !== Infinity) this.update();
  }

  /** Queued chunks will never be emitted (their split left the set, or its lease changed hands): no longer in flight. */
  dropped(records: number): void {
    this.held -= records;
    this.update();
  }

  /**
   * A queued chunk is being emitted; call {@link update} once the subscriber has it. `setAside`:
   * the bad records queued with it (counted by `queued`), handed to the bad-record policy now.
   */
  emitting(records: number, setAside = 0): void {
    this.held -= records + setAside;
    this.emitted += records;
  }

  /** A barrier was emitted: what was emitted before it is acknowledged when its epoch commits. */
  barrier(epoch: number): void {
    this.emittedAtEpoch.set(epoch, this.emitted);
    // Without commitEpochs downstream nothing ever clears this; the oldest entries are the
    // least useful to flow control, so a bound costs nothing.
    if (this.emittedAtEpoch.size > MAX_UNCOMMITTED_EPOCHS) this.emittedAtEpoch.delete(this.emittedAtEpoch.keys().next().value!);
  }

  committed(epoch: number): void {
    const emittedBefore = this.emittedAtEpoch.get(epoch);
    for (const e of this.emittedAtEpoch.keys()) if (e <= epoch) this.emittedAtEpoch.delete(e);
    // A barrier that reached the end of the pipeline proves everything before it did too, even
    // chunks that an operator dropped without acknowledging: flow control heals itself here.
    if (emittedBefore !== undefined && emittedBefore > this.acked) {
      this.acked = emittedBefore;
      this.update();
    }
  }

  acknowledge(records: number): void {
    this.acked += records;
    this.update();
  }

  /** The rate limit holds chunks back (`rowsPerSecond`: its limit) or, with `undefined`, no longer does. */
  throttled(rowsPerSecond: number | undefined): void {
    const limit = rowsPerSecond === undefined ? Infinity : Math.max(1, rowsPerSecond);
    if (limit === this.backlogLimit) return;
    this.backlogLimit = limit;
    this.update();
  }

  update(): void {
    if (!this.active()) return;
    this.paused.next(this.emitted + this.held - this.acked > this.highWaterMark || this.held > this.backlogLimit);
  }

  /** The run ended: readers' `paused$` completes. */
  complete(): void {
    this.paused.complete();
  }
}

import { Subject, type Observable } from 'rxjs';
import type { CheckpointMetrics, CommitMetrics, LagUnit, MetricsReporter, SourceMetrics, SplitLag, SplitMetrics } from './SourceMetrics.js';

/** One split's counters; mutable, so the per-chunk path allocates nothing. */
interface SplitCounters {
  rows: number;
  bytes: number;
  lag: SplitLag | undefined;
  assigned: boolean;
}

/** The latest checkpoint, with its size computed only when someone asks. */
interface LastCheckpoint {
  readonly epoch: number;
  readonly writeMs: number;
  readonly snapshot: { readonly splits: object };
  readonly final: boolean;
  size: number | undefined;
}

/**
 * A source's metrics across its runs: counts rows from the chunks the source emits, takes bytes
 * and lag from its readers (it is their {@link MetricsReporter}) and checkpoint timings from its
 * runs. {@link snapshot} answers the current figures at any time (a progress line polls it);
 * {@link metrics$} emits them after every checkpoint, when the figures of an epoch are settled.
 */
export class MetricsRecorder implements MetricsReporter {
  private readonly splits = new Map<string, SplitCounters>();
  private rows = 0;
  private totalBytes = 0;
  private checkpoints = 0;
  private last: LastCheckpoint | undefined;
  /** Lag figures waiting for their chunk to be emitted (see {@link MetricsReporter.lag}). */
  private readonly lagOfChunk = new WeakMap<object, { readonly value: number | (() => number | undefined); readonly unit: LagUnit }>();
  /** Whether any reader ever tied lag to a chunk: the per-chunk lookup is skipped until one does. */
  private chunkLag = false;
  /** When each written, uncommitted epoch's barrier was requested (bounded: epochs nobody commits are dropped). */
  private readonly requestedAt = new Map<number, number>();
  private lastCommit: CommitMetrics | undefined;
  private readonly emitted = new Subject<SourceMetrics>();
  /** Hot, never completes: the figures after each checkpoint. */
  readonly metrics$: Observable<SourceMetrics> = this.emitted.asObservable();

  constructor(
    private readonly source: string,
    private readonly now: () => number,
    private readonly rateLimit: () => number | null,
  ) {}

  /** The source emitted `chunk`, of `rows` records of `split` (the hot path: one lookup, two adds). */
  chunkEmitted(split: string, rows: number, chunk: object): void {
    this.rows += rows;
    const counters = this.counters(split);
    counters.rows += rows;
    if (!this.chunkLag) return;
    const lag = this.lagOfChunk.get(chunk);
    if (lag === undefined) return;
    const value = typeof lag.value === 'function' ? lag.value() : lag.value;
    if (value !== undefined && Number.isFinite(value)) counters.lag = { value: Math.max(0, value), unit: lag.unit, at: this.now() };
  }

  bytes(split: string, bytes: number): void {
    if (!(bytes > 0)) return;
    this.totalBytes += bytes;
    this.counters(split).bytes += bytes;
  }

  lag(split: string, value: number | (() => number | undefined), unit: LagUnit, chunk?: object): void {
    if (chunk !== undefined) {
      this.chunkLag = true;
      this.lagOfChunk.set(chunk, { value, unit });
      return;
    }
    const now = typeof value === 'function' ? value() : value;
    // A head read just before the records it counted were delivered can trail them: lag is never negative.
    if (now !== undefined && Number.isFinite(now)) this.counters(split).lag = { value: Math.max(0, now), unit, at: this.now() };
  }

  /** The run's split set changed: splits outside it keep their counters but are no longer assigned. */
  assigned(ids: ReadonlyMap<string, unknown>): void {
    for (const [id, counters] of this.splits) counters.assigned = ids.has(id);
    for (const id of ids.keys()) this.counters(id);
  }

  /** A snapshot was written (its barrier goes out next). */
  checkpointWritten(epoch: number, writeMs: number, snapshot: { readonly splits: object }, final: boolean): void {
    this.checkpoints++;
    this.requestedAt.set(epoch, this.now() - writeMs);
    // Without commitEpochs downstream nothing commits: keep the newest few.
    if (this.requestedAt.size > 64) this.requestedAt.delete(this.requestedAt.keys().next().value!);
    this.last = { epoch, writeMs, snapshot, final, size: undefined };
    if (this.emitted.observed) this.emitted.next(this.snapshot());
  }

  /** `epoch` was committed: its barrier's latency is known (epochs it subsumes are forgotten). */
  committed(epoch: number): void {
    const requested = this.requestedAt.get(epoch);
    for (const e of this.requestedAt.keys()) if (e <= epoch) this.requestedAt.delete(e);
    if (requested !== undefined) this.lastCommit = { epoch, latencyMs: this.now() - requested };
  }

  /** The figures now. */
  snapshot(): SourceMetrics {
    const splits: SplitMetrics[] = [];
    for (const [split, c] of this.splits) {
      splits.push(c.lag === undefined ? { split, rows: c.rows, bytes: c.bytes, assigned: c.assigned } : { split, rows: c.rows, bytes: c.bytes, lag: c.lag, assigned: c.assigned });
    }
    const base: SourceMetrics = {
      source: this.source,
      at: this.now(),
      rows: this.rows,
      bytes: this.totalBytes,
      splits,
      checkpoints: this.checkpoints,
      rateLimit: this.rateLimit(),
      ...(this.lastCommit === undefined ? {} : { lastCommit: this.lastCommit }),
    };
    const last = this.last;
    if (last === undefined) return base;
    // Measured once per checkpoint, and only when read: a source with many splits would pay a
    // stringify per barrier for a figure nobody looks at.
    last.size ??= JSON.stringify(last.snapshot).length;
    const checkpoint: CheckpointMetrics = {
      epoch: last.epoch,
      writeMs: last.writeMs,
      size: last.size,
      splits: Object.keys(last.snapshot.splits).length,
      ...(last.final ? { final: true as const } : {}),
    };
    return { ...base, lastCheckpoint: checkpoint };
  }

  private counters(split: string): SplitCounters {
    let counters = this.splits.get(split);
    if (counters === undefined) {
      counters = { rows: 0, bytes: 0, lag: undefined, assigned: true };
      this.splits.set(split, counters);
    }
    return counters;
  }
}

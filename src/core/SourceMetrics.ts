/**
 * What a source knows about its own progress, per split and as a whole: what
 * {@link Source.metrics} answers and {@link Source.metrics$} emits.
 *
 * Counters (`rows`, `bytes`, `checkpoints`) count from the source object's creation across its
 * runs: records re-read after a rollback are counted again, because they were read again (as
 * RisingWave's `source_rows_read` does). They never decrease, so they map onto Prometheus counters.
 */
export interface SourceMetrics {
  readonly source: string;
  /** When this was taken, on the source's scheduler (milliseconds). */
  readonly at: number;
  /** Records emitted, all splits together. */
  readonly rows: number;
  /** Upstream bytes read, as the connector reported them (0 for connectors that report none). */
  readonly bytes: number;
  /** Every split that emitted something or reported anything, in first-seen order. */
  readonly splits: readonly SplitMetrics[];
  /** Snapshots written (barriers emitted). */
  readonly checkpoints: number;
  /** The latest checkpoint, once there is one. */
  readonly lastCheckpoint?: CheckpointMetrics;
  /** The latest epoch committed (its barrier through the whole pipeline), once one is. */
  readonly lastCommit?: CommitMetrics;
  /** Rows per second the source is limited to; `null`: no limit; `0`: paused. */
  readonly rateLimit: number | null;
}

/** One split's share of {@link SourceMetrics}. */
export interface SplitMetrics {
  readonly split: string;
  readonly rows: number;
  readonly bytes: number;
  /** How far the split is behind its upstream's head, where the connector knows it. */
  readonly lag?: SplitLag;
  /** Whether the split is still assigned to the source's current (or last) run. */
  readonly assigned: boolean;
}

/**
 * A split's lag: how much the upstream holds beyond what the source has emitted (as of the last
 * chunk emitted with a lag figure, or the connector's last idle report). The unit is the
 * upstream's own: Kafka counts records (high watermark minus next offset), Kinesis milliseconds
 * (`MillisBehindLatest`), PostgreSQL WAL bytes (server's WAL end minus the position received),
 * Pulsar records (backlog of the reader's position).
 */
export interface SplitLag {
  readonly value: number;
  readonly unit: LagUnit;
  /** When the connector measured it, on the source's scheduler. */
  readonly at: number;
}

/** The units a {@link SplitLag} comes in. */
export type LagUnit = 'records' | 'ms' | 'bytes';

/** One committed epoch: how long its barrier took end to end (RisingWave's barrier latency). */
export interface CommitMetrics {
  readonly epoch: number;
  /** From the barrier request to the commit: the snapshot write plus the barrier's way through the pipeline and sink. */
  readonly latencyMs: number;
}

/** One checkpoint, as measured by the source that took it. */
export interface CheckpointMetrics {
  readonly epoch: number;
  /** From the barrier request being handled to the snapshot being durable in the store. */
  readonly writeMs: number;
  /** The snapshot's size as JSON text (characters): what a `FileStore` writes, roughly. */
  readonly size: number;
  /** Splits in the snapshot. */
  readonly splits: number;
  /** Present on the final checkpoint of a bounded source. */
  readonly final?: true;
}

/**
 * The seam through which a connector reports what only it can know: upstream bytes and lag. Rows
 * are counted by the source itself (from the chunks it emits), so a connector reports nothing at
 * all to have them. Calls are cheap (a map lookup and an add) and never throw; a split id the
 * source has never seen is simply recorded.
 *
 * @example
 * // in a split reader, after a fetch
 * context.metrics?.bytes(split.id, payloadBytes);
 * context.metrics?.lag(split.id, Number(highWatermark - nextOffset), 'records');
 */
export interface MetricsReporter {
  /** `bytes` upstream bytes (payloads and keys as received) were read for `split`. */
  bytes(split: string, bytes: number): void;
  /**
   * `split` stands `value` (in `unit`) behind its upstream's head. With `chunk` (the chunk about to
   * be emitted, `value` measured from its end), the figure takes effect when the source emits that
   * chunk: a chunk may wait behind a rate limit or a snapshot write, and until it is out the
   * records it holds still count as lag. Without, at once (an idle poll that saw the head).
   * `value` may be a function, evaluated when the figure takes effect: a connector whose head is
   * polled (PostgreSQL's WAL end) measures a held-back chunk against the head as of its emission.
   */
  lag(split: string, value: number | (() => number | undefined), unit: LagUnit, chunk?: object): void;
}

/**
 * The largest lag over a source's assigned splits, per unit: what a progress line shows (a
 * source's splits share one unit, so in practice one entry).
 *
 * @example
 * const lag = maxLag(source.metrics());
 * if (lag.records !== undefined) line += `, lag ${lag.records} records`;
 */
export function maxLag(metrics: SourceMetrics): Partial<Record<LagUnit, number>> {
  const out: Partial<Record<LagUnit, number>> = {};
  for (const split of metrics.splits) {
    if (!split.assigned || split.lag === undefined) continue;
    const { unit, value } = split.lag;
    out[unit] = Math.max(out[unit] ?? 0, value);
  }
  return out;
}

/**
 * The sum of the lag over a source's assigned splits, per unit (records and bytes add up across
 * splits; milliseconds do not, so for `ms` this is the largest).
 */
export function totalLag(metrics: SourceMetrics): Partial<Record<LagUnit, number>> {
  const out: Partial<Record<LagUnit, number>> = {};
  for (const split of metrics.splits) {
    if (!split.assigned || split.lag === undefined) continue;
    const { unit, value } = split.lag;
    out[unit] = unit === 'ms' ? Math.max(out[unit] ?? 0, value) : (out[unit] ?? 0) + value;
  }
  return out;
}

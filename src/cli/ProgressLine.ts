import type { Writable } from 'node:stream';
import { asyncScheduler, interval, type SchedulerLike, type Subscription } from 'rxjs';
import type { LagUnit } from '../core/SourceMetrics.js';

/** What the progress line shows, read once a second. */
export interface ProgressCounts {
  /** Rows written to stdout so far. */
  readonly rows: number;
  /** Bytes written to stdout so far. */
  readonly bytes: number;
  /**
   * How far the source is behind its upstream, where the connector knows it (absent otherwise),
   * as text with its unit: `records` summed over splits (Kafka, Pulsar), `bytes` of WAL
   * (postgres-cdc), `ms` behind the stream's tip (Kinesis); see `totalLag`.
   */
  readonly lag?: string | undefined;
}

/** Options of {@link ProgressLine}. */
export interface ProgressLineOptions {
  /**
   * The stream the rows go to (stdout). When it is the terminal too, a row written while the line
   * is shown would be appended to it: the line is erased before each write to it and drawn again
   * at the next tick, below the rows.
   */
  readonly output?: Writable & { readonly isTTY?: boolean };
  /** Drives the once-a-second redraw (a TestScheduler in tests). */
  readonly scheduler?: SchedulerLike;
}

/**
 * The progress line of `tributary run` on a terminal: rows and bytes written so far, the current
 * rate, the lag where the source knows it, and the time since the start; redrawn in place once a
 * second after the first second (a run shorter than that shows none). Only when `stream` (stderr)
 * is a terminal: a file or a pipe gets the summary line alone. {@link stop} draws it one last time
 * and leaves it on the screen, so what the run did stays visible above the summary line.
 *
 * ```
 * tick (1 s):    ---1---2---3--|stop
 * stderr line:   ---A---B---C--C'\n      (each redraw replaces the last: \r + erase line)
 * ```
 *
 * @example
 * const progress = new ProgressLine(process.stderr, () => ({ rows: sink.rows, bytes: sink.bytes }), { output: process.stdout });
 * // ... at the end:
 * progress.stop();
 */
export class ProgressLine {
  private readonly started: number;
  private lastRows = 0;
  private lastAt: number;
  private lastRate = 0;
  private ticks: Subscription | undefined;
  /** Whether the line is on the screen now (a row written to the same terminal erases it). */
  private shown = false;
  /** Whether it was ever drawn: a run shorter than a second leaves none. */
  private drawn = false;
  private restoreOutput: (() => void) | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly counts: () => ProgressCounts,
    private readonly options: ProgressLineOptions = {},
  ) {
    this.started = this.now();
    this.lastAt = this.started;
    if (stream.isTTY !== true) return;
    this.ticks = interval(1000, options.scheduler ?? asyncScheduler).subscribe(() => this.draw());
    const output = options.output;
    if (output !== undefined && output !== stream && output.isTTY === true) this.restoreOutput = this.eraseBeforeWrites(output);
  }

  /** Whether the line is being drawn (stderr is a terminal). */
  get active(): boolean {
    return this.ticks !== undefined;
  }

  /**
   * Stops redrawing. A line already shown is drawn once more with the final counts and left in
   * place (followed by a newline); `erase` removes it instead (nothing to keep, e.g. `| head`).
   */
  stop(erase = false): void {
    if (this.ticks === undefined) return;
    this.ticks.unsubscribe();
    this.ticks = undefined;
    this.restoreOutput?.();
    this.restoreOutput = undefined;
    if (!this.drawn) return;
    if (!erase) {
      this.draw(true);
      this.stream.write('\n');
    } else if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }

  private now(): number {
    return (this.options.scheduler ?? asyncScheduler).now();
  }

  private draw(final = false): void {
    const { rows, bytes, lag } = this.counts();
    const now = this.now();
    // The last line keeps the rate of the last full second: a final tick a few ms after the last
    // one would divide a handful of rows by a handful of ms.
    const rate = final && now - this.lastAt < 1000 ? this.lastRate : ((rows - this.lastRows) * 1000) / Math.max(1, now - this.lastAt);
    this.lastRows = rows;
    this.lastAt = now;
    this.lastRate = rate;
    const seconds = Math.round((now - this.started) / 1000);
    const lagText = lag === undefined ? '' : `, lag ${lag}`;
    this.stream.write(
      `\r\x1b[K${rows.toLocaleString('en-US')} rows, ${formatBytes(bytes)} written, ${Math.round(rate).toLocaleString('en-US')} rows/s${lagText}, ${seconds}s`,
    );
    this.shown = true;
    this.drawn = true;
  }

  /**
   * Rows printed on the same terminal would land after the line's text: erase the line before
   * every write to `output` (it is drawn again at the next tick). Returns what undoes it.
   */
  private eraseBeforeWrites(output: Writable): () => void {
    const write = output.write;
    const erasing = (...args: Parameters<typeof write>): boolean => {
      if (this.shown) {
        this.shown = false;
        this.stream.write('\r\x1b[K');
      }
      return (write as (...a: Parameters<typeof write>) => boolean).apply(output, args);
    };
    output.write = erasing as typeof write;
    return () => {
      output.write = write;
    };
  }
}

/** `1536` as `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * A source's lag as the progress line shows it: `1,234 records`, `512 ms`, units joined with `+`
 * when splits measure in different ones; undefined when no split reports a lag.
 */
export function lagText(lag: Partial<Record<LagUnit, number>>): string | undefined {
  const parts = (Object.entries(lag) as Array<[LagUnit, number]>).map(([unit, value]) => `${value.toLocaleString('en-US')} ${unit}`);
  return parts.length === 0 ? undefined : parts.join(' + ');
}

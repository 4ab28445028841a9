import type { VariantArgs } from './Variant.js';
import { median, runVariant, type Sample } from './runner.js';

/** What the runs of one variant came to. */
export interface VariantStats {
  readonly variant: string;
  readonly status: 'ok' | 'not available' | 'failed';
  readonly reason?: string;
  readonly samples: readonly Sample[];
  /** Median over runs of rows/s. */
  readonly rowsPerSec?: number;
  readonly medianMs?: number;
  readonly medianFirstRowMs?: number;
  /** Highest peak RSS over runs, MiB. */
  readonly peakRssMB?: number;
}

/** Settings for {@link measureAlternately}. */
export interface MeasureOptions {
  readonly runs: number;
  readonly timeoutMs: number;
  /** Called before every run (fresh state folders, say); not timed. */
  readonly beforeRun?: (variant: string, round: number) => Promise<VariantArgs | undefined> | VariantArgs | undefined;
}

/**
 * Runs each variant `runs` times, interleaved (A, B, A, B ...), each run in its own process.
 * Interleaving spreads whatever else the machine is doing over every variant alike, so the ratios
 * hold up better than the absolute numbers. A variant that fails or reads the wrong number of rows
 * gets no number at all.
 */
export async function measureAlternately(
  variants: readonly string[],
  args: VariantArgs,
  options: MeasureOptions,
): Promise<Map<string, VariantStats>> {
  const samples = new Map<string, Sample[]>(variants.map((v) => [v, []]));
  const broken = new Map<string, { status: 'not available' | 'failed'; reason: string }>();
  for (let round = 0; round < options.runs; round++) {
    for (const variant of variants) {
      if (broken.has(variant)) continue;
      const runArgs = (await options.beforeRun?.(variant, round)) ?? args;
      const outcome = await runVariant(variant, runArgs, options.timeoutMs);
      if (outcome.status !== 'ok') {
        broken.set(variant, { status: outcome.status === 'unavailable' ? 'not available' : 'failed', reason: outcome.reason });
      } else if (outcome.rows !== runArgs.rows) {
        broken.set(variant, { status: 'failed', reason: `read ${outcome.rows} rows, expected ${runArgs.rows}` });
      } else {
        samples.get(variant)?.push(outcome);
      }
      process.stderr.write(outcome.status === 'ok' ? '.' : 'x');
    }
  }
  const stats = new Map<string, VariantStats>();
  for (const variant of variants) {
    const runs = samples.get(variant) ?? [];
    const failure = broken.get(variant);
    if (failure !== undefined) {
      stats.set(variant, { variant, status: failure.status, reason: failure.reason, samples: runs });
      continue;
    }
    const firstRows = runs.flatMap((s) => (s.firstRowMs === undefined ? [] : [s.firstRowMs]));
    stats.set(variant, {
      variant,
      status: 'ok',
      samples: runs,
      rowsPerSec: median(runs.map((s) => (s.rows / s.ms) * 1000)),
      medianMs: median(runs.map((s) => s.ms)),
      ...(firstRows.length > 0 ? { medianFirstRowMs: median(firstRows) } : {}),
      peakRssMB: Math.max(...runs.map((s) => s.maxRssKB)) / 1024,
    });
  }
  return stats;
}

/**
 * Median over rounds of (tributary rows/s ÷ baseline rows/s), each ratio taken from runs that
 * ran back to back: less sensitive to load drift than the ratio of medians.
 */
export function pairedRatio(tributary: VariantStats, baseline: VariantStats): number | undefined {
  const n = Math.min(tributary.samples.length, baseline.samples.length);
  if (tributary.status !== 'ok' || baseline.status !== 'ok' || n === 0) return undefined;
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = tributary.samples[i];
    const b = baseline.samples[i];
    if (t !== undefined && b !== undefined) ratios.push(t.rows / t.ms / (b.rows / b.ms));
  }
  return median(ratios);
}

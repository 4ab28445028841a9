import type { CaseResult, TableRow } from '../CaseResult.js';
import { measureAlternately, pairedRatio, type MeasureOptions, type VariantStats } from '../measure.js';
import type { VariantArgs } from '../Variant.js';

/** A baseline and the ratio tributary must reach against it. */
export interface Baseline {
  readonly variant: string;
  /** Minimum tributary ÷ baseline throughput. */
  readonly target: number;
}

/**
 * Measures tributary against its baselines alternately, in one set of rounds, and turns that into
 * table rows (one per baseline).
 */
export async function compare(
  spec: { readonly id: string; readonly title: string; readonly tributary: string; readonly baselines: readonly Baseline[] },
  args: VariantArgs,
  data: CaseResult['data'],
  options: MeasureOptions,
): Promise<CaseResult> {
  const names = [...spec.baselines.map((b) => b.variant), spec.tributary];
  const stats = await measureAlternately(names, args, options);
  const trib = stats.get(spec.tributary) as VariantStats;
  const rows = spec.baselines.map((b) => comparisonRow(spec.title, trib, stats.get(b.variant) as VariantStats, b.target));
  return { id: spec.id, title: spec.title, ...(data !== undefined ? { data } : {}), variants: [...stats.values()], rows };
}

/** The table row of `trib` against `base`: both rates, the ratio of the medians, the paired ratio, RSS. */
export function comparisonRow(title: string, trib: VariantStats, base: VariantStats, target: number): TableRow {
  const ratio = trib.rowsPerSec !== undefined && base.rowsPerSec !== undefined ? trib.rowsPerSec / base.rowsPerSec : undefined;
  const paired = pairedRatio(trib, base);
  return {
    case: title,
    baseline: base.variant,
    ...(base.rowsPerSec !== undefined ? { baselineRowsPerSec: base.rowsPerSec } : {}),
    ...(trib.rowsPerSec !== undefined ? { tributaryRowsPerSec: trib.rowsPerSec } : {}),
    ...(ratio !== undefined ? { ratio, met: ratio >= target } : {}),
    ...(paired !== undefined ? { pairedRatio: paired } : {}),
    target: `≥ ${target.toFixed(2)}`,
    ...(base.peakRssMB !== undefined ? { baselineRssMB: base.peakRssMB } : {}),
    ...(trib.peakRssMB !== undefined ? { tributaryRssMB: trib.peakRssMB } : {}),
    status: statusOf(trib, base),
  };
}

/** `ok`, or the first problem among the variants, worded for the table. */
export function statusOf(...variants: readonly VariantStats[]): string {
  for (const v of variants) {
    if (v.status !== 'ok') return `${v.status} (${v.variant}): ${v.reason ?? ''}`;
  }
  return 'ok';
}

import type { VariantStats } from './measure.js';
import type { Scale } from './Scale.js';

/** One line of the printed table. */
export interface TableRow {
  readonly case: string;
  /** The baseline compared against, or `—` for a case measured on its own. */
  readonly baseline: string;
  readonly baselineRowsPerSec?: number;
  readonly tributaryRowsPerSec?: number;
  /** tributary ÷ baseline, from the medians. */
  readonly ratio?: number;
  /** Median of per-round ratios (runs back to back). */
  readonly pairedRatio?: number;
  /** What the case aims for, in words (`≥ 0.90`, `peak RSS ≤ 150 MB`). */
  readonly target: string;
  /** Whether the target was met; absent when there is no number. */
  readonly met?: boolean;
  /** Case-specific measure (first row in 35 ms, ...). */
  readonly measured?: string;
  readonly baselineRssMB?: number;
  readonly tributaryRssMB?: number;
  /** `ok`, or `skipped: …`, `not available: …`, `failed: …`. */
  readonly status: string;
}

/** Everything a case measured, as written to `bench/results.json`. */
export interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly data?: { readonly path: string; readonly rows: number; readonly bytes: number };
  readonly variants: readonly VariantStats[];
  readonly rows: readonly TableRow[];
  readonly notes?: readonly string[];
  /** The machine's speed before and after the case (`cpuProbeMs`, lower is faster). */
  readonly cpuProbeMs?: readonly [number, number];
}

/** A benchmark case. */
export interface BenchCase {
  readonly id: string;
  readonly title: string;
  run(scale: Scale): Promise<CaseResult>;
}

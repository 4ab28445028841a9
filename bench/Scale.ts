/** How big a bench run is: the full size, or a tenth of it under `BENCH_QUICK=1`. */
export interface Scale {
  readonly quick: boolean;
  /** Rows of the CSV, NDJSON and Avro files, and messages of the Kafka topic. */
  readonly rows: number;
  /** Size of the big CSV of the memory case. */
  readonly bigBytes: number;
  /** Files (= splits) of the resume case, and rows in each. */
  readonly splitFiles: number;
  readonly rowsPerSplit: number;
  /** Alternating runs per variant (the median is reported). */
  readonly runs: number;
  /** Runs of the big-file case (each is long). */
  readonly bigRuns: number;
  /** A run taking longer is killed and counted as failed. */
  readonly timeoutMs: number;
}

/** The scale selected by the environment. */
export function scaleFromEnv(env: NodeJS.ProcessEnv = process.env): Scale {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const runs = env.BENCH_RUNS === undefined ? undefined : Number.parseInt(env.BENCH_RUNS, 10);
  return {
    quick,
    rows: quick ? 100_000 : 1_000_000,
    bigBytes: quick ? 100_000_000 : 1_000_000_000,
    splitFiles: 1000,
    rowsPerSplit: quick ? 20 : 200,
    runs: runs !== undefined && runs > 0 ? runs : quick ? 3 : 5,
    bigRuns: 2,
    timeoutMs: quick ? 60_000 : 300_000,
  };
}

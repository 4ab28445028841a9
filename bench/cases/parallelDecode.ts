import type { BenchCase, CaseResult } from '../CaseResult.js';
import { lineitemCsv, lineitemNdjson } from '../datasets.js';
import { warmCache } from '../warmCache.js';
import { compare } from './compare.js';
import { label } from './csvScan.js';

/**
 * Decoding on worker threads (`fs.decode.threads`) against the main thread alone, on the same
 * lineitem files as csv-scan and ndjson-scan: each pair measured alternately in one set of
 * rounds, so the ratios compare runs made back to back under the same load. The target is
 * ≥ 1.00 in every run: worker threads may be on by default only if they never lose.
 * `BENCH_DECODE_THREADS` sets the threads (default 2).
 */
export const parallelDecode: BenchCase = {
  id: 'parallel-decode',
  title: 'Parallel decode',
  async run(scale) {
    const threads = process.env['BENCH_DECODE_THREADS'] ?? '2';
    const results: CaseResult[] = [];
    for (const [format, dataset, one, many] of [
      ['CSV', lineitemCsv, 'tributary-csv', 'tributary-csv-threads'],
      ['NDJSON', lineitemNdjson, 'tributary-ndjson', 'tributary-ndjson-threads'],
    ] as const) {
      const data = await dataset(scale.rows);
      await warmCache(data.path);
      results.push(
        await compare(
          {
            id: this.id,
            title: `${format} ${label(scale.rows)} rows on ${threads} worker threads vs the main thread`,
            tributary: many,
            baselines: [{ variant: one, target: 1.0 }],
          },
          { path: data.path, rows: data.rows, options: { threads } },
          { path: data.path, rows: data.rows, bytes: data.bytes },
          { runs: scale.runs, timeoutMs: scale.timeoutMs },
        ),
      );
    }
    return {
      id: this.id,
      title: this.title,
      variants: results.flatMap((r) => r.variants),
      rows: results.flatMap((r) => r.rows),
      notes: [`${threads} decode threads; os.availableParallelism() = ${(await import('node:os')).availableParallelism()}`],
    };
  },
};

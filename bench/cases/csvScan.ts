import type { BenchCase } from '../CaseResult.js';
import { lineitemCsv } from '../datasets.js';
import { warmCache } from '../warmCache.js';
import { compare } from './compare.js';

/** A bounded scan of the lineitem CSV to row objects, against csv-parse and papaparse. */
export const csvScan: BenchCase = {
  id: 'csv-scan',
  title: 'CSV scan',
  async run(scale) {
    const data = await lineitemCsv(scale.rows);
    await warmCache(data.path);
    return compare(
      {
        id: this.id,
        title: `CSV ${label(scale.rows)} rows, 9 cols, bounded scan`,
        tributary: 'tributary-csv',
        baselines: [
          { variant: 'csv-parse', target: 3.0 },
          { variant: 'papaparse', target: 0.9 },
        ],
      },
      { path: data.path, rows: data.rows, options: {} },
      { path: data.path, rows: data.rows, bytes: data.bytes },
      { runs: scale.runs, timeoutMs: scale.timeoutMs },
    );
  },
};

/** `1M`, `100k`. */
export function label(rows: number): string {
  return rows >= 1_000_000 ? `${rows / 1_000_000}M` : `${rows / 1000}k`;
}

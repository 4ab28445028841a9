import type { BenchCase } from '../CaseResult.js';
import { lineitemNdjson } from '../datasets.js';
import { warmCache } from '../warmCache.js';
import { compare } from './compare.js';
import { label } from './csvScan.js';

/** A bounded scan of the lineitem NDJSON file, against splitting lines and `JSON.parse`. */
export const ndjsonScan: BenchCase = {
  id: 'ndjson-scan',
  title: 'NDJSON scan',
  async run(scale) {
    const data = await lineitemNdjson(scale.rows);
    await warmCache(data.path);
    return compare(
      {
        id: this.id,
        title: `NDJSON ${label(scale.rows)} lines`,
        tributary: 'tributary-ndjson',
        baselines: [{ variant: 'ndjson-lines', target: 0.9 }],
      },
      { path: data.path, rows: data.rows, options: {} },
      { path: data.path, rows: data.rows, bytes: data.bytes },
      { runs: scale.runs, timeoutMs: scale.timeoutMs },
    );
  },
};

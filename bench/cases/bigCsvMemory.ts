import type { BenchCase } from '../CaseResult.js';
import { lineitemCsvOfSize } from '../datasets.js';
import { measureAlternately } from '../measure.js';
import { runVariant } from '../runner.js';
import { statusOf } from './compare.js';

/** Peak RSS of a bounded scan of a 1 GB CSV (100 MB under QUICK): memory must not grow with the file. */
export const bigCsvMemory: BenchCase = {
  id: 'csv-1gb-memory',
  title: 'CSV 1 GB memory',
  async run(scale) {
    const limitMB = 150;
    const data = await lineitemCsvOfSize(scale.bigBytes);
    const title = `CSV ${scale.bigBytes >= 1e9 ? `${scale.bigBytes / 1e9} GB` : `${scale.bigBytes / 1e6} MB`} (${(data.rows / 1e6).toFixed(1)}M rows), bounded scan`;
    const stats = await measureAlternately(['tributary-csv'], { path: data.path, rows: data.rows, options: {} }, {
      runs: scale.bigRuns,
      timeoutMs: scale.timeoutMs * 2,
    });
    const trib = stats.get('tributary-csv');
    if (trib === undefined) throw new Error('no stats for tributary-csv');
    const floor = await runVariant('noop', { path: data.path, rows: 0, options: {} }, scale.timeoutMs);
    return {
      id: this.id,
      title,
      data: { path: data.path, rows: data.rows, bytes: data.bytes },
      variants: [trib],
      rows: [
        {
          case: title,
          baseline: '—',
          ...(trib.rowsPerSec !== undefined ? { tributaryRowsPerSec: trib.rowsPerSec } : {}),
          target: `peak RSS ≤ ${limitMB} MB`,
          ...(trib.peakRssMB !== undefined ? { met: trib.peakRssMB <= limitMB, tributaryRssMB: trib.peakRssMB } : {}),
          status: statusOf(trib),
        },
      ],
      notes: floor.status === 'ok' ? [`an idle node --import tsx process peaks at ${(floor.maxRssKB / 1024).toFixed(0)} MB: the floor of every RSS figure`] : [],
    };
  },
};

import type { BenchCase } from '../CaseResult.js';
import { debeziumEvents } from '../datasets.js';
import { warmCache } from '../warmCache.js';
import { compare } from './compare.js';
import { label } from './csvScan.js';

/** Debezium JSON decode + table apply, against `JSON.parse` + a `Map`. */
export const debeziumTable: BenchCase = {
  id: 'debezium-table',
  title: 'Debezium JSON into a table',
  async run(scale) {
    const data = await debeziumEvents(scale.rows);
    await warmCache(data.path);
    return compare(
      {
        id: this.id,
        title: `Debezium JSON ${label(scale.rows)} events → table`,
        tributary: 'tributary-debezium-table',
        baselines: [{ variant: 'debezium-map', target: 0.8 }],
      },
      { path: data.path, rows: data.rows, options: {} },
      { path: data.path, rows: data.rows, bytes: data.bytes },
      { runs: scale.runs, timeoutMs: scale.timeoutMs },
    );
  },
};

import type { BenchCase } from '../CaseResult.js';
import { lineitemAvro } from '../datasets.js';
import { warmCache } from '../warmCache.js';
import { compare } from './compare.js';
import { label } from './csvScan.js';

/** A bounded scan of an Avro container file, against avsc's own file decoder. */
export const avroScan: BenchCase = {
  id: 'avro-scan',
  title: 'Avro scan',
  async run(scale) {
    const data = await lineitemAvro(scale.rows);
    await warmCache(data.path);
    return compare(
      {
        id: this.id,
        title: `Avro container ${label(scale.rows)} records`,
        tributary: 'tributary-avro',
        baselines: [{ variant: 'avsc-decoder', target: 0.9 }],
      },
      { path: data.path, rows: data.rows, options: {} },
      { path: data.path, rows: data.rows, bytes: data.bytes },
      { runs: scale.runs, timeoutMs: scale.timeoutMs },
    );
  },
};

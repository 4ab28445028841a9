import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchCase, TableRow } from '../CaseResult.js';
import { DATA_DIR, lineitemCsv } from '../datasets.js';
import { measureAlternately, type VariantStats } from '../measure.js';
import { warmCache } from '../warmCache.js';
import { comparisonRow } from './compare.js';
import { label } from './csvScan.js';

const NONE = 'tributary-csv-no-barriers';
const FILE_STORE = 'tributary-csv-barriers';
const MEMORY_STORE = 'tributary-csv-barriers-memory';

/**
 * What checkpointing costs: the CSV scan with a barrier every 100 ms and every checkpoint
 * written durably (fsync and rename) to a FileStore, against the same scan without barriers.
 * A third variant takes the same barriers into an in-memory store: the difference between the two
 * says whether a shortfall comes from barriers as such or from the durable store.
 */
export const barrierOverhead: BenchCase = {
  id: 'csv-barriers',
  title: 'CSV scan + barriers',
  async run(scale) {
    const data = await lineitemCsv(scale.rows);
    await warmCache(data.path);
    const args = { path: data.path, rows: data.rows, options: {} };
    const stateRoot = join(DATA_DIR, 'state-barriers');
    const stats = await measureAlternately([NONE, FILE_STORE, MEMORY_STORE], args, {
      runs: scale.runs,
      timeoutMs: scale.timeoutMs,
      beforeRun: (variant) => {
        if (variant !== FILE_STORE) return undefined;
        // Every run starts from no checkpoint, or it would resume at the end and read nothing.
        rmSync(stateRoot, { recursive: true, force: true });
        return { ...args, options: { stateDir: stateRoot } };
      },
    });
    rmSync(stateRoot, { recursive: true, force: true });
    const none = stats.get(NONE) as VariantStats;
    const row = (variant: string, title: string, reference: boolean): TableRow => {
      const trib = stats.get(variant) as VariantStats;
      const r = comparisonRow(title, trib, none, 0.95);
      const checkpoints = trib.samples.map((s) => s.detail?.barriers ?? 0);
      const { met: _met, ...rest } = r;
      return {
        ...(reference ? rest : r),
        ...(reference ? { target: '(reference)' } : {}),
        ...(checkpoints.length > 0 ? { measured: `${checkpoints.join('/')} checkpoints` } : {}),
      };
    };
    return {
      id: this.id,
      title: this.title,
      data: { path: data.path, rows: data.rows, bytes: data.bytes },
      variants: [...stats.values()],
      rows: [
        row(FILE_STORE, `CSV ${label(scale.rows)}, barrier/100 ms + FileStore`, false),
        row(MEMORY_STORE, `CSV ${label(scale.rows)}, barrier/100 ms + MemoryStore`, true),
      ],
    };
  },
};

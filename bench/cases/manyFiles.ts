import type { BenchCase } from '../CaseResult.js';
import { lineitemCsv, lineitemCsvFolder } from '../datasets.js';
import { measureAlternately } from '../measure.js';
import { warmCache } from '../warmCache.js';
import { comparisonRow } from './compare.js';
import { label } from './csvScan.js';

/** Files the rows are spread over. */
const FILES = 100;

/**
 * The per-file cost: the same rows as one CSV file and spread over 100 files (one split each:
 * opened, fingerprinted, checkpointed), read by the same bounded fs source with its defaults,
 * alternately. The folder must take at most 1.2× the single file's time (ratio ≥ 0.83).
 */
export const manyFiles: BenchCase = {
  id: 'many-files',
  title: 'CSV over 100 files',
  async run(scale) {
    const single = await lineitemCsv(scale.rows);
    const folder = await lineitemCsvFolder(FILES, scale.rows / FILES);
    await warmCache(single.path);
    const title = `CSV ${label(scale.rows)} rows: ${FILES} files of ${label(scale.rows / FILES)} vs one file`;
    const stats = await measureAlternately(['tributary-csv', 'tributary-csv-folder'], { path: single.path, rows: single.rows, options: { folder: folder.path } }, { runs: scale.runs, timeoutMs: scale.timeoutMs });
    const one = stats.get('tributary-csv')!;
    const many = stats.get('tributary-csv-folder')!;
    return {
      id: this.id,
      title,
      data: { path: folder.path, rows: folder.rows, bytes: folder.bytes },
      variants: [one, many],
      rows: [{ ...comparisonRow(title, many, one, 1 / 1.2), baseline: 'tributary, one file', target: '≥ 0.83 (≤ 1.2× the time)' }],
    };
  },
};

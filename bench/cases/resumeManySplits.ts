import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchCase, CaseResult } from '../CaseResult.js';
import { DATA_DIR, lineitemCsvFolder } from '../datasets.js';
import { measureAlternately, type VariantStats } from '../measure.js';
import { runVariant } from '../runner.js';
import { statusOf } from './compare.js';

const LIMIT_MS = 200;

/**
 * Restart cost: a folder of 1,000 CSV files (one split each) was read halfway and checkpointed
 * to a FileStore; a fresh process opens the store, restores 1,000 split positions and must
 * deliver its first row within 200 ms. It then reads on, and the row count must be exactly
 * the rows the checkpoint did not cover.
 */
export const resumeManySplits: BenchCase = {
  id: 'resume-1000-splits',
  title: 'resume, 1,000 splits',
  async run(scale): Promise<CaseResult> {
    const data = await lineitemCsvFolder(scale.splitFiles, scale.rowsPerSplit);
    const title = `resume, ${scale.splitFiles.toLocaleString('en-US')} splits in checkpoint`;
    const template = join(DATA_DIR, 'state-resume-template');
    const runDir = join(DATA_DIR, 'state-resume-run');
    const base = { case: title, baseline: '—', target: `first row ≤ ${LIMIT_MS} ms` };
    rmSync(template, { recursive: true, force: true });
    const prepared = await runVariant('tributary-resume-prepare', { path: data.path, rows: data.rows, options: { stateDir: template } }, scale.timeoutMs);
    if (prepared.status !== 'ok') {
      const status = `${prepared.status === 'unavailable' ? 'not available' : 'failed'} (writing the checkpoint): ${prepared.reason}`;
      return { id: this.id, title, variants: [], rows: [{ ...base, status }] };
    }
    const covered = prepared.detail?.rowsBeforeCheckpoint ?? 0;
    const splits = prepared.detail?.splitsInCheckpoint ?? 0;
    const remaining = data.rows - covered;
    const stats = await measureAlternately(['tributary-resume'], { path: data.path, rows: remaining, options: { stateDir: runDir } }, {
      runs: scale.runs,
      timeoutMs: scale.timeoutMs,
      beforeRun: () => {
        // Each run resumes from the same checkpoint; the run itself commits a final one.
        rmSync(runDir, { recursive: true, force: true });
        cpSync(template, runDir, { recursive: true });
        return undefined;
      },
    });
    rmSync(runDir, { recursive: true, force: true });
    const resume = stats.get('tributary-resume') as VariantStats;
    const first = resume.medianFirstRowMs;
    return {
      id: this.id,
      title,
      data: { path: data.path, rows: data.rows, bytes: data.bytes },
      variants: [resume],
      rows: [
        {
          ...base,
          ...(resume.rowsPerSec !== undefined ? { tributaryRowsPerSec: resume.rowsPerSec } : {}),
          ...(first !== undefined ? { met: first <= LIMIT_MS, measured: `${first.toFixed(0)} ms` } : {}),
          ...(resume.peakRssMB !== undefined ? { tributaryRssMB: resume.peakRssMB } : {}),
          status: splits === scale.splitFiles ? statusOf(resume) : `failed: the checkpoint holds ${splits} splits, not ${scale.splitFiles}`,
        },
      ],
      notes: [`checkpoint written after ${covered} of ${data.rows} rows; ${splits} splits in it`],
    };
  },
};

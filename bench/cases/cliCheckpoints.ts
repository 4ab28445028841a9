import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchCase, CaseResult, TableRow } from '../CaseResult.js';
import { DATA_DIR, partCsv } from '../datasets.js';
import type { VariantStats } from '../measure.js';
import { runProcess, type Sample } from '../runner.js';
import { warmCache } from '../warmCache.js';
import { buildCli, partSql, processStats } from './cliRun.js';
import { comparisonRow } from './compare.js';
import { label } from './csvScan.js';

/** No barrier during the run: an interval longer than any run (a day). */
const NO_CHECKPOINTS = 'tributary run, no checkpoints';
const FILE_STORE = 'tributary run --state <dir> --checkpoint-interval 100';
const MEMORY_STORE = 'tributary run --checkpoint-interval 100';

/** The epoch of the summary line `tributary run` ends with (`last epoch N`), or undefined. */
function lastEpoch(stderr: string): number | undefined {
  const found = /last epoch (\d+)\s*$/m.exec(stderr);
  return found === null ? undefined : Number(found[1]);
}

/**
 * What checkpointing costs the CLI: `tributary run` over the 1M-row TPC-H `part` CSV (the
 * cli-run case's SQL, NDJSON piped into this process) with `--state <dir> --checkpoint-interval
 * 100` (a barrier every 100 ms, each checkpoint written durably to the FileStore: fsync and rename,
 * and committed only once stdout took its rows), against the same run with no barrier before the
 * end. Whole processes, alternately; each FileStore run starts from an empty state folder (a
 * resumed run would read nothing). Every run must print every row; the checkpoints each run
 * committed come from its summary line. A third command takes the same checkpoints into the
 * in-memory store (no `--state`): what is left of the cost there is not the disk's but the
 * barriers' (at each one the output is flushed to the reader before the epoch commits).
 */
export const cliCheckpoints: BenchCase = {
  id: 'cli-checkpoints',
  title: 'tributary run + checkpoints',
  async run(scale): Promise<CaseResult> {
    const data = await partCsv(scale.rows);
    await warmCache(data.path);
    const title = `tributary run, part CSV ${label(scale.rows)}, checkpoint/100 ms + FileStore`;
    const dir = join(DATA_DIR, 'cli');
    mkdirSync(dir, { recursive: true });
    const sqlFile = join(dir, `part-${data.rows}.sql`);
    writeFileSync(sqlFile, partSql(data.path));
    const stateDir = join(DATA_DIR, 'state-cli-checkpoints');
    const data_ = { path: data.path, rows: data.rows, bytes: data.bytes };
    let cli: string;
    try {
      cli = buildCli();
    } catch (err) {
      return { id: this.id, title, data: data_, variants: [], rows: [{ case: title, baseline: '—', target: '', status: `failed: ${(err as Error).message}` }] };
    }
    const contenders = [
      { variant: NO_CHECKPOINTS, argv: [cli, 'run', sqlFile, '--checkpoint-interval', String(24 * 3600 * 1000)] },
      { variant: FILE_STORE, argv: [cli, 'run', sqlFile, '--state', stateDir, '--checkpoint-interval', '100'] },
      { variant: MEMORY_STORE, argv: [cli, 'run', sqlFile, '--checkpoint-interval', '100'] },
    ];
    const samples = new Map<string, Sample[]>(contenders.map((c) => [c.variant, []]));
    const broken = new Map<string, string>();
    for (let round = 0; round < scale.runs; round++) {
      for (const c of contenders) {
        if (broken.has(c.variant)) continue;
        rmSync(stateDir, { recursive: true, force: true });
        const run = await runProcess(process.execPath, c.argv, scale.timeoutMs, { countStdoutLines: true });
        const ok = run.code === 0 && !run.timedOut && run.stdoutLines === data.rows;
        process.stderr.write(ok ? '.' : 'x');
        if (!ok) {
          const why = run.timedOut ? 'timed out' : `exit ${String(run.code)}, ${run.stdoutLines} of ${data.rows} lines: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`;
          broken.set(c.variant, why);
          continue;
        }
        const epoch = lastEpoch(run.stderr);
        samples.get(c.variant)!.push({ rows: data.rows, ms: run.ms, maxRssKB: run.maxRssKB ?? 0, ...(epoch !== undefined ? { detail: { lastEpoch: epoch } } : {}) });
      }
    }
    rmSync(stateDir, { recursive: true, force: true });
    const stats = contenders.map((c) => {
      const failure = broken.get(c.variant);
      return processStats(c.variant, samples.get(c.variant) ?? [], failure === undefined ? undefined : { status: 'failed', reason: failure });
    });
    const [none, file, memory] = stats as [VariantStats, VariantStats, VariantStats];
    const row = (trib: VariantStats, rowTitle: string, reference: boolean): TableRow => {
      const epochs = trib.samples.map((s) => s.detail?.lastEpoch ?? 0);
      const { met: _met, ...rest } = comparisonRow(rowTitle, trib, none, 0.95);
      return {
        ...(reference ? { ...rest, target: '(reference)' } : comparisonRow(rowTitle, trib, none, 0.95)),
        ...(epochs.length > 0 ? { measured: `${epochs.join('/')} checkpoints` } : {}),
      };
    };
    return {
      id: this.id,
      title,
      data: data_,
      variants: stats,
      rows: [row(file, title, false), row(memory, `tributary run, part CSV ${label(scale.rows)}, checkpoint/100 ms + MemoryStore`, true)],
      notes: [`reference: the same run with --checkpoint-interval ${24 * 3600 * 1000} (no barrier before the end; its final checkpoint goes to the in-memory store)`],
    };
  },
};

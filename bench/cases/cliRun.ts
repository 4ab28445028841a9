import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { BenchCase, CaseResult } from '../CaseResult.js';
import { DATA_DIR, lineitemCsv } from '../datasets.js';
import { median, runProcess } from '../runner.js';
import { warmCache } from '../warmCache.js';
import { label } from './csvScan.js';

/** The SQL the CLI runs: the lineitem CSV with TPC-H's column types, every row selected. */
function lineitemSql(path: string): string {
  return `CREATE SOURCE lineitem (
  l_orderkey BIGINT,
  l_partkey BIGINT,
  l_suppkey BIGINT,
  l_linenumber INTEGER,
  l_quantity INTEGER,
  l_extendedprice NUMERIC(15, 2),
  l_discount NUMERIC(15, 2),
  l_shipdate DATE,
  l_comment VARCHAR(100)
) WITH (
  'connector' = 'fs',
  'fs.path' = '${dirname(path)}',
  'fs.match_pattern' = '${basename(path)}'
) ROW FORMAT 'csv';

SELECT * FROM lineitem;
`;
}

/**
 * `tributary run` over the lineitem CSV, rows to /dev/null, timed as a whole process (start-up,
 * SQL, schema conversion, NDJSON output, exit). One more run with stdout piped checks that every
 * row comes out (it is not timed).
 */
export const cliRun: BenchCase = {
  id: 'cli-run',
  title: 'tributary run',
  async run(scale): Promise<CaseResult> {
    const data = await lineitemCsv(scale.rows);
    await warmCache(data.path);
    const title = `tributary run, CSV ${label(scale.rows)} rows → /dev/null`;
    const dir = join(DATA_DIR, 'cli');
    mkdirSync(dir, { recursive: true });
    const sqlFile = join(dir, `lineitem-${data.rows}.sql`);
    writeFileSync(sqlFile, lineitemSql(data.path));
    const argv = ['--import', 'tsx', 'src/cli/main.ts', 'run', sqlFile];
    const base = { case: title, baseline: '—', target: 'rows/s reported' };
    const data_ = { path: data.path, rows: data.rows, bytes: data.bytes };

    // The check run: exit 0 and one NDJSON line per row.
    const check = await runProcess(process.execPath, [...argv], scale.timeoutMs, { countStdoutLines: true });
    if (check.code !== 0 || check.timedOut) {
      const why = check.timedOut ? 'timed out' : `exit ${String(check.code)}: ${check.stderr.trim().split('\n').slice(-3).join(' | ')}`;
      const status = /Cannot find module|ERR_MODULE_NOT_FOUND/.test(check.stderr) ? `not available: ${why}` : `failed: ${why}`;
      return { id: this.id, title, data: data_, variants: [], rows: [{ ...base, status }] };
    }
    if (check.stdoutLines !== data.rows) {
      return { id: this.id, title, data: data_, variants: [], rows: [{ ...base, status: `failed: printed ${check.stdoutLines} rows, expected ${data.rows}` }] };
    }

    const samples = [];
    for (let i = 0; i < scale.runs; i++) {
      const run = await runProcess(process.execPath, argv, scale.timeoutMs, { discardStdout: true });
      process.stderr.write(run.code === 0 ? '.' : 'x');
      if (run.code !== 0 || run.timedOut) {
        return { id: this.id, title, data: data_, variants: [], rows: [{ ...base, status: `failed: exit ${String(run.code)} ${run.stderr.trim().slice(-200)}` }] };
      }
      samples.push({ rows: data.rows, ms: run.ms, maxRssKB: run.maxRssKB ?? 0 });
    }
    // What start-up alone costs (node, tsx, loading the CLI), for reading the number above.
    const startups: number[] = [];
    for (let i = 0; i < scale.runs; i++) {
      const run = await runProcess(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--version'], scale.timeoutMs, { discardStdout: true });
      if (run.code === 0) startups.push(run.ms);
    }
    const startupMs = startups.length > 0 ? median(startups) : undefined;
    const rowsPerSec = median(samples.map((s) => (s.rows / s.ms) * 1000));
    const rss = samples.every((s) => s.maxRssKB > 0) ? Math.max(...samples.map((s) => s.maxRssKB)) / 1024 : undefined;
    return {
      id: this.id,
      title,
      data: data_,
      variants: [
        { variant: 'tributary run (whole process)', status: 'ok', samples, rowsPerSec, medianMs: median(samples.map((s) => s.ms)), ...(rss !== undefined ? { peakRssMB: rss } : {}) },
      ],
      ...(startupMs !== undefined ? { notes: [`\`tributary --version\` under tsx takes ${startupMs.toFixed(0)} ms as a whole process: the start-up inside every run`] } : {}),
      rows: [{ ...base, tributaryRowsPerSec: rowsPerSec, measured: `${(median(samples.map((s) => s.ms)) / 1000).toFixed(2)} s a run`, ...(rss !== undefined ? { tributaryRssMB: rss } : {}), status: 'ok' }],
    };
  },
};

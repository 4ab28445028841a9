import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCase, CaseResult, TableRow } from '../CaseResult.js';
import { DATA_DIR, partCsv } from '../datasets.js';
import { pairedRatio, type VariantStats } from '../measure.js';
import { median, runProcess, type Sample } from '../runner.js';
import { warmCache } from '../warmCache.js';
import { comparisonRow, statusOf } from './compare.js';
import { label } from './csvScan.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Peak RSS the CLI may reach, whatever the input size. */
const RSS_LIMIT_MB = 150;

/** The SQL the CLI runs: TPC-H `part` with its column types (as examples/part.sql), every row selected. */
function partSql(path: string): string {
  return `CREATE SOURCE part (
  p_partkey INTEGER NOT NULL,
  p_name VARCHAR(55) NOT NULL,
  p_mfgr CHAR(25) NOT NULL,
  p_brand CHAR(10) NOT NULL,
  p_type VARCHAR(25) NOT NULL,
  p_size INTEGER NOT NULL,
  p_container CHAR(10) NOT NULL,
  p_retailprice NUMERIC(15,2) NOT NULL,
  p_comment VARCHAR(23) NOT NULL
) WITH (
  'connector' = 'fs',
  'fs.path' = '${dirname(path)}',
  'fs.match_pattern' = '${basename(path)}'
) ROW FORMAT 'csv';

SELECT * FROM part;
`;
}

/**
 * The CLI as `npm run build` makes it for the package's bin: bundled by scripts/bundle-cli.mjs,
 * into bench/data/cli-dist/dist/cli beside a copy of package.json two levels up (where the bundle
 * finds it, for `--version`), so its optional peers resolve through the project's node_modules:
 * what `npx tributary` runs once installed, without tsx's loader thread and its ~50 MB in every
 * RSS figure.
 */
function buildCli(): string {
  const home = join(DATA_DIR, 'cli-dist');
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(home, 'package.json'));
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bundle-cli.mjs'), join(home, 'dist')], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building the CLI failed: ${`${built.stdout}${built.stderr}`.trim().split('\n').slice(0, 3).join(' | ')}`);
  return join(home, 'dist', 'cli', 'tributary.js');
}

/**
 * The stats of one contender's whole-process runs: median rows/s and time, highest peak RSS
 * (when every run measured one), or why it has none.
 */
function processStats(variant: string, runs: Sample[], failure?: { readonly status: 'not available' | 'failed'; readonly reason: string }): VariantStats {
  if (failure !== undefined) return { variant, status: failure.status, reason: failure.reason, samples: runs };
  return {
    variant,
    status: 'ok',
    samples: runs,
    rowsPerSec: median(runs.map((s) => (s.rows / s.ms) * 1000)),
    medianMs: median(runs.map((s) => s.ms)),
    ...(runs.every((s) => s.maxRssKB > 0) ? { peakRssMB: Math.max(...runs.map((s) => s.maxRssKB)) / 1024 } : {}),
  };
}

/** A command of the comparison: node running `argv`, NDJSON on stdout. */
interface Contender {
  readonly variant: string;
  readonly argv: readonly string[];
}

/**
 * `tributary run` over a 1M-row TPC-H `part` CSV (typed columns, `SELECT *`), NDJSON piped into
 * a reader (this process, counting lines, as `| consumer` would), timed as a whole process
 * (start-up, SQL, decode, typed conversion, JSON text, exit) with its peak RSS, alternately with
 * what a user would run instead: a papaparse → JSON.stringify script and DuckDB (`read_csv` →
 * JSON lines, when @duckdb/node-api is installed). Every run must print one line per row.
 */
export const cliRun: BenchCase = {
  id: 'cli-run',
  title: 'tributary run',
  async run(scale): Promise<CaseResult> {
    const data = await partCsv(scale.rows);
    await warmCache(data.path);
    const title = `tributary run, part CSV ${label(scale.rows)} rows → NDJSON | reader`;
    const dir = join(DATA_DIR, 'cli');
    mkdirSync(dir, { recursive: true });
    const sqlFile = join(dir, `part-${data.rows}.sql`);
    writeFileSync(sqlFile, partSql(data.path));
    const data_ = { path: data.path, rows: data.rows, bytes: data.bytes };
    let cli: string;
    try {
      cli = buildCli();
    } catch (err) {
      return { id: this.id, title, data: data_, variants: [], rows: [{ case: title, baseline: '—', target: '', status: `failed: ${(err as Error).message}` }] };
    }
    const contenders: Contender[] = [
      { variant: 'papaparse → JSON.stringify script', argv: [join(ROOT, 'bench', 'scripts', 'papaparseNdjson.mjs'), data.path] },
      { variant: 'DuckDB read_csv → JSON', argv: [join(ROOT, 'bench', 'scripts', 'duckdbNdjson.mjs'), data.path] },
      { variant: 'tributary run', argv: [cli, 'run', sqlFile] },
    ];
    const samples = new Map<string, Sample[]>(contenders.map((c) => [c.variant, []]));
    const broken = new Map<string, { status: 'not available' | 'failed'; reason: string }>();
    for (let round = 0; round < scale.runs; round++) {
      for (const c of contenders) {
        if (broken.has(c.variant)) continue;
        const run = await runProcess(process.execPath, c.argv, scale.timeoutMs, { countStdoutLines: true });
        process.stderr.write(run.code === 0 && run.stdoutLines === data.rows ? '.' : 'x');
        if (run.code !== 0 || run.timedOut) {
          const why = run.timedOut ? 'timed out' : `exit ${String(run.code)}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`;
          broken.set(c.variant, { status: /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(run.stderr) ? 'not available' : 'failed', reason: why });
        } else if (run.stdoutLines !== data.rows) {
          broken.set(c.variant, { status: 'failed', reason: `printed ${run.stdoutLines} lines, expected ${data.rows}` });
        } else {
          samples.get(c.variant)!.push({ rows: data.rows, ms: run.ms, maxRssKB: run.maxRssKB ?? 0 });
        }
      }
    }
    const stats = contenders.map((c) => processStats(c.variant, samples.get(c.variant) ?? [], broken.get(c.variant)));
    const [papa, duck, trib] = stats as [VariantStats, VariantStats, VariantStats];
    const rows: TableRow[] = [
      comparisonRow(title, trib, papa, 1.5),
      { ...comparisonRow(title, trib, duck, 1 / 1.5), target: '≥ 0.67 (within 1.5× of its time)' },
      {
        case: `${title}: peak RSS`,
        baseline: '—',
        ...(trib.rowsPerSec !== undefined ? { tributaryRowsPerSec: trib.rowsPerSec } : {}),
        target: `peak RSS ≤ ${RSS_LIMIT_MB} MB`,
        ...(trib.peakRssMB !== undefined ? { met: trib.peakRssMB <= RSS_LIMIT_MB, tributaryRssMB: trib.peakRssMB } : {}),
        status: statusOf(trib),
      },
    ];
    // Size must not matter: once over five times the rows (full runs only), time against 5x the
    // median above and peak RSS against the same bound.
    if (!scale.quick && trib.medianMs !== undefined) {
      const big = await partCsv(scale.rows * 5);
      const bigSql = join(dir, `part-${big.rows}.sql`);
      writeFileSync(bigSql, partSql(big.path));
      const run = await runProcess(process.execPath, [cli, 'run', bigSql], scale.timeoutMs * 5, { countStdoutLines: true });
      process.stderr.write(run.code === 0 ? '.' : 'x');
      const bigTitle = `tributary run, part CSV ${label(big.rows)} rows → NDJSON | reader: size`;
      const ok = run.code === 0 && !run.timedOut && run.stdoutLines === big.rows;
      const rss = run.maxRssKB === undefined ? undefined : run.maxRssKB / 1024;
      rows.push({
        case: bigTitle,
        baseline: '—',
        ...(ok ? { tributaryRowsPerSec: (big.rows / run.ms) * 1000 } : {}),
        target: `peak RSS ≤ ${RSS_LIMIT_MB} MB, time linear in rows`,
        ...(ok ? { measured: `${(run.ms / (trib.medianMs * 5)).toFixed(2)}× five ${label(scale.rows)} runs` } : {}),
        ...(ok && rss !== undefined ? { met: rss <= RSS_LIMIT_MB, tributaryRssMB: rss } : {}),
        status: ok ? 'ok' : `failed: exit ${String(run.code)}, ${run.stdoutLines} of ${big.rows} lines ${run.stderr.trim().slice(-200)}`,
      });
    }
    const notes: string[] = [];
    for (const base of [papa, duck]) {
      const paired = pairedRatio(trib, base);
      if (paired !== undefined) notes.push(`paired ratio (median of per-round ratios) against ${base.variant}: ${paired.toFixed(2)}`);
    }
    // What start-up alone costs (node, loading the CLI), for reading the numbers above.
    const startups: number[] = [];
    for (let i = 0; i < scale.runs; i++) {
      const run = await runProcess(process.execPath, [cli, '--version'], scale.timeoutMs, { discardStdout: true });
      if (run.code === 0) startups.push(run.ms);
    }
    if (startups.length > 0) notes.push(`\`tributary --version\` (built) takes ${median(startups).toFixed(0)} ms as a whole process: the start-up inside every run`);
    return { id: this.id, title, data: data_, variants: stats, rows, notes };
  },
};

// For the cli-checkpoints case, which runs the same CLI build over the same SQL.
export { buildCli, partSql, processStats };

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runSummary } from '../../src/cli/runSummary.js';
import { SUMMARY_LINE, withoutSummary } from '../support/runSummary.js';
import { projectRoot as root, runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tributary-summary-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const tributary = (args: readonly string[]) => runCli(args);

function dataDir(name: string, files: Record<string, string>): string {
  const path = join(dir, name);
  mkdirSync(path, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(path, file), text);
  return path;
}

function sqlFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('the summary line: singular and plural, no checkpoint, the rate', () => {
  assert.equal(runSummary({ rows: 1, badRecords: 1, elapsedMs: 500, lastEpoch: undefined }), 'tributary: 1 row, 1 bad record, 0.50 s, 2 rows/s, no checkpoint');
  assert.equal(runSummary({ rows: 1_234_567, badRecords: 0, elapsedMs: 12_345, lastEpoch: 7 }), 'tributary: 1,234,567 rows, 0 bad records, 12.3 s, 100,005 rows/s, last epoch 7');
  assert.equal(runSummary({ rows: 0, badRecords: 0, elapsedMs: 0, lastEpoch: 0 }), 'tributary: 0 rows, 0 bad records, 0.00 s, 0 rows/s, last epoch 0');
  assert.match(runSummary({ rows: 3, badRecords: 2, elapsedMs: 10, lastEpoch: 2 }), SUMMARY_LINE);
});

test('a run ends with the summary on stderr: rows written, bad records, last epoch; a rerun with --state reads nothing new', async () => {
  const data = dataDir('skip', { 'a.csv': 'n\n1\nx\n3\ny\n5\n' });
  const job = sqlFile('skip.sql', `create source s (n int not null) with (connector = 'fs', fs.path = '${data}', bad.records = 'skip') row format 'csv';\nselect n from s where n > 1;`);
  const state = join(dir, 'state-skip');
  const first = await tributary(['run', job, '--state', state]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, '{"n":3}\n{"n":5}\n');
  const { rest, summary } = withoutSummary(first.stderr);
  assert.match(rest, /2 bad record\(s\) skipped/);
  assert.equal(summary.rows, 2);
  assert.equal(summary.badRecords, 2);
  assert.ok(summary.lastEpoch !== undefined, first.stderr);
  const second = await tributary(['run', job, '--state', state]);
  assert.equal(second.code, 0, second.stderr);
  const again = withoutSummary(second.stderr).summary;
  assert.equal(again.rows, 0);
  assert.equal(again.badRecords, 0);
});

test('--quiet (-q) leaves stderr empty on success and keeps errors', async () => {
  const data = dataDir('quiet', { 'a.csv': 'n\n1\n' });
  const ok = sqlFile('quiet.sql', `create source q (n int) with (connector = 'fs', fs.path = '${data}') row format 'csv';`);
  for (const flag of ['--quiet', '-q']) {
    const run = await tributary(['run', ok, flag]);
    assert.equal(run.code, 0);
    assert.equal(run.stderr, '');
    assert.equal(run.stdout, '{"n":1}\n');
  }
  const bad = sqlFile('quiet-bad.sql', `create source q (n int not null) with (connector = 'fs', fs.path = '${dataDir('quiet-bad', { 'a.csv': 'n\nx\n' })}') row format 'csv';`);
  const failed = await tributary(['run', bad, '--quiet']);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /^tributary: source 'q'[^\n]*expected INTEGER[^\n]*\n$/);
});

test('a pattern that matches no file says so on stderr, then the summary of an empty run', async () => {
  const data = dataDir('nomatch', { 'a.csv': 'n\n1\n' });
  const job = sqlFile('nomatch.sql', `create source e (n int) with (connector = 'fs', fs.path = '${data}', fs.match_pattern = '*.parquet') row format 'csv';`);
  const run = await tributary(['run', job]);
  assert.equal(run.code, 0);
  assert.equal(run.stdout, '');
  const { rest, summary } = withoutSummary(run.stderr);
  assert.equal(rest, `tributary: source 'e': pattern '*.parquet' matches no file in '${data}'\n`);
  assert.equal(summary.rows, 0);
});

// script(1) runs the CLI on a pseudo-terminal: stderr (and stdout) are a terminal there.
const haveScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

test('on a terminal the progress line is redrawn while rows are written and left in place above the summary', { skip: haveScript ? false : 'needs script(1) (util-linux) for a pseudo-terminal' }, () => {
  // A rate limit makes the run last about 3 s whatever the machine's speed (2M rows once took
  // under the 1 s before the first drawing).
  let csv = 'id\n';
  for (let i = 0; i < 3_000; i++) csv += `${i}\n`;
  const data = dataDir('tty', { 'ids.csv': csv });
  const job = sqlFile('tty.sql', `create source t (id int) with (connector = 'fs', fs.path = '${data}', source_rate_limit = 1000) row format 'csv';`);
  const out = join(dir, 'tty.out');
  const command = `${process.execPath} --import tsx ${join(root, 'src/cli/main.ts')} run ${job} > ${out}`;
  const result = spawnSync('script', ['-qfec', command, '/dev/null'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, result.stdout);
  // What the terminal got: the line redrawn in place (\r + erase), the last drawing kept, then the summary.
  const screen = result.stdout.replaceAll('\r\n', '\n');
  const draws = screen.split('\r\x1b[K').slice(1);
  assert.ok(draws.length >= 2, `at least one redraw and the final line: ${JSON.stringify(screen)}`);
  for (const d of draws.slice(0, -1)) assert.match(d, /^[\d,]+ rows, [\d.]+ (B|KiB|MiB) written, [\d,]+ rows\/s, \d+s$/);
  const [finalLine, summaryLine] = draws.at(-1)!.split('\n');
  assert.match(finalLine!, /^3,000 rows, 34\.\d KiB written, [\d,]+ rows\/s, \d+s$/);
  assert.match(summaryLine!, /^tributary: 3,000 rows, 0 bad records, /);
  // --quiet on the same terminal: neither the progress line nor the summary.
  const quiet = spawnSync('script', ['-qfec', `${command} --quiet`, '/dev/null'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  assert.equal(quiet.status, 0, quiet.stdout);
  assert.equal(quiet.stdout, '');
});

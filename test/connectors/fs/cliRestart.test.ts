import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, mkdir, truncate, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** `tributary run <sql> --state <dir>` as a child process, as a user runs it. */
function tributaryRun(sql: string, state: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', sql, '--state', state], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const lines = (from: number, n: number): string => Array.from({ length: n }, (_, i) => `${from + i},item-${from + i}\n`).join('');
const json = (from: number, n: number): string => Array.from({ length: n }, (_, i) => `{"id":${from + i},"name":"item-${from + i}"}\n`).join('');

test('CLI with --state: appended lines arrive on the next run; a truncated file exits 1 naming it; reread re-reads with a warning', async (t) => {
  const base = await tempDir(t);
  const data = join(base, 'data');
  await mkdir(data);
  const csv = join(data, 'orders.csv');
  await writeFile(csv, `id,name\n${lines(1, 5)}`);
  const sql = (name: string, extra = '', pattern = '*.csv'): Promise<string> => {
    const path = join(base, `${name}.sql`);
    return writeFile(
      path,
      `create source orders (id int, name varchar) with (connector = 'fs', fs.path = '${data}', fs.match_pattern = '${pattern}'${extra}) format plain encode csv (without_header = 'false');\nselect * from orders;\n`,
    ).then(() => path);
  };
  const job = await sql('job');
  const state = join(base, 'state');

  const first = await tributaryRun(job, state);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, json(1, 5));

  await appendFile(csv, lines(6, 3));
  const second = await tributaryRun(job, state);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, json(6, 3), 'exactly the three appended lines');

  await truncate(csv, 20);
  const third = await tributaryRun(job, state);
  assert.equal(third.code, 1);
  assert.equal(third.stdout, '');
  assert.match(third.stderr, /^tributary: source 'orders', split 'orders\.csv', offset \d+: file '.*orders\.csv' shrank to 20 bytes, below the stored position/m);

  await writeFile(csv, `id,name\n${lines(100, 2)}`);
  const reread = await tributaryRun(await sql('reread', ", fs.file.changed = 'reread'"), state);
  assert.equal(reread.code, 0, reread.stderr);
  assert.equal(reread.stdout, json(100, 2));
  assert.match(reread.stderr, /^tributary: source 'orders': split 'orders\.csv': file '.*orders\.csv' .*reading it again from the start \(fs\.file\.changed = 'reread'\)$/m);

  const nothing = await tributaryRun(await sql('nothing', '', '*.tsv'), join(base, 'state2'));
  assert.equal(nothing.code, 0, nothing.stderr);
  assert.match(nothing.stderr, new RegExp(`^tributary: source 'orders': pattern '\\*\\.tsv' matches no file in '${data.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'$`, 'm'));
});

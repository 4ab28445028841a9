import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { needPeer } from '../support/peers.js';
import { HOW_TO_START_POSTGRES, pgClient, postgresTarget } from '../support/postgres.js';
import { withoutSummary } from '../support/runSummary.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `tributary` (src/cli/main.ts through tsx) as a child process. `onLine` sees every stdout
 * line as it arrives and may signal or close the child.
 */
function tributary(
  args: readonly string[],
  onLine?: (line: string, child: ReturnType<typeof spawn>) => void,
  nodeOptions: readonly string[] = [],
): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...nodeOptions, '--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) onLine?.(line, child);
    });
    child.stdout.on('error', () => undefined);
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

function sqlFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function dataDir(name: string, files: Record<string, string>): string {
  const path = join(dir, name);
  mkdirSync(path, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(path, file), text);
  return path;
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

test('--help documents commands, options, connectors with their properties, and formats', async () => {
  const { code, stdout } = await tributary(['--help']);
  assert.equal(code, 0);
  for (const expected of ['tributary run <file.sql>', '--state <dir>', 'fs | posix_fs', 'fs.path, posix_fs.root (string, required)', 'bad.records', 'csv.delimiter', 'Exit codes']) {
    assert.ok(stdout.includes(expected), `help mentions ${expected}`);
  }
});

test('the example runs: NDJSON rows of the SELECT, exact NUMERIC arithmetic, exit 0', async () => {
  const { code, stdout, stderr } = await tributary(['run', 'examples/part.sql']);
  const { rest, summary } = withoutSummary(stderr);
  assert.equal(rest, '');
  assert.equal(code, 0);
  const rows = lines(stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(rows.length > 0);
  assert.equal(summary.rows, rows.length);
  assert.equal(summary.badRecords, 0);
  assert.ok(summary.lastEpoch !== undefined && summary.lastEpoch >= 1, stderr);
  for (const row of rows) {
    assert.deepEqual(Object.keys(row), ['p_partkey', 'p_name', 'p_brand', 'p_size', 'p_retailprice', 'discounted_price', 'packaging']);
    assert.ok((row.p_size as number) >= 10 && (row.p_size as number) <= 30);
  }
  // 903.00 * 0.9 printed as the exact NUMERIC 812.700, not 812.7000000000001.
  assert.match(stdout, /"p_retailprice":903\.00,"discounted_price":812\.700,/);
});

test('BIGINT and NUMERIC values keep every digit in the output', async () => {
  const data = dataDir('big', { 'a.csv': 'id,amount\n9223372036854775807,12345678901234567890.12\n-9007199254740993,0.10\n' });
  const file = sqlFile('big.sql', `create source b (id bigint, amount numeric) with (connector = 'fs', fs.path = '${data}') format plain encode csv;`);
  const { code, stdout } = await tributary(['run', file]);
  assert.equal(code, 0);
  assert.equal(stdout, '{"id":9223372036854775807,"amount":12345678901234567890.12}\n{"id":-9007199254740993,"amount":0.10}\n');
});

test('exit 2 with one line for SQL and usage errors; exit 1 for runtime errors', async () => {
  const syntax = await tributary(['run', sqlFile('syntax.sql', `create source p (\n  a int,\n  b varchr(3)\n) with (connector = 'fs') row format 'csv';`)]);
  assert.equal(syntax.code, 2);
  assert.match(syntax.stderr, /^tributary: 3:5: unknown column type "varchr"; expected one of/);
  assert.equal(lines(syntax.stderr).length, 1);

  const property = await tributary(['run', sqlFile('prop.sql', `create source p (a int) with (connector = 'fs', fs.paht = '/x') row format 'csv';`)]);
  assert.equal(property.code, 2);
  assert.match(property.stderr, /unknown property 'fs.paht' for connector fs \(did you mean 'fs.path'\?\)/);
  assert.equal(lines(property.stderr).length, 1);

  const usage = await tributary(['run']);
  assert.equal(usage.code, 2);
  assert.equal(usage.stderr, 'tributary: missing file: tributary run <file.sql> (see tributary --help)\n');
  assert.equal((await tributary(['run', join(dir, 'absent.sql')])).code, 2);
  assert.equal((await tributary(['run', 'x.sql', '--bad-records', 'maybe'])).code, 2);

  const runtime = await tributary(['run', sqlFile('runtime.sql', `create source p (a int) with (connector = 'fs', fs.path = '${join(dir, 'no-such-dir')}') row format 'csv';`)]);
  assert.equal(runtime.code, 1);
  assert.match(runtime.stderr, /^tributary: source 'p'.*no-such-dir/);
  assert.equal(lines(withoutSummary(runtime.stderr).rest).length, 1);

  const badRow = await tributary(['run', sqlFile('badrow.sql', `create source p (a int not null) with (connector = 'fs', fs.path = '${dataDir('badrow', { 'x.csv': 'a\n1\nx\n' })}') row format 'csv';`)]);
  assert.equal(badRow.code, 1);
  assert.match(withoutSummary(badRow.stderr).rest, /^tributary: .*source 'p'.*column "a" \(INTEGER\): expected INTEGER, got "x"\n$/);
});

test('--state: a second run of a finished bounded source emits nothing new', async () => {
  const data = dataDir('bounded', { 'a.csv': 'n\n1\n2\n3\n' });
  const file = sqlFile('bounded.sql', `create source s (n int) with (connector = 'fs', fs.path = '${data}') row format 'csv';\nselect n * 10 as n10 from s;`);
  const state = join(dir, 'state-bounded');
  const first = await tributary(['run', file, '--state', state]);
  assert.equal(first.code, 0);
  assert.deepEqual(lines(first.stdout), ['{"n10":10}', '{"n10":20}', '{"n10":30}']);
  const second = await tributary(['run', file, '--state', state]);
  assert.equal(second.code, 0);
  assert.equal(second.stdout, '');
  // A new file is picked up, the old one is not read again.
  writeFileSync(join(data, 'b.csv'), 'n\n4\n');
  assert.deepEqual(lines((await tributary(['run', file, '--state', state])).stdout), ['{"n10":40}']);
});

test('--state: SIGTERM stops an unbounded run with a final checkpoint; the next run resumes mid-file', async () => {
  const data = dataDir('tail', { 'log.csv': 'id,word\n1,one\n2,two\n' });
  const file = sqlFile(
    'tail.sql',
    `create source t (id bigint not null, word text) with (connector = 'fs', fs.path = '${data}', fs.scan.mode = 'unbounded', fs.poll.interval.ms = '50', checkpoint.interval.ms = '60000') row format 'csv';`,
  );
  const state = join(dir, 'state-tail');
  const stopAfter = (count: number) => {
    let seen = 0;
    return (_line: string, child: ReturnType<typeof spawn>) => {
      if (++seen === count) child.kill('SIGTERM');
    };
  };
  const first = await tributary(['run', file, '--state', state], stopAfter(2));
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(lines(first.stdout), ['{"id":1,"word":"one"}', '{"id":2,"word":"two"}']);

  appendFileSync(join(data, 'log.csv'), '3,three\n4,four\n');
  const second = await tributary(['run', file, '--state', state], stopAfter(2));
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(lines(second.stdout), ['{"id":3,"word":"three"}', '{"id":4,"word":"four"}']);
});

test('--state: a bounded scan stopped by SIGTERM part-way is completed by the next run, each row once', async () => {
  const count = 150_000;
  let csv = 'id\n';
  for (let i = 1; i <= count; i++) csv += `${i}\n`;
  const data = dataDir('large', { 'ids.csv': csv });
  const file = sqlFile('large.sql', `create source l (id int not null) with (connector = 'fs', fs.path = '${data}', fs.read.buffer.bytes = '4096') row format 'csv';`);
  const state = join(dir, 'state-large');
  const { first, second, ids } = await stoppedThenResumed(file, state);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(ids.length, count, `first run ${lines(first.stdout).length} rows, second ${lines(second.stdout).length}`);
  assert.deepEqual(ids, Array.from({ length: count }, (_, i) => i + 1));
});

/**
 * Runs `file` with `--state state`, stopped by SIGTERM at its first line of output, then runs it
 * again to the end: both runs, and the ids of every row they printed, in order.
 */
async function stoppedThenResumed(file: string, state: string): Promise<{ first: Awaited<ReturnType<typeof tributary>>; second: Awaited<ReturnType<typeof tributary>>; ids: number[] }> {
  let signalled = false;
  const first = await tributary(['run', file, '--state', state], (_line, child) => {
    if (!signalled) child.kill('SIGTERM');
    signalled = true;
  });
  const second = await tributary(['run', file, '--state', state]);
  const ids = [...lines(first.stdout), ...lines(second.stdout)].map((l) => (JSON.parse(l) as { id: number }).id);
  return { first, second, ids };
}

test('--state postgres://: a bounded scan stopped by SIGTERM part-way is completed by the next run, each row once (the stop ends at the barrier it sealed the output at, not at an earlier one committing late)', { timeout: 120_000 }, async (t) => {
  const target = await postgresTarget();
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const count = 150_000;
  let csv = 'id\n';
  for (let i = 1; i <= count; i++) csv += `${i}\n`;
  const data = dataDir('large-pg', { 'ids.csv': csv });
  const file = sqlFile('large-pg.sql', `create source l (id int not null) with (connector = 'fs', fs.path = '${data}', fs.read.buffer.bytes = '4096') row format 'csv';`);
  // Several rounds: where the signal lands against the barriers in flight varies from run to run.
  for (let round = 0; round < 3; round++) {
    const table = `kbench_sigterm_${process.pid}_${round}`;
    t.after(async () => {
      const client = await pgClient(target!);
      try {
        await client.query(`DROP TABLE IF EXISTS ${table}`);
      } finally {
        await client.end();
      }
    });
    const state = `${target!.url}?table=${table}`;
    const { first, second, ids } = await stoppedThenResumed(file, state);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(ids.length, count, `round ${round}: first run ${lines(first.stdout).length} rows, second ${lines(second.stdout).length}`);
    assert.deepEqual(ids, Array.from({ length: count }, (_, i) => i + 1));
  }
});

test('a closed stdout (| head) ends the run quietly with exit 0', async () => {
  let csv = 'id\n';
  for (let i = 1; i <= 100_000; i++) csv += `${i}\n`;
  const data = dataDir('pipe', { 'ids.csv': csv });
  const file = sqlFile('pipe.sql', `create source p (id int) with (connector = 'fs', fs.path = '${data}') row format 'csv';`);
  let closed = false;
  const run = await tributary(['run', file], (_line, child) => {
    if (!closed) child.stdout?.destroy();
    closed = true;
  });
  assert.equal(withoutSummary(run.stderr).rest, '');
  assert.equal(run.code, 0);
});

test('check validates a file without reading it; errors exit 2', async () => {
  const ok = await tributary(['check', 'examples/part.sql']);
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /examples\/part.sql: ok \(1 source\(s\), 1 query\(ies\)\)/);
  const bad = await tributary(['check', sqlFile('check.sql', `create source p (a int) with (connector = 'fs', fs.path = '/nowhere') row format 'csv';\nselect b from p;`)]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'tributary: 2:8: column "b" does not exist in source "p" (did you mean "a"?); its columns: a\n');
});

test('the CLI and every built-in connector load without the optional client libraries', async () => {
  // A module hook that makes every optional peer dependency unresolvable, as on an install without them.
  const hooks = join(dir, 'block-hooks.mjs');
  writeFileSync(
    hooks,
    `export async function resolve(specifier, context, next) {
      if (/^(kafkajs|@aws-sdk\\/|@smithy\\/|avsc|csv-parse|snappyjs|fzstd|idb-keyval)/.test(specifier)) throw new Error('blocked ' + specifier);
      return next(specifier, context);
    }`,
  );
  const register = join(dir, 'block.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const help = await tributary(['--help'], undefined, ['--import', register]);
  assert.equal(help.code, 0, help.stderr);
  for (const name of ['kafka', 'redpanda', 's3', 'kinesis']) assert.match(help.stdout, new RegExp(`^  ${name}: `, 'm'));
  const run = await tributary(['run', 'examples/part.sql'], undefined, ['--import', register]);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(lines(run.stdout).length > 0);
});

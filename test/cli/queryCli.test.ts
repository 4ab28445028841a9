import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { projectRoot as root, runCli } from '../support/cli.js';

// `tributary run` over bounded files: aggregates, ORDER BY ... LIMIT and CREATE TABLE print the
// final result (no operation field); a second run with the same --state resumes from the
// checkpointed query state and prints the same answer, not a doubled one.

const dir = mkdtempSync(join(tmpdir(), 'tributary-query-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: readonly string[]) => runCli(args);

function files(name: string, content: Record<string, string>): string {
  const path = join(dir, name);
  mkdirSync(path, { recursive: true });
  for (const [file, text] of Object.entries(content)) writeFileSync(join(path, file), text);
  return path;
}

function sqlFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const ORDERS = ['a,10', 'b,5', 'a,7', 'c,', 'b,20', 'd,1'].map((l, i) => `${i + 1},${l}`).join('\n') + '\n';

test('bounded: GROUP BY with ORDER BY ... LIMIT prints the final top rows in order', async () => {
  const data = files('orders', { 'o.csv': ORDERS });
  const file = sqlFile(
    'top.sql',
    `create source orders (id int, cust varchar, amount int) with (connector = 'fs', fs.path = '${data}') format plain encode csv (without_header = 'true');
     select cust, count(*) as n, sum(amount) as total, min(amount) as lo, max(amount) as hi from orders group by cust order by total desc nulls last, cust limit 3;`,
  );
  const result = await run(['run', file]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    ['{"cust":"b","n":2,"total":25,"lo":5,"hi":20}', '{"cust":"a","n":2,"total":17,"lo":7,"hi":10}', '{"cust":"d","n":1,"total":1,"lo":1,"hi":1}', ''].join('\n'),
  );
});

test('bounded: ORDER BY without aggregates sorts every row, NULLs last ascending as in PostgreSQL', async () => {
  const data = files('sorted', { 'o.csv': ORDERS });
  const file = sqlFile('sorted.sql', `create source orders (id int, cust varchar, amount int) with (connector = 'fs', fs.path = '${data}') format plain encode csv (without_header = 'true');
     select id, amount from orders order by amount, id desc;`);
  const result = await run(['run', file]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: number }).id), [6, 2, 3, 1, 5, 4]);
});

test('bounded: CREATE TABLE with a primary key and no SELECT prints the table (later rows replace earlier ones)', async () => {
  const data = files('table', { 'a.json': '{"id":1,"v":"x"}\n{"id":2,"v":"y"}\n{"id":1,"v":"z"}\n' });
  const file = sqlFile('table.sql', `create table t (id int, v varchar, primary key (id)) with (connector = 'fs', fs.path = '${data}') format plain encode json;`);
  const result = await run(['run', file]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.stdout.split('\n').filter(Boolean).sort(), ['{"id":1,"v":"z"}', '{"id":2,"v":"y"}']);
});

test('a second run over the same --state prints the same count, not a doubled one; an empty source counts 0', async () => {
  const data = files('resume', { 'o.csv': ORDERS });
  const state = join(dir, 'state-resume');
  const file = sqlFile('count.sql', `create source orders (id int, cust varchar, amount int) with (connector = 'fs', fs.path = '${data}') format plain encode csv (without_header = 'true');
     select count(*) as n, avg(amount) as mean from orders;`);
  const first = await run(['run', file, '--state', state]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, '{"n":6,"mean":8.6000000000000000}\n');
  writeFileSync(join(data, 'p.csv'), '7,e,2\n');
  // The new file is read; the first six rows come from the checkpointed state, not a re-read.
  const second = await run(['run', file, '--state', state]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, '{"n":7,"mean":7.5000000000000000}\n');
  // No rows at all: one row, count 0 and avg NULL, as in SQL.
  const empty = files('empty', {});
  const none = await run(['run', sqlFile('empty.sql', `create source e (id int, amount int) with (connector = 'fs', fs.path = '${empty}') format plain encode json;
     select count(*) as n, avg(amount) as mean from e;`)]);
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, '{"n":0,"mean":null}\n');
});

test('a query column named __op is refused: that field carries the operation of a change', async () => {
  const data = files('op', { 'o.csv': ORDERS });
  const file = sqlFile('op.sql', `create source orders (id int, cust varchar, amount int) with (connector = 'fs', fs.path = '${data}') format plain encode csv (without_header = 'true');
     select cust as __op, count(*) from orders group by cust;`);
  const result = await run(['run', file]);
  assert.equal(result.code, 2, result.stdout);
  assert.match(result.stderr, /the query has a column named __op/);
});

test('kill -9 during an unbounded aggregate, then a rerun: the count goes on from the checkpoint, nothing counted twice', async () => {
  const data = files('killed', { '1.csv': Array.from({ length: 50 }, (_, i) => `${i},k${i % 3},1`).join('\n') + '\n' });
  const state = join(dir, 'state-killed');
  const file = sqlFile(
    'killed.sql',
    `create source orders (id int, cust varchar, amount int) with (connector = 'fs', fs.path = '${data}', fs.scan.mode = 'unbounded',
       fs.poll.interval.ms = '50', checkpoint.interval.ms = '50') format plain encode csv (without_header = 'true');
     select count(*) as n, sum(amount) as total from orders;`,
  );
  const counts = (stdout: string) =>
    stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { n: number; __op: string })
      .map((r) => `${r.__op} ${r.n}`);
  // Run 1: wait for the count of 50, give a few checkpoints time to commit, then SIGKILL.
  const first = await new Promise<string>((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', file, '--state', state], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
      if (stdout.includes('"n":50')) setTimeout(() => child.kill('SIGKILL'), 500);
    });
    child.on('error', fail);
    child.on('close', () => {
      clearTimeout(timer);
      done(stdout);
    });
  });
  assert.ok(counts(first).includes('update_after 50') || counts(first).includes('insert 50'), first);
  // 10 more rows while nothing runs; run 2 must go from 50 to 60.
  writeFileSync(join(data, '2.csv'), Array.from({ length: 10 }, (_, i) => `${100 + i},z,2`).join('\n') + '\n');
  const second = await new Promise<string>((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', file, '--state', state], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
      if (stdout.includes('"n":60')) child.kill('SIGINT');
    });
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('error', fail);
    child.on('close', () => {
      clearTimeout(timer);
      done(stdout + stderr);
    });
  });
  const changes = counts(second.split('\n').filter((l) => l.startsWith('{')).join('\n'));
  // The restored state says 50: the first change retracts 50, the last shows 60, and no count ever exceeds 60.
  assert.equal(changes[0], 'update_before 50', second);
  assert.equal(changes.at(-1), 'update_after 60', second);
  assert.ok(!second.includes('"n":110') && !second.includes('"total":120'), second);
  assert.match(second, /"total":70/);
});

test('a column named __proto__ through the CLI: a plain key with SELECT *, an alias, NUMERIC, and an aggregate; "1" keeps its declared place', async () => {
  const data = files('proto', { 'p.csv': 'x,1,2.50\ny,2,3.25\n' });
  const ddl = `create source p ("__proto__" varchar, a int, "n" numeric(10,2)) with (connector = 'fs', fs.path = '${data}') format plain encode csv (without_header = 'true');`;
  const cases: Array<[string, string[]]> = [
    ['select * from p;', ['{"__proto__":"x","a":1,"n":2.50}', '{"__proto__":"y","a":2,"n":3.25}']],
    ['select "__proto__" as q, a as "1" from p;', ['{"q":"x","1":1}', '{"q":"y","1":2}']],
    ['select n as "__proto__", a, a from p where a = 2;', ['{"__proto__":3.25,"a":2,"a_2":2}']],
    ['select "__proto__", sum(n) as "1" from p group by "__proto__" order by "__proto__";', ['{"__proto__":"x","1":2.50}', '{"__proto__":"y","1":3.25}']],
  ];
  for (const [i, [select, lines]] of cases.entries()) {
    const result = await run(['run', sqlFile(`proto${i}.sql`, `${ddl}\n${select}`)]);
    assert.equal(result.code, 0, `${select}: ${result.stderr}`);
    assert.equal(result.stdout, [...lines, ''].join('\n'), select);
  }
});

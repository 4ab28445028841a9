import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { lastValueFrom, toArray } from 'rxjs';
import { opOf, isRetraction } from '../../src/core/Changelog.js';
import type { Row } from '../../src/formats/Format.js';
import { Decimal } from '../../src/sql/Decimal.js';
import { Session } from '../../src/sql/Session.js';
import { MemoryStore } from '../../src/state/MemoryStore.js';

const dir = mkdtempSync(join(tmpdir(), 'tributary-sql-incr-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function jsonDir(name: string, lines: readonly object[]): string {
  const path = join(dir, name);
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'data.json'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return path;
}

/** Applies a stream of changes to a multiset: what a reader of the changes ends up with. */
function fold(changes: readonly Row[]): Row[] {
  const rows = new Map<string, { row: Row; count: number }>();
  const keyOf = (r: Row): string => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Decimal ? `${v.toString()}d` : v));
  for (const change of changes) {
    const key = keyOf(change);
    const entry = rows.get(key) ?? { row: Object.fromEntries(Object.entries(change)), count: 0 };
    entry.count += isRetraction(opOf(change)) ? -1 : 1;
    assert.ok(entry.count >= 0, `a retraction of a row never shown: ${key}`);
    if (entry.count === 0) rows.delete(key);
    else rows.set(key, entry);
  }
  return [...rows.values()].flatMap(({ row, count }) => Array<Row>(count).fill(row));
}

const run = (session: Session, sql: string): Promise<Row[]> => lastValueFrom(session.query(sql).rows.pipe(toArray()));

const ORDERS = [
  { id: 1, cust: 'a', amount: 10 },
  { id: 2, cust: 'b', amount: 5 },
  { id: 3, cust: 'a', amount: 7 },
  { id: 4, cust: 'c', amount: null },
  { id: 5, cust: 'b', amount: 20 },
];

test('count(*), count, sum, min, max, avg with GROUP BY over an append-only source', async () => {
  const session = new Session({ checkpointIntervalMs: 50 });
  session.execute(`create source orders (id int, cust varchar, amount int) with (connector = 'fs', fs.path = '${jsonDir('agg', ORDERS)}') format plain encode json`);
  const changes = await run(session, `select cust, count(*) as n, count(amount) as c, sum(amount) as s, min(amount) as lo, max(amount) as hi, avg(amount) as mean from orders group by cust`);
  const final = fold(changes).sort((x, y) => String(x['cust']).localeCompare(String(y['cust'])));
  assert.deepEqual(
    final.map((r) => ({ ...r, mean: r['mean'] === null ? null : (r['mean'] as Decimal).toNumber() })),
    [
      { cust: 'a', n: 2n, c: 2n, s: 17n, lo: 7, hi: 10, mean: 8.5 },
      { cust: 'b', n: 2n, c: 2n, s: 25n, lo: 5, hi: 20, mean: 12.5 },
      { cust: 'c', n: 1n, c: 0n, s: null, lo: null, hi: null, mean: null },
    ],
  );
  // One file is one chunk: a group's changes within a chunk come out as one change.
  assert.deepEqual(changes.filter((r) => r['cust'] === 'a').map((r) => opOf(r)), ['insert']);
});

test('count(*) without GROUP BY and an expression over aggregates', async () => {
  const session = new Session({ checkpointIntervalMs: 50 });
  session.execute(`create source orders (id int, cust varchar, amount int) with (connector = 'fs', fs.path = '${jsonDir('global', ORDERS)}') format plain encode json`);
  assert.deepEqual(fold(await run(session, `select count(*), sum(amount) * 2 as twice from orders where id > 1`)), [{ count: 4n, twice: 64n }]);
});

test('ORDER BY ... LIMIT over aggregates: the top rows, kept as groups change', async () => {
  const session = new Session({ checkpointIntervalMs: 50 });
  session.execute(`create source orders (id int, cust varchar, amount int) with (connector = 'fs', fs.path = '${jsonDir('top', ORDERS)}') format plain encode json`);
  const changes = await run(session, `select cust, sum(amount) as s from orders group by cust order by s desc nulls last limit 2`);
  assert.deepEqual(fold(changes).sort((x, y) => String(x['cust']).localeCompare(String(y['cust']))), [
    { cust: 'a', s: 17n },
    { cust: 'b', s: 25n },
  ]);
});

test('CREATE TABLE with a primary key: a later row of the same key replaces the earlier one in counts and sums', async () => {
  const session = new Session({ checkpointIntervalMs: 50 });
  const path = jsonDir('table', [...ORDERS, { id: 1, cust: 'b', amount: 100 }, { id: 3, cust: 'a', amount: 1 }]);
  session.execute(`create table orders (id int, cust varchar, amount int, primary key (id)) with (connector = 'fs', fs.path = '${path}') format plain encode json`);
  const changes = await run(session, `select cust, count(*) as n, sum(amount) as s, min(amount) as lo from orders group by cust`);
  assert.deepEqual(fold(changes).sort((x, y) => String(x['cust']).localeCompare(String(y['cust']))), [
    { cust: 'a', n: 1n, s: 1n, lo: 1 },
    { cust: 'b', n: 3n, s: 125n, lo: 5 },
    { cust: 'c', n: 1n, s: null, lo: null },
  ]);
  // The table itself (a fresh session: a source's checkpoints belong to one pipeline): the replaced rows are retracted.
  const again = new Session({ checkpointIntervalMs: 50 });
  again.execute(`create table orders (id int, cust varchar, amount int, primary key (id)) with (connector = 'fs', fs.path = '${path}') format plain encode json`);
  const table = fold(await run(again, `select * from orders`)).sort((x, y) => (x['id'] as number) - (y['id'] as number));
  assert.deepEqual(table.map((r) => [r['id'], r['cust'], r['amount']]), [
    [1, 'b', 100],
    [2, 'b', 5],
    [3, 'a', 1],
    [4, 'c', null],
    [5, 'b', 20],
  ]);
});

test('the query state is checkpointed: a second run over the same store resumes and counts nothing twice', async () => {
  const store = new MemoryStore();
  const path = jsonDir('resume', ORDERS);
  const sql = `create source orders (id int, cust varchar, amount int) with (connector = 'fs', fs.path = '${path}') format plain encode json;
    select cust, count(*) as n from orders group by cust`;
  const first = fold(await lastValueFrom(new Session({ store, checkpointIntervalMs: 50 }).query(sql).rows.pipe(toArray())));
  assert.equal(first.length, 3);
  // The bounded run committed its final epoch: a rerun reads nothing new and emits no change.
  const again = await lastValueFrom(new Session({ store, checkpointIntervalMs: 50 }).query(sql).rows.pipe(toArray()));
  assert.deepEqual(again, []);
  const keys = (await store.entries()).map(([k]) => k).filter((k) => k.includes('/query/'));
  assert.equal(keys.length, 1, `one epoch of query state kept, got ${keys.join(', ')}`);
});

test('aggregates are maintained, not recomputed: per input change at most one retraction and one insert, and the query state holds the groups, not the rows', async () => {
  // Over a table: 3 groups, N rows, every row then updated once (a retraction and an insert
  // for the aggregate). Were the groups recomputed from kept rows, the state would grow with N
  // and a change could emit more than its own group's two rows.
  const measure = async (n: number): Promise<{ changes: number; inputChanges: number; state: number; result: Row[] }> => {
    const rows = Array.from({ length: n }, (_, i) => ({ id: i, cust: ['a', 'b', 'c'][i % 3], amount: i }));
    const updates = rows.map((r) => ({ ...r, amount: r.amount + 1 }));
    const path = jsonDir(`work-${n}`, [...rows, ...updates]);
    const store = new MemoryStore();
    const session = new Session({ store, checkpointIntervalMs: 1_000_000 });
    session.execute(`create table orders (id int, cust varchar, amount int, primary key (id)) with (connector = 'fs', fs.path = '${path}') format plain encode json`);
    const changes = await run(session, `select cust, count(*) as n, sum(amount) as s, avg(amount) as a from orders group by cust`);
    const state = (await store.entries()).filter(([k]) => k.includes('/query/')).reduce((size, [, v]) => size + JSON.stringify(v).length, 0);
    return { changes: changes.length, inputChanges: n + 2 * n, state, result: fold(changes) };
  };
  const small = await measure(300);
  const large = await measure(30_000);
  for (const m of [small, large]) assert.ok(m.changes <= 2 * m.inputChanges, `${m.changes} output changes for ${m.inputChanges} input changes`);
  assert.ok(small.state > 0, 'the query state was checkpointed');
  // Digits of larger sums aside, the state is the same size: 3 groups either way.
  assert.ok(large.state < small.state + 100, `query state ${small.state} bytes at 300 rows, ${large.state} at 30,000`);
  assert.deepEqual(
    large.result.map((r) => [r['cust'], r['n']]).sort(),
    [
      ['a', 10_000n],
      ['b', 10_000n],
      ['c', 10_000n],
    ],
  );
  const total = large.result.reduce((sum, r) => sum + (r['s'] as bigint), 0n);
  assert.equal(total, BigInt((30_000 * 29_999) / 2 + 30_000));
});

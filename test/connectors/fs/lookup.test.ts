import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createFormat } from '../../../src/formats/createFormat.js';
import { NEVER, Subject, from, lastValueFrom, toArray } from 'rxjs';
import { SourceError } from '../../../src/core/SourceError.js';
import { chunk, type SourceEvent } from '../../../src/core/SourceEvent.js';
import { createFsLookupTable } from '../../../src/connectors/fs/createFsLookupTable.js';
import { createFsSource } from '../../../src/connectors/fs/createFsSource.js';
import type { Row } from '../../../src/formats/Format.js';
import { LookupTable, type Lookup } from '../../../src/lookup/LookupTable.js';
import { lookupJoin } from '../../../src/lookup/lookupJoin.js';
import { LruCache } from '../../../src/lookup/LruCache.js';
import { bySplit, ndjson, run, tempDir, waitFor } from './helpers.js';

async function* rowsOf(rows: readonly Row[]): AsyncIterable<Row> {
  for (const r of rows) yield r;
}

test('LruCache keeps at most its capacity and evicts the least recently used', () => {
  const cache = new LruCache<string, number>(2);
  cache.set('a', 1);
  cache.set('b', 2);
  assert.equal(cache.get('a'), 1); // 'a' is now the most recent
  cache.set('c', 3);
  assert.equal(cache.size, 2);
  assert.equal(cache.has('b'), false);
  assert.equal(cache.get('a'), 1);
  assert.equal(cache.get('c'), 3);
  cache.set('a', 10); // an update is a use
  cache.set('d', 4);
  assert.equal(cache.has('c'), false);
  assert.equal(cache.get('a'), 10);
  const none = new LruCache<string, number>(0);
  none.set('a', 1);
  assert.equal(none.get('a'), undefined);
  assert.throws(() => new LruCache(-1), RangeError);
});

test('LookupTable indexes a scan once, answers synchronously, and rebuilds after invalidate()', async () => {
  let data: Row[] = [
    { id: 1, name: 'a' },
    { id: 2, name: 'b' },
    { id: 1, name: 'c' },
    { id: null, name: 'keyless' },
  ];
  let scans = 0;
  const table = new LookupTable<number>({
    name: 't',
    scan: () => {
      scans++;
      return rowsOf(data);
    },
    keyOf: (r) => r.id as number | null,
  });
  assert.deepEqual(await table.lookup(1), [
    { id: 1, name: 'a' },
    { id: 1, name: 'c' },
  ]);
  const sync = table.lookup(2);
  assert.ok(Array.isArray(sync), 'a fresh index answers synchronously');
  assert.deepEqual(sync, [{ id: 2, name: 'b' }]);
  assert.deepEqual(table.lookup(3), []);
  assert.equal(table.size, 2);
  assert.equal(table.rows, 3);
  assert.equal(scans, 1);
  data = [{ id: 3, name: 'd' }];
  const generation = table.generation;
  table.invalidate();
  assert.ok(table.generation > generation);
  assert.deepEqual(await table.lookup(3), [{ id: 3, name: 'd' }]);
  assert.deepEqual(await table.lookup(1), []);
  assert.equal(scans, 2);
});

test('LookupTable repeats a build that saw the version move, and reports a failed build then recovers', async () => {
  let version = 0;
  let bumpDuringScan = 2;
  let failNext = false;
  const table = new LookupTable<number>({
    name: 'moving',
    async *scan() {
      if (failNext) {
        failNext = false;
        throw new Error('disk on fire');
      }
      yield { id: version };
      if (bumpDuringScan-- > 0) version++;
    },
    keyOf: (r) => r.id as number,
    version: async () => String(version),
  });
  // Two scans saw a change under them; the third is consistent.
  assert.deepEqual(await table.lookup(2), [{ id: 2 }]);
  assert.equal(table.builds, 1);
  failNext = true;
  table.invalidate();
  await assert.rejects(Promise.resolve(table.lookup(2)), /lookup table 'moving': reading the table failed: disk on fire/);
  assert.deepEqual(await table.lookup(2), [{ id: 2 }]);
});

test('LookupTable checks its version on every change hint and rebuilds only when it moved', async () => {
  let version = 'v1';
  let data: Row[] = [{ id: 'k', v: 1 }];
  const hints = new Subject<void>();
  let versionChecks = 0;
  const table = new LookupTable<string>({
    name: 'hinted',
    scan: () => rowsOf(data),
    keyOf: (r) => r.id as string,
    // Reads `version` when called: a later change does not alter a check already made.
    version: async () => (versionChecks++, version),
    changes: hints,
  });
  assert.deepEqual(await table.lookup('k'), [{ id: 'k', v: 1 }]);
  const before = versionChecks;
  hints.next();
  // Positive events only: the first hint's check has read 'v1' before the version moves, and
  // the second hint's rebuild is the only one (generation 1, two builds in all).
  await waitFor(() => versionChecks > before, 'the first version check');
  version = 'v2';
  data = [{ id: 'k', v: 2 }];
  hints.next();
  await waitFor(() => versionChecks > before + 1 && table.generation >= 1, 'the second version check');
  assert.equal(table.generation, 1, 'same version: nothing to do; a new one: one rebuild');
  assert.deepEqual(await table.lookup('k'), [{ id: 'k', v: 2 }]);
  assert.equal(table.builds, 2);
  table.close();
  assert.equal(hints.observed, false, 'close() stops listening');
});

/** A table that counts lookups and can answer late. */
function countingTable(rows: Record<string, Row[]>, asynchronous: boolean): Lookup<string> & { calls: string[]; generation: number } {
  const table = {
    calls: [] as string[],
    generation: 0,
    lookup(key: string) {
      table.calls.push(key);
      const found = rows[key] ?? [];
      return asynchronous ? new Promise<readonly Row[]>((r) => setTimeout(() => r(found), key === 'slow' ? 20 : 0)) : found;
    },
  };
  return table;
}

const events = (...list: SourceEvent<Row>[]) => from(list);

test('lookupJoin enriches records, keeps barriers in place, and honours inner and left joins', async () => {
  const table = countingTable({ c1: [{ name: 'Ada' }], c2: [{ name: 'Bob' }, { name: 'Bea' }] }, true);
  const input = events(
    chunk('s', [{ o: 1, c: 'slow' }, { o: 2, c: 'c1' }], '0', '2'),
    { type: 'barrier', epoch: 1 },
    chunk('s', [{ o: 3, c: 'c2' }, { o: 4, c: null }], '2', '4'),
  );
  const inner = await lastValueFrom(input.pipe(lookupJoin(table, (r) => r.c as string | null), toArray()));
  assert.deepEqual(inner, [
    chunk('s', [{ o: 2, c: 'c1', name: 'Ada' }], '0', '2'),
    { type: 'barrier', epoch: 1 },
    chunk('s', [{ o: 3, c: 'c2', name: 'Bob' }, { o: 3, c: 'c2', name: 'Bea' }], '2', '4'),
  ]);
  const left = await lastValueFrom(
    input.pipe(
      lookupJoin<Row, string, string>(table, (r) => r.c as string | null, { kind: 'left', combine: (r, m) => `${String(r.o)}:${String(m?.name ?? '-')}` }),
      toArray(),
    ),
  );
  assert.deepEqual(left, [chunk('s', ['1:-', '2:Ada'], '0', '2'), { type: 'barrier', epoch: 1 }, chunk('s', ['3:Bob', '3:Bea', '4:-'], '2', '4')]);
});

test('lookupJoin keeps at most cacheSize keys, and drops its cache when the table changes', async () => {
  const table = countingTable({ a: [{ x: 1 }], b: [{ x: 2 }], c: [{ x: 3 }] }, false);
  const keys = ['a', 'b', 'a', 'b', 'c', 'a', 'b', 'c'];
  const input = new Subject<SourceEvent<Row>>();
  const out: SourceEvent<Row>[] = [];
  input.pipe(lookupJoin(table, (r) => r.k as string, { cacheSize: 2 })).subscribe((e) => out.push(e));
  for (const [i, k] of keys.entries()) input.next(chunk('s', [{ k }], String(i), String(i + 1)));
  // a b (miss miss) a b (hits) c (miss, evicts a) a (miss, evicts b) b (miss, evicts c) c (miss).
  assert.deepEqual(table.calls, ['a', 'b', 'c', 'a', 'b', 'c']);
  table.calls.length = 0;
  input.next(chunk('s', [{ k: 'b' }, { k: 'c' }], '8', '10'));
  assert.deepEqual(table.calls, [], 'both cached');
  table.generation++;
  input.next(chunk('s', [{ k: 'b' }], '10', '11'));
  assert.deepEqual(table.calls, ['b'], 'a new generation empties the cache');
  assert.equal(out.length, keys.length + 2);
});

test('lookupJoin reports a failed lookup with the split and offset of the chunk', async () => {
  const table: Lookup<string> = { lookup: () => Promise.reject(new Error('table unreachable')) };
  const err = await lastValueFrom(events(chunk('orders-3', [{ k: 'x' }], '41', '42')).pipe(lookupJoin(table, (r) => r.k as string, { name: 'orders' }))).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof SourceError);
  assert.match(err.message, /source 'orders', split 'orders-3', offset 41: lookup failed: table unreachable/);
});

test('an fs lookup table is rebuilt after its file changes, in place or by an atomic rename', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'customers.ndjson');
  await writeFile(path, ndjson([{ id: 1, name: 'Ada' }, { id: 2, name: 'Bob' }]));
  const table = createFsLookupTable<number>({ path, format: createFormat('json'), key: 'id', pollIntervalMs: 20 });
  t.after(() => table.close());
  assert.deepEqual(await table.lookup(1), [{ id: 1, name: 'Ada' }]);
  assert.equal(table.builds, 1);

  await writeFile(path, ndjson([{ id: 1, name: 'Ada Lovelace' }, { id: 3, name: 'Cy' }]));
  await waitFor(() => table.generation >= 1, 'the change to be noticed');
  assert.deepEqual(await table.lookup(1), [{ id: 1, name: 'Ada Lovelace' }]);
  assert.deepEqual(await table.lookup(2), []);

  const generation = table.generation;
  await writeFile(join(dir, '.customers.tmp'), ndjson([{ id: 4, name: 'Di' }]));
  await rename(join(dir, '.customers.tmp'), path);
  await waitFor(() => table.generation > generation, 'the replacement to be noticed');
  assert.deepEqual(await table.lookup(4), [{ id: 4, name: 'Di' }]);
  assert.deepEqual(await table.lookup(1), []);
  assert.equal(table.builds, 3);
});

test('an fs lookup table over a directory joins a tailed source end to end', async (t) => {
  const dir = await tempDir(t);
  const dims = join(dir, 'dims');
  const facts = join(dir, 'facts');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dims);
  await mkdir(facts);
  await writeFile(join(dims, 'part-1.ndjson'), ndjson([{ sku: 'a', label: 'Apple' }]));
  await writeFile(join(dims, 'part-2.ndjson'), ndjson([{ sku: 'b', label: 'Banana' }]));
  await writeFile(join(facts, 'sales.ndjson'), ndjson([{ sku: 'a', qty: 1 }, { sku: 'b', qty: 2 }, { sku: 'z', qty: 3 }]));
  const table = createFsLookupTable<string>({ path: dims, pattern: '*.ndjson', format: createFormat('json'), key: 'sku', pollIntervalMs: 20 });
  t.after(() => table.close());
  const source = createFsSource({ name: 'sales', path: facts, scanMode: 'unbounded', format: createFormat('json'), barriers: NEVER, pollIntervalMs: 20 });
  const r = run(source, (events) => events.pipe(lookupJoin(table, (row) => row.sku as string, { cacheSize: 10 })) as typeof events);
  t.after(() => r.subscription.unsubscribe());
  await waitFor(() => r.records.length === 2, 'the joined records');
  assert.deepEqual(r.records, [
    { sku: 'a', qty: 1, label: 'Apple' },
    { sku: 'b', qty: 2, label: 'Banana' },
  ]);
  // A new dimension file arrives, then a fact that needs it.
  const generation = table.generation;
  await writeFile(join(dims, 'part-3.ndjson'), ndjson([{ sku: 'z', label: 'Zucchini' }]));
  await waitFor(() => table.generation > generation, 'the new dimension file to be noticed');
  const { appendFile } = await import('node:fs/promises');
  await appendFile(join(facts, 'sales.ndjson'), ndjson([{ sku: 'z', qty: 4 }]));
  await waitFor(() => r.records.length === 3, 'the late fact');
  assert.deepEqual(r.records[2], { sku: 'z', qty: 4, label: 'Zucchini' });
  assert.deepEqual([...bySplit(r.events).keys()], ['sales.ndjson']);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { of, type Observable } from 'rxjs';
import { withOp, type ChangeOp } from '../src/core/Changelog.js';
import { checkpointKeys } from '../src/core/Checkpoint.js';
import type { Source } from '../src/core/Source.js';
import type { Chunk, SourceEvent } from '../src/core/SourceEvent.js';
import type { Row } from '../src/formats/Format.js';
import { compileQuery } from '../src/sql/compileQuery.js';
import { maintainQuery, queryStateKey } from '../src/sql/maintainQuery.js';
import { parseSql } from '../src/sql/parseSql.js';
import type { SelectStatement } from '../src/sql/Statement.js';
import { MemoryStore } from '../src/state/MemoryStore.js';
import type { StateStore } from '../src/state/StateStore.js';
import { barrier, testScheduler } from './support/scripted.js';

const COLUMNS = [
  { name: 'g', type: { name: 'varchar' as const }, notNull: false },
  { name: 'v', type: { name: 'integer' as const }, notNull: false },
];

const compile = (sql: string) => compileQuery(parseSql(sql)[0] as SelectStatement, COLUMNS);

/** A row with an operation (fresh each call: the operator attaches operations to its output rows). */
const r = (op: ChangeOp | undefined, fields: Row): Row => (op === undefined ? { ...fields } : withOp({ ...fields }, op));
const ch = (records: Row[], n = 0, split = 'p0'): Chunk<Row> => ({ type: 'chunk', splitId: split, records, offset: String(n), nextOffset: String(n + 1) });

/** Just what maintainQuery uses of a source: its name, store and acknowledgements. */
function fakeSource(store: StateStore = new MemoryStore()): Source<unknown> & { acks: number } {
  const fake = { name: 's', store, acks: 0, acknowledge: (n: number) => (fake.acks += n) };
  return fake as unknown as Source<unknown> & { acks: number };
}

test('count, min and max under inserts and deletes: deleting the minimum reveals the next one, an emptied group is deleted', () => {
  const src = fakeSource();
  const q = compile('select g, count(*) as n, min(v) as lo, max(v) as hi from t group by g');
  testScheduler().run(({ cold, expectObservable }) => {
    const input: Observable<SourceEvent<Row>> = cold('a b c d e f B', {
      a: ch([r(undefined, { g: 'x', v: 5 })]),
      b: ch([r('insert', { g: 'x', v: 3 }), r('insert', { g: 'x', v: 3 })]),
      c: ch([r('delete', { g: 'x', v: 3 })]), // one 3 is left: min stays 3
      d: ch([r('update_before', { g: 'x', v: 3 }), r('update_after', { g: 'y', v: 9 })]), // the last 3 moves to group y
      e: ch([r('insert', { g: 'x', v: 5 }), r('delete', { g: 'x', v: 5 })]), // no net change: nothing emitted
      f: ch([r('delete', { g: 'x', v: 5 })]),
      B: barrier(1),
    });
    expectObservable(input.pipe(maintainQuery(src, q, { name: 'q' }))).toBe('a b c d e f B', {
      a: ch([r('insert', { g: 'x', n: 1n, lo: 5, hi: 5 })]),
      b: ch([r('update_before', { g: 'x', n: 1n, lo: 5, hi: 5 }), r('update_after', { g: 'x', n: 3n, lo: 3, hi: 5 })]),
      c: ch([r('update_before', { g: 'x', n: 3n, lo: 3, hi: 5 }), r('update_after', { g: 'x', n: 2n, lo: 3, hi: 5 })]),
      d: ch([r('update_before', { g: 'x', n: 2n, lo: 3, hi: 5 }), r('update_after', { g: 'x', n: 1n, lo: 5, hi: 5 }), r('insert', { g: 'y', n: 1n, lo: 9, hi: 9 })]),
      e: ch([]),
      f: ch([r('delete', { g: 'x', n: 1n, lo: 5, hi: 5 })]),
      B: barrier(1),
    });
  });
  // Records in minus changes out, acknowledged so the source's flow control counts its own records.
  assert.equal(src.acks, 1 + 2 + 1 + 2 + 2 + 1 - (1 + 2 + 2 + 3 + 0 + 1));
});

/** Runs events through the operator synchronously and lists the change rows, values as text. */
function changesOf(events: SourceEvent<Row>[], sql: string, store: StateStore = new MemoryStore()): string[] {
  const out: string[] = [];
  of(...events)
    .pipe(maintainQuery(fakeSource(store), compile(sql), { name: 'q' }))
    .subscribe({
      next: (e) => {
        if (e.type === 'barrier') out.push(`|${e.epoch}`);
        else for (const row of e.records) out.push(`${String(Object.getOwnPropertySymbols(row).map((k) => (row as Record<symbol, unknown>)[k])[0])} ${Object.values(row).map(String).join(',')}`);
      },
      error: (err: Error) => out.push(`error ${err.message}`),
    });
  return out;
}

test('sum and avg: exact integer sums, NULL when no value is left, WHERE applies to retractions too', () => {
  const out = changesOf(
    [
      ch([r(undefined, { g: 'x', v: 2 }), r(undefined, { g: 'x', v: -7 }), r(undefined, { g: 'x', v: 4 })]),
      ch([r('delete', { g: 'x', v: -7 }), r('delete', { g: 'x', v: 2 })]),
      ch([r('delete', { g: 'x', v: 4 })]),
    ],
    'select sum(v) as s, avg(v) as a, count(v) as c, count(*) as n from t where v > 0',
  );
  assert.deepEqual(out, [
    // Without GROUP BY there is always one row: it is inserted by the first chunk. avg of
    // integers is NUMERIC with PostgreSQL's 16 fractional digits.
    'insert 6,3.0000000000000000,2,2',
    'update_before 6,3.0000000000000000,2,2',
    'update_after 4,4.0000000000000000,1,1',
    'update_before 4,4.0000000000000000,1,1',
    'update_after null,null,0,0',
  ]);
});

test('a retraction the state never counted fails the query, naming source, split and offset', () => {
  const out = changesOf([ch([r(undefined, { g: 'x', v: 1 })], 0), ch([r('delete', { g: 'y', v: 1 })], 7, 'p3')], 'select g, count(*) from t group by g');
  assert.equal(out[0], 'insert x,1');
  assert.match(out[1]!, /^error source 's', split 'p3', offset 7: query on source "t": a retraction for a group that has no rows/);
});

test('barriers: the state of epoch n is in the store before barrier n passes; older epochs are deleted once a later one is committed', () => {
  const store = new MemoryStore();
  const src = fakeSource(store);
  const q = compile('select g, count(*) as n from t group by g');
  const seen: string[] = [];
  of<SourceEvent<Row>[]>(ch([r(undefined, { g: "x", v: 1 })]), barrier(1), ch([r(undefined, { g: "x", v: 2 })]), barrier(2), barrier(3))
    .pipe(maintainQuery(src, q, { name: 'q' }))
    .subscribe((e) => {
      if (e.type !== 'barrier') return;
      seen.push(`${e.epoch}:${store.get(queryStateKey('s', 'q', e.epoch)) === undefined ? 'missing' : 'written'}`);
      // What commitEpochs downstream does when the barrier reaches it.
      store.set(checkpointKeys.committed('s'), e.epoch);
    });
  assert.deepEqual(seen, ['1:written', '2:written', '3:written']);
  const keys = (store.entries() as [string, unknown][]).map(([k]) => k).filter((k) => k.includes('/query/')).sort();
  // Epoch 3's write found 2 committed: 1 is gone; 2 stays until a later barrier finds 3 committed.
  assert.deepEqual(keys, [queryStateKey('s', 'q', 2), queryStateKey('s', 'q', 3)]);
});

test('rollback: a new subscription restores the committed epoch\'s state, and what the source replays after it is counted once', () => {
  const store = new MemoryStore();
  const sql = 'select g, count(*) as n, max(v) as hi from t group by g';
  // Run 1: two rows, barrier 1 (committed), a third row, then the run fails before barrier 2.
  const first = changesOf([ch([r(undefined, { g: 'x', v: 1 })]), ch([r(undefined, { g: 'x', v: 5 })]), barrier(1)], sql, store);
  store.set(checkpointKeys.committed('s'), 1);
  const failed = changesOf([ch([r(undefined, { g: 'x', v: 9 })])], sql, store);
  assert.deepEqual(first, ['insert x,1,1', 'update_before x,1,1', 'update_after x,2,5', '|1']);
  assert.deepEqual(failed, ['update_before x,2,5', 'update_after x,3,9']);
  // Run 2 (the rollback): the source resumes after epoch 1 and replays the third row; the state
  // restored is epoch 1's (2 rows), not what run 1 held in memory (3 rows).
  const replay = changesOf([ch([r(undefined, { g: 'x', v: 9 })]), barrier(2)], sql, store);
  assert.deepEqual(replay, ['update_before x,2,5', 'update_after x,3,9', '|2']);
});

test('a committed epoch without this query\'s state is refused, not restarted from zero', () => {
  const store = new MemoryStore();
  store.set(checkpointKeys.committed('s'), 4);
  const out = changesOf([ch([r(undefined, { g: 'x', v: 1 })])], 'select count(*) from t', store);
  assert.equal(out.length, 1);
  assert.match(out[0]!, /^error source 's': committed epoch 4 has no state for query 'q'/);
});

test('ORDER BY ... LIMIT over a changelog: a deleted top row is replaced by the next one', () => {
  const out = changesOf(
    [
      ch([r(undefined, { g: 'a', v: 3 }), r(undefined, { g: 'b', v: 2 }), r(undefined, { g: 'c', v: 1 })]),
      ch([r('delete', { g: 'a', v: 3 })]),
    ],
    'select g, v from t order by v desc limit 2',
  );
  assert.deepEqual(out, ['insert a,3', 'insert b,2', 'delete a,3', 'insert c,1']);
});

/** A store whose `set` answers `delay` frames later, in virtual time (a slow durable store). */
function slowSetStore(delay: number, scheduler: { schedule: (work: () => void, delay: number) => unknown }): StateStore {
  const inner = new MemoryStore();
  return {
    get: (key) => inner.get(key),
    del: (key) => inner.del(key),
    entries: () => inner.entries(),
    setMany: (entries) => inner.setMany(entries),
    delMany: (keys) => inner.delMany(keys),
    set(key, value): PromiseLike<void> {
      return {
        then<R1 = void, R2 = never>(onFulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null): PromiseLike<R1 | R2> {
          scheduler.schedule(() => {
            void inner.set(key, value);
            onFulfilled?.(undefined);
          }, delay);
          return this as unknown as PromiseLike<R1 | R2>;
        },
      };
    },
  };
}

test('a slow state write holds its barrier and the chunks behind it, in order', () => {
  const scheduler = testScheduler();
  scheduler.run(({ cold, expectObservable }) => {
    const src = fakeSource(slowSetStore(5, scheduler));
    const q = compile('select count(*) as n from t');
    const input = cold<SourceEvent<Row>>('a B c', { a: ch([r(undefined, { g: 'x', v: 1 })]), B: barrier(1), c: ch([r(undefined, { g: 'x', v: 2 })], 1) });
    // B at frame 1 waits 5 frames for its write (out at 6); c (frame 2) waits behind it.
    expectObservable(input.pipe(maintainQuery(src, q, { name: 'q' }))).toBe('a-----(Bc)', {
      a: ch([r('insert', { n: 1n })]),
      B: barrier(1),
      c: ch([r('update_before', { n: 1n }), r('update_after', { n: 2n })], 1),
    });
  });
});

test('a store that throws while writing the state fails the stream naming source, query and epoch', () => {
  const store = new MemoryStore();
  const broken: StateStore = { ...store, get: (k) => store.get(k), entries: () => store.entries(), setMany: (e) => store.setMany(e), delMany: (k) => store.delMany(k), del: (k) => store.del(k), set: () => {
    throw new Error('disk full');
  } };
  const out = changesOf([ch([r(undefined, { g: 'x', v: 1 })]), barrier(3), ch([r(undefined, { g: 'x', v: 1 })])], 'select count(*) from t', broken);
  assert.deepEqual(out, ['insert 1', "error source 's': writing the state of query 'q' at epoch 3 failed: disk full"]);
});

test('state past maxResultRows fails the query naming the limit, instead of dropping groups', () => {
  const out: string[] = [];
  of<SourceEvent<Row>[]>(ch([r(undefined, { g: 'a', v: 1 }), r(undefined, { g: 'b', v: 1 })]), ch([r(undefined, { g: 'c', v: 1 })], 1, 'p7'))
    .pipe(maintainQuery(fakeSource(), compile('select g, count(*) from t group by g'), { name: 'q', maxResultRows: 2 }))
    .subscribe({ next: (e) => out.push(e.type === 'chunk' ? `${e.records.length} changes` : 'barrier'), error: (err: Error) => out.push(err.message) });
  assert.deepEqual(out, [
    '2 changes',
    "source 's', split 'p7', offset 1: query on source \"t\": more than 2 groups: the query's state lives in memory and is not dropped; raise maxResultRows or group more coarsely",
  ]);
});

test('TRUNCATE without a table: a query without state passes it on untouched; one with state fails naming source, split and offset', () => {
  const truncate = (): Row => withOp({}, 'truncate');
  // WHERE and the projection do not apply: it has no columns, and it is no row of the result.
  assert.deepEqual(changesOf([ch([r(undefined, { g: 'x', v: 1 }), truncate(), r(undefined, { g: 'y', v: 2 })]), barrier(1)], 'select v from t where v > 1'), ['truncate ', 'undefined 2', '|1']);
  const aggregate = changesOf([ch([r(undefined, { g: 'x', v: 1 })], 0), ch([truncate()], 7, 'public.t')], 'select g, count(*) from t group by g');
  assert.equal(aggregate[0], 'insert x,1');
  assert.match(aggregate[1]!, /^error source 's', split 'public\.t', offset 7: query on source "t": a TRUNCATE of the upstream table reached a query that keeps state over its rows.*CREATE TABLE \.\.\. PRIMARY KEY/);
  const limited = changesOf([ch([truncate()], 3)], 'select v from t order by v limit 2');
  assert.match(limited[0]!, /^error source 's', split 'p0', offset 3: .*a TRUNCATE/);
});

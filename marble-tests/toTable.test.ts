import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catchError, interval, map, of, take, type Observable, type OperatorFunction } from 'rxjs';
import { OP, UNCHANGED, truncation, withOp, type ChangeOp, type ChangeRow } from '../src/core/Changelog.js';
import { checkpointKeys } from '../src/core/Checkpoint.js';
import { commitEpochs } from '../src/core/commitEpochs.js';
import { createSource } from '../src/core/createSource.js';
import { mapRecords } from '../src/core/mapRecords.js';
import { runWithCheckpoints } from '../src/core/runWithCheckpoints.js';
import type { Source } from '../src/core/Source.js';
import { CorruptStateError } from '../src/core/SourceError.js';
import type { Chunk, SourceEvent } from '../src/core/SourceEvent.js';
import type { SourceSplit } from '../src/core/SourceSplit.js';
import type { SplitReader } from '../src/core/SplitReader.js';
import { restoreTable, tableKeys } from '../src/core/TableCheckpoint.js';
import { defaultTableRowCodec } from '../src/core/TableRowCodec.js';
import { TableState } from '../src/core/TableState.js';
import { toTable } from '../src/core/toTable.js';
import type { JsonValue } from '../src/core/Json.js';
import { MemoryStore } from '../src/state/MemoryStore.js';
import type { StateStore } from '../src/state/StateStore.js';
import { barrier, finalBarrier, testScheduler } from './support/scripted.js';

type Row = { k: number | null; v?: unknown; t?: unknown };

/** A row with an operation (a fresh object each call: operators may mutate their input rows). */
const r = (op: ChangeOp | undefined, k: number | null, v?: unknown, t?: unknown): ChangeRow<Row> => {
  const row: Row = { k };
  if (v !== undefined) row.v = v;
  if (t !== undefined) row.t = t;
  return op === undefined ? row : withOp(row, op);
};

const ch = (records: ChangeRow<Row>[], n = 0, split = 'a'): Chunk<ChangeRow<Row>> => ({ type: 'chunk', splitId: split, records, offset: String(n), nextOffset: String(n + 1) });

/** Errors as values, so marbles compare what matters (type, message, location), not stacks. */
type ErrorValue = { error: string; name: string; split?: string | undefined; offset?: string | undefined };
function errorsAsValues<T>(): OperatorFunction<T, T | ErrorValue> {
  return catchError((err: Error & { split?: string; offset?: string }) => of<ErrorValue>({ error: err.message, name: err.name, split: err.split, offset: err.offset }));
}

/** Just what toTable uses of a source: its name, store and acknowledgements. */
function fakeSource(store: StateStore = new MemoryStore()): Source<unknown> & { acks: number } {
  const fake = { name: 's', store, acks: 0, acknowledge: (n: number) => (fake.acks += n) };
  return fake as unknown as Source<unknown> & { acks: number };
}

test('apply rules: upsert, delete of an absent key, update of an absent key, update pairs, key change, UNCHANGED, delete image', () => {
  const src = fakeSource();
  testScheduler().run(({ cold, expectObservable }) => {
    const input: Observable<SourceEvent<Row>> = cold('a b c d e f g h B', {
      a: ch([r(undefined, 1, 'v1', 'x')]),
      b: ch([r('insert', 1, 'v2', 'x')]),
      c: ch([r('delete', 9)]),
      d: ch([r('update_after', 2, 'v5', 'big')]),
      e: ch([r('update_before', 2, 'v5', 'big'), r('update_after', 2, 'v6', UNCHANGED)]),
      f: ch([r('update_before', 1, 'v2'), r('update_after', 3, 'v7', UNCHANGED)]),
      g: ch([r('update_before', 8, 'zz'), r('delete', 2)]),
      h: ch([r('update_after', 3, 'v8', 'y'), r('insert', 4, 'v9')]),
      B: barrier(1),
    });
    expectObservable(input.pipe(toTable<Row>(src, { primaryKey: ['k'] }))).toBe('a b c d e f g h B', {
      a: ch([r('insert', 1, 'v1', 'x')]),
      b: ch([r('update_before', 1, 'v1', 'x'), r('update_after', 1, 'v2', 'x')]),
      c: ch([]),
      d: ch([r('insert', 2, 'v5', 'big')]),
      // The before image is the stored row; UNCHANGED keeps the stored 'big'.
      e: ch([r('update_before', 2, 'v5', 'big'), r('update_after', 2, 'v6', 'big')]),
      // A primary-key change: the old key goes (with its stored row), the new one comes; UNCHANGED of an absent key is null.
      f: ch([r('delete', 1, 'v2', 'x'), r('insert', 3, 'v7', null)]),
      // A lone before image of an absent key does nothing; a delete emits the stored row, not the delete's image.
      g: ch([r('delete', 2, 'v6', 'big')]),
      h: ch([r('update_before', 3, 'v7', null), r('update_after', 3, 'v8', 'y'), r('insert', 4, 'v9')]),
      B: barrier(1),
    });
  });
  // Records in minus changes out, acknowledged so flow control counts source records.
  assert.equal(src.acks, 1 + 1 + 1 + 1 + 2 + 2 + 2 + 2 - (1 + 2 + 0 + 1 + 2 + 2 + 1 + 3));
});

test('an emitted row keeps its operation when the table later retracts it', () => {
  const src = fakeSource();
  const seen: ChangeRow<Row>[] = [];
  testScheduler().run(({ cold, flush }) => {
    cold('a b', { a: ch([r(undefined, 1, 'v1')]), b: ch([r('delete', 1)]) })
      .pipe(toTable<Row>(src, { primaryKey: ['k'] }))
      .subscribe((e) => e.type === 'chunk' && seen.push(...e.records));
    flush();
  });
  assert.deepEqual(seen.map((row) => row[OP]), ['insert', 'delete']);
});

test('a row without its primary-key column, or with it null, fails the table naming source, split and offset', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const input = cold('a b', { a: ch([r(undefined, 1)]), b: ch([r(undefined, null)], 7, 'p3') });
    expectObservable(input.pipe(toTable<Row>(fakeSource(), { primaryKey: ['k'] }), errorsAsValues())).toBe('a (e|)', {
      a: ch([r('insert', 1)]),
      e: { name: 'SourceError', error: `source 's', split 'p3', offset 7: table 'table': the row's primary-key column "k" is null`, split: 'p3', offset: '7' },
    });
  });
});

test('more rows than maxRows fails loudly naming source and table; nothing is dropped', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const input = cold('a b', { a: ch([r(undefined, 1), r(undefined, 2)]), b: ch([r(undefined, 1, 'again'), r(undefined, 3)], 1) });
    const e: ErrorValue = {
      name: 'SourceError',
      error: `source 's', split 'a', offset 1: table 'orders': the table holds more than 2 rows (its maxRows): its state is kept in memory and is never dropped to fit; raise maxRows if the memory allows`,
      split: 'a',
      offset: '1',
    };
    expectObservable(input.pipe(toTable<Row>(fakeSource(), { primaryKey: ['k'], name: 'orders', maxRows: 2 }), errorsAsValues())).toBe('a (e|)', { a: ch([r('insert', 1), r('insert', 2)]), e });
  });
});

/** The change rows of split `a` (kept out of the split: splits are stored as JSON). */
interface Script {
  readonly rows: readonly Row[];
  readonly ops: readonly (ChangeOp | undefined)[];
}

const splitA: SourceSplit = { id: 'a' };

/** Emits row `n` of the script every `period` frames from the offset (a row index), one row a chunk. */
function changeReader(s: Script, period = 10, calls: (string | null)[] = []): SplitReader<SourceSplit, ChangeRow<Row>> {
  return {
    read(split, offset) {
      calls.push(offset);
      const start = offset === null ? 0 : Number(offset);
      return interval(period).pipe(
        take(s.rows.length - start),
        map((i) => {
          const n = start + i;
          const row = { ...s.rows[n]! };
          const op = s.ops[n];
          return ch([op === undefined ? row : withOp(row, op)], n, split.id);
        }),
      );
    },
  };
}

const script: Script = {
  rows: [{ k: 1, v: 0 }, { k: 2, v: 1 }, { k: 1, v: 2 }, { k: 2 }, { k: 2, v: 4 }, { k: 1, v: 5 }],
  ops: [undefined, undefined, undefined, 'delete', undefined, undefined],
};

/** Output chunk `n` of the script (offset n). */
const out = (n: number, records: ChangeRow<Row>[]) => ch(records, n);

test('rollback restores the table with the offsets: nothing applied twice, nothing lost', () => {
  const store = new MemoryStore();
  const calls: (string | null)[] = [];
  let failed = false;
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({ name: 's', store, enumerator: { splits: () => of([splitA]) }, reader: changeReader(script, 10, calls), barriers: cold('25ms x 19ms x') });
    const failOnce = mapRecords((row: ChangeRow<Row>) => {
      if (row.v === 4 && !failed) {
        failed = true;
        throw new Error('sink rejected v4');
      }
      return row;
    }, 's');
    // Epoch 2 (offset 4, table {1: v2}) commits at 45; the change of row 4 fails at 50; the
    // retry at 55 restores both: row 4 comes again (65) as an insert, and row 5 (75) updates
    // the restored v2, which it could not do from an empty table nor from one applied twice.
    const run = runWithCheckpoints(source, (events) => events.pipe(toTable<Row>(source, { primaryKey: ['k'] }), failOnce), { retries: 1, backoffMs: 5 });
    expectObservable(run).toBe('10ms a 9ms b 4ms B 4ms c 9ms d 4ms C 19ms e 9ms (fD|)', {
      a: out(0, [r('insert', 1, 0)]),
      b: out(1, [r('insert', 2, 1)]),
      B: barrier(1),
      c: out(2, [r('update_before', 1, 0), r('update_after', 1, 2)]),
      d: out(3, [r('delete', 2, 1)]),
      C: barrier(2),
      e: out(4, [r('insert', 2, 4)]),
      f: out(5, [r('update_before', 1, 2), r('update_after', 1, 5)]),
      D: finalBarrier(3),
    });
  });
  assert.deepEqual(calls, [null, '4']);
  assert.equal(store.get(checkpointKeys.committed('s')), 3);
});

/** A store that "dies" (throws) on one write, as a process killed there would leave it. */
function dyingStore(inner: MemoryStore, dieOn: (entries: ReadonlyArray<readonly [string, JsonValue]>) => boolean): StateStore {
  let dead = false;
  const check = (entries: ReadonlyArray<readonly [string, JsonValue]>): void => {
    if (dead || dieOn(entries)) {
      dead = true;
      throw new Error('killed');
    }
  };
  return {
    get: (key) => inner.get(key),
    entries: () => inner.entries(),
    set: (key, value) => {
      check([[key, value]]);
      inner.set(key, value);
    },
    setMany: (entries) => {
      check(entries);
      inner.setMany(entries);
    },
    del: (key) => inner.del(key),
    delMany: (keys) => inner.delMany(keys),
  };
}

for (const [where, dieOn] of [
  ['after both snapshots of epoch 2, before its commit', (e: ReadonlyArray<readonly [string, JsonValue]>) => e[0]![0] === checkpointKeys.committed('s') && e[0]![1] === 2],
  ['between the offsets snapshot of epoch 2 and the table write', (e: ReadonlyArray<readonly [string, JsonValue]>) => e[0]![0] === tableKeys.entry('s', 'table', 2)],
] as const) {
  test(`barriers snapshot table and offsets atomically: killed ${where}, a restart restores both as of epoch 1`, () => {
    const store = new MemoryStore();
    testScheduler().run(({ cold, expectObservable }) => {
      const source = createSource({ name: 's', store: dyingStore(store, dieOn), enumerator: { splits: () => of([splitA]) }, reader: changeReader(script), barriers: cold('25ms x 19ms x') });
      const run = source.pipe(toTable<Row>(source, { primaryKey: ['k'] }), commitEpochs(source), errorsAsValues());
      expectObservable(run).toBe('10ms a 9ms b 4ms B 4ms c 9ms d 4ms (e|)', {
        a: out(0, [r('insert', 1, 0)]),
        b: out(1, [r('insert', 2, 1)]),
        B: barrier(1),
        c: out(2, [r('update_before', 1, 0), r('update_after', 1, 2)]),
        d: out(3, [r('delete', 2, 1)]),
        e: {
          name: 'SourceError',
          error: where.startsWith('after') ? "source 's': committing epoch 2 failed: killed" : "source 's': table 'table': writing its state for epoch 2 failed: killed",
          split: undefined,
          offset: undefined,
        },
      });
    });
    assert.equal(store.get(checkpointKeys.committed('s')), 1);
    // The restart: a new process, the same store. Epoch 1 had {1: v0, 2: v1} at offset 2.
    const calls: (string | null)[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const source = createSource({ name: 's', store, enumerator: { splits: () => of([splitA]) }, reader: changeReader(script, 10, calls), barriers: cold('100ms x') });
      expectObservable(source.pipe(toTable<Row>(source, { primaryKey: ['k'] }), commitEpochs(source))).toBe('10ms a 9ms b 9ms c 9ms (dF|)', {
        a: out(2, [r('update_before', 1, 0), r('update_after', 1, 2)]),
        b: out(3, [r('delete', 2, 1)]),
        c: out(4, [r('insert', 2, 4)]),
        d: out(5, [r('update_before', 1, 2), r('update_after', 1, 5)]),
        F: finalBarrier(3),
      });
    });
    assert.deepEqual(calls, ['2']);
    // The leftovers of the killed epoch are gone; the chain holds the committed state.
    const tableEntries = store.entries().map(([key]) => key).filter((key) => key.startsWith(tableKeys.prefix('s', 'table')));
    assert.ok(!tableEntries.includes(tableKeys.entry('s', 'table', 2)), `stale epoch 2 removed: ${tableEntries.join(', ')}`);
    const state = new TableState<Row>(['k']);
    restoreTable(store, 's', 'table', state, defaultTableRowCodec).subscribe();
    assert.deepEqual([...state.rows.values()].map((row) => Object.fromEntries(Object.entries(row))), [{ k: 1, v: 5 }, { k: 2, v: 4 }]);
  });
}

test('toTable after commitEpochs is refused at its first barrier: a crash between commit and table write would lose changes', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({ name: 's', enumerator: { splits: () => of([splitA]) }, reader: changeReader(script), barriers: cold('25ms x') });
    const run = source.pipe(commitEpochs(source), toTable<Row>(source, { primaryKey: ['k'] }), errorsAsValues());
    expectObservable(run).toBe('10ms a 9ms b 4ms (e|)', {
      a: out(0, [r('insert', 1, 0)]),
      b: out(1, [r('insert', 2, 1)]),
      e: { name: 'SourceError', error: "source 's': table 'table': epoch 1 was committed before its barrier reached the table: put toTable before commitEpochs", split: undefined, offset: undefined },
    });
  });
});

test('a source with committed offsets but no table state is refused, not restarted from an empty table', () => {
  const store = new MemoryStore();
  store.set(checkpointKeys.committed('s'), 4);
  testScheduler().run(({ cold, expectObservable }) => {
    const input = cold<SourceEvent<Row>>('a', { a: ch([r(undefined, 1)]) });
    expectObservable(input.pipe(toTable<Row>(fakeSource(store), { primaryKey: ['k'] }), errorsAsValues())).toBe('(e|)', {
      e: {
        name: 'CorruptStateError',
        error:
          "source 's', table 'table': the source has committed epoch 4 but the table has no state at or before it; refusing to start from an empty table. Delete the source's state (its offsets and its table) to rebuild it from the start.",
        split: undefined,
        offset: undefined,
      },
    });
  });
});

test('a changed primary key is refused on restore', () => {
  const store = new MemoryStore();
  testScheduler().run(({ cold, flush }) => {
    const source = createSource({ name: 's', store, enumerator: { splits: () => of([splitA]) }, reader: changeReader(script), barriers: cold('25ms x') });
    source.pipe(toTable<Row>(source, { primaryKey: ['k'] }), commitEpochs(source)).subscribe();
    flush();
  });
  const state = new TableState<Row>(['k', 'v']);
  let error: unknown;
  restoreTable(store, 's', 'table', state, defaultTableRowCodec).subscribe({ error: (e: unknown) => (error = e) });
  assert.ok(error instanceof CorruptStateError);
  assert.match(error.message, /primary key \(k\), not \(k, v\)/);
});

test('deltas between full entries keep the store small over many epochs, and restore the same table', () => {
  const store = new MemoryStore();
  const rows: Row[] = Array.from({ length: 3000 }, (_, n) => ({ k: n % 50, v: n }));
  const long: Script = { rows, ops: [] };
  let largest = 0;
  let barriers = 0;
  testScheduler().run(({ cold, flush }) => {
    const source = createSource({ name: 's', store, enumerator: { splits: () => of([splitA]) }, reader: changeReader(long, 1), barriers: cold('-x'.repeat(1600)) });
    source.pipe(toTable<Row>(source, { primaryKey: ['k'] }), commitEpochs(source)).subscribe((e) => {
      if (e.type !== 'barrier') return;
      barriers++;
      largest = Math.max(largest, store.entries().filter(([key]) => key.startsWith('s/table/')).length);
    });
    flush();
  });
  assert.ok(barriers > 1000, `${barriers} barriers`);
  // 50 rows, 2 changes an epoch: a full entry after 256 deltas (the chain's bound), the chain
  // before it collected at the next full once committed. Without collection: 1500 entries.
  assert.ok(largest <= 260 && largest > 0, `at most ${largest} table entries at once`);
  const entries = store.entries().filter(([key]) => key.startsWith('s/table/'));
  assert.ok(entries.length <= 260, `${entries.length} table entries left`);
  assert.ok(entries.some(([, value]) => (value as { full: boolean }).full));
  const state = new TableState<Row>(['k']);
  restoreTable(store, 's', 'table', state, defaultTableRowCodec).subscribe();
  const expected = new Map<number, number>();
  for (let n = 0; n < 3000; n++) expected.set(n % 50, n);
  assert.deepEqual(
    [...state.rows.values()].map((row) => [row.k, row.v]).sort((a, b) => Number(a[0]) - Number(b[0])),
    [...expected].sort((a, b) => a[0] - b[0]),
  );
});

test('the default row codec round-trips bigint, bytes, dates, nested objects and refuses unknown classes', () => {
  const row = { a: 2n ** 70n, b: new Uint8Array([0, 255, 7]), c: new Date('2024-01-02T03:04:05.678Z'), d: { o: { i: '1' } }, e: [1, 'x', null, { z: 1n }], f: NaN, g: undefined, h: 'text' };
  const json = JSON.parse(JSON.stringify(defaultTableRowCodec.encode(row))) as JsonValue;
  assert.deepEqual(defaultTableRowCodec.decode(json), row);
  class Money {}
  assert.throws(() => defaultTableRowCodec.encode({ price: new Money() }), /column "price" holds a Money/);
});

/** A TRUNCATE row as toTable's input (no columns). */
const trunc = (): ChangeRow<Row> => truncation() as ChangeRow<Row>;

test('TRUNCATE deletes every row the table holds, restored ones included: after a restart it needs no key set from the connector', () => {
  const store = new MemoryStore();
  // First run: rows 1..3 reach the table and epoch 1 commits (commitEpochs' write, by hand).
  testScheduler().run(({ cold, expectObservable }) => {
    const input = cold('a B', { a: ch([r(undefined, 1, 'x'), r(undefined, 2, 'y'), r(undefined, 3, 'z')]), B: barrier(1) });
    expectObservable(input.pipe(toTable<Row>(fakeSource(store), { primaryKey: ['k'] }))).toBe('a B', {
      a: ch([r('insert', 1, 'x'), r('insert', 2, 'y'), r('insert', 3, 'z')]),
      B: barrier(1),
    });
  });
  store.set(checkpointKeys.committed('s'), 1);
  // The restarted process: a TRUNCATE, in the middle of a chunk, then a new row; another TRUNCATE of an empty table does nothing.
  const src = fakeSource(store);
  testScheduler().run(({ cold, expectObservable }) => {
    const input = cold('a b B', { a: ch([r('delete', 2), trunc(), r(undefined, 4, 'w')], 1), b: ch([r('delete', 4), trunc()], 2), B: barrier(2) });
    expectObservable(input.pipe(toTable<Row>(src, { primaryKey: ['k'] }))).toBe('a b B', {
      // Each stored row comes out as a delete with its stored values, in the table's order.
      a: ch([r('delete', 2, 'y'), r('delete', 1, 'x'), r('delete', 3, 'z'), r('insert', 4, 'w')], 1),
      b: ch([r('delete', 4, 'w')], 2),
      B: barrier(2),
    });
  });
  // In minus out: 3 records gave 4 changes, then 2 gave 1.
  assert.equal(src.acks, 3 - 4 + (2 - 1));
  store.set(checkpointKeys.committed('s'), 2);
  const state = new TableState<Row>(['k']);
  restoreTable(store, 's', 'table', state, defaultTableRowCodec).subscribe();
  assert.equal(state.rows.size, 0, 'the truncated table is empty as of epoch 2');
});

test('a TRUNCATE of a large table within one epoch stays linear (the change log compacts once, not at every later change)', () => {
  const state = new TableState<Row>(['k']);
  const n = 200_000;
  const rows: ChangeRow<Row>[] = [];
  for (let i = 0; i < n; i++) rows.push(r(undefined, i, i));
  state.apply(rows, []);
  state.dropChanges();
  const out: ChangeRow<Row>[] = [];
  state.apply([trunc()], out);
  assert.equal(out.length, n);
  // 20k changes after it: with compaction bounded by the (now empty) table alone, each of them
  // would reduce a 200k-entry log (4 * 10^9 steps); bounded by the compacted log, a few times.
  const started = process.hrtime.bigint();
  for (let i = 0; i < 20_000; i++) state.apply([r(undefined, n + i, i)], []);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(ms < 5_000, `20k changes after a 200k-row TRUNCATE took ${ms} ms`);
  const changes = state.takeChanges();
  assert.equal(changes.size, n + 20_000);
});

test('a stream without a table passes a TRUNCATE on as one row of its split, counted as one record', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => of([splitA]) },
      reader: { read: () => cold('-a-b|', { a: ch([r(undefined, 1, 'x')], 0), b: ch([trunc()], 1) }) },
      barriers: cold('5ms x'),
    });
    expectObservable(source.pipe(commitEpochs(source))).toBe('-a-b (F|)', { a: ch([r(undefined, 1, 'x')], 0), b: ch([trunc()], 1), F: finalBarrier(1) });
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OP, UNCHANGED, withOp, type ChangeRow } from '../../src/core/Changelog.js';
import { defaultTableRowCodec } from '../../src/core/TableRowCodec.js';
import { DeletedRow, TableState } from '../../src/core/TableState.js';

type Row = Record<string, unknown>;

/** The row's columns without its operation (deepEqual compares symbol keys too). */
const cols = (row: Row | DeletedRow<Row> | undefined): Row => Object.fromEntries(Object.entries(row ?? {}));

const apply = (state: TableState<Row>, records: Row[]): ChangeRow<Row>[] => {
  const out: ChangeRow<Row>[] = [];
  state.apply(records, out);
  return out;
};

test('a retraction is the stored row, whatever the incoming before image holds: full, key-only, stale, extra or missing columns, UNCHANGED', () => {
  const state = new TableState<Row>(['id']);
  const [inserted] = apply(state, [{ id: 1, a: 'x', n: 10n, d: new Date(0) }]);
  const images: Row[] = [
    { id: 1, a: 'x', n: 10n, d: new Date(0) }, // equal values (the Date another object)
    { id: 1 }, // key only (Postgres' default replica identity)
    { id: 1, a: 'old', n: 12n }, // stale
    { id: 1, a: 'y', n: 11n, d: new Date(0), extra: 1 },
    { id: 1, a: UNCHANGED },
  ];
  let stored: Row = { id: 1, a: 'x', n: 10n, d: inserted!['d'] };
  for (const [i, fields] of images.entries()) {
    const image = withOp(fields, 'update_before');
    const next: Row = { id: 1, a: `v${i}`, n: BigInt(i), d: new Date(i) };
    const [before, after] = apply(state, [image, withOp(next, 'update_after')]);
    assert.notEqual(before, image, JSON.stringify(Object.keys(fields)));
    assert.deepEqual(cols(before), stored);
    // The stored values themselves (a Date is the one stored, not one from the image).
    assert.equal(before!['d'], stored['d']);
    assert.equal(before![OP], 'update_before');
    assert.equal(after, next);
    assert.equal(after![OP], 'update_after');
    stored = cols(next);
  }
  const image = withOp({ id: 1, a: 'stale' }, 'delete');
  const [deleted] = apply(state, [image]);
  assert.notEqual(deleted, image);
  assert.deepEqual(cols(deleted), stored);
  assert.equal(deleted![OP], 'delete');
  // The row emitted first keeps its own operation.
  assert.equal(inserted![OP], 'insert');
});

test('no row is emitted twice: the stored row itself passed back as a delete, or updated twice in one chunk, leaves every emitted row its operation', () => {
  const state = new TableState<Row>(['id']);
  const row: Row = { id: 1, a: 'x' };
  const [inserted] = apply(state, [row]);
  assert.equal(inserted, row);
  const [deleted] = apply(state, [withOp(row, 'delete')]);
  assert.notEqual(deleted, inserted);
  assert.equal(deleted![OP], 'delete');
  assert.deepEqual(cols(deleted), { id: 1, a: 'x' });

  const out = apply(state, [{ id: 2, v: 1 }, { id: 2, v: 2 }, withOp({ id: 2 }, 'update_before'), withOp({ id: 2, v: 3 }, 'update_after'), withOp({ id: 2 }, 'delete')]);
  assert.deepEqual(
    out.map((r) => [r[OP], r['v']]),
    [['insert', 1], ['update_before', 1], ['update_after', 2], ['update_before', 2], ['update_after', 3], ['delete', 3]],
  );
  assert.equal(new Set(out).size, out.length, 'every change is its own object');
  assert.equal(state.rows.size, 0);
});

test('an emitted row changed downstream does not change the table: the table keeps its own copy', () => {
  const state = new TableState<Row>(['id']);
  const [inserted] = apply(state, [{ id: 1, a: 'x' }]);
  inserted!['a'] = 'changed downstream';
  delete inserted!['id'];
  const [before, after] = apply(state, [{ id: 1, a: 'y' }]);
  assert.deepEqual(cols(before), { id: 1, a: 'x' });
  after!['a'] = 'changed again';
  const [deleted] = apply(state, [withOp({ id: 1 }, 'delete')]);
  assert.deepEqual(cols(deleted), { id: 1, a: 'y' });
});

test('the same row objects applied again after a rollback (a source replaying from memory) give the same changes', () => {
  const records: Row[] = [
    { id: 1, a: 'x' },
    withOp({ id: 2, a: 'y' }, 'insert'),
    withOp({ id: 1, a: 'x' }, 'update_before'),
    withOp({ id: 1, a: 'x2' }, 'update_after'),
    { id: 2, a: 'y2' },
    withOp({ id: 2 }, 'delete'),
    withOp({ id: 3, a: UNCHANGED }, 'update_after'),
  ];
  const changes = (out: ChangeRow<Row>[]) => out.map((r) => [r[OP], ...Object.values(r)]);
  const first = changes(apply(new TableState<Row>(['id']), records));
  assert.deepEqual(first, [
    ['insert', 1, 'x'],
    ['insert', 2, 'y'],
    ['update_before', 1, 'x'],
    ['update_after', 1, 'x2'],
    ['update_before', 2, 'y'],
    ['update_after', 2, 'y2'],
    ['delete', 2, 'y2'],
    ['insert', 3, null],
  ]);
  // The rollback: a fresh table (restored to before these records), the same objects again.
  assert.deepEqual(changes(apply(new TableState<Row>(['id']), records)), first);
});

test('restored rows are retracted with the right operation and values', () => {
  const state = new TableState<Row>(['id']);
  state.restore(defaultTableRowCodec.decode({ id: 1, a: 'x' }));
  state.restore(defaultTableRowCodec.decode({ id: 2, a: 'y' }));
  state.restore(defaultTableRowCodec.decode({ id: 3, a: 'z' }));
  const out = apply(state, [withOp({ id: 1 }, 'update_before'), withOp({ id: 1, a: 'x2' }, 'update_after'), withOp({ id: 2 }, 'delete'), { id: 3, a: 'z2' }]);
  assert.deepEqual(
    out.map((r) => [r[OP], ...Object.values(r)]),
    [['update_before', 1, 'x'], ['update_after', 1, 'x2'], ['delete', 2, 'y'], ['update_before', 3, 'z'], ['update_after', 3, 'z2']],
  );
  // A TRUNCATE retracts every stored row, restored or not, each as a delete.
  const truncated = apply(state, [withOp({}, 'truncate')]);
  assert.deepEqual(truncated.map((r) => [r[OP], ...Object.values(r)]).sort(), [['delete', 1, 'x2'], ['delete', 3, 'z2']]);
});

test('the changes of an epoch: the last state of every touched key, however often it changed', () => {
  const state = new TableState<Row>(['id']);
  apply(state, [{ id: 1, v: 1 }, { id: 2, v: 1 }, { id: 3, v: 1 }]);
  state.takeChanges();
  apply(state, [
    withOp({ id: 1 }, 'delete'), // deleted
    withOp({ id: 2 }, 'delete'),
    { id: 2, v: 2 }, // deleted, then back
    { id: 4, v: 1 },
    withOp({ id: 4 }, 'delete'), // new, then deleted
    withOp({ id: 9 }, 'delete'), // absent: no change
  ]);
  for (let v = 2; v < 50; v++) apply(state, [{ id: 3, v }]);
  const changes = state.takeChanges();
  assert.deepEqual([...changes.keys()].sort(), [1, 2, 3, 4]);
  assert.ok(changes.get(1) instanceof DeletedRow);
  assert.deepEqual(cols(changes.get(2)), { id: 2, v: 2 });
  assert.deepEqual(cols(changes.get(3)), { id: 3, v: 49 });
  assert.ok(changes.get(4) instanceof DeletedRow);
  assert.equal(state.takeChanges().size, 0);
  assert.equal(state.dropChanges(), false);
  apply(state, [{ id: 5 }]);
  assert.equal(state.dropChanges(), true);
  assert.equal(state.takeChanges().size, 0);
});

test('a long epoch over a small table keeps its change log bounded and its changes right', () => {
  const state = new TableState<Row>(['id']);
  for (let n = 0; n < 100_000; n++) {
    apply(state, [{ id: n % 3, v: n }]);
    if (n % 7 === 0) apply(state, [withOp({ id: 2 }, 'delete')]);
  }
  const log = (state as unknown as { log: unknown[] }).log;
  assert.ok(log.length <= 8 * 1024 + 1, `${log.length} log entries for a table of ${state.rows.size}`);
  const changes = state.takeChanges();
  assert.deepEqual(cols(changes.get(0)), { id: 0, v: 99_999 });
  assert.deepEqual(cols(changes.get(1)), { id: 1, v: 99_997 });
  // 99_998 % 7 !== 0, so key 2 holds its last upsert.
  assert.deepEqual(cols(changes.get(2)), { id: 2, v: 99_998 });
});

test('the default codec stores a plain row as it is (its OP symbol left out) and everything else tagged', () => {
  const plain = withOp({ id: 1, s: 'x', b: true, z: null, f: 1.5 }, 'insert');
  const encoded = defaultTableRowCodec.encode(plain);
  assert.equal(JSON.stringify(encoded), '{"id":1,"s":"x","b":true,"z":null,"f":1.5}');
  assert.deepEqual(defaultTableRowCodec.decode(JSON.parse(JSON.stringify(encoded))), { id: 1, s: 'x', b: true, z: null, f: 1.5 });
  for (const odd of [{ id: 1, big: 2n ** 64n }, { id: 1, nested: { o: 1 } }, { id: 1, list: ['a'] }, { id: 1, inf: Infinity }, { id: 1, u: undefined }]) {
    const back = defaultTableRowCodec.decode(JSON.parse(JSON.stringify(defaultTableRowCodec.encode(odd))));
    assert.deepEqual(back, odd);
  }
  // A user value shaped like a tag stays a value.
  assert.deepEqual(defaultTableRowCodec.decode(JSON.parse(JSON.stringify(defaultTableRowCodec.encode({ id: 1, t: { i: '5' } })))), { id: 1, t: { i: '5' } });
});

test('the default codec gives bytes back as the class they went in as: a Buffer stays a Buffer, a plain Uint8Array stays plain, nested too', () => {
  const roundTrip = (row: Row): Row => defaultTableRowCodec.decode(JSON.parse(JSON.stringify(defaultTableRowCodec.encode(row))));
  const buffer = Buffer.from([0, 1, 254, 255]);
  // A Buffer that is a view into a larger pool, as connectors' Buffers usually are.
  const pooled = Buffer.from('xxhello').subarray(2);
  const plain = new Uint8Array([7, 8, 9]);
  const back = roundTrip({ id: 1, buffer, pooled, plain, empty: Buffer.alloc(0), list: [buffer, plain], nested: { b: buffer } });
  assert.ok(Buffer.isBuffer(back['buffer']) && Buffer.isBuffer(back['pooled']) && Buffer.isBuffer(back['empty']));
  assert.equal(Object.getPrototypeOf(back['plain']), Uint8Array.prototype);
  // deepStrictEqual compares prototypes: a Uint8Array is not equal to a Buffer of the same bytes.
  assert.deepStrictEqual(back, { id: 1, buffer, pooled, plain, empty: Buffer.alloc(0), list: [buffer, plain], nested: { b: buffer } });
  assert.equal((back['pooled'] as Buffer).toString(), 'hello');
  // A checkpoint written before plain arrays had their own tag still reads ('b': a Buffer).
  const old = defaultTableRowCodec.decode({ id: 1, v: { b: Buffer.from([1, 2]).toString('base64') } });
  assert.deepStrictEqual(old, { id: 1, v: Buffer.from([1, 2]) });
});

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

test('a retraction is the incoming image only when it holds exactly the stored values, else a copy of the stored row', () => {
  const state = new TableState<Row>(['id']);
  const [inserted] = apply(state, [{ id: 1, a: 'x', n: 10n, d: new Date(0) }]);
  const dateless = new TableState<Row>(['id']);
  apply(dateless, [{ id: 1, a: 'x', n: 10n }]);

  // Full before image, equal values (a bigint compares by value): the image itself is emitted.
  const fullImage = withOp({ id: 1, a: 'x', n: 10n }, 'update_before');
  const [before] = apply(dateless, [fullImage, withOp({ id: 1, a: 'y', n: 11n }, 'update_after')]);
  assert.equal(before, fullImage);
  assert.deepEqual(cols(before), { id: 1, a: 'x', n: 10n });
  assert.equal(before![OP], 'update_before');

  // Key-only image (Postgres' default replica identity): a copy of the stored row.
  const keyOnly = withOp({ id: 1 }, 'update_before');
  const [copied] = apply(dateless, [keyOnly, withOp({ id: 1, a: 'z', n: 12n }, 'update_after')]);
  assert.notEqual(copied, keyOnly);
  assert.deepEqual(cols(copied), { id: 1, a: 'y', n: 11n });

  // A stale image (one value differs), or an extra column, or a missing one with undefined: copies.
  for (const stale of [{ id: 1, a: 'old', n: 12n }, { id: 1, a: 'z', n: 12n, extra: 1 }, { id: 1, a: 'z', n: undefined, m: 12n }]) {
    const image = withOp({ ...stale }, 'delete');
    const [deleted] = apply(dateless, [image]);
    assert.notEqual(deleted, image, JSON.stringify(Object.keys(stale)));
    assert.deepEqual(cols(deleted), { id: 1, a: 'z', n: 12n });
    assert.equal(deleted![OP], 'delete');
    apply(dateless, [{ id: 1, a: 'z', n: 12n }]);
  }

  // An object value (a Date) is never `===` a parsed one: the copy, with the stored Date.
  const [dateRetraction] = apply(state, [withOp({ id: 1, a: 'x', n: 10n, d: new Date(0) }, 'delete')]);
  assert.equal(dateRetraction!['d'], inserted!['d']);
  // The row emitted first keeps its own operation.
  assert.equal(inserted![OP], 'insert');
  // UNCHANGED in an image never matches a stored value.
  apply(state, [{ id: 2, a: 'x' }]);
  const [unchanged] = apply(state, [withOp({ id: 2, a: UNCHANGED }, 'update_before'), withOp({ id: 2, a: 'w' }, 'update_after')]);
  assert.deepEqual(cols(unchanged), { id: 2, a: 'x' });
});

test('passing the stored row itself back as a delete emits a copy: the row emitted earlier keeps its operation', () => {
  const state = new TableState<Row>(['id']);
  const row: Row = { id: 1, a: 'x' };
  const [inserted] = apply(state, [row]);
  const [deleted] = apply(state, [withOp(row, 'delete')]);
  assert.notEqual(deleted, inserted);
  assert.equal(deleted![OP], 'delete');
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

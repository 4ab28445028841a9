import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { UNCHANGED, opOf, type ChangeOp } from '../../src/core/Changelog.js';
import { createFormat } from '../../src/formats/createFormat.js';
import type { Format, Row } from '../../src/formats/Format.js';
import { convertChangeRow } from '../../src/formats/messageRowsDecoder.js';
import { fixture } from '../support/fixtures.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Rows as `[op, plain columns]` pairs: the operation is a symbol, so spelling it out makes failures readable. */
function ops(rows: readonly Row[]): Array<[ChangeOp, Row]> {
  return rows.map((row) => [opOf(row), Object.fromEntries(Object.entries(row))]);
}

function decode(format: Format, value: string | null, key: string | null = null): Array<[ChangeOp, Row]> {
  return ops(format.decodeMessages!(value === null ? null : bytes(value), key === null ? null : bytes(key)));
}

const anne = { id: 1004, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' };

test("debezium_json: Debezium's own serde examples, with and without the schema wrapper, and its update", (t) => {
  const withSchema = fixture(t, 'debezium', 'serde-with-schema.json');
  const without = fixture(t, 'debezium', 'serde-without-schema.json');
  const update = fixture(t, 'debezium', 'serde-update.json');
  const snapshot = fixture(t, 'debezium', 'tutorial-customers-1004-snapshot-r.value.json');
  const tombstone = fixture(t, 'debezium', 'tutorial-customers-1004-tombstone.value-as-displayed.json');
  if (!withSchema || !without || !update || !snapshot || !tombstone) return;
  const format = createFormat('debezium_json');
  // SerdeTest.java expects the "after" image for both c events.
  assert.deepEqual(decode(format, readFileSync(withSchema, 'utf8')), [['insert', anne]]);
  assert.deepEqual(decode(format, readFileSync(without, 'utf8')), [['insert', anne]]);
  assert.deepEqual(decode(format, readFileSync(update, 'utf8')), [
    ['update_before', { ...anne, first_name: 'Anne-Marie' }],
    ['update_after', anne],
  ]);
  // The tutorial's snapshot read of row 1004 (op r) is an insert of its after image.
  assert.deepEqual(decode(format, readFileSync(snapshot, 'utf8')), [['insert', anne]]);
  // A tombstone: no value, or the console's rendering of one.
  assert.deepEqual(decode(format, null, '{"id":1004}'), []);
  assert.deepEqual(decode(format, readFileSync(tombstone, 'utf8')), []);
});

test("debezium_json: the docs' update and delete examples are not valid JSON and are refused, naming the problem", (t) => {
  const update = fixture(t, 'debezium', 'tutorial-customers-1004-update-u.value.NOT-VALID-JSON.txt');
  const del = fixture(t, 'debezium', 'tutorial-customers-1004-delete-d.value.NOT-VALID-JSON.txt');
  if (!update || !del) return;
  const format = createFormat('debezium_json');
  for (const file of [update, del]) assert.throws(() => format.decodeMessages!(readFileSync(file), null), SyntaxError);
});

test('debezium_json: a delete gives its before image; one without it or an unknown op is refused; a truncate is one truncate row', () => {
  const format = createFormat('debezium_json');
  assert.deepEqual(decode(format, '{"before":{"id":1,"name":"tom"},"after":null,"op":"d"}'), [['delete', { id: 1, name: 'tom' }]]);
  assert.throws(() => decode(format, '{"before":null,"after":null,"op":"d"}'), /without a 'before' image/);
  assert.deepEqual(decode(format, '{"op":"t"}'), [['truncate', {}]]);
  assert.throws(() => decode(format, '{"before":null,"after":{"id":1}}'), /op is missing/);
  assert.throws(() => decode(format, '[1]'), /must be a JSON object, got an array/);
  assert.throws(() => decode(format, '{"payload": 3, "schema": null}'), /payload must be a JSON object/);
  // An update without a before image (PostgreSQL without REPLICA IDENTITY FULL).
  assert.deepEqual(decode(format, '{"before":null,"after":{"id":1},"op":"u"}'), [['update_after', { id: 1 }]]);
  assert.deepEqual(decode(format, '{"op":"m","message":{}}'), []);
});

test('debezium_json: Kafka Connect logical types become the text the SQL types read', () => {
  const field = (name: string, type: string, logical?: string, parameters?: Record<string, string>) => ({ field: name, type, optional: true, ...(logical ? { name: logical } : {}), ...(parameters ? { parameters } : {}) });
  const after = {
    type: 'struct',
    field: 'after',
    fields: [
      field('id', 'int64'),
      field('d', 'int32', 'io.debezium.time.Date'),
      field('cd', 'int32', 'org.apache.kafka.connect.data.Date'),
      field('ts', 'int64', 'io.debezium.time.Timestamp'),
      field('cts', 'int64', 'org.apache.kafka.connect.data.Timestamp'),
      field('mts', 'int64', 'io.debezium.time.MicroTimestamp'),
      field('nts', 'int64', 'io.debezium.time.NanoTimestamp'),
      field('neg', 'int64', 'io.debezium.time.Timestamp'),
      field('t', 'int32', 'io.debezium.time.Time'),
      field('ct', 'int32', 'org.apache.kafka.connect.data.Time'),
      field('mt', 'int64', 'io.debezium.time.MicroTime'),
      field('price', 'bytes', 'org.apache.kafka.connect.data.Decimal', { scale: '2' }),
      field('debt', 'bytes', 'org.apache.kafka.connect.data.Decimal', { scale: '0' }),
      field('vsd', 'struct', 'io.debezium.data.VariableScaleDecimal'),
      field('zts', 'string', 'io.debezium.time.ZonedTimestamp'),
      field('nothing', 'int64', 'io.debezium.time.Timestamp'),
    ],
  };
  const payload = {
    before: null,
    after: {
      id: 1,
      d: 19284, // 19284 days after 1970-01-01
      cd: -1,
      ts: 1666147762800, // 19284 days and 10162.8 s
      cts: 1666147762813,
      mts: 1666147762813123,
      nts: '@NANOS@',
      neg: -1,
      t: 10162800,
      ct: 10162813,
      mt: 10162813123,
      price: 'MDk=', // 0x3039 = 12345
      debt: '/w==', // 0xff = -1
      vsd: { scale: 3, value: 'MDk=' },
      zts: '2022-10-19T02:49:22.8+02:00',
      nothing: null,
    },
    op: 'c',
  };
  // Nanoseconds need more than 2^53: written as a JSON integer literal.
  const text = JSON.stringify({ schema: { type: 'struct', fields: [after] }, payload }).replace('"@NANOS@"', '1666147762813123456');
  assert.deepEqual(decode(createFormat('debezium_json'), text), [
    [
      'insert',
      {
        id: 1,
        d: '2022-10-19',
        cd: '1969-12-31',
        ts: '2022-10-19 02:49:22.8',
        cts: '2022-10-19 02:49:22.813',
        mts: '2022-10-19 02:49:22.813123',
        nts: '2022-10-19 02:49:22.813123456',
        neg: '1969-12-31 23:59:59.999',
        t: '02:49:22.8',
        ct: '02:49:22.813',
        mt: '02:49:22.813123',
        price: '123.45',
        debt: '-1',
        vsd: '12.345',
        zts: '2022-10-19T02:49:22.8+02:00',
        nothing: null,
      },
    ],
  ]);
  // Without the schema nothing says what the numbers are: they stay numbers.
  assert.deepEqual(decode(createFormat('debezium_json'), JSON.stringify({ before: null, after: { id: 1, d: 19284 }, op: 'c' })), [['insert', { id: 1, d: 19284 }]]);
});

test('debezium_json: integers beyond 2^53 are exact in both images, nested too, and next to UNCHANGED; the source block is not rows', () => {
  const format = createFormat('debezium_json');
  const big = '18446744073709551615';
  const event = `{"before":{"id":${big},"n":{"deep":[-9007199254740993]},"doc":"__debezium_unavailable_value"},"after":{"id":${big},"n":{"deep":[1]},"f":1e300},"source":{"pos":123456789012345678901},"op":"u"}`;
  assert.deepEqual(decode(format, event), [
    ['update_before', { id: 18446744073709551615n, n: { deep: [-9007199254740993n] }, doc: UNCHANGED }],
    ['update_after', { id: 18446744073709551615n, n: { deep: [1] }, f: 1e300 }],
  ]);
  // 2^53 - 1 stays a number; a float of that size is not an integer literal and stays a float.
  assert.deepEqual(decode(format, '{"after":{"id":9007199254740991,"x":9007199254740993.5},"op":"c"}'), [['insert', { id: 9007199254740991, x: 9007199254740994 }]]);
  // A huge number in the source block only: the rows are the same either way.
  assert.deepEqual(decode(format, '{"after":{"id":1},"source":{"pos":123456789012345678901},"op":"r"}'), [['insert', { id: 1 }]]);
});

test('debezium_json: __debezium_unavailable_value (text, bytes, arrays) is UNCHANGED, and a schema converter keeps it and the operation', () => {
  const format = createFormat('debezium_json', {}, ['id', 'doc', 'blob', 'tags']);
  const rows = format.decodeMessages!(
    bytes(
      JSON.stringify({
        before: null,
        after: { ID: 7, Doc: '__debezium_unavailable_value', blob: Buffer.from('__debezium_unavailable_value').toString('base64'), tags: ['__debezium_unavailable_value'] },
        op: 'u',
      }),
    ),
    null,
  );
  assert.equal(rows.length, 1);
  assert.deepEqual(ops(rows), [['update_after', { id: 7, doc: UNCHANGED, blob: UNCHANGED, tags: UNCHANGED }]]);
  // A converter that knows nothing of UNCHANGED (it would reject a symbol) never sees it.
  const converted = convertChangeRow((row) => {
    for (const v of Object.values(row)) if (typeof v === 'symbol') throw new Error('a symbol reached the converter');
    return { id: BigInt(row['id'] as number), doc: row['doc'] ?? null, blob: null, tags: null };
  }, rows[0]!);
  assert.deepEqual(ops([converted]), [['update_after', { id: 7n, doc: UNCHANGED, blob: UNCHANGED, tags: UNCHANGED }]]);
});

test('debezium_json: field names match declared columns case-insensitively: an exact match first, then the lower-case column', () => {
  const format = createFormat('debezium_json', { ignore_key: 'true' }, ['l_orderkey', 'Name', 'name']);
  assert.deepEqual(decode(format, '{"before":null,"after":{"L_ORDERKEY":1,"Name":"a","NAME":"b","extra":2},"op":"r"}', '****'), [
    ['insert', { l_orderkey: 1, Name: 'a', name: 'b', extra: 2 }],
  ]);
  assert.throws(() => createFormat('debezium_json', { ignore_key: 'maybe' }), /must be true or false/);
  assert.throws(() => createFormat('maxwell', { ignore_key: 'true' }), /it takes none/);
});

test('maxwell: insert, update (before image = data overlaid with old), delete, bootstrap, DDL; unknown types refused', () => {
  const format = createFormat('maxwell');
  assert.deepEqual(decode(format, '{"type":"insert","data":{"id":1,"name":"tom"}}'), [['insert', { id: 1, name: 'tom' }]]);
  assert.deepEqual(decode(format, '{"type":"update","data":{"id":2,"name":"chi","x":1},"old":{"name":"alex"}}'), [
    ['update_before', { id: 2, name: 'alex', x: 1 }],
    ['update_after', { id: 2, name: 'chi', x: 1 }],
  ]);
  assert.deepEqual(decode(format, '{"type":"update","data":{"id":2}}'), [['update_after', { id: 2 }]]);
  assert.deepEqual(decode(format, '{"type":"delete","data":{"id":2,"name":"chi"}}'), [['delete', { id: 2, name: 'chi' }]]);
  assert.deepEqual(decode(format, '{"type":"bootstrap-insert","data":{"id":3}}'), [['insert', { id: 3 }]]);
  assert.deepEqual(decode(format, '{"type":"bootstrap-start","data":{}}'), []);
  assert.deepEqual(decode(format, '{"type":"table-create","def":{}}'), []);
  assert.throws(() => decode(format, '{"type":"upsert","data":{"id":1}}'), /unknown Maxwell event type "upsert"/);
  assert.throws(() => decode(format, '{"type":"insert","data":[1]}'), /needs a 'data' object, got an array/);
});

test('canal_json: several rows a message; updates take data (old is ignored, as in RisingWave); DDL skipped', () => {
  const format = createFormat('canal_json');
  assert.deepEqual(decode(format, '{"type":"INSERT","data":[{"v1":"1","v2":"2"},{"v1":"3","v2":"4"}],"old":null,"isDdl":false}'), [
    ['insert', { v1: '1', v2: '2' }],
    ['insert', { v1: '3', v2: '4' }],
  ]);
  assert.deepEqual(decode(format, '{"type":"UPDATE","data":[{"v1":"1","v2":"6"},{"v1":"3","v2":"8"}],"old":[{"v2":"2"},{"v2":"4"}],"isDdl":false}'), [
    ['update_after', { v1: '1', v2: '6' }],
    ['update_after', { v1: '3', v2: '8' }],
  ]);
  assert.deepEqual(decode(format, '{"type":"DELETE","data":[{"v1":"1"}],"isDdl":false}'), [['delete', { v1: '1' }]]);
  assert.deepEqual(decode(format, '{"type":"ALTER","data":null,"isDdl":true,"sql":"alter table t"}'), []);
  assert.throws(() => decode(format, '{"type":"INSERT","data":{"v1":"1"},"isDdl":false}'), /'data' must be an array of rows, got a object/);
  assert.throws(() => decode(format, '{"type":"INSERT","data":[{"v1":"1"},7],"isDdl":false}'), /row 1 of a Canal event's 'data' is a number/);
  assert.throws(() => decode(format, '{"type":"QUERY","data":[],"isDdl":false}'), /unknown Canal event type "QUERY"/);
});

test('upsert_json: a value upserts; an empty value or a tombstone deletes the key; no key, no delete', () => {
  const format = createFormat('upsert_json');
  assert.deepEqual(decode(format, '{"ID": 1, "firstName": "John"}', '{"ID": 1}'), [['insert', { ID: 1, firstName: 'John' }]]);
  assert.deepEqual(decode(format, '', '{"ID": 7}'), [['delete', { ID: 7 }]]);
  assert.deepEqual(decode(format, null, '{"ID": 8}'), [['delete', { ID: 8 }]]);
  // A key that is not a JSON object: the row is empty, for an INCLUDE KEY column to fill.
  assert.deepEqual(decode(format, null, 'plain-key'), [['delete', {}]]);
  assert.throws(() => decode(format, '', null), /without a message key/);
  assert.throws(() => decode(format, '[1]', '{"ID": 1}'), /must be a JSON object, got an array/);
});

test('json: a message holding an array yields one row per element; anything but objects in it is refused', () => {
  const format = createFormat('json');
  assert.deepEqual(format.decodeMessages!(bytes('[{"v1": 3, "v2": "333"},{"v1": 4, "v2": "4444"}]'), null), [
    { v1: 3, v2: '333' },
    { v1: 4, v2: '4444' },
  ]);
  assert.deepEqual(format.decodeMessages!(bytes('{"v1": 1}'), null), [{ v1: 1 }]);
  assert.deepEqual(format.decodeMessages!(bytes('[]'), null), []);
  assert.deepEqual(format.decodeMessages!(null, null), []);
  assert.throws(() => format.decodeMessages!(bytes('[{"a":1}, 2]'), null), /element 1 of the JSON array is a number, not an object/);
  assert.throws(() => format.decodeMessages!(bytes('"x"'), null), /expected a JSON object or an array of objects, got a string/);
  assert.throws(() => format.decodeMessages!(new Uint8Array([0x5b, 0xff, 0x5d]), null), /UTF-8/);
  // Integers beyond 2^53 stay exact inside arrays too.
  assert.deepEqual(format.decodeMessages!(bytes('[{"id": 9007199254740993}]'), null), [{ id: 9007199254740993n }]);
});

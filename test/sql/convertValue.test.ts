import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convertValue } from '../../src/sql/convertValue.js';
import { createRowConverter } from '../../src/sql/createRowConverter.js';
import { Decimal } from '../../src/sql/Decimal.js';
import type { SqlType } from '../../src/sql/SqlType.js';

const t = (name: SqlType['name'], extra: Partial<SqlType> = {}): SqlType => ({ name, ...extra });

test('integers: ranges checked, text accepted, fractions rejected', () => {
  assert.equal(convertValue('42', t('integer')), 42);
  assert.equal(convertValue(-7, t('smallint')), -7);
  assert.equal(convertValue(' 2147483647 ', t('integer')), 2147483647);
  assert.throws(() => convertValue('2147483648', t('integer')), /out of range for INTEGER/);
  assert.throws(() => convertValue(32768, t('smallint')), /out of range for SMALLINT/);
  assert.throws(() => convertValue(1.5, t('integer')), /expected INTEGER, got number 1.5/);
  assert.throws(() => convertValue('12abc', t('integer')), /expected INTEGER, got "12abc"/);
  assert.equal(convertValue(null, t('integer')), null);
  assert.equal(convertValue(undefined, t('integer')), null);
});

test('BIGINT is an exact bigint; an unsafe JS number is refused rather than rounded', () => {
  assert.equal(convertValue('9007199254740993', t('bigint')), 9007199254740993n);
  assert.equal(convertValue('-9223372036854775808', t('bigint')), -9223372036854775808n);
  assert.equal(convertValue(12, t('bigint')), 12n);
  assert.throws(() => convertValue('9223372036854775808', t('bigint')), /out of range for BIGINT/);
  assert.throws(() => convertValue(9007199254740993, t('bigint')), /beyond ±2\^53.*send it as a string/);
});

test('NUMERIC is an exact Decimal, rounded to its scale, precision checked', () => {
  const v = convertValue('12.345', t('numeric', { precision: 5, scale: 2 }));
  assert.ok(v instanceof Decimal);
  assert.equal(v.toString(), '12.35');
  assert.equal((convertValue('-0.005', t('numeric', { precision: 3, scale: 2 })) as Decimal).toString(), '-0.01');
  assert.equal((convertValue(0.1, t('numeric')) as Decimal).toString(), '0.1');
  assert.equal((convertValue('123456789012345678901234567890.5', t('numeric')) as Decimal).toString(), '123456789012345678901234567890.5');
  assert.throws(() => convertValue('1000.00', t('numeric', { precision: 5, scale: 2 })), /overflows NUMERIC\(5,2\): at most 3 digits before the point/);
  assert.throws(() => convertValue('1.2.3', t('numeric')), /expected NUMERIC, got "1.2.3"/);
});

test('Decimal arithmetic is exact and keeps PostgreSQL scales', () => {
  const d = Decimal.parse;
  assert.equal(d('0.1').add(d('0.2')).toString(), '0.3');
  assert.equal(d('901.00').mul(d('0.9')).toString(), '810.900');
  assert.equal(d('1').div(d('3')).toString(), '0.3333333333333333');
  assert.equal(d('10.00').div(d('4')).toString(), '2.5000000000000000');
  assert.equal(d('-7').mod(d('3')).toString(), '-1');
  assert.equal(d('1.5e3').toString(), '1500');
  assert.equal(d('2.50').compare(d('2.5')), 0);
  assert.throws(() => d('1').div(d('0')), /division by zero/);
});

test('text types check lengths in characters; CHAR is not padded', () => {
  assert.equal(convertValue('héllo', t('varchar', { length: 5 })), 'héllo');
  assert.throws(() => convertValue('toolong', t('varchar', { length: 5 })), /7 characters exceed VARCHAR\(5\)/);
  assert.equal(convertValue('ab', t('char', { length: 25 })), 'ab');
  assert.throws(() => convertValue({}, t('text')), /expected TEXT, got an object/);
});

test('booleans, dates, times and timestamps read their PostgreSQL text forms', () => {
  assert.equal(convertValue('t', t('boolean')), true);
  assert.equal(convertValue('OFF', t('boolean')), false);
  assert.throws(() => convertValue('maybe', t('boolean')), /expected BOOLEAN/);
  assert.equal(convertValue('2024-2-9', t('date')), '2024-02-09');
  assert.throws(() => convertValue('2023-02-29', t('date')), /not a valid date/);
  assert.equal(convertValue('7:05', t('time')), '07:05:00');
  assert.equal(convertValue('2024-01-31T13:45:00.120', t('timestamp')), '2024-01-31 13:45:00.12');
  const tz = convertValue('2024-01-31 13:45:00+02', t('timestamptz'));
  assert.ok(tz instanceof Date);
  assert.equal(tz.toISOString(), '2024-01-31T11:45:00.000Z');
  assert.equal((convertValue('2024-01-31 13:45:00', t('timestamptz')) as Date).toISOString(), '2024-01-31T13:45:00.000Z');
});

test('BYTEA reads \\x hex; JSONB parses text only from text formats', () => {
  assert.deepEqual(convertValue('\\x0aff', t('bytea')), Uint8Array.from([10, 255]));
  assert.throws(() => convertValue('\\xzz', t('bytea')), /not valid \\x hex/);
  assert.deepEqual(convertValue('{"a":[1,2]}', t('jsonb'), { textInput: true }), { a: [1, 2] });
  assert.equal(convertValue('{"a":1}', t('jsonb')), '{"a":1}');
  assert.deepEqual(convertValue({ a: 1 }, t('jsonb')), { a: 1 });
  assert.throws(() => convertValue('{oops', t('jsonb'), { textInput: true }), /not valid JSON/);
});

test('a row converter keeps declared columns in order and names the column on a violation', () => {
  const convert = createRowConverter(
    [
      { name: 'id', type: { name: 'bigint' }, notNull: true },
      { name: 'name', type: { name: 'varchar', length: 4 }, notNull: false },
      { name: 'price', type: { name: 'numeric', precision: 6, scale: 2 }, notNull: false },
    ],
    { textInput: true },
  );
  const row = convert({ extra: 'dropped', price: '9.5', id: '18446744073709551' });
  assert.deepEqual(Object.keys(row), ['id', 'name', 'price']);
  assert.equal(row.id, 18446744073709551n);
  assert.equal(row.name, null);
  assert.equal(String(row.price), '9.50');
  assert.throws(() => convert({ name: 'x' }), { message: 'column "id" (BIGINT) is NOT NULL but the value is missing or null' });
  assert.throws(() => convert({ id: '1', name: 'fiver' }), { message: 'column "name" (VARCHAR(4)): 5 characters exceed VARCHAR(4)' });
  assert.throws(() => convert({ id: 'one' }), /^Error: column "id" \(BIGINT\): expected BIGINT, got "one"$/);
});

const STRUCT: SqlType = { name: 'struct', fields: [{ name: 'a', type: { name: 'integer' } }, { name: 'b', type: { name: 'varchar', length: 3 } }] };

test('STRUCT<a INT, b VARCHAR(3)>: each field converted and checked, missing fields NULL, extra fields dropped', () => {
  assert.deepEqual(convertValue({ a: '7', b: 'xy', extra: true }, STRUCT), { a: 7, b: 'xy' });
  assert.deepEqual(convertValue({}, STRUCT), { a: null, b: null });
  assert.throws(() => convertValue({ a: 'seven' }, STRUCT), /^Error: field "a": expected INTEGER, got "seven"$/);
  assert.throws(() => convertValue({ a: 1, b: 'long' }, STRUCT), /field "b": .*VARCHAR\(3\)/);
  assert.throws(() => convertValue([1, 'x'], STRUCT), /expected STRUCT<a INTEGER, b VARCHAR\(3\)>, got an array/);
  assert.throws(() => convertValue('{"a":1}', STRUCT), /expected STRUCT<a INTEGER, b VARCHAR\(3\)>/, 'JSON text is not a struct from JSON');
  // From a text format (CSV), the cell is the struct's JSON text.
  assert.deepEqual(convertValue('{"a":1,"b":"z"}', STRUCT, { textInput: true }), { a: 1, b: 'z' });
  assert.throws(() => convertValue('{a:1}', STRUCT, { textInput: true }), /expected STRUCT<.*> as JSON text/);
  // `constructor` and friends are not fields of a JSON object.
  assert.deepEqual(convertValue({}, { name: 'struct', fields: [{ name: 'constructor', type: { name: 'text' } }] }), { constructor: null });
});

test('arrays: every element converted, NULL elements kept, the position of a bad one named', () => {
  const ints: SqlType = { name: 'array', element: { name: 'integer' } };
  assert.deepEqual(convertValue([1, '2', null], ints), [1, 2, null]);
  assert.deepEqual(convertValue([], ints), []);
  assert.throws(() => convertValue([1, 2.5], ints), /^Error: element 2: expected INTEGER, got number 2.5$/);
  assert.throws(() => convertValue({ 0: 1 }, ints), /expected INTEGER\[\], got an object/);
  assert.throws(() => convertValue(5, ints), /expected INTEGER\[\], got number 5/);
  // json_c's xfas: an array of structs, errors naming the path.
  const xfas: SqlType = { name: 'array', element: { name: 'struct', fields: [{ name: 'device_model_id', type: { name: 'integer' } }, { name: 'ip', type: { name: 'text' } }] } };
  assert.deepEqual(convertValue([{ device_model_id: 1, ip: '10.0.0.1' }, { ip: null }], xfas), [{ device_model_id: 1, ip: '10.0.0.1' }, { device_model_id: null, ip: null }]);
  assert.throws(() => convertValue([{ device_model_id: 1 }, { device_model_id: 'x' }], xfas), /element 2: field "device_model_id": expected INTEGER, got "x"/);
  const nested: SqlType = { name: 'array', element: { name: 'array', element: { name: 'bigint' } } };
  assert.deepEqual(convertValue([['9007199254740993'], []], nested), [[9007199254740993n], []]);
  assert.deepEqual(convertValue('[1,2]', ints, { textInput: true }), [1, 2]);
});

test('a row converter keeps a changelog row\'s operation and UNCHANGED, and holds retractions to no NOT NULL', async () => {
  const { OP, UNCHANGED, withOp, opOf } = await import('../../src/core/Changelog.js');
  const convert = createRowConverter([
    { name: 'id', type: { name: 'integer' }, notNull: true },
    { name: 'body', type: { name: 'text' }, notNull: true },
  ]);
  const updated = convert(withOp({ id: '1', body: UNCHANGED }, 'update_after'));
  assert.equal(opOf(updated), 'update_after');
  assert.equal(updated['body'], UNCHANGED);
  assert.equal(updated['id'], 1);
  const deleted = convert(withOp({ id: 2 }, 'delete'));
  assert.equal(opOf(deleted), 'delete');
  assert.deepEqual(deleted, withOp({ id: 2, body: null }, 'delete'));
  assert.throws(() => convert(withOp({ id: 3 }, 'insert')), /column "body" \(TEXT\) is NOT NULL/);
  // An append-only row gets no operation attached.
  assert.equal(Object.getOwnPropertySymbols(convert({ id: 4, body: 'x' })).includes(OP), false);
});

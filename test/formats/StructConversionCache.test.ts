import assert from 'node:assert/strict';
import { test } from 'node:test';
import { opOf } from '../../src/core/Changelog.js';
import { createFormat } from '../../src/formats/createFormat.js';
import { StructConversionCache } from '../../src/formats/StructConversionCache.js';
import type { ConnectField } from '../../src/formats/kafkaConnectTypes.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A Debezium value with the JSON converter's schema part: `price` a Connect decimal of `scale`, `d` of logical type `dateName`. */
function event(scale: string, price: string, dateName: string | undefined, extra: ConnectField[] = []): string {
  const value: ConnectField = {
    type: 'struct',
    fields: [
      { type: 'int32', field: 'id' },
      { type: 'bytes', field: 'price', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale } },
      { type: 'int32', field: 'd', ...(dateName === undefined ? {} : { name: dateName }) },
      ...extra,
    ],
  };
  const schema = { type: 'struct', fields: [{ ...value, field: 'before' }, { ...value, field: 'after' }, { type: 'string', field: 'op' }] };
  return JSON.stringify({ schema, payload: { before: null, after: { id: 1, price, d: 19284, x: 7 }, op: 'c' } });
}

test('StructConversionCache: equal structs parsed from separate messages share one conversion map', () => {
  const cache = new StructConversionCache();
  const struct = (): ConnectField => (JSON.parse(event('2', 'MDk=', 'io.debezium.time.Date')) as { schema: { fields: ConnectField[] } }).schema.fields[1]!;
  const first = cache.get(struct());
  assert.ok(first !== undefined && first.size === 2);
  assert.equal(cache.get(struct()), first);
  // A struct without logical types has no conversions, remembered as such.
  const plain: ConnectField = { type: 'struct', fields: [{ type: 'int32', field: 'id' }] };
  assert.equal(cache.get(plain), undefined);
  assert.equal(cache.get(structuredClone(plain)), undefined);
  assert.equal(cache.get(struct()), first);
});

test('debezium_json: a schema that changes between messages (scale, logical type, a new column) is converted by its own rules, never a remembered one', () => {
  const format = createFormat('debezium_json');
  const decode = (text: string) => format.decodeMessages!(bytes(text), null).map((row) => [opOf(row), Object.fromEntries(Object.entries(row))]);
  const date = 'io.debezium.time.Date';
  // 0x3039 = 12345
  assert.deepEqual(decode(event('2', 'MDk=', date)), [['insert', { id: 1, price: '123.45', d: '2022-10-19', x: 7 }]]);
  assert.deepEqual(decode(event('3', 'MDk=', date)), [['insert', { id: 1, price: '12.345', d: '2022-10-19', x: 7 }]]);
  assert.deepEqual(decode(event('2', 'MDk=', date)), [['insert', { id: 1, price: '123.45', d: '2022-10-19', x: 7 }]]);
  // `d` loses its logical type: the number stays a number.
  assert.deepEqual(decode(event('2', 'MDk=', undefined)), [['insert', { id: 1, price: '123.45', d: 19284, x: 7 }]]);
  // A column gains a logical type through a new field of the same name.
  assert.deepEqual(decode(event('2', 'MDk=', date, [{ type: 'int64', field: 'x', name: 'io.debezium.time.Timestamp' }])), [
    ['insert', { id: 1, price: '123.45', d: '2022-10-19', x: '1970-01-01 00:00:00.007' }],
  ]);
  // More schemas than the cache holds, in turn: each still gets its own scale.
  for (let round = 0; round < 2; round++) {
    for (let scale = 0; scale < 12; scale++) {
      const [[, row]] = decode(event(String(scale), 'MDk=', date)) as [[string, { price: string }]];
      assert.equal(row.price, scale === 0 ? '12345' : (12345 / 10 ** scale).toFixed(scale).replace(/^0\./, '0.'), `scale ${scale}`);
    }
  }
});

test("debezium_json: a schema whose 'fields' is not an array is a bad record that says so", () => {
  const format = createFormat('debezium_json');
  const text = JSON.stringify({ schema: { type: 'struct', fields: { before: 1 } }, payload: { after: { id: 1 }, op: 'c' } });
  assert.throws(() => format.decodeMessages!(bytes(text), null), /schema's 'fields' must be an array, got a object/);
});

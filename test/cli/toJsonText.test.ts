import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toJsonText } from '../../src/cli/toJsonText.js';
import { Decimal } from '../../src/sql/Decimal.js';

test('BIGINT and NUMERIC are JSON numbers with every digit', () => {
  assert.equal(toJsonText({ id: 9007199254740993n, price: Decimal.parse('1.10'), big: Decimal.parse('-12345678901234567890.000001') }), '{"id":9007199254740993,"price":1.10,"big":-12345678901234567890.000001}');
});

test('other values: strings escaped, instants as ISO strings, bytes as \\x hex, non-finite numbers as strings, nested JSON', () => {
  assert.equal(
    toJsonText({
      s: 'quote " and \n newline',
      at: new Date('2024-01-31T10:00:00Z'),
      bytes: Uint8Array.from([0, 255]),
      nan: NaN,
      inf: -Infinity,
      doc: { a: [1, null, true, { b: 2n }] },
      missing: undefined,
      n: null,
    }),
    '{"s":"quote \\" and \\n newline","at":"2024-01-31T10:00:00.000Z","bytes":"\\\\x00ff","nan":"NaN","inf":"-Infinity","doc":{"a":[1,null,true,{"b":2}]},"missing":null,"n":null}',
  );
  // What toJsonText writes is valid JSON that parses back (bigints as numbers).
  assert.deepEqual(JSON.parse(toJsonText({ a: 1n, b: 'x' })), { a: 1, b: 'x' });
});

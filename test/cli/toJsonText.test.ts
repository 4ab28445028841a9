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

test('nesting of any depth is written without exhausting the stack, and parses back', () => {
  const depth = 200_000;
  let deep: unknown = 1n;
  for (let i = 0; i < depth; i++) deep = i % 2 === 0 ? [deep, 'x'] : { k: deep, n: null };
  const text = toJsonText({ deep });
  // Valid JSON of the right shape: V8's JSON.parse does not recurse, so it can check it.
  let parsed = (JSON.parse(text) as { deep: unknown }).deep;
  for (let i = depth - 1; i >= 0; i--) parsed = i % 2 === 0 ? (parsed as unknown[])[0] : (parsed as { k: unknown }).k;
  assert.equal(parsed, 1);
  // The innermost value, and the same text as the recursive writer gives at shallow depth.
  assert.ok(text.startsWith('{"deep":{"k":[{"k":['));
  assert.ok(text.includes('[1,"x"]'));
  assert.ok(text.endsWith(',"n":null}}'));
  // Mixed shallow and deep: the switch from recursion to the explicit stack changes nothing.
  let shallow: unknown = 1n;
  for (let i = 0; i < 300; i++) shallow = i % 2 === 0 ? [shallow, 'x'] : { k: shallow, n: null };
  assert.equal(toJsonText(shallow), JSON.stringify(shallow, (_k, v: unknown) => (typeof v === 'bigint' ? 1 : v)));
});

test('a value that contains itself is a clear TypeError, not a hang or a stack overflow', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = { back: cyclic };
  assert.throws(() => toJsonText(cyclic), { name: 'TypeError', message: /contains itself/ });
});

test('strings: exactly JSON.stringify\'s text, escapes and surrogates included', async () => {
  const { valueJsonText } = await import('../../src/cli/toJsonText.js');
  const samples = ['', 'plain text', 'quote " here', 'back\\slash', 'tab\tnew\nline\r', '\u0000\u0001\u001f\u007f', '\u2028\u2029', 'é€𝄞', '\ud800 lone', 'lone \udfff', '\udfff\ud800', 'x'.repeat(1000)];
  for (let c = 0; c < 0x10000; c += 7) samples.push(`a${String.fromCharCode(c)}b`);
  for (const text of samples) {
    assert.equal(toJsonText(text), JSON.stringify(text), JSON.stringify(text));
    assert.equal(valueJsonText(text), JSON.stringify(text));
    assert.equal(toJsonText({ [text]: text }), JSON.stringify({ [text]: text }));
  }
});

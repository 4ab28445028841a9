import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rowLineWriter } from '../../src/cli/rowLineWriter.js';
import { toJsonText } from '../../src/cli/toJsonText.js';
import type { Row } from '../../src/formats/Format.js';
import type { ExpressionType } from '../../src/sql/compileExpression.js';
import { Decimal } from '../../src/sql/Decimal.js';

// The generated writer must give exactly toJsonText of the projected row, whatever the values
// are (the declared types only choose a fast path) and whatever the column names are (they
// never become code).

const types: ExpressionType[] = ['integer', 'varchar', 'numeric', 'bigint', 'double precision', 'char', 'jsonb', 'unknown'];

function expected(names: readonly string[], row: Row): string {
  const out: Row = {};
  for (const name of names) Object.defineProperty(out, name, { value: row[name], enumerable: true, writable: true, configurable: true });
  return `${toJsonText(out)}\n`;
}

function writer(names: readonly string[], columnTypes: readonly ExpressionType[] = types, direct = false): (row: Row) => string {
  return rowLineWriter(
    names,
    columnTypes,
    names.map((n) => (row: Row) => row[n] ?? null),
    direct ? names : [],
  );
}

const names = ['id', 'name', 'price', 'big', 'ratio', 'code', 'doc', 'any'];
const typical: Row = { id: 7, name: 'moccasin green', price: Decimal.parse('901.00'), big: 9007199254740993n, ratio: 0.25, code: 'JUMBO JAR', doc: { a: [1, null] }, any: 'x' };

test('the fast path: every value of its column type gives the toJsonText line', () => {
  assert.equal(writer(names)(typical), expected(names, typical));
  assert.equal(writer(names)(typical), '{"id":7,"name":"moccasin green","price":901.00,"big":9007199254740993,"ratio":0.25,"code":"JUMBO JAR","doc":{"a":[1,null]},"any":"x"}\n');
});

test('values off their type, NULLs, escapes, NaN: the general path, same text', () => {
  const odd: Row[] = [
    { ...typical, id: null, name: null, price: null, big: null, ratio: null, code: null },
    { ...typical, name: 'quote " backslash \\ \u2028 é \ud800', code: '\u0000\n' },
    { ...typical, id: Number.NaN, ratio: -Infinity, big: -0 },
    { ...typical, id: '12', price: '1.5', big: 3, ratio: 4n, name: 5, code: new Date(0) },
    { ...typical, id: undefined, doc: undefined, any: new Uint8Array([1, 255]) },
    { ...typical, id: -0, price: Decimal.parse('-0.001'), big: -5n },
  ];
  for (const direct of [false, true]) {
    const write = writer(names, types, direct);
    for (const row of odd) assert.equal(write(row), expected(names, { ...row, id: row.id ?? null, doc: row.doc ?? null }), `direct reads: ${direct}`);
  }
});

test('hostile column names stay data: quotes, backticks, ${...}, backslashes, line separators', () => {
  const hostile = ['a"b', '`${process.exit(1)}`', '\\', "'); throw new Error('x'); ('", '\u2028\u2029', 'k\n'];
  const row: Row = Object.fromEntries(hostile.map((n, i) => [n, i % 2 === 0 ? `v${i}` : i]));
  for (const direct of [false, true]) {
    const write = writer(hostile, ['varchar', 'integer', 'text', 'integer', 'char', 'smallint'], direct);
    assert.equal(write(row), expected(hostile, row));
    assert.equal(JSON.stringify(Object.keys(JSON.parse(write(row)) as object)), JSON.stringify(hostile));
  }
});

test('no columns: {}; a column of an unknown type: the general writer', () => {
  assert.equal(rowLineWriter([], [], [])({ a: 1 }), '{}\n');
  const row: Row = { x: [1, { y: 2n }] };
  assert.equal(writer(['x'], ['unknown'])(row), expected(['x'], row));
});

test('an evaluator that throws, or a value that contains itself, throws from the writer', () => {
  const boom = rowLineWriter(['a'], ['integer'], [() => { throw new RangeError('division by zero'); }]);
  assert.throws(() => boom({}), RangeError);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => writer(['doc'], ['jsonb'])({ doc: cyclic }), TypeError);
});

test('150 000 columns: too wide for one generated function, the loop writes the same line', () => {
  const wide = Array.from({ length: 150_000 }, (_, i) => `c${i}`);
  const row: Row = {};
  wide.forEach((n, i) => (row[n] = i % 3 === 0 ? `v${i}` : i));
  const line = rowLineWriter(
    wide,
    wide.map((_, i) => (i % 3 === 0 ? 'varchar' : 'integer')),
    wide.map((n) => (r: Row) => r[n] ?? null),
    wide,
  )(row);
  assert.equal(line, expected(wide, row));
});

test('a __proto__ column read directly: the own value, and null (not Object.prototype) when the row has none', () => {
  const own: Row = {};
  Object.defineProperty(own, '__proto__', { value: 'p', enumerable: true, writable: true, configurable: true });
  const read = (r: Row): unknown => (Object.hasOwn(r, '__proto__') ? (r['__proto__'] ?? null) : null);
  const line = rowLineWriter(['__proto__', 'a'], ['varchar', 'integer'], [read, (r) => r['a'] ?? null], ['__proto__', 'a']);
  assert.equal(line({ ...own, a: 1 }), '{"__proto__":"p","a":1}\n');
  assert.equal(line({ a: 1 }), '{"__proto__":null,"a":1}\n');
});

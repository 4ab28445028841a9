import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvFormat, type CsvFormatOptions } from '../../src/formats/csvFormat.js';
import type { Row, RowConverter } from '../../src/formats/Format.js';
import { valuesConverterOf } from '../../src/formats/ValuesConverter.js';
import type { Column } from '../../src/sql/Column.js';
import { createRowConverter } from '../../src/sql/createRowConverter.js';
import { context, decode, RecordingHandler, utf8, type Chunking } from './support.js';

// With a declared schema the CSV decoder hands each record's fields to the converter by position
// (no row of raw strings in between). Everything must come out as through the row path: the same
// rows, the same bad records with the same messages, offsets, lines and bytes.

const columns: Column[] = [
  { name: 'id', type: { name: 'integer' }, notNull: true },
  { name: 'name', type: { name: 'varchar', length: 5 }, notNull: false },
  { name: 'price', type: { name: 'numeric', precision: 6, scale: 2 }, notNull: false },
  { name: 'small', type: { name: 'smallint' }, notNull: false },
  { name: 'tag', type: { name: 'char', length: 3 }, notNull: false },
];

/** The same converter without its by-position form: the row path. */
function rowPathOnly(convert: RowConverter): RowConverter {
  return (row: Row) => convert(row);
}

async function both(text: string, options: CsvFormatOptions, chunking: Chunking = 'whole') {
  const run = async (convert: RowConverter) => {
    const handler = new RecordingHandler('skip');
    const decoded = await decode(csvFormat(options), utf8(text), null, chunking, context(handler, convert));
    const errors = handler.errors.map((e) => ({ message: e.message, offset: e.offset, line: e.line, bytes: e.bytes, raw: Buffer.from(handler.raws[handler.errors.indexOf(e)] ?? []).toString() }));
    return { rows: decoded.rows, offsets: decoded.offsets, nextOffset: decoded.nextOffset, errors };
  };
  const convert = createRowConverter(columns, { textInput: true });
  assert.ok(valuesConverterOf(convert) !== undefined, 'the SQL converter has a by-position form');
  assert.equal(valuesConverterOf(rowPathOnly(convert)), undefined);
  const fast = await run(convert);
  const slow = await run(rowPathOnly(convert));
  assert.deepEqual(fast, slow);
  return fast;
}

const hostile = [
  '1,abc,1.50,7,xyz',
  '-0,,,,',
  '0012,"",2,-32768,""',
  '2147483647,abcde,9999.99,32767,abc',
  '2147483648,a,1,1,a', // integer out of range
  '3,abcdef,1,1,a', // VARCHAR(5) too long
  '4,ééééé,1,1,a', // five characters, ten bytes
  '5,a,10000.00,1,a', // NUMERIC(6,2) overflow
  '6,a,1,32768,a', // SMALLINT out of range
  ',a,1,1,a', // NOT NULL missing
  '+7, 8 ,1e2,  9 ,b', // signs and spaces: the general path
  '1234567890,a,1,1,a', // ten digits: the general path
  '8,a,1', // too few fields
  '9,a,1,1,a,extra', // too many
  '10,"a,b",x,1,a', // numeric syntax
  '11,"stray,1,1,a', // stray quote
  '12,a,-0.005,1,😀😀', // rounding; two astral characters in CHAR(3)
].join('\n');

test('by position = by row: declared order, hostile values, every bad record alike', async () => {
  const out = await both(`id,name,price,small,tag\n${hostile}\n`, { columns: columns.map((c) => c.name) });
  assert.ok(out.rows.length >= 6 && out.errors.length >= 8, JSON.stringify(out));
  assert.deepEqual(out.rows[1], { id: -0, name: null, price: null, small: null, tag: null });
  for (const chunking of ['bytes', { seed: 3 }, { seed: 11 }] as const) await both(`id,name,price,small,tag\n${hostile}\n`, { columns: columns.map((c) => c.name) }, chunking);
});

test('by position = by row: a header in another order, with extra columns, and empty = empty', async () => {
  const reordered = hostile
    .split('\n')
    .map((line) => {
      const f = line.split(',');
      return [f[4], 'x', f[2], f[0], f[1], f[3], ...f.slice(5)].join(',');
    })
    .join('\n');
  await both(`tag,other,price,id,name,small\n${reordered}\n`, { columns: columns.map((c) => c.name) });
  await both(`tag,other,price,id,name,small\n${reordered}\n`, { columns: columns.map((c) => c.name), empty: 'empty' });
  await both(`id,name,price,small,tag\n${hostile}\n`, { columns: columns.map((c) => c.name), empty: 'empty' });
});

test('by position = by row: no header, declared columns by position; a header without a declared column', async () => {
  await both(`${hostile}\n`, { header: false, columns: columns.map((c) => c.name) });
  // The format's columns name fewer than the converter reads: the others are NULL (NOT NULL id fails).
  await both(`name,price\nab,1.5\n`, { columns: ['name', 'price'] });
  await both(`id,name\n1,ab\n`, {});
});

test('hostile column names stay data in the generated conversion; __proto__ keeps the loop, alike', async () => {
  for (const names of [['a"b', 'c\\d', '\u2028x', "'}; throw 1; ({'", 'e'], ['__proto__', 'b', 'c', 'd', 'e']]) {
    const declared: Column[] = names.map((name, i) => ({ name, type: i === 0 ? { name: 'integer' } : { name: 'text' }, notNull: i === 0 }));
    const convert = createRowConverter(declared, { textInput: true });
    const text = `${names.map((n) => `"${n.replaceAll('"', '""')}"`).join(',')}\n1,x,y,z,w\n,a,b,c,d\nq,a,b,c,d\n`;
    const run = async (c: RowConverter) => {
      const handler = new RecordingHandler('skip');
      const { rows } = await decode(csvFormat({ columns: names }), utf8(text), null, 'whole', context(handler, c));
      return { rows: rows.map((r) => Object.getOwnPropertyNames(r).map((k) => [k, r[k]])), protos: rows.map((r) => Object.getPrototypeOf(r) === Object.prototype), errors: handler.errors.map((e) => `${e.offset}: ${e.message}`) };
    };
    const fast = await run(convert);
    assert.deepEqual(fast, await run(rowPathOnly(convert)));
    assert.equal(fast.errors.length, 2, JSON.stringify(fast));
    if (names[0] !== '__proto__') assert.deepEqual(fast.rows[0], names.map((n, i) => [n, ['1', 'x', 'y', 'z', 'w'].map((v, j) => (j === 0 ? Number(v) : v))[i]]));
  }
});

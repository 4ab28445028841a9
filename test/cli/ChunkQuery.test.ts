import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { ChunkQuery } from '../../src/cli/ChunkQuery.js';
import { LineBuffer } from '../../src/cli/LineBuffer.js';
import { NdjsonSink } from '../../src/cli/NdjsonSink.js';
import { rowJsonWriter } from '../../src/cli/toJsonText.js';
import { SourceError } from '../../src/core/SourceError.js';
import type { Chunk } from '../../src/core/SourceEvent.js';
import type { Row } from '../../src/formats/Format.js';
import type { Column } from '../../src/sql/Column.js';
import { compileQuery } from '../../src/sql/compileQuery.js';
import { Decimal } from '../../src/sql/Decimal.js';
import { parseSql } from '../../src/sql/parseSql.js';
import type { SelectStatement } from '../../src/sql/Statement.js';

// ChunkQuery.text writes a chunk's result rows straight from the output values, without building
// the projected rows: its text must be exactly what toJsonText makes of the rows `run` builds.

const columns: Column[] = [
  { name: 'id', type: { name: 'integer' }, notNull: true },
  { name: 'big', type: { name: 'bigint' }, notNull: false },
  { name: 'price', type: { name: 'numeric', precision: 10, scale: 2 }, notNull: false },
  { name: 'ratio', type: { name: 'double precision' }, notNull: false },
  { name: 'name', type: { name: 'varchar', length: 40 }, notNull: false },
  { name: 'at', type: { name: 'timestamptz' }, notNull: false },
  { name: 'raw', type: { name: 'bytea' }, notNull: false },
  { name: 'doc', type: { name: 'jsonb' }, notNull: false },
];

const records: Row[] = [
  { id: 1, big: 9007199254740993n, price: Decimal.parse('10.50'), ratio: 0.5, name: 'quote " backslash \\ \u2028 é', at: new Date(0), raw: new Uint8Array([0, 255]), doc: { a: [1, { b: null }] } },
  { id: 2, big: null, price: Decimal.parse('-3.00'), ratio: Number.NaN, name: '', at: null, raw: null, doc: 'text' },
  { id: 3, big: -5n, price: null, ratio: -Infinity, name: null, at: new Date(Number.NaN), raw: null, doc: null },
  { id: 4, big: 0n, price: null, ratio: 1e300, name: '\u0000\u001f', at: null, raw: null, doc: [] },
];

function chunk(rows: readonly Row[]): Chunk<Row> {
  return { type: 'chunk', splitId: 'part.csv', offset: '42', nextOffset: '99', records: rows } as unknown as Chunk<Row>;
}

function both(sql: string, rows: readonly Row[] = records): { text: string; expected: string; count: number } {
  const statement = parseSql(sql)[0] as SelectStatement;
  const compiled = compileQuery(statement, columns);
  const byText = new ChunkQuery(compiled);
  const byRows = new ChunkQuery(compileQuery(statement, columns));
  const { text, rows: count } = byText.text(chunk(rows), 'src');
  const built = byRows.run(chunk(rows), 'src');
  assert.equal(count, built.length);
  // The bytes the CLI writes: the same text, encoded as UTF-8 in place.
  const byBytes = new ChunkQuery(compileQuery(statement, columns));
  const lines = new LineBuffer();
  assert.equal(byBytes.writeLines(chunk(rows), 'src', lines), count);
  assert.equal(lines.take().toString('utf8'), text);
  // The rows' text with their keys in the query's order (an object puts "1" first).
  const line = rowJsonWriter(compiled.columns.map((c) => c.name));
  return { text, expected: built.map((r) => `${line(r)}\n`).join(''), count };
}

test('text() is the text of the rows run() builds: SELECT *, expressions, aliases, repeated names, WHERE', () => {
  for (const sql of [
    'select * from t',
    'select id, price * 2 as doubled, name || \'!\' as shout, big from t',
    'select id, id, id as id from t',
    'select * from t where ratio > 0',
    'select doc, raw, at from t where id <> 2',
    'select name from t where name is null',
  ]) {
    const { text, expected } = both(sql);
    assert.equal(text, expected, sql);
  }
});

test('text() with LIMIT: stops at the limit across chunks, like run()', () => {
  const statement = parseSql('select id from t limit 5')[0] as SelectStatement;
  const query = new ChunkQuery(compileQuery(statement, columns));
  assert.equal(query.text(chunk(records), 's').rows, 4);
  assert.equal(query.done, false);
  assert.deepEqual(query.text(chunk(records), 's'), { text: '{"id":1}\n', rows: 1 });
  assert.equal(query.done, true);
  assert.deepEqual(query.text(chunk(records), 's'), { text: '', rows: 0 });
});

test('an output column named __proto__ is a plain key in both paths, the row built by run() included', () => {
  const { text, expected } = both('select id as "__proto__", name from t');
  assert.equal(text, expected);
  assert.equal(text.split('\n')[0], '{"__proto__":1,"name":"quote \\" backslash \\\\ \u2028 é"}');
  const statement = parseSql('select id as "__proto__", price as p from t')[0] as SelectStatement;
  const [row] = new ChunkQuery(compileQuery(statement, columns)).run(chunk(records), 'src');
  assert.equal(Object.getPrototypeOf(row), Object.prototype);
  assert.deepEqual(Object.keys(row!), ['__proto__', 'p']);
});

test('integer-like and repeated output names: declared order and one key each, the same text in both paths', () => {
  const { text, expected } = both('select name, id as "1", big as "0", id, id, ratio as id_2 from t where id = 3');
  assert.equal(text, expected);
  assert.equal(text, '{"name":null,"1":3,"0":-5,"id":3,"id_3":3,"id_2":"-Infinity"}\n');
  // A query with no generated writer (a source without columns) writes rows as they are.
  const statement = parseSql('select * from t')[0] as SelectStatement;
  const schemaless = new ChunkQuery(compileQuery(statement, undefined));
  assert.equal(schemaless.text(chunk([{ b: 1, a: 2 }]), 'src').text, '{"b":1,"a":2}\n');
});

test('an evaluation error names the record, the split and the offset; a value that contains itself is a TypeError, named by its record too', () => {
  const statement = parseSql('select id / (id - 3) as q from t')[0] as SelectStatement;
  const query = new ChunkQuery(compileQuery(statement, columns));
  assert.throws(
    () => query.text(chunk(records), 'src'),
    (err: unknown) => err instanceof SourceError && /record 2 of the chunk/.test(err.message) && err.split === 'part.csv' && err.offset === '42',
  );
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const all = new ChunkQuery(compileQuery(parseSql('select doc from t')[0] as SelectStatement, columns));
  // Written by the same per-record step as the evaluation: the error names the record too.
  assert.throws(
    () => all.text(chunk([{ ...records[0]!, doc: cyclic }]), 'src'),
    (err: unknown) => err instanceof SourceError && /record 0 of the chunk/.test(err.message) && err.cause instanceof TypeError,
  );
});

test('a chunk of many lines (written in several pieces) is the same text; one that fails past the first piece puts nothing out', async () => {
  // ~100 bytes a line: 3,000 lines are some 300 KB, nine of writeLines' pieces.
  const many: Row[] = Array.from({ length: 3000 }, (_, i) => ({ ...records[0]!, id: i, name: `row ${i} ${'é'.repeat(i % 7)} ${'x'.repeat(40)}`, doc: null, raw: null }));
  const { text, expected, count } = both('select id, name, price, big from t', many);
  assert.equal(count, 3000);
  assert.equal(text, expected);
  assert.ok(text.length > 8 * 32 * 1024, `${text.length} characters`);

  const written: string[] = [];
  const stream = new Writable({
    write(bytes: Buffer, _encoding, callback) {
      written.push(bytes.toString('utf8'));
      callback();
    },
  });
  const sink = new NdjsonSink(stream);
  // Division by zero at the record whose id is 2,900: far past the first pieces.
  const failing = new ChunkQuery(compileQuery(parseSql('select id, name, 1 / (id - 2900) as q from t')[0] as SelectStatement, columns));
  assert.throws(
    () => sink.writeLines((lines) => failing.writeLines(chunk(many), 'src', lines)),
    (err: unknown) => err instanceof SourceError && /record 2900 of the chunk/.test(err.message),
  );
  const good = new ChunkQuery(compileQuery(parseSql('select id from t')[0] as SelectStatement, columns));
  await sink.writeLines((lines) => good.writeLines(chunk(many.slice(0, 2)), 'src', lines));
  await sink.flush();
  assert.equal(written.join(''), '{"id":0}\n{"id":1}\n', 'the failed chunk left no line behind');
});

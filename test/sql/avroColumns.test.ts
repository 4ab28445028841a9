import assert from 'node:assert/strict';
import { test } from 'node:test';
import { avroColumns } from '../../src/sql/avroColumns.js';
import { SqlError } from '../../src/sql/SqlError.js';
import { formatSqlType } from '../../src/sql/SqlType.js';

const shown = (schema: unknown): string[] =>
  avroColumns(schema as Parameters<typeof avroColumns>[0], 's-value').map((c) => `${c.name} ${formatSqlType(c.type)}${c.notNull ? ' NOT NULL' : ''}`);

const record = (fields: unknown[], extra: Record<string, unknown> = {}) => ({ type: 'record', name: 'R', namespace: 'ns', fields, ...extra });

test('avroColumns: every Avro type and logical type to its SQL type; a union with null is nullable, in either order', () => {
  assert.deepEqual(
    shown(
      record([
        { name: 'i', type: 'int' },
        { name: 'l', type: { type: 'long' } },
        { name: 'f', type: 'float' },
        { name: 'd', type: 'double' },
        { name: 's', type: 'string' },
        { name: 'b', type: 'boolean' },
        { name: 'by', type: 'bytes' },
        { name: 'dec', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 3 } },
        { name: 'decfixed', type: { type: 'fixed', name: 'Money', size: 8, logicalType: 'decimal', precision: 18 } },
        { name: 'money2', type: 'Money' },
        { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'tsu', type: ['null', { type: 'long', logicalType: 'timestamp-micros' }] },
        { name: 'lts', type: { type: 'long', logicalType: 'local-timestamp-micros' } },
        { name: 'day', type: [{ type: 'int', logicalType: 'date' }, 'null'] },
        { name: 'tm', type: { type: 'int', logicalType: 'time-millis' } },
        { name: 'u', type: { type: 'string', logicalType: 'uuid' } },
        { name: 'odd', type: { type: 'string', logicalType: 'not-a-logical-type' } },
        { name: 'e', type: { type: 'enum', name: 'Color', symbols: ['RED'] } },
        { name: 'e2', type: 'ns.Color' },
        { name: 'fx', type: { type: 'fixed', name: 'Hash', size: 16 } },
        { name: 'rec', type: { type: 'record', name: 'Inner', fields: [{ name: 'a', type: 'int' }, { name: 'u', type: { type: 'string', logicalType: 'uuid' } }, { name: 'tags', type: { type: 'array', items: ['null', 'long'] } }] } },
        { name: 'again', type: ['null', 'Inner'] },
        { name: 'arr', type: { type: 'array', items: { type: 'array', items: 'string' } } },
      ]),
    ),
    [
      'i INTEGER NOT NULL',
      'l BIGINT NOT NULL',
      'f REAL NOT NULL',
      'd DOUBLE PRECISION NOT NULL',
      's VARCHAR NOT NULL',
      'b BOOLEAN NOT NULL',
      'by BYTEA NOT NULL',
      'dec NUMERIC(10,3) NOT NULL',
      'decfixed NUMERIC(18,0) NOT NULL',
      'money2 NUMERIC(18,0) NOT NULL',
      'ts TIMESTAMPTZ NOT NULL',
      'tsu TIMESTAMPTZ',
      'lts TIMESTAMP NOT NULL',
      'day DATE',
      'tm TIME NOT NULL',
      'u VARCHAR NOT NULL',
      'odd VARCHAR NOT NULL',
      'e VARCHAR NOT NULL',
      'e2 VARCHAR NOT NULL',
      'fx BYTEA NOT NULL',
      'rec STRUCT<a INTEGER, u VARCHAR, tags BIGINT[]> NOT NULL',
      'again STRUCT<a INTEGER, u VARCHAR, tags BIGINT[]>',
      'arr VARCHAR[][] NOT NULL',
    ],
  );
  // Field names keep their case (a column named "CamelCase" is quoted in SQL).
  assert.deepEqual(shown(record([{ name: 'CamelCase', type: 'int' }])), ['CamelCase INTEGER NOT NULL']);
});

test('avroColumns refuses what no column type holds, naming the field and saying to declare the columns', () => {
  const refused = (fields: unknown[], pattern: RegExp): void =>
    assert.throws(
      () => shown(record(fields)),
      (err: unknown) => err instanceof SqlError && pattern.test(err.message) && /declare the columns|does not define/.test(err.message),
      JSON.stringify(fields),
    );
  refused([{ name: 'm', type: { type: 'map', values: 'long' } }], /field "m" of subject "s-value" is an Avro map/);
  refused([{ name: 'u', type: ['null', 'int', 'string'] }], /field "u" .* a union of 2 non-null types/);
  refused([{ name: 'u', type: ['int', 'string'] }], /a union of 2 non-null types/);
  refused([{ name: 'n', type: 'null' }], /field "n" .* always null/);
  refused([{ name: 'n', type: ['null'] }], /always null/);
  refused([{ name: 'r', type: { type: 'record', name: 'In', fields: [{ name: 'p', type: { type: 'bytes', logicalType: 'decimal', precision: 5, scale: 2 } }] } }], /field "r" .* \(its field "p"\) has the logical type decimal inside a record/);
  refused([{ name: 'a', type: { type: 'array', items: { type: 'int', logicalType: 'date' } } }], /field "a" .* \(its elements\) has the logical type date/);
  refused([{ name: 'x', type: 'Nowhere' }], /field "x" .* names the type "Nowhere", which the schema does not define/);
  assert.throws(() => shown('long'), /subject "s-value" is not an Avro record/);
  assert.throws(() => shown(['null', record([])]), /is not an Avro record/);
});

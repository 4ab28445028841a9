import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toJsonText } from '../../src/cli/toJsonText.js';
import { valuesConverterOf } from '../../src/formats/ValuesConverter.js';
import type { Column } from '../../src/sql/Column.js';
import { createRowConverter } from '../../src/sql/createRowConverter.js';
import { Decimal } from '../../src/sql/Decimal.js';

// A row is built from column names that are data: a column named __proto__ must stay a key
// (never the row's prototype), in both the by-name and the by-position (CSV) conversion.

const protoColumns = (type: Column['type']): Column[] => [
  { name: '__proto__', type, notNull: false },
  { name: 'a', type: { name: 'integer' }, notNull: false },
];

test('a column named __proto__ is an own key of the row, by name and by position, VARCHAR and NUMERIC', () => {
  for (const [type, raw, text] of [
    [{ name: 'varchar' }, 'x', '"x"'],
    [{ name: 'numeric', precision: 10, scale: 2 }, '1.50', '1.50'],
  ] as const) {
    const convert = createRowConverter(protoColumns(type), { textInput: true });
    const input = JSON.parse(`{"__proto__":"${raw}","a":"1"}`) as Record<string, unknown>;
    const byValues = valuesConverterOf(convert)!;
    for (const row of [convert(input), byValues.convert([raw, '1'])]) {
      assert.equal(Object.getPrototypeOf(row), Object.prototype, type.name);
      assert.deepEqual(Object.keys(row), ['__proto__', 'a']);
      assert.equal(toJsonText(row), `{"__proto__":${text},"a":1}`);
    }
  }
  const numeric = createRowConverter(protoColumns({ name: 'numeric', precision: 10, scale: 2 }))(JSON.parse('{"__proto__":"2.5","a":1}'));
  assert.ok(Object.getOwnPropertyDescriptor(numeric, '__proto__')?.value instanceof Decimal);
});

test('no columns: every record is {} (not a bad record)', () => {
  const convert = createRowConverter([]);
  assert.deepEqual(convert({ x: 1 }), {});
  assert.deepEqual(valuesConverterOf(convert)!.convert(['1', '2']), {});
});

test('150 000 columns by position: the loop, not generated code; errors still name the column', () => {
  const columns: Column[] = Array.from({ length: 150_000 }, (_, i) => ({ name: `c${i}`, type: { name: 'integer' }, notNull: i === 149_999 }));
  const byValues = valuesConverterOf(createRowConverter(columns, { textInput: true }))!;
  const values = columns.map((_, i) => String(i));
  const row = byValues.convert(values);
  assert.equal(Object.keys(row).length, 150_000);
  assert.equal(row['c149999'], 149_999);
  assert.throws(() => byValues.convert(values.slice(0, -1)), /column "c149999" \(INTEGER\) is NOT NULL/);
});

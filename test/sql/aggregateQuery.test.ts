import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Column } from '../../src/sql/Column.js';
import { compileQuery } from '../../src/sql/compileQuery.js';
import { parseSql } from '../../src/sql/parseSql.js';
import { SqlError, SqlSyntaxError } from '../../src/sql/SqlError.js';
import type { SelectStatement } from '../../src/sql/Statement.js';

const COLUMNS: Column[] = [
  { name: 'cust', type: { name: 'varchar' }, notNull: false },
  { name: 'amount', type: { name: 'integer' }, notNull: false },
  { name: 'price', type: { name: 'numeric', precision: 10, scale: 2 }, notNull: false },
  { name: 'ratio', type: { name: 'double precision' }, notNull: false },
];

const compile = (sql: string) => compileQuery(parseSql(sql)[0] as SelectStatement, COLUMNS);

function compileError(sql: string): string {
  try {
    compile(sql);
  } catch (err) {
    assert.ok(err instanceof SqlError, String(err));
    return err.message;
  }
  assert.fail(`expected ${sql} not to compile`);
}

test('GROUP BY, ORDER BY and LIMIT parse in SQL order, with ASC/DESC and NULLS FIRST/LAST', () => {
  const s = parseSql('select cust, count(*) from t where amount > 0 group by cust, amount order by 2 desc, cust nulls first, amount asc limit 5')[0] as SelectStatement;
  assert.equal(s.groupBy.length, 2);
  assert.deepEqual(s.orderBy.map((o) => [o.descending, o.nullsFirst]), [[true, true], [false, true], [false, false]]);
  assert.equal(s.limit, 5);
  const call = s.items[1];
  assert.ok(call?.kind === 'expression' && call.expression.kind === 'call' && call.expression.star === true);
  for (const [sql, message] of [
    ['select count(distinct cust) from t', /DISTINCT in an aggregate not supported/],
    ['select cust from t group by cust having count(*) > 1', /HAVING not supported/],
    ['select cust from t order by cust nulls middle', /expected FIRST or LAST after NULLS/],
    ['select cust from t limit 2 offset 1', /OFFSET not supported/],
    ['select cust from t order by', /expected an expression/],
  ] as const) {
    assert.throws(() => parseSql(sql), (err: unknown) => err instanceof SqlSyntaxError && message.test(err.message), sql);
  }
});

test('aggregate result types follow PostgreSQL', () => {
  const q = compile('select count(*), count(cust), sum(amount), sum(price), sum(ratio), avg(amount), avg(ratio), min(cust), max(price) from t');
  assert.deepEqual(q.columns.map((c) => `${c.name}:${c.type}`), [
    'count:bigint',
    'count_2:bigint',
    'sum:bigint',
    'sum_2:numeric',
    'sum_3:double precision',
    'avg:numeric',
    'avg_2:double precision',
    'min:varchar',
    'max:numeric',
  ]);
  assert.ok(q.aggregate !== undefined);
  assert.equal(q.aggregate.aggregates.length, 9);
  // One aggregate used twice is kept once.
  assert.equal(compile('select sum(amount), sum(amount) * 2 as twice from t').aggregate?.aggregates.length, 1);
});

test('aggregate queries are checked as PostgreSQL checks them', () => {
  assert.match(compileError('select cust, count(*) from t'), /column "cust" must appear in the GROUP BY clause or be used in an aggregate function/);
  assert.match(compileError('select amount, count(*) from t group by cust'), /column "amount" must appear in the GROUP BY clause/);
  assert.match(compileError('select sum(cust) from t'), /function sum\(VARCHAR\) does not exist: sum needs a number/);
  assert.match(compileError('select avg(cust) from t'), /function avg\(VARCHAR\) does not exist/);
  assert.match(compileError('select min(*) from t'), /min\(\*\) does not exist; only count\(\*\) counts rows/);
  assert.match(compileError('select sum(count(*)) from t'), /aggregate function calls cannot be nested/);
  assert.match(compileError('select count(*) from t where count(*) > 1'), /aggregate functions are not allowed in WHERE/);
  assert.match(compileError('select * from t group by cust'), /\* cannot be used with GROUP BY or aggregates/);
  assert.match(compileError('select sum(amount, amount) from t'), /sum\(\) takes 1 argument, got 2/);
  assert.match(compileError('select cust from t order by amount'), /ORDER BY must name an output column/);
  assert.match(compileError('select cust from t order by 2'), /ORDER BY position 2 is not in select list \(1 to 1\)/);
  // An expression of grouped columns is fine; so is ORDER BY an alias, a number or a repeated item.
  const q = compile('select upper(cust) as c, sum(amount) as s from t group by cust order by s desc, 1, upper(cust)');
  assert.deepEqual(q.orderBy.map((o) => o.column), ['s', 'c', 'c']);
  const row = q.aggregate!.output(['ab'], [5n]);
  assert.deepEqual(row, { c: 'AB', s: 5n });
});

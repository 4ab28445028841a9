import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Row } from '../../src/formats/Format.js';
import type { Column } from '../../src/sql/Column.js';
import { compileQuery } from '../../src/sql/compileQuery.js';
import { Decimal } from '../../src/sql/Decimal.js';
import { parseSql } from '../../src/sql/parseSql.js';
import { SqlError } from '../../src/sql/SqlError.js';
import type { SelectStatement } from '../../src/sql/Statement.js';

const columns: Column[] = [
  { name: 'id', type: { name: 'integer' }, notNull: true },
  { name: 'big', type: { name: 'bigint' }, notNull: false },
  { name: 'price', type: { name: 'numeric', precision: 10, scale: 2 }, notNull: false },
  { name: 'ratio', type: { name: 'double precision' }, notNull: false },
  { name: 'name', type: { name: 'varchar', length: 20 }, notNull: false },
  { name: 'day', type: { name: 'date' }, notNull: false },
  { name: 'ok', type: { name: 'boolean' }, notNull: false },
];

const rows: Row[] = [
  { id: 1, big: 9007199254740993n, price: Decimal.parse('10.50'), ratio: 0.5, name: 'Alpha', day: '2024-01-31', ok: true },
  { id: 2, big: null, price: Decimal.parse('3.00'), ratio: 2, name: 'beta', day: '2023-12-01', ok: false },
  { id: 7, big: -5n, price: null, ratio: null, name: null, day: null, ok: null },
];

/** Runs a SELECT over the rows above, as a query's filter/project would. */
function run(sql: string, input: readonly Row[] = rows): Row[] {
  const q = compileQuery(parseSql(sql)[0] as SelectStatement, columns);
  const out = input.filter((r) => q.filter?.(r) ?? true).map(q.project);
  return q.limit === undefined ? out : out.slice(0, q.limit);
}

function sqlError(sql: string): SqlError {
  try {
    run(sql);
  } catch (err) {
    assert.ok(err instanceof SqlError, `expected a SqlError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a SqlError');
}

test('projection: *, aliases, PostgreSQL output names, duplicates made unique', () => {
  assert.deepEqual(Object.keys(run('select * from t')[0]!), columns.map((c) => c.name));
  assert.deepEqual(run('select id as key, upper(name), id + 1, id, id from t where id = 1'), [
    { key: 1, upper: 'ALPHA', '?column?': 2, id: 1, id_2: 1 },
  ]);
});

test('WHERE keeps rows where the predicate is TRUE; NULL is not TRUE', () => {
  assert.deepEqual(run('select id from t where ok').map((r) => r.id), [1]);
  assert.deepEqual(run('select id from t where not ok').map((r) => r.id), [2]);
  assert.deepEqual(run('select id from t where ok is null').map((r) => r.id), [7]);
  assert.deepEqual(run('select id from t where name is not null and (ratio > 1 or id = 1)').map((r) => r.id), [1, 2]);
  // NULL OR TRUE is TRUE, NULL AND FALSE is FALSE.
  assert.deepEqual(run('select id from t where ok or id = 7').map((r) => r.id), [1, 7]);
  assert.deepEqual(run('select id from t where not (ok and id = 99)').map((r) => r.id), [1, 2, 7], 'NULL AND FALSE is FALSE');
  assert.deepEqual(run('select id from t where not (ok and id = 7)').map((r) => r.id), [1, 2], 'NULL AND TRUE is NULL');
  assert.deepEqual(run('select id from t where id in (2, 7, null)').map((r) => r.id), [2, 7]);
  assert.deepEqual(run('select id from t where id not in (2, null)').map((r) => r.id), []);
  assert.deepEqual(run('select id from t where id between 2 and 7').map((r) => r.id), [2, 7]);
});

test('arithmetic follows PostgreSQL types: integer division, exact NUMERIC and BIGINT, doubles', () => {
  const [first] = run('select id / 2 as half, 7 / 2 as seven, price * 2 as p2, price / 3 as p3, big + 1 as b1, ratio * 3 as r3, id % 2 as m, -price as neg from t where id = 1');
  assert.equal(first!.half, 0);
  assert.equal(first!.seven, 3);
  assert.equal(String(first!.p2), '21.00');
  assert.equal(String(first!.p3), '3.5000000000000000');
  assert.equal(first!.b1, 9007199254740994n);
  assert.equal(first!.r3, 1.5);
  assert.equal(first!.m, 1);
  assert.equal(String(first!.neg), '-10.50');
  assert.equal(String(run('select price * 0.9 as d from t where id = 1')[0]!.d), '9.450');
  assert.equal(run('select big * 2 as b from t where id = 7')[0]!.b, -10n);
  assert.equal(run('select big + 1 as b from t where id = 2')[0]!.b, null, 'NULL propagates');
  assert.throws(() => run('select id / 0 from t'), /division by zero/);
});

test('comparisons coerce text literals to the column type, and mix number representations exactly', () => {
  assert.deepEqual(run(`select id from t where day >= '2024-01-01'`).map((r) => r.id), [1]);
  assert.deepEqual(run(`select id from t where price > 5`).map((r) => r.id), [1]);
  assert.deepEqual(run(`select id from t where big > 9007199254740992`).map((r) => r.id), [1]);
  assert.deepEqual(run(`select id from t where price = 3`).map((r) => r.id), [2]);
  assert.deepEqual(run(`select id from t where name < 'b'`).map((r) => r.id), [1], 'code unit order: "A" < "b"');
  assert.match(sqlError(`select id from t where day > 'not a date'`).message, /invalid DATE literal 'not a date'/);
  assert.match(sqlError(`select id from t where name = 1`).message, /cannot compare VARCHAR with INTEGER/);
});

test('LIKE, ILIKE, NOT LIKE with % and _ and escapes', () => {
  assert.deepEqual(run(`select id from t where name like 'A%'`).map((r) => r.id), [1]);
  assert.deepEqual(run(`select id from t where name ilike 'a%'`).map((r) => r.id), [1]);
  assert.deepEqual(run(`select id from t where name like '_eta'`).map((r) => r.id), [2]);
  assert.deepEqual(run(`select id from t where name not like '%a'`).map((r) => r.id), []);
  assert.deepEqual(run(`select id from t where name like '100\\%'`, [{ id: 1, name: '100%' }, { id: 2, name: '1000' }]).map((r) => r.id), [1]);
});

test('CAST and ::, concatenation, functions, CASE', () => {
  const [r] = run(
    `select cast(id as text) || '-' || name as label, price::integer as rounded, cast('12' as bigint) as b, cast(ratio as numeric(4,1)) as n,
       '2024-02-01'::date as d, coalesce(big, 0) as c, length(name) as len, round(price, 1) as r1, case when id > 1 then 'many' else 'one' end as k
     from t where id = 1`,
  );
  assert.deepEqual({ ...r, n: String(r!.n), r1: String(r!.r1) }, {
    label: '1-Alpha',
    rounded: 11,
    b: 12n,
    n: '0.5',
    d: '2024-02-01',
    c: 9007199254740993n,
    len: 5,
    r1: '10.5',
    k: 'one',
  });
  assert.equal(run(`select name || 'x' as s from t where id = 7`)[0]!.s, null);
  assert.equal(run(`select concat(name, 'x') as s from t where id = 7`)[0]!.s, 'x');
  assert.throws(() => run(`select cast(name as integer) from t where id = 1`), /cannot cast "Alpha" to INTEGER/);
});

test('LIMIT keeps the first n rows', () => {
  assert.deepEqual(run('select id from t limit 2').map((r) => r.id), [1, 2]);
  assert.deepEqual(run('select id from t limit 0'), []);
});

test('unknown columns, functions and sources are SQL errors with positions and hints', () => {
  assert.equal(sqlError('select nmae from t').message, '1:8: column "nmae" does not exist in source "t" (did you mean "name"?); its columns: id, big, price, ratio, name, day, ok');
  assert.match(sqlError('select lowr(name) from t').message, /^1:8: function lowr\(\) does not exist \(did you mean lower\(\)\?\)/);
  assert.match(sqlError('select x.id from t').message, /missing FROM-clause entry for "x"/);
  assert.equal(run('select q.id from t as q where q.id = 2')[0]!.id, 2);
  assert.match(sqlError('select id from t where id + 1').message, /WHERE needs a BOOLEAN condition, got INTEGER/);
  assert.match(sqlError(`select name + 1 from t`).message, /operator does not exist: VARCHAR \+ INTEGER/);
});

test('a schemaless source passes rows through SELECT * and types values at run time', () => {
  const q = compileQuery(parseSql('select * from raw')[0] as SelectStatement, undefined);
  const row = { anything: [1, 2], goes: 'yes' };
  assert.equal(q.project(row), row);
  const typed = compileQuery(parseSql('select a * 2 as d, b from raw where a > 1')[0] as SelectStatement, undefined);
  assert.equal(typed.filter?.({ a: 1 }), false);
  assert.deepEqual(typed.project({ a: 1.5, b: 'x' }), { d: 3, b: 'x' });
  assert.deepEqual(typed.project({ a: 2 }), { d: 4, b: null });
});

test('5,000- and 20,000-term chains compile and evaluate in a loop, with SQL semantics at every link', () => {
  for (const n of [5_000, 20_000]) {
    const ors = Array.from({ length: n }, (_, i) => `id = ${i + 2}`).join(' or ');
    assert.deepEqual(run(`select id from t where ${ors}`).map((r) => r.id), [2, 7]);
    // NULL OR ... OR TRUE is TRUE; NULL AND ... AND TRUE is NULL (the row is dropped).
    assert.deepEqual(run(`select id from t where ok or ${Array.from({ length: n }, () => 'id = 1').join(' or ')}`).map((r) => r.id), [1]);
    assert.deepEqual(run(`select id from t where ok is null or (${Array.from({ length: n }, () => 'ok').join(' and ')})`).map((r) => r.id), [1, 7]);
    const sum = run(`select ${Array.from({ length: n }, () => 'id').join(' + ')} - id as s, ${Array.from({ length: n }, () => "'x'").join(' || ')} as x from t`);
    assert.deepEqual(sum.map((r) => r.s), [n - 1, 2 * (n - 1), 7 * (n - 1)]);
    assert.equal((sum[0]!.x as string).length, n);
  }
  // Types still combine link by link: INTEGER + ... + NUMERIC is NUMERIC, exactly.
  assert.deepEqual(run(`select id + 1 + price + 0.25 as v from t where id = 1`), [{ v: Decimal.parse('12.75') }]);
  assert.match(sqlError(`select id + 1 + name from t`).message, /operator does not exist: INTEGER \+ VARCHAR/);
});

test('expressions nested to the limit through every grammar level compile and evaluate', () => {
  // Each round nests three levels: parentheses, unary minus, parentheses.
  let sql = 'id';
  const rounds = 84;
  for (let i = 0; i < rounds; i++) sql = `(id + 1 * -(${sql}) + 0)`;
  const [row] = run(`select ${sql} as v from t where ${sql} is not null and id = 1`);
  // f(0) = 1, f(k) = 1 - f(k-1): 1 after an even number of rounds.
  assert.deepEqual(row, { v: 1 });
});

test('a numeric literal beyond NUMERIC is a SQL error at the literal (found by the fuzzer)', () => {
  const err = sqlError(`select id + 1e999999999 from t`);
  assert.match(err.message, /^1:13: invalid numeric literal: decimal exponent out of range/);
});

test('reads: the source column each output only reads, for * and plain references; none for expressions or aggregates', () => {
  const columns: Column[] = [
    { name: 'a', type: { name: 'integer' }, notNull: false },
    { name: 'b', type: { name: 'text' }, notNull: false },
  ];
  const compile = (sql: string) => compileQuery(parseSql(sql)[0] as SelectStatement, columns);
  assert.deepEqual(compile('select * from t').reads, ['a', 'b']);
  assert.deepEqual(compile('select b as x, t.a, a + 1, b from t').reads, ['b', 'a', undefined, 'b']);
  assert.equal(compile('select count(*) from t').reads, undefined);
  assert.equal(compileQuery(parseSql('select * from t')[0] as SelectStatement, undefined).reads, undefined);
});

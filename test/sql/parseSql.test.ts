import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_EXPRESSION_DEPTH, parseSql } from '../../src/sql/parseSql.js';
import { SqlSyntaxError } from '../../src/sql/SqlError.js';
import type { CreateSourceStatement, SelectStatement } from '../../src/sql/Statement.js';
import { SEED_STATEMENT } from './seedStatement.js';

const SEED = SEED_STATEMENT;

function only<T>(statements: readonly unknown[]): T {
  assert.equal(statements.length, 1);
  return statements[0] as T;
}

function syntaxError(text: string): SqlSyntaxError {
  try {
    parseSql(text);
  } catch (err) {
    assert.ok(err instanceof SqlSyntaxError, `expected a SqlSyntaxError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${JSON.stringify(text)} not to parse`);
}

test('parses the seed statement exactly, trailing comma included', () => {
  const s = only<CreateSourceStatement>(parseSql(SEED));
  assert.equal(s.kind, 'create source');
  assert.equal(s.name, 'part');
  assert.deepEqual(s.columns, [
    { name: 'p_partkey', type: { name: 'integer' }, notNull: true },
    { name: 'p_name', type: { name: 'varchar', length: 55 }, notNull: true },
    { name: 'p_mfgr', type: { name: 'char', length: 25 }, notNull: true },
  ]);
  assert.deepEqual(
    s.properties.map((p) => [p.key, p.value]),
    [
      ['upstream.source', 'kafka'],
      ['kafka.topic', 'topic_name'],
      ['kafka.bootstrap.servers', 'localhost:29092'],
    ],
  );
  assert.deepEqual(s.properties[1]!.position, { line: 7, column: 5, index: SEED.indexOf("'kafka.topic'") });
  assert.equal(s.format?.encode, 'json');
  assert.equal(s.format?.format, undefined);
});

test("parses RisingWave's FORMAT PLAIN ENCODE forms with dotted unquoted keys", () => {
  const [json, csv, avro] = parseSql(`
    CREATE SOURCE IF NOT EXISTS a (id BIGINT) WITH (connector = 'kafka', topic = 't', properties.bootstrap.server = 'h:9092') FORMAT PLAIN ENCODE JSON;
    create source b (id int) with (connector = 'fs', fs.path = '/d') format plain encode csv (delimiter = ',', without_header = 'true');
    Create Source c WITH (connector='fs', fs.path='/d') FORMAT PLAIN ENCODE AVRO (schema.location = 'file:///s.avsc');
  `) as CreateSourceStatement[];
  assert.equal(json!.ifNotExists, true);
  assert.deepEqual(json!.properties.map((p) => p.key), ['connector', 'topic', 'properties.bootstrap.server']);
  assert.deepEqual(json!.format && [json!.format.format, json!.format.encode], ['plain', 'json']);
  assert.deepEqual(csv!.format!.options.map((o) => [o.key, o.value]), [
    ['delimiter', ','],
    ['without_header', 'true'],
  ]);
  assert.equal(avro!.columns.length, 0);
  assert.deepEqual(avro!.format!.options.map((o) => [o.key, o.value]), [['schema.location', 'file:///s.avsc']]);
});

test('keywords are case-insensitive, unquoted names fold to lower case, quoted names keep case', () => {
  const s = only<CreateSourceStatement>(parseSql(`CREATE SOURCE "Part" (P_PartKey Int NOT NULL, "P_Name" Varchar(5)) WITH ("connector" = 'fs') ROW FORMAT JSON`));
  assert.equal(s.name, 'Part');
  assert.deepEqual(s.columns.map((c) => c.name), ['p_partkey', 'P_Name']);
  assert.equal(s.format?.encode, 'json');
});

test('quotes double to escape themselves in strings and quoted identifiers', () => {
  const s = only<CreateSourceStatement>(parseSql(`create source "we""ird" ("it's" text) with ('k' = 'it''s') row format 'json'`));
  assert.equal(s.name, 'we"ird');
  assert.equal(s.columns[0]!.name, "it's");
  assert.equal(s.properties[0]!.value, "it's");
  assert.match(syntaxError('select "" from t').message, /^1:8: zero-length quoted identifier/);
  assert.match(syntaxError('select "open from t').message, /^1:8: unterminated quoted identifier/);
});

test('every column type of the brief parses, with modifiers', () => {
  const s = only<CreateSourceStatement>(
    parseSql(`create source t (a smallint, b integer, c int, d bigint, e real, f double precision, g numeric(15,2), h decimal(5),
      i decimal, j boolean, k varchar(3), l char(2), m text, n date, o time, p timestamp, q timestamptz, r bytea, s jsonb,
      t timestamp with time zone, u character varying(9)) with (connector = 'fs') row format 'json'`),
  );
  assert.deepEqual(
    s.columns.map((c) => c.type),
    [
      { name: 'smallint' },
      { name: 'integer' },
      { name: 'integer' },
      { name: 'bigint' },
      { name: 'real' },
      { name: 'double precision' },
      { name: 'numeric', precision: 15, scale: 2 },
      { name: 'numeric', precision: 5, scale: 0 },
      { name: 'numeric' },
      { name: 'boolean' },
      { name: 'varchar', length: 3 },
      { name: 'char', length: 2 },
      { name: 'text' },
      { name: 'date' },
      { name: 'time' },
      { name: 'timestamp' },
      { name: 'timestamptz' },
      { name: 'bytea' },
      { name: 'jsonb' },
      { name: 'timestamptz' },
      { name: 'varchar', length: 9 },
    ],
  );
});

test('comments are skipped and several statements share a file', () => {
  const statements = parseSql(`-- the part table
    /* a block /* nested */ comment */
    create source p (a int) with (connector = 'fs') row format 'csv' -- no semicolon
    select a, a + 1 as b from p where a > 1 limit 5;;
    select * from p`);
  assert.deepEqual(statements.map((s) => s.kind), ['create source', 'select', 'select']);
  const select = statements[1] as SelectStatement;
  assert.equal(select.limit, 5);
  assert.equal(select.items.length, 2);
});

test('SELECT expressions keep PostgreSQL precedence', () => {
  const s = only<SelectStatement>(parseSql(`select a from p where not a = 1 or b like 'x%' and c is not null`));
  // OR at the top, NOT binds looser than =, AND tighter than OR.
  const where = s.where!;
  assert.equal(where.kind, 'binary');
  if (where.kind !== 'binary') return;
  assert.equal(where.operator, 'or');
  assert.equal(where.left.kind, 'unary');
  assert.equal(where.right.kind === 'binary' && where.right.operator, 'and');
  const arithmetic = only<SelectStatement>(parseSql(`select 1 + 2 * 3 || 'x' from p`)).items[0]!;
  assert.ok(arithmetic.kind === 'expression' && arithmetic.expression.kind === 'binary');
  if (arithmetic.kind !== 'expression' || arithmetic.expression.kind !== 'binary') return;
  assert.equal(arithmetic.expression.operator, '||');
});

test('a syntax error names line, column and what was expected', () => {
  const missingParen = syntaxError(`create source part (\n  p_partkey INTEGER NOT NULL\n  p_name VARCHAR(55)\n)`);
  assert.equal(missingParen.line, 3);
  assert.equal(missingParen.column, 3);
  assert.match(missingParen.message, /^3:3: expected "," or "\)", found "p_name"$/);

  const badType = syntaxError(`create source part (\n    p_partkey INTEGR\n)`);
  assert.equal(badType.line, 2);
  assert.equal(badType.column, 15);
  assert.match(badType.message, /unknown column type "INTEGR"; expected one of SMALLINT, INTEGER/);

  const eof = syntaxError(`select a from`);
  assert.equal(eof.message, '1:14: expected a source name, found end of input');

  const propertyValue = syntaxError(`create source p (a int) with ('k' = ) row format 'json'`);
  assert.match(propertyValue.message, /^1:37: expected a property value/);

  assert.match(syntaxError(`create source p (a int) with ('k' = 'v') row format 'json' garbage`).message, /^1:60: expected ";" or the end of the statement, found "garbage"/);
  assert.match(syntaxError(`select 'unterminated from p`).message, /^1:8: unterminated string literal/);
  assert.match(syntaxError(`/* never closed`).message, /^1:1: unterminated \/\* comment/);
  assert.match(syntaxError(`create view t (a int)`).message, /^1:8: expected SOURCE or TABLE/);
  assert.match(syntaxError(`create source p (a int, a text)`).message, /^1:25: column "a" is declared twice/);
  assert.match(syntaxError(`select a from p group by a having count(*) > 1`).message, /HAVING not supported/);
  assert.match(syntaxError(`select a from p, q`).message, /joins/);
  assert.match(syntaxError(`create source p (a numeric(3, 5))`).message, /scale 5 must not exceed precision 3/);
});

test('nesting beyond MAX_EXPRESSION_DEPTH is a syntax error at the token where it is crossed, for every way of nesting', () => {
  assert.equal(MAX_EXPRESSION_DEPTH, 256);
  // The select item is level 1: 255 parentheses fit, the 256th crosses the limit.
  parseSql(`select ${'('.repeat(255)}a${')'.repeat(255)} from t`);
  const parens = syntaxError(`select ${'('.repeat(2000)}a${')'.repeat(2000)} from t`);
  assert.equal(parens.message, `1:${8 + 256}: expression nested too deeply (more than 256 levels)`);
  for (const deep of [
    'not '.repeat(300) + 'a',
    '- '.repeat(300) + 'a',
    'a' + '::int'.repeat(300),
    'a' + ' is null'.repeat(300),
    'cast('.repeat(300) + 'a' + ' as int)'.repeat(300),
    'abs('.repeat(300) + 'a' + ')'.repeat(300),
    'case when true then '.repeat(300) + 'a' + ' end'.repeat(300),
    'a in ('.repeat(300) + 'a' + ')'.repeat(300),
  ]) {
    const err = syntaxError(`select\n ${deep} from t`);
    assert.match(err.message, /^2:\d+: expression nested too deeply \(more than 256 levels\)$/, deep.slice(0, 20));
  }
});

test('long flat chains parse without recursion: 50,000 ORs, ANDs, + and ||', () => {
  for (const op of ['or', 'and', '+', '||']) {
    const [select] = parseSql(`select a from t where ${Array.from({ length: 50_000 }, () => 'a').join(` ${op} `)}`) as SelectStatement[];
    assert.equal(select!.where!.kind, 'binary');
  }
});

test('a byte order mark at the start is ignored; columns count from after it', () => {
  assert.equal(parseSql('\uFEFFselect a from t').length, 1);
  assert.equal(syntaxError('\uFEFFselect a frm t').message, '1:14: expected FROM, found "t"');
  // Anywhere else it is not whitespace.
  syntaxError('select \uFEFF');
});

test('words that name Object.prototype members are not types', () => {
  assert.match(syntaxError('create source t (a constructor)').message, /unknown column type "constructor"/);
  assert.match(syntaxError('create source t (a __proto__)').message, /unknown column type "__proto__"/);
});

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { prng } from '../../bench/prng.js';
import { compileQuery } from '../../src/sql/compileQuery.js';
import { parseSql } from '../../src/sql/parseSql.js';
import { Session } from '../../src/sql/Session.js';
import { SqlError } from '../../src/sql/SqlError.js';
import type { SelectStatement } from '../../src/sql/Statement.js';
import { tokenize, tokenizePrefix } from '../../src/sql/tokenize.js';

// A seeded fuzzer over the SQL front end: tokenize, parseSql and Session.execute (statements are
// checked and sources built, nothing is read). Inputs are mutations of real statements: the
// examples, the SQL of test/sql, the README, RisingWave-form statements. Properties:
//   - every input parses cleanly or fails with a SqlError whose message starts with line:column;
//     never a TypeError, RangeError or stack overflow;
//   - every input finishes within PER_INPUT_MS (a watchdog thread kills the run on a hang and
//     prints the input's number);
//   - a secret written after a secret property name never appears in an error message.
// A small fixed slice runs in the default suite; FUZZ_ITERATIONS=n runs n inputs (npm run
// test:fuzz), FUZZ_SEED picks another sequence, FUZZ_ONLY=i replays input i alone.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 11);
const ONLY = process.env.FUZZ_ONLY === undefined ? undefined : Number(process.env.FUZZ_ONLY);
/** Longest time one input may take before it counts as a finding (the slowest seen is far below). */
const PER_INPUT_MS = 3_000;
/** Longest time before the watchdog declares a hang and kills the process. */
const HANG_MS = 20_000;

const SECRET = 'Zq7SecretMarker42';
/** Where the secret is written after a secret name: the property the redaction must hold for. */
const SECRET_PLACED = new RegExp(`(password|secret|token|credential)['"]?\\s*(=\\s*)?'?${SECRET}`, 'i');

/** RisingWave-form statements, and ones with secrets in them. */
const RISINGWAVE = [
  `CREATE SOURCE IF NOT EXISTS orders (id INT, amount DECIMAL(10,2), at TIMESTAMPTZ) WITH (connector = 'kafka', topic = 'orders', properties.bootstrap.server = '127.0.0.1:9092', scan.startup.mode = 'earliest') FORMAT PLAIN ENCODE JSON;`,
  `CREATE SOURCE s3_src (a VARCHAR, b BIGINT) WITH (connector = 's3', s3.region_name = 'us-east-1', s3.bucket_name = 'b', match_pattern = '*.csv', s3.credentials.access = 'AKIAEXAMPLE', s3.credentials.secret = '${SECRET}') FORMAT PLAIN ENCODE CSV (without_header = 'true', delimiter = ',');`,
  `CREATE SOURCE k (v JSONB) WITH (connector = 'kafka', topic = 't', properties.bootstrap.server = 'h:9092', properties.security.protocol = 'SASL_SSL', properties.sasl.mechanism = 'PLAIN', properties.sasl.username = 'u', properties.sasl.password = '${SECRET}') FORMAT PLAIN ENCODE JSON;`,
  `CREATE SOURCE kin (x INT) WITH (connector = 'kinesis', stream = 's', aws.region = 'us-east-1', aws.credentials.access_key_id = 'AKIA', aws.credentials.secret_access_key = '${SECRET}', aws.credentials.session_token = '${SECRET}') FORMAT PLAIN ENCODE JSON;`,
  `CREATE SOURCE av WITH (connector = 'posix_fs', posix_fs.root = '/tmp', match_pattern = '*.avro') FORMAT PLAIN ENCODE AVRO (schema.location = 'file:///tmp/s.avsc');`,
  `CREATE SOURCE t (a INT, b TEXT, c NUMERIC(5,2), d DATE, e BOOLEAN) WITH (connector = 'fs', fs.path = '/tmp', checkpoint.interval.ms = '500', bad.records = 'skip') FORMAT PLAIN ENCODE CSV; SELECT a, b || 'x' AS bx, c * 2, CAST(d AS TEXT), CASE WHEN e THEN 1 ELSE 0 END FROM t WHERE a BETWEEN 1 AND 10 AND b NOT LIKE '%z' OR c IN (1.5, 2) AND d > '2024-01-01' AND e IS NOT TRUE LIMIT 5;`,
  `create source t (a int) with (connector = 'fs', fs.path = '/tmp') format plain encode csv; select coalesce(a, 0) + abs(-a) % 3, upper(lower('X')), substr('abc', 2, 1), a::bigint::text, not not (a = 1) from t where a is not null and -a < 0;`,
];

function corpus(): string[] {
  const texts: string[] = [...RISINGWAVE];
  for (const name of readdirSync(join(root, 'examples'))) {
    if (name.endsWith('.sql')) texts.push(readFileSync(join(root, 'examples', name), 'utf8'));
  }
  for (const match of readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```sql\n([\s\S]*?)```/g)) texts.push(match[1]!);
  // The SQL of the SQL tests: template literals that read like statements (interpolations made plain).
  const dir = join(root, 'test', 'sql');
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts')).sort()) {
    for (const match of readFileSync(join(dir, name), 'utf8').matchAll(/`([^`]{10,2000})`/g)) {
      const text = match[1]!.replace(/\$\{[^}]*\}/g, 'x');
      if (/\b(create|select)\b/i.test(text)) texts.push(text);
    }
  }
  return texts;
}

const KEYWORDS = [
  'select', 'from', 'where', 'limit', 'create', 'source', 'with', 'row', 'format', 'encode', 'plain', 'json', 'csv', 'avro', 'and', 'or', 'not',
  'is', 'null', 'true', 'false', 'in', 'like', 'ilike', 'between', 'case', 'when', 'then', 'else', 'end', 'cast', 'as', 'if', 'exists', 'primary',
  'key', 'int', 'numeric(1000,999)', 'varchar(0)', 'timestamp with time zone', 'double precision', 'constructor', '__proto__', 'toString',
  'properties.sasl.password', 'password', 'token', 's3.credentials.secret',
];
const OPERATORS = ['(', ')', ',', ';', '.', '*', '+', '-', '/', '%', '=', '<', '>', '<=', '>=', '<>', '!=', '||', '::'];
const JUNK = ["'", '"', '/*', '*/', '--', '\n', '\r', '\0', '\uFEFF', '\uD800', '\u2028', '$', '`', '\\', '@', '#', '?', '[', ']', '{', '}', 'e', '1e', '.'];

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;

/** The text as pieces: each token with the whitespace and comments before it. */
function pieces(text: string): string[] {
  const tokens = tokenizePrefix(text);
  const out: string[] = [];
  let at = 0;
  for (const token of tokens) {
    if (token.kind === 'eof') break;
    const end = token.position.index + token.text.length;
    out.push(text.slice(at, end));
    at = end;
  }
  out.push(text.slice(at));
  return out;
}

/** One random mutation of `text`. */
function mutate(rng: Rng, text: string): string {
  const parts = pieces(text);
  const at = Math.floor(rng() * parts.length);
  const other = Math.floor(rng() * parts.length);
  const insert = (what: string): string => [...parts.slice(0, at), ` ${what} `, ...parts.slice(at)].join('');
  const depth = pick(rng, [10, 200, 255, 256, 257, 1000, 5000]);
  switch (Math.floor(rng() * 17)) {
    case 0:
      return parts.filter((_, i) => i !== at).join('');
    case 1:
      return [...parts.slice(0, at), parts[at]!, ...parts.slice(at)].join('');
    case 2: {
      const swapped = [...parts];
      [swapped[at], swapped[other]] = [swapped[other]!, swapped[at]!];
      return swapped.join('');
    }
    case 3:
      return insert(pick(rng, KEYWORDS));
    case 4:
      return insert(pick(rng, OPERATORS));
    case 5:
      return insert(pick(rng, JUNK));
    case 6: // deep nesting of one kind
      return insert(pick(rng, ['(', 'not ', '-', 'abs(', 'cast(', 'case when true then ']).repeat(depth) + 'a' + pick(rng, [')', '', ' as int)', ' end']).repeat(rng() < 0.7 ? depth : 1));
    case 7: // long flat chains
      return insert(Array.from({ length: depth }, () => pick(rng, ['a', '1', "'x'", 'null', 'true'])).join(` ${pick(rng, ['or', 'and', '+', '||', '*', '='])} `));
    case 8: // postfix chains
      return insert(`a${pick(rng, ['::int', ' is null', ' is not true'])}`.repeat(1) + pick(rng, ['::int', ' is null', ' is not true']).repeat(depth));
    case 9: // huge literals
      return insert(
        pick(rng, [
          '9'.repeat(100_000),
          `'${'x'.repeat(200_000)}'`,
          '1e999999999',
          '.5e-999999999',
          `1${'0'.repeat(5000)}.${'0'.repeat(5000)}1`,
          `"${'q'.repeat(100_000)}"`,
          '123456789012345678901234567890',
        ]),
      );
    case 10: // random characters anywhere in the text, not only between tokens
      return spliceChars(rng, text);
    case 11: // truncation, often inside a quote or comment
      return text.slice(0, Math.floor(rng() * text.length));
    case 12: // unterminated quote or comment
      return insert(pick(rng, ["'unterminated", '"unterminated', '/* unterminated', '/* /* nested */']));
    case 13: // a secret in a WITH list, or right after a secret name in an odd place
      return rng() < 0.5
        ? text.replace(/with\s*\(/i, `with (properties.sasl.password = '${SECRET}', `)
        : insert(pick(rng, [`password '${SECRET}'`, `password = ${SECRET}`, `token = '${SECRET}`, `'s3.credentials.secret' = '${SECRET}' '${SECRET}'`]));
    case 14: // a big or bad number where an integer property or a limit goes
      return insert(pick(rng, ["checkpoint.interval.ms = '99999999999'", "fs.poll.interval.ms = '-1'", 'limit 99999999999999999999', "refresh.interval.sec = '9999999'"]));
    case 15: {
      // A literal or name where one was: numbers and strings become extreme ones.
      const replacement = pick(rng, ['1e999999999', '-.5e-999999999', '9'.repeat(400), '0', '-1', "''", "'1e999999999'", "'9999-99-99'", "'NaN'", 'x', 'constructor']);
      const index = parts.findIndex((p, i) => i >= at && /(\d|')\s*$/.test(p));
      if (index === -1) return insert(replacement);
      const part = parts[index]!;
      const token = /(?:'(?:[^']|'')*'|[\d.]+(?:[eE][+-]?\d+)?)\s*$/.exec(part);
      return [...parts.slice(0, index), token === null ? part : part.slice(0, token.index) + replacement, ...parts.slice(index + 1)].join('');
    }
    default:
      return [...parts.slice(0, at), ...parts.slice(other)].join('');
  }
}

function spliceChars(rng: Rng, text: string): string {
  let out = text;
  const count = 1 + Math.floor(rng() * 8);
  for (let i = 0; i < count; i++) {
    const at = Math.floor(rng() * (out.length + 1));
    const c = rng() < 0.5 ? String.fromCharCode(Math.floor(rng() * 128)) : String.fromCharCode(Math.floor(rng() * 0x10000));
    out = out.slice(0, at) + c + out.slice(at);
  }
  return out;
}

/** A typed source for generated queries: every column type, and a schemaless one. */
const TYPED_SOURCE = `create source t (i int, b bigint, n numeric(10,2), r double precision, s varchar(20), c char(3), x text, d date, ts timestamp, tz timestamptz, ok boolean, j jsonb, bt bytea, tm time) with (connector = 'fs', fs.path = '/tmp') format plain encode json;
create source u with (connector = 'fs', fs.path = '/tmp') format plain encode json;`;
const COLUMNS = ['i', 'b', 'n', 'r', 's', 'c', 'x', 'd', 'ts', 'tz', 'ok', 'j', 'bt', 'tm'];
const LITERALS = ['0', '1', '-1', '2147483647', '2147483648', '9223372036854775807', '9223372036854775808', '1.5', '1e3', '.5', "'a'", "''", "'2024-01-31'", "'2024-01-31 10:00:00'", "'10:00'", "'true'", "'1.5'", 'null', 'true', 'false', "date '2024-02-29'", "timestamp '2024-01-01 00:00'", "numeric '1.25'"];
const TYPES = ['int', 'smallint', 'bigint', 'numeric', 'numeric(5,2)', 'real', 'double precision', 'text', 'varchar(2)', 'char(1)', 'boolean', 'date', 'timestamp', 'timestamptz', 'time', 'jsonb', 'bytea'];
const FUNCTIONS = ['lower', 'upper', 'length', 'char_length', 'trim', 'substr', 'concat', 'coalesce', 'nullif', 'abs', 'round', 'floor', 'ceil', 'nosuch'];

/** A random well-formed (not necessarily well-typed) expression over the columns of `t`. */
function expression(rng: Rng, depth: number): string {
  const leaf = (): string => (rng() < 0.5 ? pick(rng, COLUMNS) : pick(rng, LITERALS));
  if (depth <= 0 || rng() < 0.25) return leaf();
  const sub = (): string => expression(rng, depth - 1);
  switch (Math.floor(rng() * 12)) {
    case 0:
      return `(${sub()} ${pick(rng, ['+', '-', '*', '/', '%', '||'])} ${sub()})`;
    case 1:
      return `${sub()} ${pick(rng, ['=', '<>', '!=', '<', '<=', '>', '>='])} ${sub()}`;
    case 2:
      return `(${sub()} ${pick(rng, ['and', 'or'])} ${sub()})`;
    case 3:
      return `${pick(rng, ['not', '-', '+'])} (${sub()})`;
    case 4:
      return `${sub()} is ${pick(rng, ['', 'not '])}${pick(rng, ['null', 'true', 'false'])}`;
    case 5:
      return `${rng() < 0.5 ? pick(rng, COLUMNS) : sub()} ${pick(rng, ['', 'not '])}${pick(rng, ['like', 'ilike'])} ${pick(rng, ["'%a%'", "'a_'", "'\\%'", "'['", "'%a%a%a%a%a%a%a%a%a%a%a%a%c'", sub()])}`;
    case 6:
      return `${sub()} ${pick(rng, ['', 'not '])}in (${Array.from({ length: 1 + Math.floor(rng() * 3) }, sub).join(', ')})`;
    case 7:
      return `${sub()} ${pick(rng, ['', 'not '])}between ${sub()} and ${sub()}`;
    case 8:
      return rng() < 0.5 ? `cast(${sub()} as ${pick(rng, TYPES)})` : `(${sub()})::${pick(rng, TYPES)}`;
    case 9: {
      const args = Array.from({ length: Math.floor(rng() * 4) }, sub);
      return `${pick(rng, FUNCTIONS)}(${args.join(', ')})`;
    }
    case 10:
      return `case ${rng() < 0.3 ? sub() : ''} when ${sub()} then ${sub()} ${rng() < 0.5 ? `else ${sub()}` : ''} end`;
    default:
      return `(${sub()})`;
  }
}

/** A generated query: it parses, and often compiles, so that compilation and evaluation are fuzzed too. */
function generated(rng: Rng): string {
  const items = Array.from({ length: 1 + Math.floor(rng() * 3) }, (_, k) => `${expression(rng, 4)} as c${k}`).join(', ');
  const where = rng() < 0.7 ? ` where ${expression(rng, 4)}` : '';
  return `${TYPED_SOURCE}\nselect ${items} from ${rng() < 0.5 ? 't' : 'u'}${where}${rng() < 0.3 ? ' limit 3' : ''};`;
}

/** Input number `i` of the sequence of `seed`: built from its own PRNG, so any one replays alone. */
function input(seed: number, i: number, seeds: readonly string[]): string {
  const rng = prng((seed * 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b));
  const origin = rng();
  let text = origin < 0.15 ? pick(rng, RISINGWAVE.filter((s) => s.includes(SECRET))) : origin < 0.5 ? generated(rng) : pick(rng, seeds);
  // Generated queries are often left whole: mutations almost always make a syntax error.
  const mutations = origin >= 0.15 && origin < 0.5 && rng() < 0.6 ? 0 : 1 + Math.floor(rng() * 4);
  for (let m = 0; m < mutations; m++) text = mutate(rng, text);
  return text;
}

interface Finding {
  readonly i: number;
  readonly problem: string;
  readonly input: string;
}

/** Rows the compiled queries are evaluated on: nulls, ordinary values, odd ones (as schemaless JSON or Avro may give). */
const ROWS: readonly Record<string, unknown>[] = [
  {},
  { i: 1, b: 2n, n: '1.50', r: 0.5, s: 'abc', c: 'ab ', x: '%', d: '2024-01-31', ts: new Date(0), tz: new Date(0), ok: true, j: { k: [1] }, bt: new Uint8Array([1]), tm: '10:00:00' },
  { i: -2147483648, b: -(2n ** 63n), n: Number.NaN, r: Infinity, s: 'a'.repeat(60), c: null, x: `\u{1F600}${'a'.repeat(60)}`, d: 'not a date', ts: 'x', tz: 0, ok: 'yes', j: [], bt: 'ff', tm: 25 },
  { i: [1], b: { a: 1 }, n: 1e308, r: -0, s: 2n, c: true, x: null, d: new Date(Number.NaN), ts: null, tz: undefined, ok: 0, j: null, bt: null, tm: null },
];

/** How far the inputs got: a fuzzer that only ever hits the first syntax error proves little. */
const reached = { parsed: 0, executed: 0, evaluated: 0 };

/** Runs every stage on one input; returns what is wrong, if anything. */
function check(text: string): string | undefined {
  const problems: string[] = [];
  const expectSqlError = (stage: string, err: unknown): void => {
    if (!(err instanceof SqlError)) {
      problems.push(`${stage} threw ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}`);
      return;
    }
    if (err.position === undefined || !/^\d+:\d+: /.test(err.message)) problems.push(`${stage}: a SqlError without line:column: ${err.message}`);
    if (SECRET_PLACED.test(text) && err.message.includes(SECRET)) problems.push(`${stage}: the secret is in the message: ${err.message}`);
  };
  try {
    tokenize(text);
  } catch (err) {
    expectSqlError('tokenize', err);
  }
  let statements: ReturnType<typeof parseSql> | undefined;
  try {
    statements = parseSql(text);
    reached.parsed++;
  } catch (err) {
    expectSqlError('parseSql', err);
  }
  try {
    new Session().execute(text);
    reached.executed++;
  } catch (err) {
    expectSqlError('Session.execute', err);
  }
  // Queries over a schemaless source: compile and evaluate on a few rows; evaluation may fail
  // (division by zero, a bad cast) but never with a TypeError or a stack overflow.
  for (const statement of statements ?? []) {
    if (statement.kind !== 'select') continue;
    let query;
    try {
      query = compileQuery(statement as SelectStatement, undefined);
    } catch (err) {
      expectSqlError('compileQuery', err);
      continue;
    }
    for (const row of ROWS) {
      reached.evaluated++;
      try {
        if (query.filter === undefined || query.filter(row)) query.project(row);
      } catch (err) {
        if (err instanceof TypeError || (err instanceof RangeError && /call stack/.test(err.message)) || !(err instanceof Error)) {
          problems.push(`evaluation threw ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}`);
        }
      }
    }
  }
  return problems.length === 0 ? undefined : problems.join('\n');
}

/**
 * A thread that kills this process when one input runs longer than HANG_MS: a hang in the
 * synchronous parser would otherwise block the test run forever without saying which input.
 */
function watchdog(progress: Int32Array): Worker {
  const worker = new Worker(
    `
    const { workerData } = require('node:worker_threads');
    const { writeSync } = require('node:fs');
    const progress = new Int32Array(workerData.buffer);
    let last = -1, since = Date.now();
    setInterval(() => {
      const now = Atomics.load(progress, 0);
      if (now !== last) { last = now; since = Date.now(); return; }
      if (now >= 0 && Date.now() - since > ${HANG_MS}) {
        writeSync(2, 'sql fuzzer: input ' + now + ' (seed ${SEED}) hangs: replay with FUZZ_SEED=${SEED} FUZZ_ONLY=' + now + '\\n');
        process.kill(process.pid, 'SIGKILL');
      }
    }, 250);
    `,
    { eval: true, workerData: { buffer: progress.buffer } },
  );
  worker.unref();
  return worker;
}

test(`SQL fuzzer: ${ONLY === undefined ? `${ITERATIONS} mutated statements` : `input ${ONLY}`} (seed ${SEED}): SqlError with a position or a clean parse, no hang, no secret`, { timeout: 3_600_000 }, async () => {
  const seeds = corpus();
  assert.ok(seeds.length >= 20, `a corpus of real statements (found ${seeds.length})`);
  const progress = new Int32Array(new SharedArrayBuffer(4));
  Atomics.store(progress, 0, -1);
  const dog = watchdog(progress);
  const findings: Finding[] = [];
  const started = Date.now();
  let slowest = { i: -1, ms: 0 };
  try {
    const range = ONLY === undefined ? Array.from({ length: ITERATIONS }, (_, i) => i) : [ONLY];
    for (const i of range) {
      const text = input(SEED, i, seeds);
      Atomics.store(progress, 0, i);
      const t0 = performance.now();
      const problem = check(text);
      const ms = performance.now() - t0;
      if (ms > slowest.ms) slowest = { i, ms };
      if (problem !== undefined) findings.push({ i, problem, input: text });
      else if (ms > PER_INPUT_MS) findings.push({ i, problem: `took ${Math.round(ms)} ms`, input: text });
      if (findings.length >= 20) break;
    }
  } finally {
    Atomics.store(progress, 0, -1);
    await dog.terminate();
  }
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write(
    `sql fuzzer: ${ONLY === undefined ? ITERATIONS : 1} inputs, seed ${SEED}, ${seconds.toFixed(1)} s, slowest input ${slowest.i} (${Math.round(slowest.ms)} ms), ` +
      `${reached.parsed} parsed, ${reached.executed} executed, ${reached.evaluated} rows evaluated, ${findings.length} finding(s)\n`,
  );
  const report = findings
    .map((f) => `input ${f.i} (FUZZ_SEED=${SEED} FUZZ_ONLY=${f.i}): ${f.problem.split('\n').slice(0, 6).join('\n    ')}\n  input: ${JSON.stringify(f.input.length > 400 ? `${f.input.slice(0, 400)}...` : f.input)}`)
    .join('\n');
  assert.equal(findings.length, 0, `findings:\n${report}`);
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../support/cli.js';

// Errors of the real CLI on hostile input: secrets next to syntax errors, SQL deep enough to
// overflow a recursive parser, a BOM, out-of-range intervals. Every one must be a one-line
// exit-2 error with a position where there is one, and never print a secret.

const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const tributary = (args: readonly string[]) => runCli(args);

let files = 0;
function sqlFile(text: string): string {
  const path = join(dir, `q${++files}.sql`);
  writeFileSync(path, text);
  return path;
}

const SECRET = 'SECRET123XYZ';
const KAFKA = `create source k with (connector = 'kafka', topic = 't', properties.bootstrap.server = '127.0.0.1:9092', properties.sasl.mechanism = 'PLAIN', properties.sasl.username = 'u'`;

/** Hostile placements of a secret; each statement is wrong somewhere near the secret. */
const SECRET_PLACEMENTS: readonly [string, string][] = [
  ['missing "=" before the secret (the reported case)', `${KAFKA}, properties.sasl.password '${SECRET}') format plain encode json;`],
  ['secret as an unquoted word in the wrong slot', `${KAFKA}, properties.sasl.password ${SECRET}) format plain encode json;`],
  ['unterminated string holding the secret', `${KAFKA}, properties.sasl.password = '${SECRET}) format plain encode json;`],
  ['secret followed by junk', `${KAFKA}, properties.sasl.password = '${SECRET}' '${SECRET}') format plain encode json;`],
  ['secret before an unterminated comment', `${KAFKA}, properties.sasl.password = '${SECRET}'/* note ) format plain encode json;`],
  ['secret after a comment, then junk', `${KAFKA}, properties.sasl.password = -- the password\n ${SECRET} ${SECRET}) format plain encode json;`],
  ['secret glued to digits (an invalid number)', `${KAFKA}, properties.sasl.password = 123${SECRET}) format plain encode json;`],
  ['secret as the value of a misspelt property', `${KAFKA}, properties.sasl.pasword = '${SECRET}') format plain encode json;`],
  ['secret also used as a property name', `${KAFKA}, properties.sasl.password = '${SECRET}', '${SECRET}' = 'x') format plain encode json;`],
  ['secret in an ENCODE option', `${KAFKA}, properties.sasl.password = '${SECRET}') format plain encode json (password = '${SECRET}');`],
  ['secret in a query literal that fails to type', `${KAFKA}, properties.sasl.password = '${SECRET}') format plain encode json;\nselect 1 + '${SECRET}' from k;`],
  ['secret in a select item after the source', `${KAFKA}, properties.sasl.password = '${SECRET}') format plain encode json;\nselect ${SECRET} ${SECRET} ${SECRET} from k;`],
];

for (const command of ['check', 'run']) {
  test(`${command}: a secret never appears in an error, wherever it is written`, async () => {
    for (const [what, sql] of SECRET_PLACEMENTS) {
      const { code, stdout, stderr } = await tributary([command, sqlFile(sql)]);
      assert.equal(code, 2, `${what}: exit 2 (${stderr})`);
      assert.match(stderr, /^tributary: (\d+:\d+: )?\S.*\n$/, `${what}: one line`);
      assert.ok(!stderr.includes(SECRET) && !stderr.includes(SECRET.toLowerCase()), `${what}: secret printed: ${stderr}`);
      assert.ok(!stdout.includes(SECRET), `${what}: secret on stdout`);
    }
  });
}

test('the reported case keeps its position and says what was found', async () => {
  const { code, stderr } = await tributary(['check', sqlFile(SECRET_PLACEMENTS[0]![1])]);
  assert.equal(code, 2);
  assert.equal(stderr, `tributary: 1:199: expected "=", found a string literal\n`);
});

test('2000 nested parentheses: a clear exit-2 error at the place the limit is crossed, from check and run', async () => {
  const file = sqlFile(`create source t (a int) with (connector = 'fs', fs.path = '${dir}') format plain encode csv;\nselect ${'('.repeat(2000)}a${')'.repeat(2000)} from t;`);
  for (const command of ['check', 'run']) {
    const { code, stderr } = await tributary([command, file]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /^tributary: 2:\d+: expression nested too deeply \(more than 256 levels\)/);
    assert.doesNotMatch(stderr, /call stack/);
  }
});

test('a 5000-term OR, AND and + chain check and run, and evaluate correctly', async () => {
  const data = join(dir, 'chain');
  mkdirSync(data);
  writeFileSync(join(data, 'a.csv'), 'a\n1\n4999\n5000\n-3\n');
  const ors = Array.from({ length: 5000 }, (_, i) => `a = ${i}`).join(' or ');
  const ands = Array.from({ length: 5000 }, (_, i) => `a <> ${i + 5000}`).join(' and ');
  const sum = Array.from({ length: 5000 }, () => 'a').join(' + ');
  const file = sqlFile(
    `create source t (a int) with (connector = 'fs', fs.path = '${data}') format plain encode csv;\nselect a, ${sum} as s from t where (${ors}) and ${ands};`,
  );
  assert.equal((await tributary(['check', file])).code, 0);
  const { code, stdout, stderr } = await tributary(['run', file, '--quiet']);
  assert.equal(stderr, '');
  assert.equal(code, 0);
  const rows = stdout.trim().split('\n').map((l) => JSON.parse(l) as { a: number; s: number });
  assert.deepEqual(rows.sort((x, y) => x.a - y.a), [
    { a: 1, s: 5000 },
    { a: 4999, s: 4999 * 5000 },
  ]);
});

test('a byte order mark at the start of the file is accepted, and positions still count from its end', async () => {
  const ok = sqlFile(`\uFEFFcreate source t (a int) with (connector = 'fs', fs.path = '${dir}') format plain encode csv;`);
  const { code, stdout, stderr } = await tributary(['check', ok]);
  assert.equal(stderr, '');
  assert.equal(code, 0);
  assert.match(stdout, /ok \(1 source/);
  const bad = await tributary(['check', sqlFile('\uFEFFselct 1')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^tributary: 1:1: expected CREATE SOURCE, SELECT or ALTER SOURCE, found "selct"/);
});

test('--checkpoint-interval beyond the longest timer delay is a usage error, not a 1 ms interval', async () => {
  const file = sqlFile(`create source t (a int) with (connector = 'fs', fs.path = '${dir}') format plain encode csv;`);
  for (const value of ['99999999999999999999', '2147483648']) {
    const { code, stderr } = await tributary(['run', file, '--checkpoint-interval', value]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /--checkpoint-interval must be a whole number of milliseconds between 1 and 2147483647/);
    assert.doesNotMatch(stderr, /TimeoutOverflowWarning/);
  }
  const max = await tributary(['check', file, '--checkpoint-interval', '2147483647']);
  assert.equal(max.code, 0, max.stderr);
});

test('interval and timeout properties beyond the longest timer delay are SQL errors naming the property', async () => {
  const cases: [string, string][] = [
    ["checkpoint.interval.ms = '99999999999'", 'checkpoint.interval.ms'],
    ["checkpoint.interval.ms = '0'", 'checkpoint.interval.ms'],
    ["fs.scan.mode = 'unbounded', fs.poll.interval.ms = '2147483648'", 'fs.poll.interval.ms'],
    ["fs.stable.ms = '-5'", 'fs.stable.ms'],
  ];
  for (const [properties, name] of cases) {
    const { code, stderr } = await tributary(['check', sqlFile(`create source t (a int) with (connector = 'fs', fs.path = '${dir}', ${properties}) format plain encode csv;`)]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, new RegExp(`^tributary: 1:\\d+: .*property '${name.replaceAll('.', '\\.')}' must be an integer between \\d+ and 2147483647`));
  }
});

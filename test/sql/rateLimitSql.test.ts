import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseSql } from '../../src/sql/parseSql.js';
import { Session } from '../../src/sql/Session.js';
import { SqlError } from '../../src/sql/SqlError.js';

const dir = mkdtempSync(join(tmpdir(), 'tributary-rate-sql-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'a.csv'), 'id\n1\n2\n');

const create = (extra = ''): string =>
  `CREATE SOURCE s (id INT) WITH (connector = 'fs', 'fs.path' = '${dir}'${extra}) FORMAT PLAIN ENCODE CSV`;

test("ALTER SOURCE ... SET source_rate_limit parses in RisingWave's forms", () => {
  assert.deepEqual(
    parseSql('ALTER SOURCE s SET source_rate_limit = 100; alter table "T" set SOURCE_RATE_LIMIT to default; ALTER SOURCE s SET source_rate_limit TO 0').map((s) =>
      s.kind === 'alter source' ? [s.name, s.rateLimit] : s.kind,
    ),
    [['s', 100], ['T', null], ['s', 0]],
  );
  assert.throws(() => parseSql('ALTER SOURCE s SET source_rate_limit = -1'), /whole number of rows per second/);
  assert.throws(() => parseSql('ALTER SOURCE s SET source_rate_limit = 1.5'), /whole number of rows per second/);
  assert.throws(() => parseSql('ALTER SOURCE s SET backfill_rate_limit = 1'), /source_rate_limit/);
  assert.throws(() => parseSql('ALTER SINK s SET source_rate_limit = 1'), /SOURCE or TABLE/);
});

test('source_rate_limit in WITH sets the limit; ALTER SOURCE changes it on the source (and its metrics)', () => {
  const session = new Session();
  session.execute(create(", source_rate_limit = '250'"));
  const source = session.sources.get('s')!.source;
  assert.equal(source.rateLimit, 250);
  assert.equal(source.metrics().rateLimit, 250);
  const [result] = session.execute('ALTER SOURCE s SET source_rate_limit = 0');
  assert.equal(result?.kind, 'alter source');
  assert.equal(source.rateLimit, 0);
  session.execute('ALTER SOURCE s SET source_rate_limit = DEFAULT');
  assert.equal(source.rateLimit, null);
  assert.equal(source.metrics().rateLimit, null);
});

test('a source without source_rate_limit has none; bad values and unknown sources are SQL errors', () => {
  const session = new Session();
  session.execute(create());
  assert.equal(session.sources.get('s')!.source.rateLimit, null);
  assert.throws(() => session.execute('ALTER SOURCE t SET source_rate_limit = 5'), (err: unknown) => err instanceof SqlError && /source "t" does not exist \(did you mean "s"\?\)/.test(err.message));
  assert.throws(() => new Session().execute(create(", source_rate_limit = '-3'")), (err: unknown) => err instanceof SqlError && /source_rate_limit/.test(err.message));
  assert.throws(() => new Session().execute(create(", source_rate_limit = 'fast'")), (err: unknown) => err instanceof SqlError && /source_rate_limit/.test(err.message));
});

test('ALTER SOURCE on a running query: paused by source_rate_limit = 0, resumed by DEFAULT, every row delivered once', async () => {
  const path = join(dir, 'running');
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'rows.csv'), 'id\n' + Array.from({ length: 50 }, (_, i) => String(i)).join('\n') + '\n');
  const session = new Session();
  session.execute(`CREATE SOURCE r (id INT) WITH (connector = 'fs', 'fs.path' = '${path}', source_rate_limit = '0') FORMAT PLAIN ENCODE CSV`);
  const rows: number[] = [];
  const finished = new Promise<void>((resolve, reject) =>
    session.query('SELECT id FROM r').rows.subscribe({ next: (row) => rows.push(row['id'] as number), error: reject, complete: resolve }),
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(rows, [], 'paused: nothing delivered');
  session.execute('ALTER SOURCE r SET source_rate_limit = DEFAULT');
  await finished;
  assert.deepEqual(rows, Array.from({ length: 50 }, (_, i) => i));
});

test('executeAsync (what the CLI runs) applies ALTER SOURCE too', async () => {
  const session = new Session();
  await session.executeAsync(create(", source_rate_limit = '250'"));
  const [result] = await session.executeAsync('ALTER SOURCE s SET source_rate_limit = 7');
  assert.equal(result?.kind, 'alter source');
  assert.equal(session.sources.get('s')!.source.rateLimit, 7);
});

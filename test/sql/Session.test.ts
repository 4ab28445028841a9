import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { opOf } from '../../src/core/Changelog.js';
import { commitEpochs } from '../../src/core/commitEpochs.js';
import { toRecords } from '../../src/core/toRecords.js';
import type { Row } from '../../src/formats/Format.js';
import { MemoryStore } from '../../src/state/MemoryStore.js';
import { Decimal } from '../../src/sql/Decimal.js';
import { fsConnector } from '../../src/connectors/fs/index.js';
import { bigint, defineSchema, integer, numeric, smallint, text, varchar, type RowOf } from '../../src/sql/defineSchema.js';
import type { ConnectorFactory } from '../../src/connectors/ConnectorFactory.js';
import { Session } from '../../src/sql/Session.js';
import { SqlError } from '../../src/sql/SqlError.js';
import { SEED_STATEMENT } from './seedStatement.js';

const dir = mkdtempSync(join(tmpdir(), 'tributary-sql-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh directory holding one CSV file, for one test. */
function csvDir(name: string, text: string): string {
  const path = join(dir, name);
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'data.csv'), text);
  return path;
}

const PARTS = `p_partkey,p_name,p_size,p_retailprice,p_big
1,goldenrod lace,7,901.00,9007199254740993
2,blush thistle,1,902.00,
3,spring green,21,903.00,-42
4,cornflower chocolate,14,904.01,12
`;

function createParts(session: Session, path: string, extra = ''): void {
  session.execute(`create source part (
      p_partkey INTEGER NOT NULL,
      p_name VARCHAR(55) NOT NULL,
      p_size INTEGER,
      p_retailprice NUMERIC(15,2),
      p_big BIGINT,
    ) with (
      'upstream.source' = 'fs',
      'fs.path' = '${path}'${extra}
    ) row format 'csv'`);
}

async function rows(session: Session, sql: string): Promise<Row[]> {
  return lastValueFrom(session.query(sql).rows.pipe(toArray()));
}

test('SELECT over an fs source: projection, WHERE, arithmetic, CAST, LIKE, LIMIT', async () => {
  const session = new Session();
  createParts(session, csvDir('parts', PARTS));
  const out = await rows(
    session,
    `select p_partkey, upper(p_name) as name, p_retailprice * 2 as twice, cast(p_size as text) || 'cm' as size
     from part where p_size > 5 and p_name like '%o%' limit 2`,
  );
  assert.deepEqual(
    out.map((r) => ({ ...r, twice: String(r.twice) })),
    [
      { p_partkey: 1, name: 'GOLDENROD LACE', twice: '1802.00', size: '7cm' },
      { p_partkey: 4, name: 'CORNFLOWER CHOCOLATE', twice: '1808.02', size: '14cm' },
    ],
  );
  const all = await rows(session, 'select * from part');
  assert.equal(all.length, 4);
  assert.equal(all[0]!.p_big, 9007199254740993n, 'BIGINT stays exact');
  assert.equal(all[1]!.p_big, null);
  assert.ok(all[0]!.p_retailprice instanceof Decimal);
});

test("RisingWave's FORMAT PLAIN ENCODE CSV (without_header) maps columns by position", async () => {
  const session = new Session();
  const path = csvDir('noheader', '5;five\n6;six\n');
  session.execute(`CREATE SOURCE n (id BIGINT NOT NULL, word TEXT)
    WITH (connector = 'posix_fs', posix_fs.root = '${path}', match_pattern = '*.csv')
    FORMAT PLAIN ENCODE CSV (delimiter = ';', without_header = 'true')`);
  assert.deepEqual(await rows(session, 'select * from n'), [
    { id: 5n, word: 'five' },
    { id: 6n, word: 'six' },
  ]);
});

test('a schema violation fails the query naming the column; bad.records = skip drops and counts it', async () => {
  const data = 'id,name\n1,ok\n2,way too long\n3,ok\n';
  const failing = new Session();
  failing.execute(`create source s (id int not null, name varchar(5)) with (connector = 'fs', fs.path = '${csvDir('bad1', data)}') row format 'csv'`);
  await assert.rejects(rows(failing, 'select * from s'), /column "name" \(VARCHAR\(5\)\): 12 characters exceed VARCHAR\(5\)/);

  const skipping = new Session();
  skipping.execute(`create source s (id int not null, name varchar(5)) with (connector = 'fs', fs.path = '${csvDir('bad2', data)}', bad.records = 'skip') row format 'csv'`);
  assert.deepEqual((await rows(skipping, 'select id from s')).map((r) => r.id), [1, 3]);
  assert.equal(skipping.sources.get('s')!.source.badRecordStats.skipped, 1);
});

test('LIMIT unsubscribes: a query over an unbounded source completes', async () => {
  const session = new Session();
  createParts(session, csvDir('unbounded', PARTS), `, 'fs.scan.mode' = 'unbounded', 'fs.poll.interval.ms' = '50'`);
  assert.deepEqual((await rows(session, 'select p_partkey from part limit 3')).map((r) => r.p_partkey), [1, 2, 3]);
});

test('a second session on the same store resumes: a finished bounded source emits nothing new', async () => {
  const store = new MemoryStore();
  const path = csvDir('resume', PARTS);
  const first = new Session({ store });
  createParts(first, path);
  assert.equal((await rows(first, 'select p_partkey from part')).length, 4);
  const second = new Session({ store });
  createParts(second, path);
  assert.deepEqual(await rows(second, 'select p_partkey from part'), []);
});

test('statement errors: unknown source, duplicate source, IF NOT EXISTS, missing format', () => {
  const session = new Session();
  assert.throws(() => session.query('select * from nowhere'), { name: 'SqlError', message: /source "nowhere" does not exist; create it first/ });
  createParts(session, csvDir('errors', PARTS));
  assert.throws(() => session.query('select * from prat'), /source "prat" does not exist \(did you mean "part"\?\); known: part/);
  assert.throws(() => createParts(session, csvDir('errors', PARTS)), /source "part" already exists/);
  const [result] = session.execute(`create source if not exists part (a int) with (connector = 'fs', fs.path = '/x') row format 'json'`);
  assert.equal(result?.kind === 'create source' && result.created, false);
  assert.throws(() => session.execute(`create source q (a int) with (connector = 'fs', fs.path = '/x')`), (err: unknown) => {
    assert.ok(err instanceof SqlError);
    assert.match(err.message, /no row format; add ROW FORMAT 'json'/);
    return true;
  });
  assert.throws(() => session.execute(`create source q (a int) with (connector = 'fs', fs.path = '/x') row format 'xml'`), /unknown row format 'xml'; supported: json, csv, avro/);
  assert.throws(
    () => session.execute(`create source q (a int) with (connector = 'fs', fs.path = '/x') format plain encode csv (delimitter = ',')`),
    /unknown ENCODE CSV option 'delimitter' \(did you mean 'delimiter'\?\)/,
  );
  // Issue 13: a change-data format is accepted, but only with a primary key to apply it by.
  assert.throws(
    () => session.execute(`create table q (a int) with (connector = 'fs', fs.path = '/x') format debezium encode json`),
    /a primary key must be specified for FORMAT DEBEZIUM ENCODE JSON/,
  );
  assert.throws(() => session.execute(`create source q (a int) with (connector = 'fs', fs.path = '/x') format avro_cdc encode json`), /FORMAT AVRO_CDC ENCODE JSON is not supported/);
  assert.throws(
    () => session.execute(`create source q (a int) with (connector = 'fs', fs.path = '/x', 'csv.delimiter' = ';') row format 'json'`),
    /csv.\* properties are given but the row format is json/,
  );
});

test('createSource from code: typed rows from defineSchema, same checks as SQL', async () => {
  const schema = defineSchema({
    p_partkey: integer().notNull(),
    p_name: varchar(55),
    p_retailprice: numeric(15, 2),
    p_big: bigint(),
  });
  type Part = RowOf<typeof schema>;
  // Type-level: NOT NULL columns are not nullable, BIGINT is bigint (checked by `npm run typecheck`).
  const sample: Part = { p_partkey: 1, p_name: null, p_retailprice: null, p_big: 1n };
  // @ts-expect-error p_partkey is NOT NULL
  const notNullable: Part = { p_partkey: null, p_name: null, p_retailprice: null, p_big: null };
  // @ts-expect-error BIGINT is a bigint, not a number
  const notNumber: Part = { p_partkey: 1, p_name: null, p_retailprice: null, p_big: 1 };
  void [sample, notNullable, notNumber];

  const session = new Session();
  const part = session.createSource('part', { connector: 'fs', properties: { 'fs.path': csvDir('typed', PARTS) }, format: 'csv', schema });
  const first = await firstValueFrom(part.pipe(commitEpochs(part), toRecords()));
  const partkey: number = first.p_partkey;
  assert.equal(partkey, 1);
  assert.equal(first.p_big, 9007199254740993n);
  assert.equal(first.p_retailprice?.toString(), '901.00');
  // The source is in the catalog: SQL can query it.
  assert.equal((await rows(session, 'select p_name from part where p_partkey = 3'))[0]!.p_name, 'spring green');
  assert.throws(() => session.createSource('other', { connector: 'fs', properties: { 'fs.pth': '/x' }, format: 'csv' }), /did you mean 'fs.path'/);
  // A factory object instead of a name, typed format options, a property given as a number.
  const noHeader = session.createSource('no_header', {
    connector: fsConnector,
    properties: { 'fs.path': csvDir('typed2', '7|seven\n'), 'fs.read.buffer.bytes': 4096 },
    format: { name: 'csv', options: { delimiter: '|', header: 'false' } },
    schema: defineSchema({ n: smallint().notNull(), word: text() }),
  });
  assert.deepEqual(await lastValueFrom(noHeader.pipe(commitEpochs(noHeader), toRecords(), toArray())), [{ n: 7, word: 'seven' }]);
  assert.throws(() => session.createSource('bad_format', { connector: 'fs', properties: { 'fs.path': '/x' }, format: 'xml' }), {
    message: `source "bad_format": unknown row format 'xml'; supported: json, csv, avro, protobuf`,
  });
});

test('JSON sources: BIGINT as a JSON string is exact; so is a JSON number beyond 2^53 (never a rounded value)', async () => {
  const path = join(dir, 'json');
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'a.ndjson'), '{"id": "9007199254740993", "doc": {"k": [1, 2]}, "at": "2024-01-31T10:00:00Z"}\n{"id": 9007199254740993}\n');
  const session = new Session();
  session.execute(`create source j (id bigint, doc jsonb, at timestamptz) with (connector = 'fs', fs.path = '${path}', bad.records = 'skip') format plain encode json`);
  const out = await rows(session, 'select * from j');
  // The JSON format reads integers beyond 2^53 as exact bigints, so the number is exact too.
  assert.deepEqual(out, [
    { id: 9007199254740993n, doc: { k: [1, 2] }, at: new Date('2024-01-31T10:00:00Z') },
    { id: 9007199254740993n, doc: null, at: null },
  ]);
  const stats = session.sources.get('j')!.source.badRecordStats;
  assert.equal(stats.skipped, 0);
});

test("secret values are redacted even from a connector's own error messages", () => {
  const secret = 'p4ssw0rd-do-not-print';
  const leaky: ConnectorFactory = {
    name: 'leaky',
    connectorNames: ['leaky'],
    description: 'a factory whose errors quote its password',
    properties: [{ name: 'leaky.password', type: 'string', secret: true, required: true, description: 'Password.' }],
    create(context) {
      throw new Error(`login failed with password ${context.properties['leaky.password']}`);
    },
  };
  const session = new Session({ connectors: [leaky] });
  assert.throws(
    () => session.execute(`create source s with (connector = 'leaky', leaky.password = '${secret}') row format 'json'`),
    (err: unknown) => {
      assert.ok(err instanceof SqlError);
      assert.equal(err.message, '1:1: source "s" (connector leaky): login failed with password ***');
      return true;
    },
  );
  assert.equal(session.redact(`a ${secret} b`), 'a *** b');
});

test('the seed statement and RisingWave forms select the built-in Kafka-protocol connectors (nothing connects until a query runs)', () => {
  const session = new Session();
  const [seed] = session.execute(SEED_STATEMENT);
  assert.equal(seed?.kind === 'create source' && seed.source.connector.name, 'kafka');
  const [rw] = session.execute(
    `CREATE SOURCE rw (a INT) WITH (connector = 'redpanda', topic = 't', properties.bootstrap.server = 'localhost:9092') FORMAT PLAIN ENCODE JSON`,
  );
  assert.equal(rw?.kind === 'create source' && rw.source.connector.name, 'redpanda');
  assert.throws(
    () => session.execute(`CREATE SOURCE k (a INT) WITH (connector = 'kafka', topic = 't', properties.bootstrap.server = 'h:1', scan.startup.mode = 'sideways') FORMAT PLAIN ENCODE JSON`),
    /property 'scan.startup.mode' must be one of 'earliest', 'latest'/,
  );
});

test('an evaluation error fails the query, naming the source', async () => {
  const session = new Session();
  createParts(session, csvDir('divide', PARTS));
  await assert.rejects(rows(session, 'select p_partkey / (p_size - 1) as x from part'), {
    message: 'query on source "part": division by zero',
  });
});

test('a checkpoint interval from code beyond the longest timer delay is refused, not run every 1 ms', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-session-interval-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const sql = `create source t (a int) with (connector = 'fs', fs.path = '${dir}') format plain encode csv`;
  for (const checkpointIntervalMs of [2 ** 31, 0, 1.5]) {
    assert.throws(() => new Session({ checkpointIntervalMs }).execute(sql), (err: unknown) => err instanceof SqlError && /^1:1: source "t": checkpointIntervalMs must be a whole number between 1 and 2147483647/.test(err.message));
  }
  assert.throws(
    () => new Session().createSource('t', { connector: 'fs', properties: { 'fs.path': dir }, format: 'csv', checkpointIntervalMs: 1e12 }),
    /checkpointIntervalMs must be a whole number between 1 and 2147483647, got 1000000000000/,
  );
  assert.equal(new Session({ checkpointIntervalMs: 2 ** 31 - 1 }).execute(sql).length, 1);
});

test('createSource with primaryKey and a change-data format is a table: queries see rows kept by key; without a key it is refused as in SQL', async () => {
  const events = [
    '{"before":null,"after":{"id":1,"name":"a"},"op":"c"}',
    '{"before":null,"after":{"id":2,"name":"b"},"op":"c"}',
    '{"before":{"id":1,"name":"a"},"after":{"id":1,"name":"a2"},"op":"u"}',
    '{"before":{"id":2,"name":"b"},"after":null,"op":"d"}',
    '{"before":null,"after":{"id":3,"name":"c"},"op":"r"}',
  ].join('\n');
  const path = csvDir('debezium-code', '');
  rmSync(join(path, 'data.csv'));
  writeFileSync(join(path, 'events.json'), `${events}\n`);
  const session = new Session();
  const schema = defineSchema({ id: integer().notNull(), name: varchar() });
  session.createSource('orders', { connector: 'fs', properties: { 'fs.path': path }, format: 'debezium_json', schema, primaryKey: ['id'] });
  // The query's rows are the table's changes (each with its operation): applied in order, the final table.
  const changes = await rows(session, 'select id, name from orders');
  assert.deepEqual(changes.map((r) => [opOf(r), r['id']]), [['insert', 1], ['insert', 2], ['update_before', 1], ['update_after', 1], ['delete', 2], ['insert', 3]]);
  const table = new Map<unknown, Row>();
  for (const r of changes) {
    const op = opOf(r);
    if (op === 'insert' || op === 'update_after') table.set(r['id'], Object.fromEntries(Object.entries(r)));
    else table.delete(r['id']);
  }
  assert.deepEqual([...table.values()], [{ id: 1, name: 'a2' }, { id: 3, name: 'c' }]);
  assert.throws(() => new Session().createSource('o', { connector: 'fs', properties: { 'fs.path': path }, format: 'debezium_json' }), /a primary key must be specified for FORMAT DEBEZIUM ENCODE JSON/);
  assert.throws(() => new Session().createSource('o', { connector: 'fs', properties: { 'fs.path': path }, format: 'debezium_json', schema, primaryKey: ['nope'] }), /primary key column "nope" is not a column of "o"/);
  // A plain format with a key: a table of upserts, as CREATE TABLE ... PRIMARY KEY over JSON.
  const plain = new Session().createSource('p', { connector: 'fs', properties: { 'fs.path': path }, format: 'json', primaryKey: ['id'] });
  assert.ok(plain);
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fixture } from '../support/fixtures.js';
import { createTopic, needKafka, produce, uniqueTopic } from '../support/kafka.js';
import { readFixture, toProducerMessages } from '../support/kafkaFixtures.js';

// RisingWave's change-data topics (../shared/fixtures/risingwave), loaded into the real broker
// and read through `tributary run` with the DDL of RisingWave's e2e tests (kafka.slt at
// f217edde107f), as written but for the bounded-mode property that lets a run finish. The
// expected tables are RisingWave's own expectations for these topics.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tributary-cdc-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `tributary run <file>` as a child process, killed after `timeoutMs` (a hang fails, it does not stall CI). */
function run(sql: string, onLine?: (line: string, stop: () => void) => void, timeoutMs = 60_000, flags: readonly string[] = []): Promise<Run> {
  const file = join(dir, `${uniqueTopic('q')}.sql`);
  writeFileSync(file, sql);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', ...flags, file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) onLine?.(line, () => child.kill('SIGINT'));
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** Loads a fixture's first `count` messages (all by default); `rest()` produces the others. */
async function loadTopic(t: TestContext, file: string, count = Infinity): Promise<{ brokers: string; topic: string; rest: () => Promise<void> } | undefined> {
  const brokers = await needKafka(t);
  if (brokers === undefined) return undefined;
  const path = fixture(t, 'risingwave', file);
  if (path === undefined) return undefined;
  const { partitions, messages } = readFixture(path);
  const name = file.slice(file.lastIndexOf('/') + 1);
  const topic = uniqueTopic(`sql-${name.slice(0, name.indexOf('.')).replaceAll('_', '-')}`);
  await createTopic(brokers, topic, partitions);
  await produce(brokers, topic, toProducerMessages(messages.slice(0, count)));
  return { brokers, topic, rest: () => produce(brokers, topic, toProducerMessages(messages.slice(count))) };
}

const lines = (stdout: string): Record<string, unknown>[] =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const BOUNDED = `scan.bounded.mode = 'latest', kafka.commit.offsets = 'false'`;

test('FORMAT MAXWELL ENCODE JSON: CREATE TABLE as RisingWave writes it, the final table printed in ORDER BY order', async (t) => {
  const loaded = await loadTopic(t, 'maxwell_json.1');
  if (loaded === undefined) return;
  const result = await run(`create table s13 (
  id integer,
  name varchar,
  is_adult integer,
  birthday timestamp,
  PRIMARY KEY (id)
) with (
  connector = 'kafka',
  topic = '${loaded.topic}',
  properties.bootstrap.server = '${loaded.brokers}',
  ${BOUNDED}
) FORMAT MAXWELL ENCODE JSON;
select * from s13 order by id;`);
  assert.equal(result.code, 0, result.stderr);
  // RisingWave: 1 tom 0 2017-12-31 16:00:01 / 2 chi 1 1999-12-31 16:00:01 (the update replaced alex).
  assert.deepEqual(lines(result.stdout), [
    { id: 1, name: 'tom', is_adult: 0, birthday: '2017-12-31 16:00:01' },
    { id: 2, name: 'chi', is_adult: 1, birthday: '1999-12-31 16:00:01' },
  ]);
});

test('FORMAT UPSERT ENCODE JSON with INCLUDE KEY AS rw_key: upserts and deletes by the message key', async (t) => {
  const loaded = await loadTopic(t, 'upsert_json.1');
  if (loaded === undefined) return;
  const result = await run(`CREATE TABLE upsert_students (
    "ID" INT,
    "firstName" VARCHAR,
    "lastName" VARCHAR,
    age INT,
    height REAL,
    weight REAL,
    primary key (rw_key)
)
INCLUDE KEY AS rw_key
WITH (
	connector = 'kafka',
  properties.bootstrap.server = '${loaded.brokers}',
	topic = '${loaded.topic}', ${BOUNDED})
FORMAT UPSERT ENCODE JSON;
SELECT "ID", "firstName", "lastName", "age", "height", "weight" FROM upsert_students ORDER BY "ID";`);
  assert.equal(result.code, 0, result.stderr);
  // RisingWave's expectation for upsert_students.
  assert.deepEqual(lines(result.stdout), [
    { ID: 1, firstName: 'Ethan', lastName: 'Martinez', age: 18, height: 6.1, weight: 180 },
    { ID: 2, firstName: 'Emily', lastName: 'Jackson', age: 19, height: 5.4, weight: 110 },
    { ID: 3, firstName: 'Noah', lastName: 'Thompson', age: 21, height: 6.3, weight: 195 },
    { ID: 4, firstName: 'Emma', lastName: 'Brown', age: 20, height: 5.3, weight: 130 },
    { ID: 5, firstName: 'Michael', lastName: 'Williams', age: 22, height: 6.2, weight: 190 },
    { ID: 6, firstName: 'Leah', lastName: 'Davis', age: 18, height: 5.7, weight: 140 },
    { ID: 9, firstName: 'Jacob', lastName: 'Anderson', age: 20, height: 5.8, weight: 155 },
  ]);
});

test(
  'seed-era CREATE MATERIALIZED SOURCE ... ROW FORMAT CANAL_JSON with count(*): updates take data',
  async (t) => {
  const loaded = await loadTopic(t, 'canal_json_double_field.1');
  if (loaded === undefined) return;
  const result = await run(`create materialized source s15 (
  v1 int,
  v2 int,
  PRIMARY KEY (v1)
) with (
  connector = 'kafka',
  topic = '${loaded.topic}',
  properties.bootstrap.server = '${loaded.brokers}',
  ${BOUNDED}
) row format CANAL_JSON;
select count(*) from s15;`);
  assert.equal(result.code, 0, result.stderr);
  // RisingWave: count(*) = 2 (the update's data upserts 5 and 7 beside 1 and 3; the delete removes 5 and 7).
  assert.deepEqual(lines(result.stdout), [{ count: 2 }]);
  },
);

test('FORMAT DEBEZIUM ENCODE JSON (ignore_key) with kafka.brokers and kafka.scan.startup.mode: count(order_id)', async (t) => {
  const loaded = await loadTopic(t, 'debezium_mess_key.1');
  if (loaded === undefined) return;
  const result = await run(`CREATE TABLE debezium_ignore_key (
  order_id int primary key
) with (
  connector = 'kafka',
  topic = '${loaded.topic}',
  kafka.brokers = '${loaded.brokers}',
  kafka.scan.startup.mode = 'earliest', ${BOUNDED})
FORMAT DEBEZIUM ENCODE JSON (
  ignore_key = 'true'
);
select count(order_id) from debezium_ignore_key;`);
  assert.equal(result.code, 0, result.stderr);
  // RisingWave: 3.
  assert.deepEqual(lines(result.stdout), [{ count: 3 }]);
});

test('FORMAT DEBEZIUM ENCODE JSON with a two-column PRIMARY KEY and upper-case names, as RisingWave writes it', async (t) => {
  const loaded = await loadTopic(t, 'debezium_ignore_case_json.1');
  if (loaded === undefined) return;
  const result = await run(`CREATE TABLE dbz_ignore_case_json (
   L_ORDERKEY BIGINT,
   L_PARTKEY BIGINT,
   L_SUPPKEY BIGINT,
   L_LINENUMBER BIGINT,
   L_QUANTITY DECIMAL,
   L_EXTENDEDPRICE DECIMAL,
   L_DISCOUNT DECIMAL,
   L_TAX DECIMAL,
   L_RETURNFLAG VARCHAR,
   L_LINESTATUS VARCHAR,
   L_SHIPDATE DATE,
   L_COMMITDATE DATE,
   L_RECEIPTDATE DATE,
   L_SHIPINSTRUCT VARCHAR,
   L_SHIPMODE VARCHAR,
   L_COMMENT VARCHAR,
   PRIMARY KEY(L_ORDERKEY, L_LINENUMBER)
) WITH (
    connector = 'kafka',
    properties.bootstrap.server = '${loaded.brokers}',
    topic = '${loaded.topic}', ${BOUNDED}
) FORMAT DEBEZIUM ENCODE JSON;
select
    L_ORDERKEY,
    L_LINENUMBER
from dbz_ignore_case_json
order by
    L_ORDERKEY,
    L_LINENUMBER;`);
  assert.equal(result.code, 0, result.stderr);
  // RisingWave: 56165 1 / 56166 1 / 56166 2.
  assert.deepEqual(lines(result.stdout), [
    { l_orderkey: 56165, l_linenumber: 1 },
    { l_orderkey: 56166, l_linenumber: 1 },
    { l_orderkey: 56166, l_linenumber: 2 },
  ]);
});

test('json_c: STRUCT and array columns (CREATE TABLE s12 as written), values converted field by field', async (t) => {
  const loaded = await loadTopic(t, 'json_c.1');
  if (loaded === undefined) return;
  const result = await run(`CREATE TABLE s12(
    id int,
    code string,
    timestamp bigint,
    xfas struct<device_model_id int, device_make_id int, ip string>[],
    contacts struct<emails string[], phones string[]>,
    jsonb jsonb)
WITH (
    connector = 'kafka',
    topic = '${loaded.topic}',
    properties.bootstrap.server = '${loaded.brokers}',
    scan.startup.mode = 'earliest', ${BOUNDED})
FORMAT PLAIN ENCODE JSON;
select id, code, timestamp, xfas, contacts, jsonb from s12;`);
  assert.equal(result.code, 0, result.stderr);
  // RisingWave: 100 abc 1473305798 {"(0,200,10.0.0.1)","(1,400,10.0.0.2)"} ("{1xxx,2xxx}","{1xxx,2xxx}") {"blockNumber": 16938734}
  // (fields in declared order: emails before phones, though the message has phones first).
  assert.equal(
    result.stdout,
    '{"id":100,"code":"abc","timestamp":1473305798,"xfas":[{"device_model_id":0,"device_make_id":200,"ip":"10.0.0.1"},{"device_model_id":1,"device_make_id":400,"ip":"10.0.0.2"}],' +
      '"contacts":{"emails":["1xxx","2xxx"],"phones":["1xxx","2xxx"]},"jsonb":{"blockNumber":16938734}}\n',
  );
});

test('seed-era ROW FORMAT UPSERT_JSON keyed by a declared column: the key message {"ID": 7} with an empty value deletes ID 7', async (t) => {
  const loaded = await loadTopic(t, 'upsert_json.1');
  if (loaded === undefined) return;
  const result = await run(`create table upsert_students ("ID" INT, "firstName" VARCHAR, "lastName" VARCHAR, age INT, height REAL, weight REAL, PRIMARY KEY ("ID"))
    with (connector = 'kafka', properties.bootstrap.server = '${loaded.brokers}', topic = '${loaded.topic}', ${BOUNDED})
    ROW FORMAT UPSERT_JSON;
    select "ID", "firstName" from upsert_students order by "ID";`);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(
    lines(result.stdout).map((r) => `${String(r['ID'])} ${String(r['firstName'])}`),
    ['1 Ethan', '2 Emily', '3 Noah', '4 Emma', '5 Michael', '6 Leah', '9 Jacob'],
  );
});

test('INCLUDE KEY, PARTITION, OFFSET, TIMESTAMP and HEADER fill their columns from each message, usable in queries', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('sql-include');
  await createTopic(brokers, topic, 2);
  await produce(brokers, topic, [
    { partition: 0, key: 'k1', value: '{"v": 1}', headers: { trace: 'a' } },
    { partition: 1, key: 'k2', value: '{"v": 2}' },
    { partition: 1, key: null, value: '{"v": 3}', headers: { trace: 'b' } },
  ]);
  const result = await run(`create source s (v int)
    include key as k include partition as p include offset as o include timestamp as ts include header as h
    include header 'trace' varchar as tr
    with (connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${brokers}', ${BOUNDED})
    format plain encode json;
    select v, k, p, o, ts > cast('2020-01-01 00:00:00+00' as timestamptz) as ts_ok, h, tr from s order by v;`);
  assert.equal(result.code, 0, result.stderr);
  // INCLUDE timestamp is a timestamptz, as in RisingWave; INCLUDE header 'trace' one header's value.
  assert.deepEqual(lines(result.stdout), [
    { v: 1, k: 'k1', p: 0, o: '0', ts_ok: true, h: [{ key: 'trace', value: 'a' }], tr: 'a' },
    { v: 2, k: 'k2', p: 1, o: '0', ts_ok: true, h: [], tr: null },
    { v: 3, k: null, p: 1, o: '1', ts_ok: true, h: [{ key: 'trace', value: 'b' }], tr: 'b' },
  ]);
  // Per-partition aggregates over the metadata columns.
  const counts = await run(`create source s (v int) include partition as p
    with (connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${brokers}', ${BOUNDED}) format plain encode json;
    select p, count(*) as n, sum(v) as total from s group by p order by p;`);
  assert.equal(counts.code, 0, counts.stderr);
  assert.deepEqual(lines(counts.stdout), [
    { p: 0, n: 1, total: 1 },
    { p: 1, n: 2, total: 5 },
  ]);
});

test('unbounded: an aggregate over a table prints its changes as they happen, each line with its __op', async (t) => {
  // The two inserts first; the update (alex becomes chi) only once their result is out.
  const loaded = await loadTopic(t, 'maxwell_json.1', 2);
  if (loaded === undefined) return;
  const seen: Record<string, unknown>[] = [];
  let updateSent = false;
  let failure: unknown;
  const result = await run(
    `create table s13 (id integer, name varchar, is_adult integer, birthday timestamp, PRIMARY KEY (id))
     with (connector = 'kafka', topic = '${loaded.topic}', properties.bootstrap.server = '${loaded.brokers}', scan.startup.mode = 'earliest',
           kafka.commit.offsets = 'false', checkpoint.interval.ms = '200')
     FORMAT MAXWELL ENCODE JSON;
     select is_adult, count(*) as n, max(name) as last_name from s13 group by is_adult;`,
    (line, stop) => {
      seen.push(JSON.parse(line) as Record<string, unknown>);
      // Folded, the changes so far.
      const state = new Map<string, string>();
      for (const c of seen) {
        const key = String(c['is_adult']);
        if (c['__op'] === 'insert' || c['__op'] === 'update_after') state.set(key, `${String(c['n'])}:${String(c['last_name'])}`);
        else state.delete(key);
      }
      if (!updateSent && state.get('0') === '1:tom' && state.get('1') === '1:alex') {
        updateSent = true;
        loaded.rest().catch((err: unknown) => {
          failure = err;
          stop();
        });
      }
      if (state.get('0') === '1:tom' && state.get('1') === '1:chi') stop();
    },
    30_000,
  );
  assert.equal(failure, undefined);
  assert.equal(result.code, 0, `${result.stderr}\n${result.stdout}`);
  for (const change of seen) assert.ok(['insert', 'delete', 'update_before', 'update_after'].includes(String(change['__op'])), JSON.stringify(change));
  // The update of group 1's max(name): before then after, after both inserts were printed.
  assert.deepEqual(
    seen.map((c) => `${String(c['__op'])} ${String(c['is_adult'])} ${String(c['last_name'])}`).slice(-2),
    ['update_before 1 alex', 'update_after 1 chi'],
  );
});

test('FORMAT DEBEZIUM ENCODE JSON without the schema part (debezium_log_schemaless.1): c, c, u, d, c, then a tombstone, leave ids 2 (chi) and 3', async (t) => {
  const loaded = await loadTopic(t, 'debezium_log_schemaless.1');
  if (loaded === undefined) return;
  // Debezium follows a delete with a tombstone (a null value) under the same key.
  await produce(loaded.brokers, loaded.topic, [{ partition: 0, key: '{"id":1}', value: null }]);
  const result = await run(`CREATE TABLE s_debezium_log (id int, name varchar, is_adult boolean, email varchar, PRIMARY KEY (id))
WITH (connector = 'kafka', topic = '${loaded.topic}', properties.bootstrap.server = '${loaded.brokers}', ${BOUNDED})
FORMAT DEBEZIUM ENCODE JSON;
select * from s_debezium_log order by id;`);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(lines(result.stdout), [
    { id: 2, name: 'chi', is_adult: true, email: 'yyy@risingwave-labs.com' },
    { id: 3, name: 'mike', is_adult: true, email: 'aaa@risingwave-labs.com' },
  ]);
});

test('FORMAT DEBEZIUM ENCODE JSON with the schema part (debezium_timestamp.1): Connect Timestamp, Date and Time become the declared SQL types', async (t) => {
  const loaded = await loadTopic(t, 'debezium_timestamp.1');
  if (loaded === undefined) return;
  const result = await run(`CREATE TABLE s_debezium_ts (id bigint, ts timestamp, ts2 timestamp, d date, t time, t2 time, PRIMARY KEY (id))
WITH (connector = 'kafka', topic = '${loaded.topic}', properties.bootstrap.server = '${loaded.brokers}', ${BOUNDED})
FORMAT DEBEZIUM ENCODE JSON;
select id, ts, ts2, d, t, t2, ts < cast('2022-10-19 02:49:23' as timestamp) as before_23 from s_debezium_ts;`);
  assert.equal(result.code, 0, result.stderr);
  // 1666147762800 ms = 19284 days + 10162.8 s after the epoch (UTC): typed values, so they compare as timestamps.
  assert.deepEqual(lines(result.stdout), [
    { id: 1, ts: '2022-10-19 02:49:22.8', ts2: '2022-10-19 02:49:22.813', d: '2022-10-19', t: '02:49:22.8', t2: '02:49:22.813', before_23: true },
  ]);
});

test('FORMAT PLAIN ENCODE JSON over the array-flattening topics: an array message is one row per element (RisingWave: 4 rows, count 100)', async (t) => {
  const four = await loadTopic(t, 'variants/array-flattening-7c844d9f25e/kafka_4_partition_topic.4');
  if (four === undefined) return;
  const rows = await run(`create source s1 (v1 int, v2 varchar) with (connector = 'kafka', topic = '${four.topic}', properties.bootstrap.server = '${four.brokers}', ${BOUNDED})
FORMAT PLAIN ENCODE JSON;
select * from s1 order by v1;`);
  assert.equal(rows.code, 0, rows.stderr);
  assert.deepEqual(lines(rows.stdout), [
    { v1: 1, v2: '1' },
    { v1: 2, v2: '22' },
    { v1: 3, v2: '333' },
    { v1: 4, v2: '4444' },
  ]);
  const hundred = await loadTopic(t, 'variants/array-flattening-7c844d9f25e/kafka_4_partition_topic_with_100_message.4');
  if (hundred === undefined) return;
  const ddl = `create source s2 (v1 int, v2 varchar, v3 int[]) with (connector = 'kafka', topic = '${hundred.topic}', properties.bootstrap.server = '${hundred.brokers}', ${BOUNDED})
FORMAT PLAIN ENCODE JSON;`;
  const count = await run(`${ddl}\nselect count(*) as n, sum(v1) as total, min(v1) as lo, max(v1) as hi from s2;`);
  assert.equal(count.code, 0, count.stderr);
  // 97 messages, 100 rows; v1 runs 0..99.
  assert.deepEqual(lines(count.stdout), [{ n: 100, total: 4950, lo: 0, hi: 99 }]);
  // v3 is [v1, v1, v1], an int[] checked element by element.
  const top = await run(`${ddl}\nselect v1, v3 from s2 order by v1 desc limit 2;`);
  assert.equal(top.code, 0, top.stderr);
  assert.deepEqual(lines(top.stdout), [
    { v1: 99, v3: [99, 99, 99] },
    { v1: 98, v3: [98, 98, 98] },
  ]);
});

test("Debezium's own examples (../shared/fixtures/debezium) through the CLI: pretty-printed events apply, the docs' invalid events are skipped as bad records and counted", async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const files = [
    'tutorial-customers-1004-snapshot-r.value.json',
    'serde-update.json',
    'tutorial-customers-1004-update-u.value.NOT-VALID-JSON.txt',
    'serde-with-schema.json',
    'tutorial-customers-1004-delete-d.value.NOT-VALID-JSON.txt',
  ];
  const paths = files.map((name) => fixture(t, 'debezium', name));
  const keyPath = fixture(t, 'debezium', 'tutorial-customers-1004-update-u.key.json');
  if (paths.some((p) => p === undefined) || keyPath === undefined) return;
  const key = readFileSync(keyPath);
  const topic = uniqueTopic('cdc3-cli-debezium-examples');
  await createTopic(brokers, topic, 1);
  await produce(brokers, topic, [...paths.map((path) => ({ partition: 0, key, value: readFileSync(path!) })), { partition: 0, key, value: null }]);
  const sql = `CREATE TABLE customers (id int, first_name varchar, last_name varchar, email varchar, PRIMARY KEY (id))
WITH (connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${brokers}', ${BOUNDED})
FORMAT DEBEZIUM ENCODE JSON;
select * from customers;`;
  const skipped = await run(sql, undefined, 60_000, ['--bad-records', 'skip']);
  assert.equal(skipped.code, 0, skipped.stderr);
  assert.deepEqual(lines(skipped.stdout), [{ id: 1004, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' }]);
  assert.match(skipped.stderr, /2 bad record\(s\) skipped/);
  // The default policy fails on the first invalid event, naming where it is.
  const failed = await run(sql);
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr, new RegExp(`${topic}-0.*offset.*2|offset.*2.*${topic}-0`, 's'));
});

test("Debezium's schema-less example (serde-without-schema.json: a bare change event, no `schema`/`payload` wrapper, pretty-printed) on Kafka through the CLI", async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const path = fixture(t, 'debezium', 'serde-without-schema.json');
  if (path === undefined) return;
  const topic = uniqueTopic('cdc3-cli-debezium-bare');
  await createTopic(brokers, topic, 1);
  // The insert, then the same event again (an upsert by key: still one row) and a delete of
  // another key that was never inserted (a no-op, not an error).
  const event = JSON.parse(readFileSync(path, 'utf8')) as { after: Record<string, unknown> };
  const absentDelete = JSON.stringify({ op: 'd', before: { ...event.after, id: 9999 }, after: null });
  await produce(brokers, topic, [{ partition: 0, value: readFileSync(path) }, { partition: 0, value: readFileSync(path) }, { partition: 0, value: absentDelete }]);
  const sql = `CREATE TABLE customers (id int, first_name varchar, last_name varchar, email varchar, PRIMARY KEY (id))
WITH (connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${brokers}', ${BOUNDED})
FORMAT DEBEZIUM ENCODE JSON;
select * from customers;`;
  const result = await run(sql);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(lines(result.stdout), [{ id: 1004, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' }]);
});

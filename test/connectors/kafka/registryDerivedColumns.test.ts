import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import avsc from 'avsc';
import { lastValueFrom, takeUntil, timer, toArray } from 'rxjs';
import type { Row } from '../../../src/formats/Format.js';
import { Decimal } from '../../../src/sql/Decimal.js';
import { Session } from '../../../src/sql/Session.js';
import { SqlError } from '../../../src/sql/SqlError.js';
import { formatSqlType } from '../../../src/sql/SqlType.js';
import { closedPort, createTopic, needKafka, produce, uniqueTopic } from '../../support/kafka.js';
import { needRegistry, registerSchema, wireFormat } from '../../support/registry.js';
import { SHOP_PROTO, descriptorSet, encodeOrder, order as pbOrder } from '../../formats/protobufFixtures.js';
import { runCli, type CliRun } from '../../support/cli.js';

// CREATE SOURCE without columns over the real registry (Apicurio's Confluent API) and broker:
// the columns come from the subject's latest schema at CREATE time, typed, and queries are
// checked and computed against them.

const v1 = {
  type: 'record',
  name: 'Trade',
  namespace: 'tributary.registry2',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'qty', type: 'int' },
    { name: 'price', type: { type: 'bytes', logicalType: 'decimal', precision: 20, scale: 2 } },
    { name: 'ratio', type: 'double' },
    { name: 'weight', type: 'float' },
    { name: 'ok', type: 'boolean' },
    { name: 'raw', type: 'bytes' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-micros' } },
    { name: 'at_ms', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'uid', type: { type: 'string', logicalType: 'uuid' } },
    { name: 'side', type: { type: 'enum', name: 'Side', symbols: ['BUY', 'SELL'] } },
    { name: 'venue', type: { type: 'record', name: 'Venue', fields: [{ name: 'city', type: 'string' }, { name: 'zip', type: ['null', 'string'], default: null }] } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'comment', type: ['null', 'string'], default: null },
  ],
};
/** v1 plus a field with a default, registered after the source was created. */
const v2 = { ...v1, fields: [...v1.fields, { name: 'note', type: 'string', default: 'none' }] };

const expectedTypes = [
  'id BIGINT NOT NULL',
  'qty INTEGER NOT NULL',
  'price NUMERIC(20,2) NOT NULL',
  'ratio DOUBLE PRECISION NOT NULL',
  'weight REAL NOT NULL',
  'ok BOOLEAN NOT NULL',
  'raw BYTEA NOT NULL',
  'at TIMESTAMPTZ NOT NULL',
  'at_ms TIMESTAMPTZ',
  'day DATE NOT NULL',
  'uid VARCHAR NOT NULL',
  'side VARCHAR NOT NULL',
  'venue STRUCT<city VARCHAR, zip VARCHAR> NOT NULL',
  'tags VARCHAR[] NOT NULL',
  'comment VARCHAR',
];

/** Big-endian two's complement, as Avro encodes a decimal's unscaled value. */
function unscaledBytes(n: bigint): Buffer {
  let hex = BigInt.asUintN(128, n).toString(16).padStart(32, '0');
  while (hex.length > 2 && ((hex.startsWith('00') && parseInt(hex[2]!, 16) < 8) || (hex.startsWith('ff') && parseInt(hex[2]!, 16) >= 8))) hex = hex.slice(2);
  return Buffer.from(hex, 'hex');
}

// ids beyond 2^53 and prices beyond a double's digits: a sum through JS numbers would be wrong.
const BIG = 9007199254740993n;
const trade = (n: number, extra: Record<string, unknown> = {}) => ({
  id: BIG + BigInt(n),
  qty: n,
  price: unscaledBytes(1234567890123456789n + BigInt(n)),
  ratio: n / 4,
  weight: 1.5,
  ok: n % 2 === 0,
  raw: Buffer.from([n, 255]),
  at: 1709210096789012 + n,
  at_ms: n === 2 ? null : { long: 1709210096789 },
  day: 19782 + n,
  uid: `00000000-0000-4000-8000-00000000000${n}`,
  side: n % 2 === 0 ? 'BUY' : 'SELL',
  venue: { city: `city ${n}`, zip: n === 1 ? { string: '75001' } : null },
  tags: ['a', `t${n}`],
  comment: null,
  ...extra,
});

/** The producer's `long`: bigints (ids beyond 2^53) or safe integers. */
const writerLong = avsc.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint | number) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (n: number) => BigInt(n),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint' || Number.isSafeInteger(n),
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

const encode = (schema: unknown, id: number, value: unknown): Buffer =>
  wireFormat(
    id,
    avsc.Type.forSchema(schema as avsc.Schema, {
      wrapUnions: true,
      registry: { long: writerLong },
      typeHook: (s) => (typeof s === 'object' && s !== null && (s as { type?: unknown }).type === 'long' ? writerLong : undefined),
    }).toBuffer(value),
  );

const readAll = async (session: Session, sql: string): Promise<Row[]> => lastValueFrom(session.query(sql).rows.pipe(takeUntil(timer(60_000)), toArray()));

const columnsOf = (session: Session, name: string): string[] =>
  (session.sources.get(name)?.columns ?? []).map((c) => `${c.name} ${formatSqlType(c.type)}${c.notNull ? ' NOT NULL' : ''}`);

test('registry avro without declared columns: typed columns from the latest schema, typed queries, an evolved schema after CREATE, the registry down at CREATE', async (t) => {
  const brokers = await needKafka(t);
  const registry = await needRegistry(t);
  if (brokers === undefined || registry === undefined) return;
  const topic = uniqueTopic('registry2-trades');
  await createTopic(brokers, topic, 2);
  const id1 = await registerSchema(registry, `${topic}-value`, v1);
  await produce(brokers, topic, [
    { key: '1', partition: 0, value: encode(v1, id1, trade(1)) },
    { key: '2', partition: 1, value: encode(v1, id1, trade(2)) },
  ]);
  const props = `connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${brokers}',
    scan.startup.mode = 'earliest', scan.bounded.mode = 'latest', kafka.commit.offsets = 'false'`;
  const session = new Session({ checkpointIntervalMs: 100 });
  // One source a run: a source's checkpoint in the session's store would start a second run at its end.
  for (const name of ['trades', 'trades_rows', 'trades_where', 'trades_after']) {
    await session.executeAsync(`CREATE SOURCE ${name} WITH (${props}) FORMAT PLAIN ENCODE AVRO (schema.registry = '${registry}')`);
    assert.deepEqual(columnsOf(session, name), expectedTypes);
  }

  // Created at v1 too, skipping bad records: read after a later version drops a field.
  const skipping = new Session({ checkpointIntervalMs: 100, badRecords: 'skip' });
  await skipping.executeAsync(`CREATE SOURCE pinned WITH (${props}) FORMAT PLAIN ENCODE AVRO (schema.registry = '${registry}')`);

  // Typed queries: sums are exact. As in PostgreSQL and RisingWave, sum(BIGINT) is NUMERIC (it
  // cannot overflow), sum(INTEGER) is BIGINT; typed by the derived columns, not by the values.
  const totals = session.query('SELECT sum(id) AS ids, sum(price) AS total, sum(qty) AS qty, count(*) AS n FROM trades');
  assert.deepEqual(
    totals.columns.map((c) => [c.name, c.type]),
    [
      ['ids', 'numeric'],
      ['total', 'numeric'],
      ['qty', 'bigint'],
      ['n', 'bigint'],
    ],
  );
  const [sums] = await lastValueFrom(totals.rows.pipe(takeUntil(timer(60_000)), toArray())).then((rows) => rows.slice(-1));
  assert.equal(String(sums!['ids']), String(2n * BIG + 3n));
  assert.ok(sums!['total'] instanceof Decimal);
  assert.equal(String(sums!['total']), '24691357802469135.81');
  assert.equal(sums!['n'], 2n);

  // Rows are converted like declared columns are.
  const rows = (await readAll(session, 'SELECT * FROM trades_rows')).sort((a, b) => Number(a['qty']) - Number(b['qty']));
  assert.equal(rows.length, 2);
  const first = rows[0]!;
  assert.ok(first['at'] instanceof Date, 'TIMESTAMPTZ is an instant');
  // The micros of timestamp-micros are kept (a MicroDate).
  assert.equal((first['at'] as Date).toISOString(), '2024-02-29T12:34:56.789013Z');
  assert.equal(first['day'], '2024-03-01');
  assert.ok(first['price'] instanceof Decimal);
  assert.deepEqual(first['venue'], { city: 'city 1', zip: '75001' });
  assert.deepEqual(first['tags'], ['a', 't1']);
  assert.deepEqual([...(first['raw'] as Uint8Array)], [1, 255]);
  assert.equal(first['side'], 'SELL');
  assert.equal(rows[1]!['at_ms'], null);
  assert.deepEqual(Object.keys(first), expectedTypes.map((c) => c.split(' ')[0]));

  // WHERE is typed against the derived columns: a decimal compares exactly, text to a number is refused.
  const expensive = await readAll(session, "SELECT qty FROM trades_where WHERE price > 12345678901234567.90 AND side = 'BUY'");
  assert.deepEqual(expensive.map((r) => r['qty']), [2]);
  assert.throws(() => session.query('SELECT uid + 1 FROM trades'), (err: unknown) => err instanceof SqlError && /operator does not exist: VARCHAR \+ INTEGER/.test(err.message));

  // An unknown column names the derived ones.
  assert.throws(
    () => session.query('SELECT nosuch FROM trades'),
    (err: unknown) => err instanceof SqlError && err.message.includes('column "nosuch" does not exist in source "trades"') && err.message.includes('its columns: id, qty, price, ratio'),
  );

  // The schema evolves after CREATE: a field added with a default, a message written with it.
  const id2 = await registerSchema(registry, `${topic}-value`, v2);
  assert.notEqual(id1, id2);
  await produce(brokers, topic, [{ key: '3', partition: 0, value: encode(v2, id2, trade(3, { note: 'gift' })) }]);
  // The source created before keeps its columns and reads both versions.
  const after = (await readAll(session, 'SELECT * FROM trades_after')).sort((a, b) => Number(a['qty']) - Number(b['qty']));
  assert.deepEqual(after.map((r) => [r['qty'], r['id']]), [
    [1, BIG + 1n],
    [2, BIG + 2n],
    [3, BIG + 3n],
  ]);
  assert.ok(after.every((r) => !('note' in r)), 'a field added after CREATE is not a column of the source');
  assert.throws(() => session.query('SELECT note FROM trades'), /column "note" does not exist/);
  // A third version drops a field the columns have (qty, without a default): the messages written
  // before keep their values (rows are read in the version the columns came from, not the latest),
  // and a message of the new version, which cannot be, is a bad record at its offset.
  const v3 = { ...v2, fields: v2.fields.filter((f) => f.name !== 'qty') };
  const id3 = await registerSchema(registry, `${topic}-value`, v3);
  const { qty: _dropped, ...withoutQty } = trade(4, { note: 'v3' });
  await produce(brokers, topic, [{ key: '4', partition: 1, value: encode(v3, id3, withoutQty) }]);
  const pinned = await readAll(skipping, 'SELECT id, qty FROM pinned');
  assert.deepEqual(pinned.map((r) => [r['id'], r['qty']]).sort((a, b) => Number(a[1]) - Number(b[1])), [
    [BIG + 1n, 1],
    [BIG + 2n, 2],
    [BIG + 3n, 3],
  ]);
  assert.equal(skipping.sources.get('pinned')?.source.badRecordStats.skipped, 1);

  // A source created now derives the latest schema (v3): no qty; older messages read note's default.
  await session.executeAsync(`CREATE SOURCE trades2 WITH (${props}) FORMAT PLAIN ENCODE AVRO (schema.registry = '${registry}')`);
  assert.deepEqual(columnsOf(session, 'trades2'), [...expectedTypes.filter((c) => !c.startsWith('qty ')), 'note VARCHAR NOT NULL']);
  const notes = (await readAll(session, 'SELECT id, note FROM trades2')).sort((a, b) => Number((a['id'] as bigint) - (b['id'] as bigint)));
  assert.deepEqual(notes.map((r) => [r['id'], r['note']]), [
    [BIG + 1n, 'none'],
    [BIG + 2n, 'none'],
    [BIG + 3n, 'gift'],
    [BIG + 4n, 'v3'],
  ]);

  // Declared columns are not replaced by derived ones, and the seed's syntax derives too.
  await session.executeAsync(`CREATE SOURCE declared (id BIGINT, qty INT) WITH (${props}) FORMAT PLAIN ENCODE AVRO (schema.registry = '${registry}')`);
  assert.deepEqual(columnsOf(session, 'declared'), ['id BIGINT', 'qty INTEGER']);
  await session.executeAsync(`CREATE SOURCE seed WITH ('upstream.source' = 'kafka', 'kafka.topic' = '${topic}', 'kafka.bootstrap.servers' = '${brokers}')
    ROW FORMAT AVRO ROW SCHEMA LOCATION '${registry}'`);
  assert.equal(columnsOf(session, 'seed').length, expectedTypes.length);
  // A connector without Kafka's topic naming has no subject to derive from: untyped, as before.
  await session.executeAsync(`CREATE SOURCE on_pulsar WITH (connector = 'pulsar', topic = 'persistent://public/default/registry2-none',
      service.url = 'pulsar://127.0.0.1:6650', admin.url = 'http://127.0.0.1:8080') FORMAT PLAIN ENCODE AVRO (schema.registry = '${registry}')`);
  assert.equal(session.sources.get('on_pulsar')?.columns, undefined);
  // A table keyed by a derived column; a key that is no column of the latest schema is refused.
  await session.executeAsync(`CREATE TABLE keyed (PRIMARY KEY (id)) WITH (${props}) FORMAT PLAIN ENCODE AVRO (schema.registry = '${registry}')`);
  assert.deepEqual(session.sources.get('keyed')?.primaryKey, ['id']);
  assert.equal(columnsOf(session, 'keyed')[0], 'id BIGINT NOT NULL');
  await assert.rejects(
    session.executeAsync(`CREATE TABLE badkey (PRIMARY KEY (ident)) WITH (${props}) FORMAT PLAIN ENCODE AVRO (schema.registry = '${registry}')`),
    /table "badkey": primary key column "ident" is not a column of "badkey"/,
  );

  // A subject nobody registered: a clear error at CREATE, nothing registered.
  await assert.rejects(
    session.executeAsync(`CREATE SOURCE nothing WITH (${props.replace(topic, `${topic}-absent`)}) FORMAT PLAIN ENCODE AVRO (schema.registry = '${registry}')`),
    (err: unknown) => err instanceof SqlError && err.message.includes(`subject "${topic}-absent-value"`) && /register a schema .* or declare the columns/.test(err.message),
  );
  assert.equal(session.sources.has('nothing'), false);

  // The registry down at CREATE time: a clear error that names it without its credentials.
  const port = await closedPort();
  const down = `http://registry2-user:registry2-secret-pw@127.0.0.1:${port}/apis/ccompat/v7`;
  for (const sql of [
    `CREATE SOURCE down WITH (${props}) FORMAT PLAIN ENCODE AVRO (schema.registry = '${down}')`,
    `CREATE SOURCE down WITH (${props}) FORMAT PLAIN ENCODE AVRO (schema.registry = 'http://127.0.0.1:${port}/apis/ccompat/v7', schema.registry.username = 'registry2-user', schema.registry.password = 'registry2-secret-pw')`,
  ]) {
    const err = await session.executeAsync(sql).then(
      () => assert.fail('CREATE succeeded with the registry down'),
      (e: unknown) => e as Error,
    );
    assert.ok(err instanceof SqlError, String(err));
    assert.match(err.message, new RegExp(`schema registry http://127\\.0\\.0\\.1:${port}/apis/ccompat/v7 is unreachable`));
    assert.match(err.message, /declare the columns, or retry when it answers/);
    assert.ok(!err.message.includes('registry2-secret-pw'), err.message);
    assert.ok(!String(err.stack).includes('registry2-secret-pw'));
    assert.equal(session.sources.has('down'), false);
  }
});

/** `tributary <args> <file with sql>` as a child process, killed after 60 s (a hang fails, it does not stall CI). */
async function cli(args: readonly string[], sql: string): Promise<CliRun> {
  const dir = mkdtempSync(join(tmpdir(), 'registry2-cli-'));
  const file = join(dir, 'q.sql');
  writeFileSync(file, sql);
  try {
    return await runCli([...args, file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the CLI derives the columns of a registry source too: check refuses an unknown column naming them, run sums exactly', async (t) => {
  const brokers = await needKafka(t);
  const registry = await needRegistry(t);
  if (brokers === undefined || registry === undefined) return;
  const topic = uniqueTopic('registry2-cli');
  await createTopic(brokers, topic, 1);
  const id1 = await registerSchema(registry, `${topic}-value`, v1);
  await produce(brokers, topic, [1, 2, 3].map((n) => ({ key: String(n), partition: 0, value: encode(v1, id1, trade(n)) })));
  const create = `CREATE SOURCE trades WITH (connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${brokers}',
    scan.startup.mode = 'earliest', scan.bounded.mode = 'latest', kafka.commit.offsets = 'false') FORMAT PLAIN ENCODE AVRO (schema.registry = '${registry}');\n`;
  const bad = await cli(['check'], `${create}SELECT qtty FROM trades;`);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /column "qtty" does not exist in source "trades" \(did you mean "qty"\?\); its columns: id, qty, price, ratio, weight/);
  const ok = await cli(['run'], `${create}SELECT sum(id) AS ids, sum(price) AS total, count(*) AS n FROM trades WHERE ok = false;`);
  assert.equal(ok.code, 0, ok.stderr);
  // Trades 1 and 3 (ok is false for odd n): exact beyond 2^53 and beyond a double's digits, as
  // JSON numbers written digit for digit (JSON.parse would round them, so the text is compared).
  assert.equal(ok.stdout.trim().split('\n').at(-1), `{"ids":${2n * BIG + 4n},"total":24691357802469135.82,"n":2}`);
});

test('protobuf without declared columns: from the registry subject\'s latest .proto (its first message, or the named one) and from a descriptor file', async (t) => {
  const brokers = await needKafka(t);
  const registry = await needRegistry(t);
  if (brokers === undefined || registry === undefined) return;
  const framed = uniqueTopic('registry2-pb');
  const plain = uniqueTopic('registry2-pb-file');
  await createTopic(brokers, framed, 1);
  await createTopic(brokers, plain, 1);
  const id = await registerSchema(registry, `${framed}-value`, SHOP_PROTO, 'PROTOBUF');
  // Message indexes [0] (the count 0 means the first message: shop.Order).
  await produce(brokers, framed, [1, 2].map((n) => ({ value: wireFormat(id, Buffer.concat([Buffer.from([0]), encodeOrder(pbOrder(n))])) })));
  await produce(brokers, plain, [{ value: encodeOrder(pbOrder(3)) }]);
  const dir = mkdtempSync(join(tmpdir(), 'registry2-pb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const descriptor = join(dir, 'shop.pb');
  writeFileSync(descriptor, descriptorSet());
  const props = (topic: string) => `connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${brokers}',
    scan.startup.mode = 'earliest', scan.bounded.mode = 'latest', kafka.commit.offsets = 'false'`;
  const session = new Session({ checkpointIntervalMs: 100 });
  const order = [
    'id BIGINT',
    'name VARCHAR',
    'status VARCHAR',
    'blob BYTEA',
    'at TIMESTAMPTZ',
    'line STRUCT<qty INTEGER>',
    'tags VARCHAR[]',
    'big NUMERIC',
  ];
  await session.executeAsync(`CREATE SOURCE pb WITH (${props(framed)}) FORMAT PLAIN ENCODE PROTOBUF (schema.registry = '${registry}')`);
  assert.deepEqual(columnsOf(session, 'pb'), order);
  await session.executeAsync(`CREATE SOURCE refunds WITH (${props(framed)}) FORMAT PLAIN ENCODE PROTOBUF (message = 'shop.Refund', schema.registry = '${registry}')`);
  assert.deepEqual(columnsOf(session, 'refunds'), ['order_id BIGINT']);
  await session.executeAsync(`CREATE SOURCE pb_file WITH (${props(plain)}) FORMAT PLAIN ENCODE PROTOBUF (message = 'shop.Order', schema.location = '${pathToFileURL(descriptor).href}')`);
  assert.deepEqual(columnsOf(session, 'pb_file'), order);

  const q = session.query('SELECT sum(big) AS big, sum(id) AS ids, max(at) AS at, count(*) AS n FROM pb');
  assert.deepEqual(q.columns.map((c) => c.type), ['numeric', 'numeric', 'timestamptz', 'bigint']);
  const last = (await lastValueFrom(q.rows.pipe(takeUntil(timer(60_000)), toArray()))).at(-1)!;
  assert.equal(String(last['big']), String(2n * 18446744073709551615n));
  assert.equal(String(last['ids']), '30000000000000000');
  assert.equal((last['at'] as Date).toISOString(), '2024-02-29T12:34:56.789012Z');
  assert.equal(last['n'], 2n);
  const rows = await readAll(session, 'SELECT * FROM pb_file');
  assert.deepEqual(rows.map((r) => [r['id'], r['status'], r['line'], r['tags']]), [[30_000_000_000_000_000n, 'PAID', { qty: 3 }, ['a', 'b']]]);
  assert.throws(() => session.query('SELECT qty FROM pb'), /column "qty" does not exist in source "pb"; its columns: id, name, status, blob, at, line, tags, big/);
  // A message the schema does not have, and an Avro subject read as Protobuf: clear errors at CREATE.
  await assert.rejects(
    session.executeAsync(`CREATE SOURCE nope WITH (${props(framed)}) FORMAT PLAIN ENCODE PROTOBUF (message = 'shop.Nope', schema.registry = '${registry}')`),
    /source "nope": protobuf: the schema has no message shop.Nope/,
  );
  await registerSchema(registry, `${plain}-value`, v1);
  await assert.rejects(
    session.executeAsync(`CREATE SOURCE avro_as_pb WITH (${props(plain)}) FORMAT PLAIN ENCODE PROTOBUF (schema.registry = '${registry}')`),
    new RegExp(`source "avro_as_pb": the latest version of subject "${plain}-value" is a AVRO schema, not Protobuf; declare the columns`),
  );
  assert.equal(session.sources.has('nope') || session.sources.has('avro_as_pb'), false);
});

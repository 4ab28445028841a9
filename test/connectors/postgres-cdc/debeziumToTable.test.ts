import { needPeer } from '../../support/peers.js';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import { opOf } from '../../../src/core/Changelog.js';
import { toTable } from '../../../src/core/toTable.js';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Format, Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { kafkaBrokers } from '../../support/kafka.js';
import { pgClient, postgresTarget, uniqueName } from '../../support/postgres.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function debeziumPrefix(): Promise<string | undefined> {
  const envFile = join(root, '.peers', 'debezium.env');
  if (!existsSync(envFile)) return undefined;
  const text = readFileSync(envFile, 'utf8');
  try {
    const res = await fetch(`${/^DEBEZIUM_REST=(.+)$/m.exec(text)?.[1]}/connectors`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return undefined;
  } catch {
    return undefined;
  }
  return /^DEBEZIUM_TOPIC_PREFIX=(.+)$/m.exec(text)?.[1];
}

function debeziumFormat(): Format | undefined {
  try {
    return createFormat('debezium_json');
  } catch {
    return undefined; // the change-data formats are not on this branch yet
  }
}

// Skips when the debezium peer is not up (and fails under TRIBUTARY_REQUIRE_PEERS, as every peer test).
test('Debezium → Kafka → debezium_json → toTable: the table equals SELECT * after inserts, updates, deletes while reading', { timeout: 120_000 }, async (t) => {
  const prefix = await debeziumPrefix();
  const pg = await postgresTarget();
  const brokers = await kafkaBrokers();
  const format = debeziumFormat();
  assert.ok(format !== undefined, "the 'debezium_json' format is registered");
  if (!needPeer(t, prefix !== undefined && pg !== undefined && brokers !== undefined, 'run `node scripts/peers.mjs up kafka postgres debezium`')) return;
  if (prefix === undefined || pg === undefined || brokers === undefined) return; // narrowed for the compiler: needPeer returned true
  const table = `debezium_${uniqueName('tt')}`;
  const admin = await pgClient(pg);
  t.after(async () => {
    await admin.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    await admin.end();
  });
  await admin.query(`CREATE TABLE "${table}" (id int PRIMARY KEY, v text, n int8)`);
  await admin.query(`ALTER TABLE "${table}" REPLICA IDENTITY FULL`);
  await admin.query(`ALTER PUBLICATION tributary_debezium_pub ADD TABLE "${table}"`);
  for (let i = 1; i <= 20; i++) await admin.query(`INSERT INTO "${table}" VALUES ($1, $2, $3)`, [i, `v${i}`, i * 1000]);
  const topic = `${prefix}.public.${table}`;
  // The topic appears with the first event.
  const { Kafka, logLevel } = await import('kafkajs');
  const kafkaAdmin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await kafkaAdmin.connect();
  const deadline = Date.now() + 60_000;
  while (!(await kafkaAdmin.listTopics()).includes(topic)) {
    assert.ok(Date.now() < deadline, `topic ${topic} did not appear in 60s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  await kafkaAdmin.disconnect();

  const source = createKafkaSource({ name: `dbz-${table}`, topic, brokers, format, store: new MemoryStore(), startupMode: 'earliest', consumerGroup: false, checkpointIntervalMs: 50 });
  const mirror = new Map<number, Row>();
  const errors: unknown[] = [];
  const subscription = source.pipe(toTable<Row>(source, { primaryKey: ['id'] }), commitEpochs(source)).subscribe({
    next: (e) => {
      if (e.type !== 'chunk') return;
      for (const r of e.records) {
        const op = opOf(r);
        if (op === 'insert' || op === 'update_after') mirror.set(Number(r.id), { ...r });
        else mirror.delete(Number(r.id));
      }
    },
    error: (err: unknown) => errors.push(err),
  });
  t.after(() => subscription.unsubscribe());
  // Changes while reading.
  await admin.query(`UPDATE "${table}" SET v = v || '!', n = n + 1 WHERE id % 3 = 0`);
  await admin.query(`DELETE FROM "${table}" WHERE id % 4 = 0`);
  await admin.query(`INSERT INTO "${table}" VALUES (100, 'late', NULL)`);
  const expected = async (): Promise<Map<number, Row>> => {
    const r = await admin.query(`SELECT id, v, n::text AS n FROM "${table}"`);
    return new Map(r.rows.map((row: { id: number; v: string; n: string | null }) => [row.id, { id: row.id, v: row.v, n: row.n }]));
  };
  const normalize = (m: Map<number, Row>): string =>
    JSON.stringify([...m].sort((a, b) => a[0] - b[0]).map(([, r]) => [Number(r.id), r.v, r.n === null || r.n === undefined ? null : String(r.n)]));
  const until = Date.now() + 60_000;
  let want = await expected();
  while (normalize(mirror) !== normalize(want) && errors.length === 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    want = await expected();
  }
  assert.deepEqual(errors, []);
  assert.equal(normalize(mirror), normalize(want));
});

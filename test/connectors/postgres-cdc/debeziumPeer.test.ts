import { needPeer } from '../../support/peers.js';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBrokers } from '../../support/kafka.js';
import { pgClient, postgresTarget, uniqueName } from '../../support/postgres.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The debezium peer's topic prefix when it runs (`node scripts/peers.mjs up debezium`), else undefined. */
async function debeziumPrefix(): Promise<string | undefined> {
  const envFile = join(root, '.peers', 'debezium.env');
  if (!existsSync(envFile)) return undefined;
  const text = readFileSync(envFile, 'utf8');
  const rest = /^DEBEZIUM_REST=(.+)$/m.exec(text)?.[1];
  try {
    const res = await fetch(`${rest}/connectors`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return undefined;
  } catch {
    return undefined;
  }
  return /^DEBEZIUM_TOPIC_PREFIX=(.+)$/m.exec(text)?.[1];
}

// Skips when the debezium peer is not up (and fails under TRIBUTARY_REQUIRE_PEERS, as every peer test).
test('debezium peer: changes of a PostgreSQL table reach Kafka as Debezium JSON (c/u/d with before and after)', { timeout: 90_000 }, async (t) => {
  const prefix = await debeziumPrefix();
  const pg = await postgresTarget();
  const brokers = await kafkaBrokers();
  if (!needPeer(t, prefix !== undefined && pg !== undefined && brokers !== undefined, 'run `node scripts/peers.mjs up kafka postgres debezium`')) return;
  if (prefix === undefined || pg === undefined || brokers === undefined) return; // narrowed for the compiler: needPeer returned true
  const table = `debezium_${uniqueName('t')}`;
  const admin = await pgClient(pg);
  t.after(async () => {
    await admin.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    await admin.end();
  });
  await admin.query(`CREATE TABLE "${table}" (id int PRIMARY KEY, v text)`);
  await admin.query(`ALTER TABLE "${table}" REPLICA IDENTITY FULL`);
  // The connector's publication lists the tables that existed when it started; add ours.
  await admin.query(`ALTER PUBLICATION tributary_debezium_pub ADD TABLE "${table}"`);
  await admin.query(`INSERT INTO "${table}" VALUES (1, 'a'), (2, 'b')`);
  await admin.query(`UPDATE "${table}" SET v = 'a2' WHERE id = 1`);
  await admin.query(`DELETE FROM "${table}" WHERE id = 2`);

  const topic = `${prefix}.public.${table}`;
  const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  const deadline = Date.now() + 60_000;
  while (!(await kafkaAdmin.listTopics()).includes(topic)) {
    assert.ok(Date.now() < deadline, `topic ${topic} did not appear in 60s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  await kafkaAdmin.disconnect();
  const consumer = kafka.consumer({ groupId: `pg-dbz-${process.pid}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const events: Array<{ op: string; before: unknown; after: unknown }> = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${events.length} events on ${topic} after 30s`)), 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value === null) return; // tombstone after a delete
        const e = JSON.parse(message.value.toString('utf8')) as { op: string; before: unknown; after: unknown };
        events.push({ op: e.op, before: e.before, after: e.after });
        if (events.length === 4) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  assert.deepEqual(events, [
    { op: 'c', before: null, after: { id: 1, v: 'a' } },
    { op: 'c', before: null, after: { id: 2, v: 'b' } },
    { op: 'u', before: { id: 1, v: 'a' }, after: { id: 1, v: 'a2' } },
    { op: 'd', before: { id: 2, v: 'b' }, after: null },
  ]);
});

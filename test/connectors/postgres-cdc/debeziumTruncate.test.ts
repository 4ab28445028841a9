import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { opOf } from '../../../src/core/Changelog.js';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import { MicroDate } from '../../../src/core/MicroDate.js';
import { toTable } from '../../../src/core/toTable.js';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { kafkaBrokers } from '../../support/kafka.js';
import { dropSlotAndPublication, pgClient, postgresTarget, uniqueName } from '../../support/postgres.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The debezium peer's Connect REST address when it runs, else undefined. */
async function connectRest(): Promise<string | undefined> {
  const envFile = join(root, '.peers', 'debezium.env');
  if (!existsSync(envFile)) return undefined;
  const rest = /^DEBEZIUM_REST=(.+)$/m.exec(readFileSync(envFile, 'utf8'))?.[1];
  try {
    const res = await fetch(`${rest}/connectors`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? rest : undefined;
  } catch {
    return undefined;
  }
}

// A connector of this test's own on the running Connect worker (the peer's connector skips
// TRUNCATE, Debezium's default `skipped.operations=t`): its own slot, publication and topic
// prefix, TRUNCATE events on, and schemas in the messages so that MicroTimestamp (an integer of
// microseconds) is known for what it is. Removed afterwards.
test('Debezium → Kafka → debezium_json → toTable: TRUNCATE empties the table, and timestamptz (ZonedTimestamp) and timestamp (MicroTimestamp) keep their microseconds', { timeout: 150_000 }, async (t) => {
  const rest = await connectRest();
  const pg = await postgresTarget();
  const brokers = await kafkaBrokers();
  const { needPeer } = await import('../../support/peers.js');
  if (!needPeer(t, rest !== undefined && pg !== undefined && brokers !== undefined, 'run `node scripts/peers.mjs up kafka postgres debezium`')) return;
  if (rest === undefined || pg === undefined || brokers === undefined) return;
  const suffix = uniqueName('pg2').slice(3);
  const table = `pg2_dbz_${suffix}`;
  const slot = `pg2_dbz_slot_${suffix}`;
  const publication = `pg2_dbz_pub_${suffix}`;
  const prefix = `pg2dbz_${suffix}`;
  const connector = `pg2-dbz-${suffix}`;
  const topic = `${prefix}.public.${table}`;
  const admin = await pgClient(pg);
  const { Kafka, logLevel } = await import('kafkajs');
  const kafkaAdmin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  t.after(async () => {
    await fetch(`${rest}/connectors/${connector}`, { method: 'DELETE' }).catch(() => undefined);
    await dropSlotAndPublication(pg, slot, publication);
    await admin.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    await admin.end();
    await kafkaAdmin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await kafkaAdmin.disconnect();
  });
  await admin.query(`CREATE TABLE "${table}" (id int PRIMARY KEY, v text, at timestamptz, ts timestamp)`);
  await admin.query(`ALTER TABLE "${table}" REPLICA IDENTITY FULL`);
  await admin.query(`CREATE PUBLICATION "${publication}" FOR TABLE "${table}"`);
  for (let i = 1; i <= 10; i++) {
    await admin.query(`INSERT INTO "${table}" VALUES ($1, $2, $3, $4)`, [i, `v${i}`, `2024-01-0${1 + (i % 9)} 01:02:03.123${String(i).padStart(3, '0')}+02`, `1999-12-31 23:59:59.99999${i % 10}`]);
  }
  const config = {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'tasks.max': '1',
    'database.hostname': pg.host,
    'database.port': String(pg.port),
    'database.user': pg.user,
    'database.password': pg.password,
    'database.dbname': pg.database,
    'topic.prefix': prefix,
    'plugin.name': 'pgoutput',
    'slot.name': slot,
    'publication.name': publication,
    'publication.autocreate.mode': 'disabled',
    'table.include.list': `public\\.${table}`,
    'snapshot.mode': 'initial',
    'skipped.operations': 'none',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'true',
    'topic.creation.default.replication.factor': '1',
    'topic.creation.default.partitions': '1',
  };
  const created = await fetch(`${rest}/connectors`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: connector, config }) });
  assert.ok(created.ok, `creating the connector: ${created.status} ${(await created.text()).replaceAll(pg.password, '***')}`);
  await kafkaAdmin.connect();
  const deadline = Date.now() + 90_000;
  while (!(await kafkaAdmin.listTopics()).includes(topic)) {
    assert.ok(Date.now() < deadline, `topic ${topic} did not appear in 90s`);
    await new Promise((r) => setTimeout(r, 250));
  }

  const source = createKafkaSource({ name: `dbz-${table}`, topic, brokers, format: createFormat('debezium_json'), store: new MemoryStore(), startupMode: 'earliest', consumerGroup: false, checkpointIntervalMs: 50 });
  const mirror = new Map<number, Row>();
  const errors: unknown[] = [];
  let deletes = 0;
  const subscription = source.pipe(toTable<Row>(source, { primaryKey: ['id'] }), commitEpochs(source)).subscribe({
    next: (e) => {
      if (e.type !== 'chunk') return;
      for (const r of e.records) {
        const op = opOf(r);
        if (op === 'insert' || op === 'update_after') mirror.set(Number(r.id), { ...r });
        else {
          deletes++;
          mirror.delete(Number(r.id));
        }
      }
    },
    error: (err: unknown) => errors.push(err),
  });
  t.after(() => subscription.unsubscribe());
  /** SELECT * as comparable text: timestamptz in UTC with six digits, timestamp as PostgreSQL writes it. */
  const expected = async (): Promise<string> => {
    const r = await admin.query(`SELECT id, v, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, ts::text AS ts FROM "${table}" ORDER BY id`);
    return JSON.stringify(r.rows.map((row: Record<string, unknown>) => [row.id, row.v, row.at, row.ts]));
  };
  const got = (): string =>
    JSON.stringify(
      [...mirror.values()]
        .sort((a, b) => Number(a.id) - Number(b.id))
        .map((r) => [Number(r.id), r.v, r.at === null ? null : MicroDate.fromText(String(r.at))?.toISOString() ?? `unreadable ${String(r.at)}`, r.ts]),
    );
  const converge = async (what: string): Promise<void> => {
    const until = Date.now() + 60_000;
    let want = await expected();
    while (got() !== want && errors.length === 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      want = await expected();
    }
    assert.deepEqual(errors, []);
    assert.equal(got(), want, what);
  };
  await converge('after the snapshot');
  assert.equal(mirror.get(3)!.at, '2024-01-03T23:02:03.123003Z');
  assert.equal(mirror.get(3)!.ts, '1999-12-31 23:59:59.999993');
  await admin.query(`UPDATE "${table}" SET v = v || '!', at = at + interval '1 microsecond' WHERE id % 3 = 0`);
  await admin.query(`DELETE FROM "${table}" WHERE id = 4`);
  await converge('after updates and a delete');
  const before = deletes;
  await admin.query(`TRUNCATE "${table}"`);
  await admin.query(`INSERT INTO "${table}" VALUES (100, 'after', '2000-01-01 00:00:00.000001+00', '2000-01-01 00:00:00.000001')`);
  await converge('after TRUNCATE');
  assert.equal(deletes - before, 9, 'the TRUNCATE deleted the nine rows the table held');
  assert.deepEqual([...mirror.keys()], [100]);
});

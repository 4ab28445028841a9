import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import { createPostgresCdcSource } from '../../../src/connectors/postgres-cdc/index.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { needPeer } from '../../support/peers.js';
import { HOW_TO_START_POSTGRES, dropSlotAndPublication, pgClient, postgresTarget, uniqueName } from '../../support/postgres.js';

test('postgres-cdc lag in WAL bytes: the server WAL head minus the commit LSN of each chunk, large while a rate limit holds a backlog', async (t) => {
  const target = await postgresTarget();
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const pg = target!;
  const table = uniqueName('metrics_t');
  const slot = uniqueName('metrics_slot');
  const publication = uniqueName('metrics_pub');
  const admin = await pgClient(pg);
  t.after(async () => {
    await dropSlotAndPublication(pg, slot, publication);
    await admin.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    await admin.end();
  });
  await admin.query(`CREATE TABLE "${table}" (id int8 PRIMARY KEY, pad text)`);
  const source = createPostgresCdcSource({
    name: `metrics-${table}`, hostname: pg.host, port: pg.port, username: pg.user, password: pg.password, database: pg.database,
    tables: [table], slotName: slot, publicationName: publication, store: new MemoryStore(), checkpointIntervalMs: 100,
    rateLimit: 6,
  });
  const lags: number[] = [];
  let rows = 0;
  const done = new Promise<void>((resolve, reject) => {
    const subscription = source.pipe(commitEpochs(source)).subscribe({
      next: (event) => {
        if (event.type !== 'chunk' || event.records.length === 0) return;
        rows += event.records.length;
        const lag = source.metrics().splits[0]?.lag;
        if (lag !== undefined) {
          assert.equal(lag.unit, 'bytes');
          lags.push(lag.value);
        }
        if (rows >= 30) {
          subscription.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
  // Let the slot be created and the probe answer before the backlog is written.
  await new Promise((r) => setTimeout(r, 1_500));
  // 30 transactions of ~2 kB each: ~60 kB of WAL, read at 6 rows/s (after a second's burst), so
  // it waits in a backlog for ~4 s while the probe sees the head (once a second) past it.
  for (let i = 0; i < 30; i++) await admin.query(`INSERT INTO "${table}" SELECT $1, string_agg(md5(random()::text), '') FROM generate_series(1, 60)`, [i]);
  await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out with ${rows} rows`)), 30_000).unref())]);
  t.diagnostic(`lag per chunk (bytes): ${lags.join(', ')}`);
  assert.ok(lags.length >= 20, `lag reported with the chunks (${lags.length})`);
  assert.ok(Math.max(...lags) > 10_000, 'a backlog of WAL shows as lag');
  assert.ok(lags.every((l) => Number.isFinite(l) && l >= 0));
  // Bytes: each change's pgoutput message (an Insert of id + 60 md5s: 1,920 characters of pad and
  // a header) counted once into its split, all 30 received by now; nothing for the slot's other
  // messages (Begin, Commit, Relation).
  const bytes = source.metrics().splits[0]?.bytes ?? 0;
  t.diagnostic(`bytes: ${bytes}`);
  assert.ok(bytes >= 30 * 1_920 && bytes <= 30 * 2_100, `WAL bytes of 30 inserts, got ${bytes}`);
  // No "it falls to 0" here: the lag counts every WAL byte of the cluster after the table's
  // position (as the slot's own lag does), and on a shared server other databases write WAL too.
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { opOf } from '../../../src/core/Changelog.js';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import { toTable } from '../../../src/core/toTable.js';
import { runWithCheckpoints } from '../../../src/core/runWithCheckpoints.js';
import type { SourceEvent } from '../../../src/core/SourceEvent.js';
import { createPostgresCdcSource, postgresCdcConfigFromProperties } from '../../../src/connectors/postgres-cdc/index.js';
import type { Row } from '../../../src/formats/Format.js';
import { Decimal } from '../../../src/sql/Decimal.js';
import { Session } from '../../../src/sql/Session.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { needPeer } from '../../support/peers.js';
import { HOW_TO_START_POSTGRES, dropSlotAndPublication, pgClient, postgresTarget, uniqueName } from '../../support/postgres.js';

test('postgres-cdc properties: RisingWave names and seed names mean the same; errors name the property, not the password', () => {
  const risingwave = postgresCdcConfigFromProperties({
    hostname: 'db', port: '6543', username: 'u', password: 'pw-123', 'database.name': 'd', 'schema.name': 's', 'table.name': 'a, b', 'slot.name': 'sl', 'publication.name': 'pb', 'publication.create.enable': 'false',
  });
  const seed = postgresCdcConfigFromProperties({
    'postgres.hostname': 'db', 'postgres.port': '6543', 'postgres.username': 'u', 'postgres.password': 'pw-123', 'postgres.database.name': 'd', 'postgres.schema.name': 's',
    'postgres.table.name': 'a,b', 'postgres.slot.name': 'sl', 'postgres.publication.name': 'pb', 'postgres.publication.create': 'false',
  });
  assert.deepEqual(risingwave, seed);
  assert.deepEqual(seed.tables, ['a', 'b']);
  assert.equal(seed.publicationCreate, false);
  assert.equal(seed.slotCreate, true);
  assert.throws(() => postgresCdcConfigFromProperties({ hostname: 'db', username: 'u', password: 'pw-123', 'database.name': 'd' }), /'postgres.table.name' is required/);
  assert.throws(() => postgresCdcConfigFromProperties({ hostname: 'db', username: 'u', 'database.name': 'd', 'table.name': 't', port: 'x' }), /'postgres.port' must be an integer/);
});

test('postgres-cdc from SQL: CREATE SOURCE with RisingWave properties; declared types convert (NUMERIC → Decimal); two tables are two splits; the password is redacted', { timeout: 60_000 }, async (t) => {
  const pg = await postgresTarget();
  if (!needPeer(t, pg !== undefined, HOW_TO_START_POSTGRES)) return;
  const [a, b] = [uniqueName('sqla'), uniqueName('sqlb')];
  const slot = uniqueName('slot');
  const publication = uniqueName('pub');
  const admin = await pgClient(pg!);
  t.after(async () => {
    await dropSlotAndPublication(pg!, slot, publication);
    await admin.query(`DROP TABLE IF EXISTS "${a}", "${b}"`).catch(() => undefined);
    await admin.end();
  });
  for (const table of [a, b]) await admin.query(`CREATE TABLE "${table}" (id int8 PRIMARY KEY, amount numeric(20,4), note text)`);
  await admin.query(`INSERT INTO "${a}" VALUES (1, 10.5, 'a1')`);
  await admin.query(`INSERT INTO "${b}" VALUES (2, 0.0001, 'b2')`);

  const session = new Session();
  session.execute(`CREATE SOURCE cdc (id BIGINT, amount NUMERIC, note TEXT) WITH (
    connector = 'postgres-cdc', hostname = '${pg!.host}', port = '${pg!.port}', username = '${pg!.user}', password = '${pg!.password}',
    database.name = '${pg!.database}', schema.name = 'public', table.name = '${a},${b}', slot.name = '${slot}', publication.name = '${publication}')
    FORMAT PLAIN ENCODE JSON`); // (the SQL layer asks every source for a format; postgres-cdc has no use for it)
  assert.equal(session.redact(`password ${pg!.password}`).includes(pg!.password), false);
  const source = session.sources.get('cdc')!.source;
  const seen = new Map<string, Row[]>();
  const done = firstValueFrom(
    source.pipe(
      commitEpochs(source),
      filter((e: SourceEvent<Row>) => {
        if (e.type === 'chunk') seen.set(e.splitId, [...(seen.get(e.splitId) ?? []), ...e.records]);
        return (seen.get(`public.${b}`) ?? []).some((r) => r.note === 'b3');
      }),
      timeout(30_000),
    ),
  );
  // A change while streaming, to the second table only.
  setTimeout(() => void admin.query(`INSERT INTO "${b}" VALUES (3, 3, 'b3')`), 500);
  await done;
  assert.deepEqual([...seen.keys()].sort(), [`public.${a}`, `public.${b}`].sort());
  const rowA = seen.get(`public.${a}`)![0]!;
  assert.equal(rowA.id, 1n);
  assert.ok(rowA.amount instanceof Decimal && rowA.amount.toString() === '10.5000', String(rowA.amount));
  assert.deepEqual(seen.get(`public.${b}`)!.map((r) => [r.id, r.note, opOf(r)]), [[2n, 'b2', 'insert'], [3n, 'b3', 'insert']]);
});

test('postgres-cdc: a snapshot interrupted by a restart fails loudly (it cannot resume) instead of mixing two snapshots', { timeout: 60_000 }, async (t) => {
  const pg = await postgresTarget();
  if (!needPeer(t, pg !== undefined, HOW_TO_START_POSTGRES)) return;
  const table = uniqueName('snap');
  const slot = uniqueName('slot');
  const publication = uniqueName('pub');
  const admin = await pgClient(pg!);
  t.after(async () => {
    await dropSlotAndPublication(pg!, slot, publication);
    await admin.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    await admin.end();
  });
  await admin.query(`CREATE TABLE "${table}" AS SELECT g::int8 AS id, repeat('x', 100) AS pad FROM generate_series(1, 20000) g`);
  await admin.query(`ALTER TABLE "${table}" ADD PRIMARY KEY (id)`);
  const store = new MemoryStore();
  const make = () => createPostgresCdcSource({
    name: 'snap', hostname: pg!.host, port: pg!.port, username: pg!.user, password: pg!.password, database: pg!.database,
    tables: [table], slotName: slot, publicationName: publication, store, checkpointIntervalMs: 5, batchRows: 10,
  });
  const first = make();
  // Stop after a barrier inside the snapshot.
  let inSnapshot = false;
  await firstValueFrom(
    runWithCheckpoints(first, toTable<Row>(first, { primaryKey: ['id'] }), { retries: 0 }).pipe(
      filter((e) => {
        if (e.type === 'chunk') inSnapshot = e.nextOffset.startsWith('snapshot:');
        return e.type === 'barrier' && inSnapshot;
      }),
      timeout(30_000),
    ),
  );
  const second = make();
  await assert.rejects(
    firstValueFrom(second.pipe(commitEpochs(second), filter(() => false), timeout(30_000))),
    /the initial snapshot of public\.\S+ was interrupted \(stored position snapshot:[0-9A-F]+\/[0-9A-F]+:\d+\) and a snapshot cannot be resumed/,
  );
});

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

test('postgres-cdc in SQL is a changelog whatever the FORMAT clause: a TABLE needs a primary key, APPEND ONLY is refused, a SOURCE passes rows with their operations', () => {
  const session = new Session();
  const props = `connector = 'postgres-cdc', hostname = 'db', username = 'u', password = 'pw-secret', database.name = 'd', table.name = 't', slot.name = 's', publication.name = 'p'`;
  assert.throws(() => session.execute(`CREATE TABLE a (id BIGINT, v TEXT) WITH (${props}) FORMAT PLAIN ENCODE JSON`), /table "a": a primary key must be specified for connector postgres-cdc/);
  assert.throws(() => session.execute(`CREATE TABLE b (id BIGINT, v TEXT) APPEND ONLY WITH (${props}) FORMAT PLAIN ENCODE JSON`), /APPEND ONLY table does not support connector postgres-cdc/);
  session.execute(`CREATE TABLE c (id BIGINT, v TEXT, PRIMARY KEY (id)) WITH (${props}) FORMAT PLAIN ENCODE JSON`);
  session.execute(`CREATE SOURCE d (id BIGINT, v TEXT) WITH (${props}) FORMAT PLAIN ENCODE JSON`);
  // One keyed table holds one upstream table; a source may read several.
  const two = props.replace(`table.name = 't'`, `table.name = 't, u'`);
  assert.throws(() => session.execute(`CREATE TABLE e (id BIGINT, PRIMARY KEY (id)) WITH (${two}) FORMAT PLAIN ENCODE JSON`), /table "e": connector postgres-cdc reads 2 tables \(public\.t, public\.u\), and a table keyed by primary key holds one/);
  session.execute(`CREATE SOURCE f (id BIGINT) WITH (${two}) FORMAT PLAIN ENCODE JSON`);
  // RisingWave's DDL for postgres-cdc has no FORMAT clause: none is needed.
  session.execute(`CREATE TABLE g (id BIGINT, v TEXT, PRIMARY KEY (id)) WITH (${props})`);
  assert.equal(session.sources.get('g')!.changelog, true);
  const [c, d] = [session.sources.get('c')!, session.sources.get('d')!];
  assert.deepEqual([c.changelog, c.primaryKey], [true, ['id']]);
  assert.deepEqual([d.changelog, d.primaryKey], [true, []]);
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

test('postgres-cdc: a snapshot interrupted by a restart is taken again from a new slot, after a TRUNCATE that retracts the partial one; slot.create = false refuses naming why', { timeout: 60_000 }, async (t) => {
  const pg = await postgresTarget();
  if (!needPeer(t, pg !== undefined, HOW_TO_START_POSTGRES)) return;
  const table = uniqueName('pg2_snap');
  const slot = uniqueName('pg2_slot');
  const publication = uniqueName('pg2_pub');
  const admin = await pgClient(pg!);
  t.after(async () => {
    await dropSlotAndPublication(pg!, slot, publication);
    await admin.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    await admin.end();
  });
  await admin.query(`CREATE TABLE "${table}" AS SELECT g::int8 AS id, repeat('x', 100) AS pad FROM generate_series(1, 20000) g`);
  await admin.query(`ALTER TABLE "${table}" ADD PRIMARY KEY (id)`);
  const store = new MemoryStore();
  const make = (slotCreate = true) => createPostgresCdcSource({
    name: 'snap', hostname: pg!.host, port: pg!.port, username: pg!.user, password: pg!.password, database: pg!.database,
    tables: [table], slotName: slot, publicationName: publication, store, checkpointIntervalMs: 5, batchRows: 10, slotCreate,
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
  // Rows the partial snapshot delivered go away before the restart.
  await admin.query(`DELETE FROM "${table}" WHERE id <= 5`);
  const refused = make(false);
  await assert.rejects(
    firstValueFrom(refused.pipe(commitEpochs(refused), filter(() => false), timeout(30_000))),
    /the initial snapshot of public\.\S+ was interrupted \(stored position snapshot:[0-9A-F]+\/[0-9A-F]+:\d+\); taking it again needs a new slot, and slot.create is false/,
  );
  const second = make();
  const seen: string[] = [];
  let size = -1;
  await firstValueFrom(
    runWithCheckpoints(second, toTable<Row>(second, { primaryKey: ['id'] }), { retries: 0 }).pipe(
      filter((e) => {
        if (e.type === 'chunk') {
          for (const r of e.records) seen.push(`${opOf(r)} ${String(r.id)}`);
          size = e.nextOffset.startsWith('snapshot:') ? -1 : 0;
        }
        return size === 0;
      }),
      timeout(30_000),
    ),
  );
  // The restart's first changes delete what the first run's committed epochs held (ids 1..5 among them); ids 1..5 never come back.
  assert.equal(seen[0], 'delete 1');
  const live = new Map<string, number>();
  for (const line of seen) {
    const [op, id] = line.split(' ');
    live.set(id!, (live.get(id!) ?? 0) + (op === 'insert' ? 1 : op === 'delete' ? -1 : 0));
  }
  // Net per id: -1 delivered before and gone now, 0 delivered before and again, +1 new.
  assert.deepEqual([1, 2, 3, 4, 5].map((id) => live.get(String(id))), [-1, -1, -1, -1, -1], 'ids 1..5 were retracted and not inserted again');
  assert.equal([...live.values()].filter((n) => n >= 0).length, 20000 - 5);
  assert.ok([...live.values()].every((n) => n >= -1 && n <= 1));
});

test('postgres-cdc from SQL: a column added upstream while streaming that the declared schema lacks fails the source naming it (a declared one appears)', { timeout: 60_000 }, async (t) => {
  const pg = await postgresTarget();
  if (!needPeer(t, pg !== undefined, HOW_TO_START_POSTGRES)) return;
  const table = uniqueName('pg2_addcol');
  const slot = uniqueName('pg2_slot');
  const publication = uniqueName('pg2_pub');
  const admin = await pgClient(pg!);
  t.after(async () => {
    await dropSlotAndPublication(pg!, slot, publication);
    await admin.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    await admin.end();
  });
  await admin.query(`CREATE TABLE "${table}" (id int8 PRIMARY KEY, v text, unused text)`);
  await admin.query(`INSERT INTO "${table}" VALUES (1, 'a', 'x')`);
  const session = new Session();
  // "unused" exists from the start and is left out on purpose: that is no error.
  session.execute(`CREATE TABLE cdc (id BIGINT, v TEXT, later TEXT, PRIMARY KEY (id)) WITH (
    connector = 'postgres-cdc', hostname = '${pg!.host}', port = '${pg!.port}', username = '${pg!.user}', password = '${pg!.password}',
    database.name = '${pg!.database}', schema.name = 'public', table.name = '${table}', slot.name = '${slot}', publication.name = '${publication}')
    FORMAT PLAIN ENCODE JSON`);
  const source = session.sources.get('cdc')!.source;
  const rows: Row[] = [];
  let step = 0;
  const failed = firstValueFrom(
    source.pipe(
      commitEpochs(source),
      filter((e: SourceEvent<Row>) => {
        if (e.type !== 'chunk') return false;
        rows.push(...e.records);
        if (step === 0 && rows.length === 1) {
          step = 1;
          void admin.query(`ALTER TABLE "${table}" ADD COLUMN later text`).then(() => admin.query(`INSERT INTO "${table}" (id, v, later) VALUES (2, 'b', 'declared')`));
        }
        if (step === 1 && rows.some((r) => r.later === 'declared')) {
          step = 2;
          void admin.query(`ALTER TABLE "${table}" ADD COLUMN surprise int`).then(() => admin.query(`INSERT INTO "${table}" VALUES (3, 'c', 'x', 'y', 7)`));
        }
        return false;
      }),
      timeout(30_000),
    ),
    { defaultValue: undefined },
  );
  await assert.rejects(failed, (err: Error & { split?: string }) => {
    assert.match(err.message, new RegExp(`column\\(s\\) "surprise" added to public\\.${table} \\(ALTER TABLE \\.\\.\\. ADD COLUMN\\) in the transaction committing at [0-9A-F]+/[0-9A-F]+ are not in the source's declared columns \\(id, v, later\\)`));
    assert.equal(err.split, `public.${table}`);
    return true;
  });
  assert.deepEqual(rows.map((r) => [r.id, r.v, r.later]), [[1n, 'a', null], [2n, 'b', 'declared']]);
  assert.ok(rows.every((r) => !('unused' in r)));
});

test("postgres-cdc: values the declared columns cannot hold (numeric 'NaN', timestamptz 'infinity') are bad records of their split, skipped under skip, the source's error under fail", { timeout: 90_000 }, async (t) => {
  const pg = await postgresTarget();
  if (!needPeer(t, pg !== undefined, HOW_TO_START_POSTGRES)) return;
  const table = uniqueName('nan');
  const slots = [uniqueName('slot'), uniqueName('slot')];
  const publications = [uniqueName('pub'), uniqueName('pub')];
  const admin = await pgClient(pg!);
  t.after(async () => {
    for (let i = 0; i < 2; i++) await dropSlotAndPublication(pg!, slots[i]!, publications[i]!);
    await admin.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    await admin.end();
  });
  await admin.query(`CREATE TABLE "${table}" (id int8 PRIMARY KEY, n numeric, at timestamptz)`);
  await admin.query(`INSERT INTO "${table}" VALUES (1, 'NaN', '2024-01-01 00:00:00+00'), (2, 1.5, '2024-01-02 00:00:00+00')`);
  const create = (session: Session, i: number): void => {
    session.execute(`CREATE TABLE nan (id BIGINT, n NUMERIC, at TIMESTAMPTZ, PRIMARY KEY (id)) WITH (
      connector = 'postgres-cdc', hostname = '${pg!.host}', port = '${pg!.port}', username = '${pg!.user}', password = '${pg!.password}',
      database.name = '${pg!.database}', table.name = '${table}', slot.name = '${slots[i]}', publication.name = '${publications[i]}')`);
  };

  // skip: the snapshot's NaN and the stream's infinity are counted and left out; the rest arrive.
  const skipping = new Session({ badRecords: 'skip' });
  create(skipping, 0);
  const source = skipping.sources.get('nan')!.source;
  const ids: bigint[] = [];
  const done = firstValueFrom(
    source.pipe(
      commitEpochs(source),
      filter((e: SourceEvent<Row>) => {
        if (e.type === 'chunk') for (const r of e.records) ids.push(r.id as bigint);
        return ids.includes(4n);
      }),
      timeout(30_000),
    ),
  );
  setTimeout(() => void admin.query(`INSERT INTO "${table}" VALUES (3, 2, 'infinity'), (4, 3, '2024-01-04 00:00:00+00')`), 1_000);
  await done;
  assert.deepEqual(ids, [2n, 4n]);
  assert.equal(source.badRecordStats.skipped, 2);
  const [first, second] = source.badRecordStats.samples;
  assert.match(first!.message, new RegExp(`split 'public\\.${table}', offset snapshot row 1: .*"n"`));
  assert.match(second!.message, new RegExp(`split 'public\\.${table}', offset LSN [0-9A-F]+/[0-9A-F]+: .*"at"`));

  // fail (the default): the source stops at the snapshot's first row, naming split and position once.
  const failing = new Session();
  create(failing, 1);
  const strict = failing.sources.get('nan')!.source;
  const error = await firstValueFrom(strict.pipe(commitEpochs(strict), timeout(30_000))).then(
    () => firstValueFrom(strict.pipe(commitEpochs(strict), timeout(30_000))).then(() => undefined, (err: unknown) => err),
    (err: unknown) => err,
  );
  assert.ok(error instanceof Error, String(error));
  assert.match(error.message, new RegExp(`^source 'nan', split 'public\\.${table}', offset snapshot row 1: `));
  assert.equal(error.message.split(`split 'public.${table}'`).length, 2, `the location once: ${error.message}`);
  assert.equal(error.message.includes(pg!.password), false);
});

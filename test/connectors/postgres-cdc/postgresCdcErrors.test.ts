import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstValueFrom, filter, timeout } from 'rxjs';
import { createPostgresCdcSource, type PostgresCdcSourceOptions } from '../../../src/connectors/postgres-cdc/index.js';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import type { SourceEvent } from '../../../src/core/SourceEvent.js';
import type { Row } from '../../../src/formats/Format.js';
import { needPeer } from '../../support/peers.js';
import { HOW_TO_START_POSTGRES, dropSlotAndPublication, parseUrl, pgClient, postgresTarget, uniqueName, type PgTarget } from '../../support/postgres.js';
import { cleanPostgres, upPostgres, stopPostgres, startPostgres } from '../../../scripts/peers/postgres.mjs';
import { existsSync } from 'node:fs';

/** The error a source fails with (within 30 s), or a failure if it does not. */
async function failureOf(options: PostgresCdcSourceOptions): Promise<Error> {
  const source = createPostgresCdcSource(options);
  try {
    await firstValueFrom(source.pipe(commitEpochs(source), filter((e: SourceEvent<Row>) => e.type === 'chunk' && e.records.length > 1_000_000), timeout(30_000)));
  } catch (err) {
    assert.ok(err instanceof Error);
    assert.ok(!(err.name === 'TimeoutError'), 'the source did not fail within 30s');
    return err;
  }
  assert.fail('the source did not fail');
}

function options(pg: PgTarget, extra: Partial<PostgresCdcSourceOptions> & { tables: readonly string[] }): PostgresCdcSourceOptions {
  return {
    name: 'errors', hostname: pg.host, port: pg.port, username: pg.user, password: pg.password, database: pg.database,
    checkpointIntervalMs: 50, reconnectAttempts: 2, maxBackoffMs: 50, connectTimeoutMs: 3000, ...extra,
  };
}

async function withTable(t: import('node:test').TestContext, pg: PgTarget): Promise<{ table: string; slot: string; publication: string }> {
  const table = uniqueName('err');
  const slot = uniqueName('slot');
  const publication = uniqueName('pub');
  const admin = await pgClient(pg);
  await admin.query(`CREATE TABLE "${table}" (id int PRIMARY KEY, v text)`);
  await admin.query(`INSERT INTO "${table}" VALUES (1, 'a')`);
  await admin.end();
  t.after(async () => {
    await dropSlotAndPublication(pg, slot, publication);
    const c = await pgClient(pg);
    await c.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    await c.end();
  });
  return { table, slot, publication };
}

test('postgres-cdc errors: a wrong password is named without showing it', async (t) => {
  const pg = await postgresTarget();
  if (!needPeer(t, pg !== undefined, HOW_TO_START_POSTGRES)) return;
  const err = await failureOf(options(pg!, { tables: ['nope'], password: 'Sup3r-S3cret-pw' }));
  assert.match(err.message, /authentication of user 'tributary' failed/);
  assert.doesNotMatch(err.message + String(err.stack) + JSON.stringify(err), /Sup3r-S3cret-pw/);
});

test('postgres-cdc errors: missing privileges (no REPLICATION attribute, not the tables\' owner) say what is needed', async (t) => {
  const pg = await postgresTarget();
  if (!needPeer(t, pg !== undefined, HOW_TO_START_POSTGRES)) return;
  const { table, slot, publication } = await withTable(t, pg!);
  const role = `tr_${uniqueName('role')}`;
  const admin = await pgClient(pg!);
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw-of-${role}'`);
  await admin.query(`GRANT SELECT ON "${table}" TO ${role}`);
  await admin.query(`GRANT CREATE ON DATABASE "${pg!.database}" TO ${role}`);
  t.after(async () => {
    const c = await pgClient(pg!);
    await c.query(`REVOKE CREATE ON DATABASE "${pg!.database}" FROM ${role}`).catch(() => undefined);
    await c.query(`DROP OWNED BY ${role}`).catch(() => undefined);
    await c.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await c.end();
  });
  // Creating the publication needs ownership of the table.
  let err = await failureOf(options(pg!, { tables: [table], username: role, password: `pw-of-${role}`, slotName: slot, publicationName: publication }));
  assert.match(err.message, new RegExp(`user '${role}' lacks a privilege .*must be owner`));
  // With the publication made by its owner, the replication connection needs REPLICATION.
  await admin.query(`CREATE PUBLICATION "${publication}" FOR TABLE "${table}"`);
  err = await failureOf(options(pg!, { tables: [table], username: role, password: `pw-of-${role}`, slotName: slot, publicationName: publication }));
  assert.match(err.message, new RegExp(`user '${role}' lacks a privilege .*REPLICATION`));
  assert.doesNotMatch(err.message, new RegExp(`pw-of-${role}`));
  await admin.end();
});

test('postgres-cdc errors: a slot held by another consumer is named', async (t) => {
  const pg = await postgresTarget();
  if (!needPeer(t, pg !== undefined, HOW_TO_START_POSTGRES)) return;
  const { table, slot, publication } = await withTable(t, pg!);
  const first = createPostgresCdcSource(options(pg!, { tables: [table], slotName: slot, publicationName: publication }));
  const running = first.pipe(commitEpochs(first)).subscribe({ error: () => undefined });
  t.after(() => running.unsubscribe());
  // Wait until the first one streams (the slot is active).
  const admin = await pgClient(pg!);
  let active = false;
  for (let i = 0; i < 100 && !active; i++) {
    const r = await admin.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    active = r.rows[0]?.active === true;
    if (active) break;
    await new Promise((r2) => setTimeout(r2, 100));
  }
  await admin.end();
  assert.ok(active, 'the first source streams from the slot');
  const err = await failureOf(options(pg!, { name: 'second', tables: [table], slotName: slot, publicationName: publication, snapshot: false, connectTimeoutMs: 1000 }));
  assert.match(err.message, new RegExp(`replication slot '${slot}' is held by another consumer`));
  running.unsubscribe();
});

test('postgres-cdc errors: a server that is gone fails after the reconnects, naming server, split and position', async (t) => {
  const pg = await postgresTarget();
  if (!needPeer(t, pg !== undefined, HOW_TO_START_POSTGRES)) return;
  const err = await failureOf(options(pg!, { tables: ['t'], port: 1, reconnectAttempts: 2 }));
  assert.match(err.message, /postgres-cdc \(127\.0\.0\.1:1, .*the server is unreachable or went away \(.*ECONNREFUSED/);
});

test('postgres-cdc errors: a missing slot with slot.create = false, a missing publication with publication.create = false', async (t) => {
  const pg = await postgresTarget();
  if (!needPeer(t, pg !== undefined, HOW_TO_START_POSTGRES)) return;
  const { table, slot, publication } = await withTable(t, pg!);
  let err = await failureOf(options(pg!, { tables: [table], slotName: slot, publicationName: publication, publicationCreate: false }));
  assert.match(err.message, new RegExp(`publication '${publication}' does not exist and publication.create is false`));
  err = await failureOf(options(pg!, { tables: [table], slotName: slot, publicationName: publication, slotCreate: false }));
  assert.match(err.message, new RegExp(`replication slot '${slot}' does not exist and slot.create is false`));
});

test('postgres-cdc errors: wal_level not logical', { timeout: 60_000 }, async (t) => {
  const available = existsSync('/usr/lib/postgresql/15/bin/postgres') || process.env.TRIBUTARY_PG_BIN !== undefined;
  if (!needPeer(t, available, 'PostgreSQL 15 server binaries: apt-get install postgresql-15 (the test starts a server of its own)')) return;
  const instance = `postgres-wal-${process.pid}`;
  const port = 57000 + (process.pid % 1000);
  const server = await upPostgres({ instance, port, quiet: true });
  t.after(() => cleanPostgres({ instance, port, quiet: true }));
  const pg = parseUrl(server.url);
  const admin = await pgClient(pg);
  await admin.query('ALTER SYSTEM SET wal_level = replica');
  await admin.query('CREATE TABLE w (id int PRIMARY KEY)');
  await admin.end();
  await stopPostgres({ instance, port, quiet: true });
  await startPostgres({ instance, port, quiet: true });
  const err = await failureOf(options(pg, { tables: ['w'] }));
  assert.match(err.message, /wal_level is not 'logical'.*set wal_level = logical/);
});

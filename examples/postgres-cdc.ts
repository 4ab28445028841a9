// PostgreSQL change data capture: a table's snapshot, then its changes, from logical replication
// (pgoutput), with checkpoints. Runnable against the test peers:
//   npm run peers:up && npx tsx examples/postgres-cdc.ts
//   (TRIBUTARY_PG_URL, default postgres://tributary:tributary@127.0.0.1:55432/tributary; the
//   server needs wal_level = logical, as the peer's has)
// It creates a table with two rows, starts the source (snapshot of the two, then streaming), and
// once the snapshot is in, updates one row and deletes the other: each change arrives as a row
// carrying its operation (opOf). Then it unsubscribes and drops its replication slot, publication
// and table. In an application the imports are 'tributary', 'tributary/postgres-cdc' and 'tributary/state'.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { firstValueFrom, interval, map, take, tap, toArray } from 'rxjs';
import { opOf, runWithCheckpoints, toRecords } from '../src/index.js';
import { createPostgresCdcSource } from '../src/connectors/postgres-cdc/index.js';
import { FileStore } from '../src/state/index.js';

const url = new URL(process.env['TRIBUTARY_PG_URL'] ?? 'postgres://tributary:tributary@127.0.0.1:55432/tributary');
const connection = { host: url.hostname, port: Number(url.port || 5432), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), database: url.pathname.slice(1) };
const suffix = `${process.pid}_${Date.now()}`;
const table = `example_accounts_${suffix}`;
const slot = `example_slot_${suffix}`;
const publication = `example_pub_${suffix}`;
const client = new pg.Client(connection);
await client.connect();
const dir = await mkdtemp(join(tmpdir(), 'tributary-example-'));
try {
  await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL)`);
  await client.query(`INSERT INTO ${table} VALUES (1, 'ada', 100.00), (2, 'bob', 5.50)`);

  const source = createPostgresCdcSource({
    name: 'accounts',
    hostname: connection.host,
    port: connection.port,
    username: connection.user,
    password: connection.password,
    database: connection.database,
    tables: [table],
    slotName: slot,
    publicationName: publication,
    store: await FileStore.open(dir),
    barriers: interval(200).pipe(map(() => undefined)),
  });
  let seen = 0;
  const changes = await firstValueFrom(
    runWithCheckpoints(source).pipe(
      toRecords(),
      tap((row) => {
        console.log(JSON.stringify({ op: opOf(row), ...row }));
        // The snapshot's two rows are in: change the table; the changes follow on the stream.
        if (++seen === 2) void client.query(`UPDATE ${table} SET balance = balance + 1 WHERE id = 1; DELETE FROM ${table} WHERE id = 2`);
      }),
      take(4),
      toArray(),
    ),
  );
  console.log(`postgres-cdc: ${changes.length} changes read from ${table}`);
} finally {
  // The slot can only go once the source's replication connection has closed.
  for (let i = 0; i < 50; i++) {
    const r = await client.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
    if (r.rows.length === 0) break;
    if (r.rows[0]?.active !== true) {
      await client.query('SELECT pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await client.query(`DROP PUBLICATION IF EXISTS ${publication}`).catch(() => undefined);
  await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
  await client.end();
  await rm(dir, { recursive: true, force: true });
}

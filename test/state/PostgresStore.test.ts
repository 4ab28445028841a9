// PostgresStore against the real PostgreSQL peer: the StateStore contract, namespaces, corrupt
// rows, a password that never shows in errors, and kill -9 mid-write (the previous epoch stays whole).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CorruptStateError } from '../../src/core/SourceError.js';
import { PostgresStore } from '../../src/state/PostgresStore.js';
import { redactUrl } from '../../src/state/pgConnection.js';
import { needPeer } from '../support/peers.js';
import { HOW_TO_START_POSTGRES, pgClient, postgresTarget } from '../support/postgres.js';
import { epochValue, KEEP_EPOCHS, SPLITS } from './killCheckpoint.js';
import { stateStoreContract } from './stateStoreContract.js';

const TABLE = 'multi_state_test';
const here = dirname(fileURLToPath(import.meta.url));
const target = await postgresTarget();
let namespaces = 0;
const freshNamespace = (): string => `ns-${process.pid}-${Date.now()}-${++namespaces}`;

/** Deletes a namespace's rows once the test is over (the table is shared by every run). */
async function cleanUp(namespace: string): Promise<void> {
  if (target === undefined) return;
  const client = await pgClient(target);
  try {
    await client.query(`DELETE FROM ${TABLE} WHERE namespace = $1`, [namespace]);
  } finally {
    await client.end();
  }
}

async function open(t: TestContext, namespace = freshNamespace()): Promise<PostgresStore> {
  if (target === undefined) throw new Error('no PostgreSQL');
  t.after(() => cleanUp(namespace));
  return PostgresStore.open({ connection: target.url, table: TABLE, namespace });
}

if (target === undefined) {
  test('PostgresStore: StateStore contract', (t) => {
    needPeer(t, false, HOW_TO_START_POSTGRES);
  });
} else {
  stateStoreContract('PostgresStore', (t) => open(t));
}

test('PostgresStore: a reopened store sees what was written; namespaces do not see each other', async (t) => {
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const namespace = freshNamespace();
  const first = await open(t, namespace);
  await first.setMany([['orders/split/a', { nextOffset: '42' }], ['orders/epoch', 7]]);
  await first.close();
  await assert.rejects(first.get('orders/epoch'), /PostgresStore: .* is closed/);
  const other = await open(t);
  const again = await open(t, namespace);
  try {
    assert.deepStrictEqual(await other.entries(), []);
    assert.deepStrictEqual(await again.entries(), [['orders/epoch', 7], ['orders/split/a', { nextOffset: '42' }]]);
  } finally {
    await other.close();
    await again.close();
  }
});

test('PostgresStore: a row that is not JSON is a CorruptStateError naming the key, never "no state"', async (t) => {
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const namespace = freshNamespace();
  const store = await open(t, namespace);
  const client = await pgClient(target!);
  try {
    await client.query(`INSERT INTO ${TABLE} (namespace, key, value) VALUES ($1, $2, $3)`, [namespace, '"s/a"', '{not json']);
    await assert.rejects(store.get('s/a'), (err: unknown) => err instanceof CorruptStateError && /key "s\/a" that is not JSON/.test(err.message));
    await assert.rejects(store.entries(), CorruptStateError);
  } finally {
    await client.end();
    await store.close();
  }
});

test('PostgresStore: a wrong password or a dead server fails naming the server, never the password', async (t) => {
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const secret = 'S3cr%40t-pa55word';
  const wrong = `postgres://${target!.user}:${secret}@${target!.host}:${target!.port}/${target!.database}`;
  for (const url of [wrong, `postgres://u:${secret}@127.0.0.1:1/nothing`]) {
    await assert.rejects(PostgresStore.open({ connection: url, table: TABLE }), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, /PostgresStore: cannot connect to postgres:\/\/.*:\*\*\*@/);
      for (const leak of [secret, decodeURIComponent(secret), 'S3cr@t']) assert.ok(!err.message.includes(leak), err.message);
      assert.equal(JSON.stringify(err).includes('S3cr'), false);
      return true;
    });
  }
  assert.equal(redactUrl('postgres://a:b@h:1/d'), 'postgres://a:***@h:1/d');
  assert.equal(redactUrl('postgres://a:b c@/'), 'postgres://a:***@/');
});

test('PostgresStore: writes after the server closed our connection fail naming the store, and close still works', async (t) => {
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const namespace = freshNamespace();
  const store = await open(t, namespace);
  await store.set('k', 1);
  const admin = await pgClient(target!);
  try {
    // The store's connection is the one whose application_name is not ours and that last touched the table.
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%${TABLE}%' AND pid <> pg_backend_pid() AND datname = current_database()`);
  } finally {
    await admin.end();
  }
  await assert.rejects(store.set('k', 2), /PostgresStore: cannot write PostgreSQL postgres:\/\/.*table multi_state_test/);
  await store.close();
});

/** Starts the writer on `namespace`, kills it with SIGKILL `delayMs` after it is ready. */
function runAndKill(namespace: string, delayMs: number): Promise<{ acked: number[]; firstEpoch: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'postgresStoreKillWriter.ts'), target!.url, TABLE, namespace], {
      cwd: join(here, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let firstEpoch: number | undefined;
    const stuck = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (data: string) => {
      stdout += data;
      if (firstEpoch === undefined) {
        const ready = /^ready (\d+)$/m.exec(stdout);
        if (ready !== null) {
          firstEpoch = Number(ready[1]);
          setTimeout(() => child.kill('SIGKILL'), delayMs);
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(stuck);
      if (signal !== 'SIGKILL' || firstEpoch === undefined) reject(new Error(`writer ended with code ${code} signal ${signal}:\n${stderr}`));
      else resolve({ acked: [...stdout.matchAll(/^ack (\d+)$/gm)].map((m) => Number(m[1])), firstEpoch });
    });
  });
}

test('PostgresStore keeps a whole, acknowledged checkpoint through kill -9s mid-write', async (t) => {
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const namespace = freshNamespace();
  t.after(() => cleanUp(namespace));
  const kills = Number(process.env['CRASH_KILLS'] ?? 8);
  let previousLast = 0;
  for (let i = 0; i < kills; i++) {
    const delayMs = 30 + ((i * 37) % 150);
    const { acked, firstEpoch } = await runAndKill(namespace, delayMs);
    const where = `kill ${i + 1} of ${kills} (${delayMs} ms after ready)`;
    assert.equal(firstEpoch, previousLast + 1, `${where}: the writer resumed after the last checkpoint`);
    const store = await PostgresStore.open({ connection: target!.url, table: TABLE, namespace });
    try {
      const entries = new Map(await store.entries());
      const last = entries.get('s/last');
      const maxAcked = Math.max(0, ...acked);
      if (last === undefined) {
        assert.equal(entries.size, 0, `${where}: entries without s/last`);
        assert.equal(maxAcked, 0, `${where}: an acknowledged checkpoint was lost`);
        continue;
      }
      const lastEpoch = last as number;
      assert.ok(lastEpoch >= maxAcked, `${where}: last ${lastEpoch} is older than acknowledged ${maxAcked}`);
      assert.ok(lastEpoch >= previousLast, `${where}: last went back`);
      let splits = 0;
      for (const [key, value] of entries) {
        const epochKey = /^s\/epoch\/(\d+)$/.exec(key);
        if (epochKey !== null) {
          assert.ok(Number(epochKey[1]) <= lastEpoch, `${where}: epoch stored without s/last moving to it`);
          assert.deepStrictEqual(value, epochValue(Number(epochKey[1])), `${where}: epoch ${epochKey[1]} is not whole`);
        } else if (/^s\/split\/\d+$/.test(key)) {
          splits++;
          assert.deepStrictEqual(value, { epoch: lastEpoch }, `${where}: ${key} is not on epoch ${lastEpoch}`);
        }
      }
      assert.equal(splits, SPLITS, `${where}: splits missing`);
      for (const epoch of acked) {
        if (epoch > lastEpoch - KEEP_EPOCHS) assert.ok(entries.has(`s/epoch/${epoch}`), `${where}: acknowledged epoch ${epoch} is missing`);
      }
      previousLast = lastEpoch;
    } finally {
      await store.close();
    }
  }
  assert.ok(previousLast > 0, 'the writer never committed a checkpoint');
  t.diagnostic(`${kills} kills, last epoch ${previousLast}`);
});

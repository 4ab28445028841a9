import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { motoEndpoint, motoHowToStart } from '../support/aws.js';
import { HOW_TO_START_KAFKA, kafkaBrokers } from '../support/kafka.js';
import { needPeer } from '../support/peers.js';
import { HOW_TO_START_POSTGRES, postgresTarget } from '../support/postgres.js';
import { HOW_TO_START_PULSAR, pulsarAdminUrl } from '../support/pulsar.js';

// Every example in examples/ runs as a reader would run it (`npx tsx examples/<name>.ts`) against
// the peers, and says what it read: the examples cannot rot unnoticed.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runExample(name: string, env: Record<string, string>): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'examples', name)], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

/** Runs the example and checks its last line names `count` rows, and the lines before are its rows. */
async function check(name: string, env: Record<string, string>, summary: RegExp, count: number): Promise<unknown[]> {
  const ran = await runExample(name, env);
  assert.equal(ran.code, 0, `${name} exited ${ran.code}: ${ran.stderr}`);
  // No warning of ours or the SDK's: a reader sees only the rows and the last line. kafkajs on
  // Node 24 warns about its own negative timeout (kafkajs#1751; the CLI hides it, see
  // hideKnownWarnings, a library program like the example cannot); that one alone may appear.
  const stderr = ran.stderr.replace(/^\(node:\d+\) TimeoutNegativeWarning: -\d+ is a negative number\.\nTimeout duration was set to 1\.\n(\(Use `node --trace-warnings \.\.\.` to show where the warning was created\)\n)?/m, '');
  assert.equal(stderr, '', `${name} wrote to stderr`);
  const out = lines(ran.stdout);
  assert.match(out.at(-1) ?? '', summary);
  assert.equal(Number(summary.exec(out.at(-1)!)?.[1]), count);
  const rows = out.slice(0, -1).map((l) => JSON.parse(l) as unknown);
  assert.equal(rows.length, count);
  return rows;
}

test('examples/embedded.ts (fs, the README quick start) prints the 200 parts and leaves no state directory behind', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'tributary-examples-'));
  try {
    const ran = await runExample('embedded.ts', { TMPDIR: tmp });
    assert.equal(ran.code, 0, ran.stderr);
    const keys = lines(ran.stdout);
    assert.equal(keys.length, 200);
    assert.equal(keys[0], "{ key: '1' }");
    // tsx keeps its compile cache there (tsx-<uid>); nothing else may remain.
    assert.deepEqual(readdirSync(tmp).filter((name) => !name.startsWith('tsx-')), [], 'the state directory is removed at the end');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('examples/kafka.ts reads the five orders it wrote', async (t) => {
  const brokers = await kafkaBrokers();
  if (!needPeer(t, brokers !== undefined, HOW_TO_START_KAFKA)) return;
  const rows = await check('kafka.ts', { KAFKA_BROKERS: brokers! }, /^kafka: (\d+) orders read from example-orders-/, 5);
  assert.deepEqual(rows.map((r) => (r as { id: number }).id).sort(), [1, 2, 3, 4, 5]);
});

test('examples/s3.ts reads the three NDJSON events, not the CSV object', async (t) => {
  const endpoint = motoEndpoint();
  if (!needPeer(t, endpoint !== undefined, motoHowToStart)) return;
  const rows = await check('s3.ts', { MOTO_ENDPOINT: endpoint! }, /^s3: (\d+) events read from s3:\/\/example-events-/, 3);
  assert.deepEqual(rows.map((r) => (r as { user: string }).user).sort(), ['ada', 'bob', 'cy']);
});

test('examples/kinesis.ts reads the six clicks from both shards', async (t) => {
  const endpoint = motoEndpoint();
  if (!needPeer(t, endpoint !== undefined, motoHowToStart)) return;
  const rows = await check('kinesis.ts', { MOTO_ENDPOINT: endpoint! }, /^kinesis: (\d+) clicks read from example-clicks-/, 6);
  assert.deepEqual(rows.map((r) => (r as { pk: string }).pk).sort(), ['user-0', 'user-1', 'user-2', 'user-3', 'user-4', 'user-5']);
});

test('examples/pulsar.ts reads the four readings in order', async (t) => {
  const adminUrl = await pulsarAdminUrl();
  if (!needPeer(t, adminUrl !== undefined, HOW_TO_START_PULSAR)) return;
  const rows = await check('pulsar.ts', { PULSAR_ADMIN_URL: adminUrl! }, /^pulsar: (\d+) readings read from persistent:\/\/public\/default\/example-readings-/, 4);
  assert.deepEqual(rows.map((r) => (r as { celsius: number }).celsius), [20.5, 21, 21.5, 19.75]);
});

test('examples/postgres-cdc.ts reads the snapshot, then the update and the delete', async (t) => {
  const target = await postgresTarget();
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const rows = await check('postgres-cdc.ts', { TRIBUTARY_PG_URL: target!.url }, /^postgres-cdc: (\d+) changes read from example_accounts_/, 4);
  assert.deepEqual(
    rows.map((r) => (r as { op: string; id: number }).op + ':' + (r as { id: number }).id),
    ['insert:1', 'insert:2', 'update_after:1', 'delete:2'],
  );
});

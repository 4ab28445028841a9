// `tributary run --state postgres://...`: checkpoints in PostgreSQL, a second run resumes, and the
// password never reaches stderr; option errors for --share and --lease-ms.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { needPeer } from '../support/peers.js';
import { HOW_TO_START_POSTGRES, pgClient, postgresTarget } from '../support/postgres.js';
import { runCli } from '../support/cli.js';

const target = await postgresTarget();

const tributary = (args: readonly string[]) => runCli(args);

function job(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'multi-pgcli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'a.ndjson'), '{"n":1}\n{"n":2}\n');
  writeFileSync(join(dir, 'data', 'b.ndjson'), '{"n":3}\n');
  const sql = join(dir, 'q.sql');
  writeFileSync(sql, `CREATE SOURCE multi_cli (n INT) WITH (connector = 'fs', fs.path = '${join(dir, 'data')}', fs.match_pattern = '*.ndjson') FORMAT PLAIN ENCODE JSON;\n`);
  return sql;
}

test('CLI --state postgres://: rows, then a rerun resumes after them; with --share too', { timeout: 120_000 }, async (t) => {
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const sql = job(t);
  const table = `multi_cli_${process.pid}`;
  t.after(async () => {
    const client = await pgClient(target!);
    try {
      await client.query(`DROP TABLE IF EXISTS ${table}, ${table}_leases, ${table}_leases_members`);
    } finally {
      await client.end();
    }
  });
  for (const share of [[], ['--share', '--lease-ms', '1000']]) {
    const state = `${target!.url}?table=${table}`;
    const first = await tributary(['run', sql, '--state', state, ...share]);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n).sort(), [1, 2, 3]);
    const again = await tributary(['run', sql, '--state', state, ...share]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, '', `a rerun ${share.join(' ')} reads nothing new`);
  }
});

test('CLI --state postgres:// with a wrong password: exit 1, the server named, the password never printed', { timeout: 60_000 }, async (t) => {
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const sql = job(t);
  const secret = 'Zq9-multi-s3cret';
  for (const share of [[], ['--share']]) {
    const url = `postgres://${target!.user}:${secret}@${target!.host}:${target!.port}/${target!.database}`;
    const run = await tributary(['run', sql, '--state', url, ...share]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /cannot connect to postgres:\/\/.*:\*\*\*@/);
    assert.ok(!run.stderr.includes(secret) && !run.stdout.includes(secret), run.stderr);
  }
});

test('CLI: --share needs a postgres:// state, --lease-ms needs --share', async (t) => {
  const sql = job(t);
  const noState = await tributary(['run', sql, '--share']);
  assert.equal(noState.code, 2);
  assert.match(noState.stderr, /--share needs --state postgres:\/\//);
  const leaseAlone = await tributary(['run', sql, '--lease-ms', '1000']);
  assert.equal(leaseAlone.code, 2);
  assert.match(leaseAlone.stderr, /--lease-ms goes with --share/);
  const badLease = await tributary(['run', sql, '--share', '--lease-ms', '5']);
  assert.equal(badLease.code, 2);
  assert.match(badLease.stderr, /--lease-ms must be a whole number/);
});

// Split leases across real processes on the real PostgreSQL peer: balance, a fourth... a new
// member taking its share, takeover after kill -9 within the lease time, clean release, and
// fencing of a process stopped by SIGSTOP past its lease. Every row of every split up to its
// last committed position comes out, and a row comes out twice only after a takeover's start.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { needPeer } from '../support/peers.js';
import { HOW_TO_START_POSTGRES, pgClient, postgresTarget } from '../support/postgres.js';
import { until, Worker } from './workers.js';

const TABLE = 'multi_leases_test';
const SPLITS = 12;
const LEASE_MS = 2_000;
const target = await postgresTarget();

function start(t: TestContext, name: string, source: string): Worker {
  const worker = new Worker(name, { url: target!.url, table: TABLE, source, splits: SPLITS, leaseMs: LEASE_MS });
  t.after(() => {
    worker.kill('SIGCONT');
    worker.kill('SIGKILL');
  });
  return worker;
}

async function cleanUp(source: string): Promise<void> {
  const client = await pgClient(target!);
  try {
    await client.query(`DELETE FROM ${TABLE} WHERE source = $1`, [source]);
    await client.query(`DELETE FROM ${TABLE}_members WHERE source = $1`, [source]);
  } finally {
    await client.end();
  }
}

async function committedOffsets(source: string): Promise<Map<string, number>> {
  const client = await pgClient(target!);
  try {
    const { rows } = await client.query(`SELECT split, "offset", owner FROM ${TABLE} WHERE source = $1`, [source]);
    return new Map(rows.map((r) => [JSON.parse(r.split as string) as string, r.offset === null ? 0 : Number(r.offset)]));
  } finally {
    await client.end();
  }
}

/**
 * Nothing lost: every record below a split's committed offset was printed by some worker.
 * Nothing repeated before the last committed epoch: a record printed twice lies at or after the
 * position some later holder of its split started from.
 */
function checkRows(workers: readonly Worker[], committed: ReadonlyMap<string, number>): { rows: number; duplicates: number } {
  const seen = new Map<string, number>();
  for (const w of workers) for (const [split, i] of w.rows) seen.set(`${split} ${i}`, (seen.get(`${split} ${i}`) ?? 0) + 1);
  const takeoverStarts = new Map<string, number[]>();
  const firstHeld = new Set<string>();
  for (const e of workers.flatMap((w) => w.events.filter((e) => e.type === 'acquired')).sort((a, b) => a.at - b.at)) {
    e.splits.forEach((s, k) => {
      // The first holder's start is no takeover; a later one with nothing committed starts at 0.
      if (!firstHeld.has(s as string)) {
        firstHeld.add(s as string);
        return;
      }
      const from = e.from?.[k];
      takeoverStarts.set(s as string, [...(takeoverStarts.get(s as string) ?? []), from === null || from === undefined ? 0 : Number(from)]);
    });
  }
  assert.equal(committed.size, SPLITS);
  for (const [split, upTo] of committed) {
    assert.ok(upTo > 0, `split ${split} never committed`);
    for (let i = 0; i < upTo; i++) assert.ok(seen.has(`${split} ${i}`), `record ${split} ${i} (below committed ${upTo}) was never printed`);
  }
  let duplicates = 0;
  for (const [key, count] of seen) {
    if (count < 2) continue;
    duplicates += count - 1;
    const [split, i] = key.split(' ');
    const starts = takeoverStarts.get(split!) ?? [];
    assert.ok(starts.some((s) => Number(i) >= s), `record ${key} printed ${count} times, before any takeover start (${starts.join(', ')})`);
  }
  return { rows: seen.size, duplicates };
}

test('leases: balance, a new process takes a share, kill -9 moves splits within the lease time, clean release', { timeout: 90_000 }, async (t) => {
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const source = `multi_balance_${process.pid}_${Date.now()}`;
  t.after(() => cleanUp(source));
  const a = start(t, 'a', source);
  const b = start(t, 'b', source);
  await until('A and B hold 6 splits each', () => a.held.size === 6 && b.held.size === 6, 20_000);
  const c = start(t, 'c', source);
  const joined = await until('A, B and C hold 4 each', () => a.held.size === 4 && b.held.size === 4 && c.held.size === 4, 20_000);
  t.diagnostic(`a third process had its share ${joined} ms after it was started`);
  assert.equal(new Set([...a.held, ...b.held, ...c.held]).size, SPLITS, 'a split held twice');
  await new Promise((r) => setTimeout(r, 500));
  const killedAt = Date.now();
  c.kill('SIGKILL');
  await until('A and B hold 6 each after C was killed', () => a.held.size === 6 && b.held.size === 6, 20_000);
  const moved = Date.now() - killedAt;
  t.diagnostic(`C's splits moved ${moved} ms after kill -9 (lease ${LEASE_MS} ms)`);
  // Renewal runs every lease/3: the last renewal before the kill plus a lease, plus one renewal.
  assert.ok(moved <= LEASE_MS + LEASE_MS / 3 + 1_000, `took ${moved} ms`);
  const stoppedAt = Date.now();
  b.kill('SIGTERM');
  const exit = await b.exited;
  assert.equal(exit.code, 0, b.stderr);
  await until('A holds every split after B stopped', () => a.held.size === SPLITS, 10_000);
  const released = Date.now() - stoppedAt;
  t.diagnostic(`B's splits moved ${released} ms after SIGTERM (released, not expired)`);
  assert.ok(released < LEASE_MS, `a clean stop gave its splits back only after ${released} ms`);
  await new Promise((r) => setTimeout(r, 500));
  a.kill('SIGTERM');
  assert.equal((await a.exited).code, 0, a.stderr);
  const { rows, duplicates } = checkRows([a, b, c], await committedOffsets(source));
  t.diagnostic(`${rows} distinct records, ${duplicates} repeated after a takeover start`);
});

test('leases: a process stopped by SIGSTOP past its lease never commits the splits taken from it', { timeout: 90_000 }, async (t) => {
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const source = `multi_fence_${process.pid}_${Date.now()}`;
  t.after(() => cleanUp(source));
  const a = start(t, 'a', source);
  const b = start(t, 'b', source);
  await until('A and B hold 6 each', () => a.held.size === 6 && b.held.size === 6, 20_000);
  await until('A committed its splits', () => a.events.some((e) => e.type === 'committed' && e.splits.length === 6), 5_000);
  // The tokens A holds: a commit with one of these after the takeover would be the bug.
  const before = a.events.filter((e) => e.type === 'committed').at(-1)!.splits as ReadonlyArray<{ id: string; token: string }>;
  const stale = new Set(before.map((s) => `${s.id}#${s.token}`));
  // A split's committed offset only moves forward: a stale commit would move it back.
  const backwards: string[] = [];
  const last = new Map<string, number>();
  const watcher = await pgClient(target!);
  let watching = true;
  const watch = (async () => {
    while (watching) {
      const { rows } = await watcher.query(`SELECT split, "offset" FROM ${TABLE} WHERE source = $1 AND "offset" IS NOT NULL`, [source]);
      for (const r of rows) {
        const offset = Number(r.offset);
        const split = String(r.split);
        if (offset < (last.get(split) ?? 0)) backwards.push(`${split}: ${last.get(split)} -> ${offset}`);
        last.set(split, offset);
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  })();
  a.kill('SIGSTOP');
  const stoppedAt = Date.now();
  await until('B took every split', () => b.held.size === SPLITS, LEASE_MS * 4);
  t.diagnostic(`B took A's splits ${Date.now() - stoppedAt} ms after SIGSTOP`);
  // Past the lease and then some: B commits positions of the taken splits meanwhile.
  await new Promise((r) => setTimeout(r, LEASE_MS));
  const eventsBefore = a.events.length;
  const resumedAt = Date.now();
  a.kill('SIGCONT');
  await until('A noticed it lost its splits', () => a.events.slice(eventsBefore).some((e) => e.type === 'lost' || e.type === 'fenced'), 10_000);
  // Let A run on for a while: it reacquires a share (new tokens) and commits those legitimately.
  await until('A and B balanced again', () => a.held.size === 6 && b.held.size === 6, 20_000);
  await new Promise((r) => setTimeout(r, 1_000));
  const afterResume = a.events.slice(eventsBefore);
  const fenced = afterResume.filter((e) => e.type === 'fenced' || e.type === 'lost');
  t.diagnostic(`after SIGCONT A reported: ${fenced.map((e) => `${e.type} ${e.splits.length}`).join(', ')} (${Date.now() - resumedAt} ms)`);
  for (const e of afterResume) {
    if (e.type !== 'committed') continue;
    for (const s of e.splits as ReadonlyArray<{ id: string; token: string }>) {
      assert.ok(!stale.has(`${s.id}#${s.token}`), `A committed ${s.id} with its pre-SIGSTOP token ${s.token} after the takeover`);
    }
  }
  watching = false;
  await watch;
  await watcher.end();
  assert.deepEqual(backwards, [], 'a committed offset moved back');
  a.kill('SIGTERM');
  b.kill('SIGTERM');
  assert.equal((await a.exited).code, 0, a.stderr);
  assert.equal((await b.exited).code, 0, b.stderr);
  const { rows, duplicates } = checkRows([a, b], await committedOffsets(source));
  t.diagnostic(`${rows} distinct records, ${duplicates} repeated after a takeover start`);
});

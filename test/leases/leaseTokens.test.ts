// Review of issue 18's leases (findings 1, 2 and 4), on the real PostgreSQL peer: a split lost
// and taken back in one renewal comes back under a new token, and a commit of a snapshot taken
// under the old token is not written (the committed offset never moves back); a fenced commit
// does not drop a lease taken back meanwhile; a lease connection that goes silent fails the
// source within about a lease time instead of reading on with splits that may be someone else's.
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { BehaviorSubject } from 'rxjs';
import type { LeasedSplit } from '../../src/core/SplitLeases.js';
import type { SourceSplit } from '../../src/core/SourceSplit.js';
import { PostgresSplitLeases } from '../../src/leases/PostgresSplitLeases.js';
import { needPeer } from '../support/peers.js';
import { HOW_TO_START_POSTGRES, pgClient, postgresTarget } from '../support/postgres.js';
import { until } from './workers.js';

const source = 'lfix1_src';

test('a late commit of a snapshot taken under an older lease token is not written: the offset never moves back', { timeout: 60_000 }, async (t) => {
  const target = await postgresTarget();
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const table = `lfix1_back_${process.pid}`;
  const a = await PostgresSplitLeases.open({ connection: target!.url, table, member: 'a', leaseMs: 4_000 });
  const c = await pgClient(target!);
  t.after(async () => {
    await a.close();
    await c.query(`DROP TABLE IF EXISTS ${table}, ${table}_members`);
    await c.end();
  });
  const splits$ = new BehaviorSubject([{ id: 's0' }]);
  const emitted: Array<ReadonlyArray<LeasedSplit<SourceSplit>>> = [];
  const sub = a.holdAssigned(source, splits$, new BehaviorSubject<ReadonlySet<string>>(new Set(['s0']))).subscribe((h) => emitted.push(h));
  t.after(() => sub.unsubscribe());
  const held = (): ReadonlyArray<LeasedSplit<SourceSplit>> => emitted.at(-1) ?? [];
  await until('a holds s0', () => held().length === 1, 10_000);
  const oldToken = held()[0]!.token;
  assert.ok(oldToken !== undefined, 'a leased split carries its lease token');
  // Snapshot of epoch 5, taken under the first lease: s0 read up to 10 (its commit is slow).
  const snapshot = new Map([['s0', { split: { id: 's0' }, offset: '10', finished: false }]]);
  // Meanwhile b took s0, committed 50 and handed it back; the same renewal that finds it lost takes it again.
  await c.query(`UPDATE ${table} SET owner = NULL, token = token + 1, expires_at = '-infinity', "offset" = '50', epoch = 9, committed_by = 'b'`);
  splits$.next([{ id: 's0' }]);
  await until('a re-acquires s0 at 50', () => held().length === 1 && held()[0]!.position?.offset === '50', 10_000);
  assert.notEqual(held()[0]!.token, oldToken, 'taken again: a new token, so the source reads it again from the lease position');
  await a.commit(source, 5, snapshot, new Set(), new Map([['s0', oldToken!]]));
  const row = (await c.query(`SELECT "offset", committed_by FROM ${table}`)).rows[0];
  assert.deepEqual({ ...row }, { offset: '50', committed_by: 'b' }, 'the committed offset moved back');
  // The lease taken back still commits under its own token.
  await a.commit(source, 6, new Map([['s0', { split: { id: 's0' }, offset: '60', finished: false }]]), new Set(), new Map([['s0', held()[0]!.token!]]));
  assert.equal((await c.query(`SELECT "offset" FROM ${table}`)).rows[0].offset, '60');
});

test('a commit fenced under an old token keeps the lease this process took back meanwhile', { timeout: 60_000 }, async (t) => {
  const target = await postgresTarget();
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const table = `lfix1_fence_${process.pid}`;
  const a = await PostgresSplitLeases.open({ connection: target!.url, table, member: 'a', leaseMs: 4_000 });
  const c = await pgClient(target!);
  t.after(async () => {
    await a.close();
    await c.query(`DROP TABLE IF EXISTS ${table}, ${table}_members`);
    await c.end();
  });
  const events: string[] = [];
  a.events$.subscribe((e) => events.push(`${e.type} ${JSON.stringify('splits' in e ? e.splits : [])}`));
  const splits$ = new BehaviorSubject([{ id: 's0' }]);
  let held: ReadonlyArray<LeasedSplit<SourceSplit>> = [];
  const sub = a.holdAssigned(source, splits$, new BehaviorSubject<ReadonlySet<string>>(new Set(['s0']))).subscribe((h) => (held = h));
  t.after(() => sub.unsubscribe());
  await until('a holds s0', () => held.length === 1, 10_000);
  await a.commit(source, 1, new Map([['s0', { split: { id: 's0' }, offset: '10', finished: false }]]), new Set());
  // a paused past its lease, nobody else took s0 (the assignment still names a):
  await c.query(`UPDATE ${table} SET expires_at = now() - interval '1 second'`);
  // On resume the renewal and a checkpoint's commit (of a snapshot under the old lease) fire
  // together, the renewal first in the queue: lost, taken back (new token), then the commit fenced.
  splits$.next([{ id: 's0' }]);
  await a.commit(source, 2, new Map([['s0', { split: { id: 's0' }, offset: '20', finished: false }]]), new Set());
  await new Promise((r) => setTimeout(r, 1_000));
  const row = (await c.query(`SELECT owner, expires_at > now() AS live, "offset" FROM ${table}`)).rows[0];
  assert.ok(events.some((e) => e.startsWith('fenced')), `the old lease's commit is fenced (${events.join('; ')})`);
  assert.deepEqual({ ...row }, { owner: 'a', live: true, offset: '10' });
  assert.deepEqual(held.map((h) => h.split.id), ['s0'], 'a owns a live lease of s0 in the table, yet holds (reads) nothing');
});

test('a lease connection that goes silent fails the source within about a lease time', { timeout: 60_000 }, async (t) => {
  const target = await postgresTarget();
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const url = new URL(target!.url);
  let blackhole = false;
  const sockets: Socket[] = [];
  // A TCP proxy that stops forwarding (a network partition that keeps the connection open).
  const server = createServer((client) => {
    const upstream = connect(Number(url.port), url.hostname);
    sockets.push(client, upstream);
    client.on('data', (d) => { if (!blackhole) upstream.write(d); });
    upstream.on('data', (d) => { if (!blackhole) client.write(d); });
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const proxied = new URL(target!.url);
  proxied.host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  const table = `lfix1_hang_${process.pid}`;
  const leaseMs = 1_000;
  const a = await PostgresSplitLeases.open({ connection: proxied.toString(), table, member: 'a', leaseMs });
  t.after(async () => {
    for (const s of sockets) s.destroy();
    server.close();
    const c = await pgClient(target!);
    await c.query(`DROP TABLE IF EXISTS ${table}, ${table}_members`);
    await c.end();
  });
  let held: ReadonlyArray<LeasedSplit<SourceSplit>> = [];
  let failed: { error: Error; at: number } | undefined;
  const sub = a.holdAssigned('s', new BehaviorSubject([{ id: 'x' }]), new BehaviorSubject<ReadonlySet<string>>(new Set(['x']))).subscribe({
    next: (h) => (held = h),
    error: (error: Error) => (failed = { error, at: Date.now() }),
  });
  await until('holds x', () => held.length === 1, 10_000);
  blackhole = true;
  const silentFrom = Date.now();
  await until('the source fails', () => failed !== undefined, 8_000).catch(() => undefined);
  sub.unsubscribe();
  assert.ok(failed !== undefined, `still reading ${held.map((h) => h.split.id)} 8 lease times after the connection went silent, no error`);
  // The last renewal was at most a renewal period before the silence: the failure comes a lease time after it.
  assert.ok(failed.at - silentFrom <= leaseMs + 1_000, `failed ${failed.at - silentFrom} ms after the silence began`);
  assert.match(failed.error.message, /for 1000 ms.*the leases are lost/);
  assert.ok(!failed.error.message.includes(`:${url.password}@`), `the password leaked: ${failed.error.message}`);
  // close() is bounded too: the hung query times out.
  const closing = Date.now();
  await a.close();
  assert.ok(Date.now() - closing <= 4 * leaseMs, `close took ${Date.now() - closing} ms`);
});

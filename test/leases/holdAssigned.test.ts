// PostgresSplitLeases following an outside assignment (holdAssigned, what Kafka's group
// assignment uses) on the real PostgreSQL peer, two lease holders in one process standing for
// two processes: a split assigned elsewhere stops being read at once, is handed over only by the
// commit that writes where its reading stopped, and the new holder starts exactly there; a late
// commit of the old holder is not written; a split still leased by a dead holder is taken once
// its lease has run out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BehaviorSubject, Subject, type Subscription } from 'rxjs';
import type { LeasedSplit } from '../../src/core/SplitLeases.js';
import type { SourceSplit, SplitPosition } from '../../src/core/SourceSplit.js';
import { PostgresSplitLeases, type LeaseEvent } from '../../src/leases/PostgresSplitLeases.js';
import { needPeer } from '../support/peers.js';
import { HOW_TO_START_POSTGRES, pgClient, postgresTarget } from '../support/postgres.js';
import { until } from './workers.js';

const LEASE_MS = 1_500;
const splits = ['s0', 's1', 's2', 's3'].map((id) => ({ id }));
const position = (id: string, offset: string, finished = false): [string, SplitPosition<SourceSplit>] => [id, { split: { id }, offset, finished }];
/** A held set's split ids, sorted, as one string. */
const ids = (held: ReadonlyArray<LeasedSplit<SourceSplit>>): string => held.map((h) => h.split.id).sort().join(',');

test('holdAssigned: handover at the written position, never two holders, late commits not written, a dead holder waited out', { timeout: 60_000 }, async (t) => {
  const target = await postgresTarget();
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const table = `kgroup_assigned_${process.pid}`;
  const source = 'kgroup_src';
  const open = (member: string) => PostgresSplitLeases.open({ connection: target!.url, table, member, leaseMs: LEASE_MS });
  const [a, b] = [await open('a'), await open('b')];
  t.after(async () => {
    await a.close();
    await b.close();
    const client = await pgClient(target!);
    await client.query(`DROP TABLE IF EXISTS ${table}, ${table}_members`);
    await client.end();
  });
  const splits$ = new BehaviorSubject(splits);
  const assignedA = new BehaviorSubject<ReadonlySet<string>>(new Set(['s0', 's1', 's2', 's3']));
  const assignedB = new BehaviorSubject<ReadonlySet<string>>(new Set());
  let heldA: ReadonlyArray<LeasedSplit<SourceSplit>> = [];
  let heldB: ReadonlyArray<LeasedSplit<SourceSplit>> = [];
  const releasedByA: LeaseEvent[] = [];
  const eventsA = a.events$.subscribe((e) => e.type === 'released' && releasedByA.push(e));
  const subA = a.holdAssigned(source, splits$, assignedA).subscribe((h) => (heldA = h));
  const subB = b.holdAssigned(source, splits$, assignedB).subscribe((h) => (heldB = h));
  t.after(() => {
    eventsA.unsubscribe();
    subA.unsubscribe();
    subB.unsubscribe();
  });
  await until('a holds all four', () => ids(heldA) === 's0,s1,s2,s3', 10_000);
  await a.commit(source, 1, new Map([position('s0', '10'), position('s1', '11'), position('s2', '12'), position('s3', '13')]), new Set());

  // The group moves s2 and s3 to b: a stops reading them at once; b must wait for a's commit.
  assignedA.next(new Set(['s0', 's1']));
  assignedB.next(new Set(['s2', 's3']));
  await until('a reads only s0, s1', () => ids(heldA) === 's0,s1', 5_000);
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(ids(heldB), '', 'b took s2/s3 while a still held their leases');
  // a's next snapshot records where their reading stopped; its commit hands them over there.
  await a.commit(source, 2, new Map([position('s0', '20'), position('s1', '21'), position('s2', '22'), position('s3', '23')]), new Set(['s2', 's3']));
  await until('b holds s2, s3', () => ids(heldB) === 's2,s3', 5_000);
  assert.deepEqual(
    heldB.map((h) => [h.split.id, h.position?.offset]).sort(),
    [
      ['s2', '22'],
      ['s3', '23'],
    ],
    'b starts where a stopped',
  );
  assert.deepEqual(releasedByA, [{ type: 'released', source, splits: ['s2', 's3'] }], 'a handover at the written position is not marked unwritten');
  // A late commit from a for s2 is not written (a holds it no more), b's is.
  await a.commit(source, 3, new Map([position('s2', '99')]), new Set());
  await b.commit(source, 1, new Map([position('s2', '30')]), new Set());
  const offsets = async (): Promise<Map<string, string | null>> => {
    const client = await pgClient(target!);
    try {
      const { rows } = await client.query(`SELECT split, "offset" FROM ${table} WHERE source = $1`, [source]);
      return new Map(rows.map((r) => [JSON.parse(String(r['split'])) as string, (r['offset'] as string | null) ?? null]));
    } finally {
      await client.end();
    }
  };
  assert.equal((await offsets()).get('s2'), '30');

  // s0 is leased by a holder that died (no renewals): assigned to b, it is taken only when that
  // lease has run out, from its committed position.
  const client = await pgClient(target!);
  await client.query(`UPDATE ${table} SET owner = 'ghost', token = token + 1, expires_at = now() + interval '1 second', "offset" = '40' WHERE source = $1 AND split = $2`, [source, JSON.stringify('s0')]);
  await client.end();
  assignedA.next(new Set(['s1']));
  assignedB.next(new Set(['s0', 's2', 's3']));
  const movedAt = Date.now();
  await until('b holds s0', () => heldB.some((h) => h.split.id === 's0'), 10_000);
  const waited = Date.now() - movedAt;
  assert.ok(waited >= 700, `b took s0 after ${waited} ms, before the dead holder's lease ran out`);
  assert.equal(heldB.find((h) => h.split.id === 's0')?.position?.offset, '40');
  // a's own lease of s0 was lost to the ghost: a commit from a for it is refused.
  await a.commit(source, 4, new Map([position('s0', '77')]), new Set());
  assert.notEqual((await offsets()).get('s0'), '77');
});

// A split chosen to move (by the assignment, or for balance when a second process joins) whose
// handing-over commit never comes (a sink far behind its reads, or stalled): commits of
// snapshots taken before it was chosen still write its position but do not hand it over; after
// the handover timeout it goes back at its last committed position, reported `unwritten` (the
// next holder reads again what the old one read since), and the new holder takes it from there.
for (const mode of ['holdAssigned', 'hold'] as const) {
  test(`${mode}: a split whose handover commit never comes is given back after the handover timeout, at its last committed position, reported unwritten`, { timeout: 60_000 }, async (t) => {
    const target = await postgresTarget();
    if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
    const table = `stalled_${mode.toLowerCase()}_${process.pid}`;
    const source = 'stalled_src';
    const handoverTimeoutMs = 2_500;
    const a = await PostgresSplitLeases.open({ connection: target!.url, table, member: 'a', leaseMs: LEASE_MS, handoverTimeoutMs });
    const b = await PostgresSplitLeases.open({ connection: target!.url, table, member: 'b', leaseMs: LEASE_MS });
    assert.equal(b.handoverTimeoutMs, 20 * LEASE_MS, 'the default is 20 lease times');
    const releasedByA: LeaseEvent[] = [];
    const eventsA = a.events$.subscribe((e) => e.type === 'released' && releasedByA.push(e));
    const splits$ = new BehaviorSubject(splits);
    const assignedA = new BehaviorSubject<ReadonlySet<string>>(new Set(['s0', 's1', 's2', 's3']));
    const assignedB = new BehaviorSubject<ReadonlySet<string>>(new Set());
    let heldA: ReadonlyArray<LeasedSplit<SourceSplit>> = [];
    let heldB: ReadonlyArray<LeasedSplit<SourceSplit>> = [];
    const hold = (leases: PostgresSplitLeases, assigned$: BehaviorSubject<ReadonlySet<string>>) => (mode === 'hold' ? leases.hold(source, splits$) : leases.holdAssigned(source, splits$, assigned$));
    const subA = hold(a, assignedA).subscribe((h) => (heldA = h));
    let subB: Subscription | undefined;
    t.after(async () => {
      eventsA.unsubscribe();
      subA.unsubscribe();
      subB?.unsubscribe();
      await a.close();
      await b.close();
      const client = await pgClient(target!);
      await client.query(`DROP TABLE IF EXISTS ${table}, ${table}_members`);
      await client.end();
    });
    await until('a holds all four', () => ids(heldA) === 's0,s1,s2,s3', 10_000);
    await a.commit(source, 1, new Map([position('s0', '10'), position('s1', '11'), position('s2', '12'), position('s3', '13')]), new Set());
    // b joins: the group moves s2 to it, or a gives up the two above its share of two.
    assignedA.next(new Set(['s0', 's1', 's3']));
    assignedB.next(new Set(['s2']));
    subB = hold(b, assignedB).subscribe((h) => (heldB = h));
    const moving = mode === 'hold' ? 's2,s3' : 's2';
    const staying = mode === 'hold' ? 's0,s1' : 's0,s1,s3';
    await until(`a reads ${staying} only`, () => ids(heldA) === staying, 5_000);
    const movedAt = Date.now();
    // A snapshot taken before they were chosen: their positions are written, but a keeps them.
    await a.commit(source, 2, new Map([position('s0', '20'), position('s1', '21'), position('s2', '22'), position('s3', '23')]), new Set());
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(ids(heldB), '', `b took ${moving} before the handover timeout, with no handing-over commit`);
    assert.deepEqual(releasedByA, []);
    await until(`b holds ${moving}`, () => ids(heldB) === moving, 15_000);
    const waited = Date.now() - movedAt;
    assert.ok(waited >= handoverTimeoutMs - 500, `${moving} moved ${waited} ms after they were chosen, before the handover timeout (${handoverTimeoutMs} ms)`);
    assert.deepEqual(
      heldB.map((h) => [h.split.id, h.position?.offset]).sort(),
      moving.split(',').map((id) => [id, `2${id.slice(1)}`]),
      'b starts at the last committed positions',
    );
    assert.deepEqual(releasedByA, [{ type: 'released', source, splits: moving.split(','), unwritten: true }]);
    // a's own snapshot of where their reading stopped comes too late: it is not written.
    await a.commit(source, 3, new Map([position('s0', '30'), position('s2', '25'), position('s3', '26')]), new Set(['s2', 's3']));
    const client = await pgClient(target!);
    try {
      const { rows } = await client.query(`SELECT split, "offset", owner FROM ${table} WHERE source = $1 AND split = ANY($2::text[]) ORDER BY split`, [source, moving.split(',').map((id) => JSON.stringify(id))]);
      assert.deepEqual(
        rows,
        moving.split(',').map((id) => ({ split: JSON.stringify(id), offset: `2${id.slice(1)}`, owner: 'b' })),
      );
    } finally {
      await client.end();
    }
    assert.equal(ids(heldA), staying);
  });
}

test('PostgresSplitLeases.open refuses a handover timeout that is not a positive whole number', async () => {
  for (const handoverTimeoutMs of [0, -1, 1.5, Number.NaN]) {
    await assert.rejects(PostgresSplitLeases.open({ connection: 'postgres://u:p@127.0.0.1:1/db', handoverTimeoutMs }), {
      name: 'TypeError',
      message: `PostgresSplitLeases: handoverTimeoutMs must be a positive whole number, got ${handoverTimeoutMs}`,
    });
  }
});

// Review finding 7: a `tributary run --share` process of the Kafka group test exited 0 after 1 s
// with nothing read. A renewal that started before the enumerator listed its splits counted the
// unfinished splits among none, yet read "the enumerator completed" after its queries, when the
// listing had come in meanwhile: it completed the held set, and the source with it. A lock on
// the members table holds that renewal in flight while the splits arrive, so the race is
// deterministic here.
for (const mode of ['hold', 'holdAssigned'] as const) {
  test(`${mode}: splits listed while a renewal that started before them is in flight do not complete the held set`, { timeout: 30_000 }, async (t) => {
    const target = await postgresTarget();
    if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
    const table = `lfix2_early_${mode.toLowerCase()}_${process.pid}`;
    const source = 'early_src';
    const leases = await PostgresSplitLeases.open({ connection: target!.url, table, member: 'a', leaseMs: LEASE_MS, renewMs: 100 });
    const locker = await pgClient(target!);
    t.after(async () => {
      await leases.close();
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.query(`DROP TABLE IF EXISTS ${table}, ${table}_members`);
      await locker.end();
    });
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE ${table}_members IN ACCESS EXCLUSIVE MODE`);
    const splits$ = new Subject<readonly SourceSplit[]>();
    const assigned$ = new BehaviorSubject<ReadonlySet<string>>(new Set());
    let held: ReadonlyArray<LeasedSplit<SourceSplit>> = [];
    let completed = false;
    const held$ = mode === 'hold' ? leases.hold(source, splits$) : leases.holdAssigned(source, splits$, assigned$);
    const sub = held$.subscribe({ next: (h) => (held = h), complete: () => (completed = true) });
    t.after(() => sub.unsubscribe());
    // The first renewal (the assignment's first emission, or the timer) waits on the lock with no splits known.
    await new Promise((r) => setTimeout(r, 300));
    splits$.next(splits);
    splits$.complete();
    await locker.query('COMMIT');
    if (mode === 'holdAssigned') assigned$.next(new Set(['s0', 's1']));
    const expected = mode === 'hold' ? 's0,s1,s2,s3' : 's0,s1';
    await until(`holds ${expected} (completed: ${completed})`, () => completed || held.map((h) => h.split.id).sort().join(',') === expected, 10_000);
    assert.equal(completed, false, 'the held set completed with four unfinished splits listed');
  });
}

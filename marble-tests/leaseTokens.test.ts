// Ordering rules of split leases' tokens in the core (review of issue 18, finding 1): a split the
// leases hand back under a new token (lost and taken again in one renewal, maybe after another
// process moved it on) is read again from the lease's position, whatever this run read of it
// before; chunks of the old lease still queued are never emitted; and every snapshot records the
// token each split was read under, which the leases' commit writes under.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER, Subject, type Observable } from 'rxjs';
import { createSource } from '../src/core/createSource.js';
import type { SourceEvent } from '../src/core/SourceEvent.js';
import type { SourceSplit, SplitPosition } from '../src/core/SourceSplit.js';
import type { LeasedSplit, SplitLeases } from '../src/core/SplitLeases.js';
import { MemoryStore } from '../src/state/MemoryStore.js';
import { scriptedReader, slowStore, split, testScheduler, type ReadCall, type ScriptedSplit } from './support/scripted.js';

interface Commit {
  readonly epoch: number;
  readonly positions: Record<string, string | null>;
  readonly tokens: Record<string, string>;
}

function leasesOf(held$: Observable<ReadonlyArray<LeasedSplit<ScriptedSplit>>>, commits: Commit[]): SplitLeases {
  return {
    hold: <S extends SourceSplit>(_s: string, _x: Observable<readonly S[]>) => held$ as unknown as Observable<ReadonlyArray<LeasedSplit<S>>>,
    commit: <S extends SourceSplit>(_s: string, epoch: number, positions: ReadonlyMap<string, SplitPosition<S>>, _d: ReadonlySet<string>, tokens?: ReadonlyMap<string, string>) => {
      commits.push({ epoch, positions: Object.fromEntries([...positions].map(([id, p]) => [id, p.offset])), tokens: Object.fromEntries(tokens ?? []) });
    },
  };
}

const describe = (e: SourceEvent<string>): string => (e.type === 'chunk' ? e.records.join(',') : `|${e.epoch}`);

test('a split handed back under a new lease token is read again from the lease position', () => {
  const ts = testScheduler();
  const calls: ReadCall[] = [];
  const log: string[] = [];
  ts.run(() => {
    const held$ = new Subject<ReadonlyArray<LeasedSplit<ScriptedSplit>>>();
    const source = createSource({ name: 'tok1', enumerator: { splits: () => NEVER }, reader: scriptedReader(10, { calls }), barriers: NEVER, scheduler: ts, leases: leasesOf(held$, []) });
    ts.schedule(() => held$.next([{ split: split('a', 1000), position: { offset: '0', finished: false }, token: '1' }]), 0);
    // Lost and taken back in one renewal: another holder had committed 500 meanwhile.
    ts.schedule(() => held$.next([{ split: split('a', 1000), position: { offset: '500', finished: false }, token: '2' }]), 35);
    // The same token again (a renewal emitting an unchanged set): nothing restarts.
    ts.schedule(() => held$.next([{ split: split('a', 1000), position: { offset: '500', finished: false }, token: '2' }]), 60);
    const sub = source.subscribe((e) => log.push(`${ts.now()} ${describe(e)}`));
    ts.schedule(() => sub.unsubscribe(), 70);
  });
  assert.deepEqual(calls, [{ split: 'a', offset: '0' }, { split: 'a', offset: '500' }]);
  assert.deepEqual(log, ['10 a0', '20 a1', '30 a2', '45 a500', '55 a501', '65 a502']);
});

test('chunks of the old lease still queued behind a snapshot write are dropped; each snapshot carries the token it was read under', () => {
  const ts = testScheduler();
  const log: string[] = [];
  const commits: Commit[] = [];
  ts.run(() => {
    const held$ = new Subject<ReadonlyArray<LeasedSplit<ScriptedSplit>>>();
    const barriers = new Subject<void>();
    const store = slowStore(new MemoryStore(), 20, ts);
    const source = createSource({ name: 'tok2', enumerator: { splits: () => NEVER }, reader: scriptedReader(10), barriers, store, scheduler: ts, leases: leasesOf(held$, commits) });
    ts.schedule(() => held$.next([{ split: split('a', 1000), position: { offset: '0', finished: false }, token: '1' }, { split: split('b', 1000), position: undefined, token: '7' }]), 0);
    // Barrier 1 at 25: its write holds the output until 45; a2, a3 (30, 40) queue behind it.
    ts.schedule(() => barriers.next(), 25);
    // At 32 the leases hand a back under token 2 at 500: a2 (queued) is of the old lease.
    ts.schedule(() => held$.next([{ split: split('a', 1000), position: { offset: '500', finished: false }, token: '2' }, { split: split('b', 1000), position: undefined, token: '7' }]), 32);
    ts.schedule(() => barriers.next(), 60);
    const sub = source.subscribe((e) => {
      log.push(`${ts.now()} ${describe(e)}`);
      if (e.type === 'barrier') void source.commit(e.epoch);
    });
    ts.schedule(() => sub.unsubscribe(), 85);
  });
  // a2 (read at 30, queued) never goes out, and the old reader, stopped at 32, reads no a3;
  // the new reader's a500 (42) queues behind b2, b3 like any chunk read during the write.
  assert.deepEqual(log, ['10 a0', '10 b0', '20 a1', '20 b1', '45 |1', '45 b2', '45 b3', '45 a500', '50 b4', '52 a501', '80 |2', '80 b5', '80 a502', '80 b6', '80 a503', '80 b7', '82 a504']);
  assert.deepEqual(commits, [
    { epoch: 1, positions: { a: '2', b: '2' }, tokens: { a: '1', b: '7' } },
    { epoch: 2, positions: { a: '502', b: '5' }, tokens: { a: '2', b: '7' } },
  ]);
});

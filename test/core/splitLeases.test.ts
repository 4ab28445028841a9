// The core's side of split leases, with a scripted SplitLeases (the PostgreSQL one is tested on
// the real server in test/leases): which splits are read and from where, what a commit hands the
// leases, and that the epoch is marked committed only once the leases have the positions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Subject, firstValueFrom, type Observable } from 'rxjs';
import { checkpointKeys, loadCheckpoint } from '../../src/core/Checkpoint.js';
import { commitEpochs } from '../../src/core/commitEpochs.js';
import { createSource } from '../../src/core/createSource.js';
import type { Chunk, SourceEvent } from '../../src/core/SourceEvent.js';
import { chunk } from '../../src/core/SourceEvent.js';
import type { SourceSplit, SplitPosition } from '../../src/core/SourceSplit.js';
import type { LeasedSplit, SplitLeases } from '../../src/core/SplitLeases.js';
import { MemoryStore } from '../../src/state/MemoryStore.js';

interface Commit {
  readonly epoch: number;
  readonly positions: Record<string, string | null>;
  readonly departed: string[];
  readonly done: () => void;
}

function scripted() {
  const held = new Subject<ReadonlyArray<LeasedSplit<SourceSplit>>>();
  const commits: Commit[] = [];
  const leases: SplitLeases = {
    hold: <S extends SourceSplit>(_source: string, splits$: Observable<readonly S[]>) => {
      splits$.subscribe(); // the scripted leases decide alone
      return held as unknown as Observable<ReadonlyArray<LeasedSplit<S>>>;
    },
    commit: <S extends SourceSplit>(_source: string, epoch: number, positions: ReadonlyMap<string, SplitPosition<S>>, departed: ReadonlySet<string>) =>
      new Promise<void>((done) => {
        commits.push({ epoch, positions: Object.fromEntries([...positions].map(([id, p]) => [id, p.offset])), departed: [...departed].sort(), done });
      }),
  };
  const readers = new Map<string, { from: string | null; chunks: Subject<Chunk<string>> }>();
  const reader = {
    read: (split: SourceSplit, offset: string | null) => {
      const chunks = new Subject<Chunk<string>>();
      readers.set(split.id, { from: offset, chunks });
      return chunks;
    },
  };
  return { held, commits, leases, readers, reader };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('leases: held splits are read from their leased position; a departed split is recorded once more; the epoch commits after the leases', async () => {
  const { held, commits, leases, readers, reader } = scripted();
  // A committed snapshot in the store is the process's own; with leases, positions come from the leases.
  const store = new MemoryStore([
    [checkpointKeys.committed('s'), 1],
    [checkpointKeys.snapshot('s', 1), { epoch: 1, splits: { a: { split: { id: 'a' }, offset: '100', finished: false } } }],
  ]);
  const barriers = new Subject<void>();
  const source = createSource<SourceSplit, string>({ name: 's', store, leases, barriers, enumerator: { splits: () => new Subject<SourceSplit[]>() }, reader });
  const events: SourceEvent<string>[] = [];
  const subscription = source.pipe(commitEpochs(source)).subscribe((e) => events.push(e));
  await tick();
  held.next([{ split: { id: 'a' }, position: { offset: '5', finished: false } }, { split: { id: 'b' }, position: undefined }]);
  assert.equal(readers.get('a')?.from, '5', 'a starts at its leased position, not the store snapshot’s 100');
  assert.equal(readers.get('b')?.from, null, 'b was never committed: the connector’s start');
  readers.get('a')!.chunks.next(chunk('a', ['r5'], '5', '6'));
  readers.get('a')!.chunks.next(chunk('a', ['r6'], '6', '7'));
  barriers.next();
  await tick();
  assert.deepEqual(commits.map((c) => [c.epoch, c.positions, c.departed]), [[2, { a: '7', b: null }, []]]);
  // Not committed in the store until the leases have the positions.
  assert.equal(store.get(checkpointKeys.committed('s')), 1);
  commits[0]!.done();
  await tick();
  assert.equal(store.get(checkpointKeys.committed('s')), 2);

  // a leaves the held set (given up for balance) after one more chunk: the reader stops, and
  // the next snapshot records a where it stopped, marked departed.
  readers.get('a')!.chunks.next(chunk('a', ['r7'], '7', '8'));
  const aReader = readers.get('a')!.chunks;
  held.next([{ split: { id: 'b' }, position: undefined }]);
  assert.equal(aReader.observed, false, 'the reader of a departed split is unsubscribed');
  barriers.next();
  await tick();
  assert.deepEqual([commits[1]!.epoch, commits[1]!.positions, commits[1]!.departed], [3, { a: '8', b: null }, ['a']]);
  commits[1]!.done();
  await tick();
  barriers.next();
  await tick();
  assert.deepEqual([commits[2]!.epoch, commits[2]!.positions, commits[2]!.departed], [4, { b: null }, []], 'recorded once only');
  commits[2]!.done();

  // a comes back (leased again, at the position another process committed): read from there.
  held.next([{ split: { id: 'a' }, position: { offset: '42', finished: false } }, { split: { id: 'b' }, position: undefined }]);
  assert.equal(readers.get('a')?.from, '42');
  assert.deepEqual(events.filter((e) => e.type === 'chunk').map((e) => (e as Chunk<string>).records[0]), ['r5', 'r6', 'r7']);
  subscription.unsubscribe();
});

test('leases: a commit the leases refuse fails the epoch, and the store is not marked', async () => {
  const { held, leases, reader } = scripted();
  const failing: SplitLeases = { hold: leases.hold, commit: () => Promise.reject(new Error('database gone')) };
  const store = new MemoryStore();
  const barriers = new Subject<void>();
  const source = createSource<SourceSplit, string>({ name: 's', store, leases: failing, barriers, enumerator: { splits: () => new Subject<SourceSplit[]>() }, reader });
  let error: unknown;
  source.pipe(commitEpochs(source)).subscribe({ error: (e: unknown) => (error = e) });
  await tick();
  held.next([{ split: { id: 'a' }, position: undefined }]);
  barriers.next();
  await tick();
  await tick();
  assert.match(String(error), /committing epoch 1 failed: database gone/);
  assert.equal(store.get(checkpointKeys.committed('s')), undefined);
});

test('leases: a commit whose leases answer after a later commit’s does not mark its epoch over the later one (whose garbage collection dropped its snapshot), nor waits for it', async () => {
  const { held, commits, leases, readers, reader } = scripted();
  const store = new MemoryStore();
  const barriers = new Subject<void>();
  const hooked: number[] = [];
  const withHook = { ...reader, checkpointComplete: (c: { epoch: number }) => void hooked.push(c.epoch) };
  const source = createSource<SourceSplit, string>({ name: 's', store, leases, barriers, enumerator: { splits: () => new Subject<SourceSplit[]>() }, reader: withHook });
  // No commitEpochs: `commit` is public, and a caller may commit the next epoch before the last settled.
  const subscription = source.subscribe();
  await tick();
  held.next([{ split: { id: 'a' }, position: undefined }]);
  readers.get('a')!.chunks.next(chunk('a', ['r0'], '0', '1'));
  barriers.next();
  await tick();
  readers.get('a')!.chunks.next(chunk('a', ['r1'], '1', '2'));
  barriers.next();
  await tick();
  const first = source.commit(1);
  const second = source.commit(2);
  assert.deepEqual(commits.map((c) => c.epoch), [1, 2]);
  // The leases answer the newer commit first: it lands without waiting for the older one.
  commits[1]!.done();
  await second;
  assert.equal(store.get(checkpointKeys.committed('s')), 2);
  assert.equal(store.get(checkpointKeys.snapshot('s', 1)), undefined, 'epoch 1 is garbage now');
  commits[0]!.done();
  await first;
  assert.equal(store.get(checkpointKeys.committed('s')), 2, 'the late mark of epoch 1 is not written');
  const restored = await firstValueFrom(loadCheckpoint(store, 's'));
  assert.equal(restored.snapshot?.epoch, 2, 'the committed epoch has its snapshot');
  assert.deepEqual(hooked, [2], 'the checkpoint-complete hook does not go back to epoch 1');
  subscription.unsubscribe();
});

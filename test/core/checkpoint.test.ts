import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER, Subject, firstValueFrom, lastValueFrom, of, toArray } from 'rxjs';
import { checkpointKeys, loadCheckpoint } from '../../src/core/Checkpoint.js';
import { createSource } from '../../src/core/createSource.js';
import { commitEpochs } from '../../src/core/commitEpochs.js';
import { toRecords } from '../../src/core/toRecords.js';
import { CorruptStateError, SourceError } from '../../src/core/SourceError.js';
import type { JsonValue } from '../../src/core/Json.js';
import { MemoryStore } from '../../src/state/MemoryStore.js';
import type { StateStore } from '../../src/state/StateStore.js';
import { chunk, type Chunk } from '../../src/core/SourceEvent.js';

const reader = { read: () => of(chunk('a', ['x'], '0', '1')) };
const enumerator = { splits: () => of([{ id: 'a' }]) };

async function loadError(entries: Array<[string, JsonValue]>): Promise<unknown> {
  const source = createSource({ name: 'orders', store: new MemoryStore(entries), enumerator, reader, barriers: NEVER });
  return lastValueFrom(source).then(
    () => assert.fail('expected an error'),
    (err: unknown) => err,
  );
}

test('corrupt checkpoint state is a clear error, never a silent restart from zero', async () => {
  const cases: Array<[string, Array<[string, JsonValue]>, RegExp]> = [
    ['committed is not a number', [[checkpointKeys.committed('orders'), 'three']], /'orders\/committed'.*expected an epoch number, found "three"/],
    ['committed epoch without snapshot', [[checkpointKeys.committed('orders'), 3]], /'orders\/epoch\/3'.*epoch 3 is marked committed but its snapshot is missing/],
    [
      'snapshot of another epoch',
      [[checkpointKeys.committed('orders'), 3], [checkpointKeys.snapshot('orders', 3), { epoch: 2, splits: {} }]],
      /not a snapshot of this epoch/,
    ],
    [
      'bad split position',
      [[checkpointKeys.committed('orders'), 3], [checkpointKeys.snapshot('orders', 3), { epoch: 3, splits: { a: { split: { id: 'a' }, offset: 7, finished: false } } }]],
      /bad position for split 'a'/,
    ],
  ];
  for (const [what, entries, pattern] of cases) {
    const err = await loadError(entries);
    assert.ok(err instanceof SourceError, `${what}: a SourceError`);
    assert.ok(err.cause instanceof CorruptStateError, `${what}: caused by CorruptStateError`);
    assert.match(err.message, /^source 'orders': /, what);
    assert.match(err.message, pattern, what);
    assert.match(err.message, /refusing to restart from zero/, what);
  }
});

test('a store that fails to write fails the source with the epoch named', async () => {
  const inner = new MemoryStore();
  const failing: StateStore = {
    get: (k) => inner.get(k),
    set: (k, v) => inner.set(k, v),
    del: (k) => inner.del(k),
    entries: () => inner.entries(),
    delMany: (k) => inner.delMany(k),
    setMany: () => Promise.reject(new Error('disk full')),
  };
  const source = createSource({ name: 'orders', store: failing, enumerator, reader, barriers: NEVER });
  await assert.rejects(lastValueFrom(source), (err: Error) => {
    assert.equal(err.message, "source 'orders': writing the checkpoint of epoch 1 failed: disk full");
    return true;
  });
});

test('checkpoints through an asynchronous store: data, final barrier and commit in order, then nothing on restart', async () => {
  const inner = new MemoryStore();
  const slow: StateStore = {
    get: async (k) => inner.get(k),
    set: async (k, v) => inner.set(k, v),
    del: async (k) => inner.del(k),
    entries: async () => inner.entries(),
    delMany: async (k) => inner.delMany(k),
    setMany: (e) => new Promise<void>((resolve) => setTimeout(() => resolve(inner.setMany(e)), 5)),
  };
  const make = () => createSource({ name: 'orders', store: slow, enumerator, reader, checkpointIntervalMs: 1 });
  const source = make();
  const events = await lastValueFrom(source.pipe(commitEpochs(source), toArray()));
  assert.deepEqual(events.map((e) => e.type), ['chunk', 'barrier']);
  const loaded = await firstValueFrom(loadCheckpoint(slow, 'orders'));
  assert.deepEqual(loaded.snapshot?.splits, { a: { split: { id: 'a' }, offset: '1', finished: true } });
  const again = make();
  assert.deepEqual(await lastValueFrom(again.pipe(commitEpochs(again), toRecords(), toArray())), []);
});

test('a commit marks its epoch and drops the older snapshots in one atomic update when the store has one; otherwise set, then delMany', async () => {
  for (const withUpdate of [true, false]) {
    const inner = new MemoryStore();
    const writes: string[] = [];
    const store: StateStore = {
      get: (k) => inner.get(k),
      set: (k, v) => (writes.push(`set ${k}=${JSON.stringify(v)}`), inner.set(k, v)),
      del: (k) => inner.del(k),
      entries: () => inner.entries(),
      setMany: (e) => (writes.push(`setMany ${e.map(([k]) => k).join(',')}`), inner.setMany(e)),
      delMany: (k) => (writes.push(`delMany ${k.join(',')}`), inner.delMany(k)),
      ...(withUpdate ? { update: (e: ReadonlyArray<readonly [string, JsonValue]>, k: readonly string[]) => (writes.push(`update ${e.map(([key, v]) => `${key}=${JSON.stringify(v)}`).join(',')} -${k.join(',')}`), inner.update(e, k)) } : {}),
    };
    // A chunk, a barrier, a chunk, the end (the final barrier): epochs 1 and 2.
    const data = new Subject<Chunk<string>>();
    const barriers = new Subject<void>();
    const source = createSource({ name: 'orders', store, enumerator, reader: { read: () => data }, barriers });
    const done = lastValueFrom(source.pipe(commitEpochs(source), toArray()));
    data.next(chunk('a', ['x'], '0', '1'));
    barriers.next();
    data.next(chunk('a', ['y'], '1', '2'));
    data.complete();
    const events = await done;
    assert.deepEqual(events.map((e) => e.type), ['chunk', 'barrier', 'chunk', 'barrier']);
    const commitOfEpoch2 = withUpdate ? ['update orders/committed=2 -orders/epoch/1'] : ['set orders/committed=2', 'delMany orders/epoch/1'];
    assert.deepEqual(writes, ['setMany orders/epoch/1,orders/last-epoch', 'set orders/committed=1', 'setMany orders/epoch/2,orders/last-epoch', ...commitOfEpoch2], `with update: ${withUpdate}`);
    assert.deepEqual(
      inner.entries().map(([k]) => k).sort(),
      ['orders/committed', 'orders/epoch/2', 'orders/last-epoch'],
    );
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER, asyncScheduler, of } from 'rxjs';
import { createSource } from '../src/core/createSource.js';
import { checkpointKeys } from '../src/core/Checkpoint.js';
import { MemoryStore } from '../src/state/MemoryStore.js';
import { barrier, finalBarrier, recordChunk as c, scriptedReader, slowStore, split, testScheduler } from './support/scripted.js';

test('a barrier follows exactly the chunks emitted before it, and its snapshot holds their positions', () => {
  const store = new MemoryStore();
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => of([split('a', 5)]) },
      reader: scriptedReader(10),
      barriers: cold('25ms x'),
    });
    expectObservable(source).toBe('10ms a 9ms b 4ms B 4ms c 9ms d 9ms (eF|)', {
      a: c('a', 0), b: c('a', 1), B: barrier(1), c: c('a', 2), d: c('a', 3), e: c('a', 4), F: finalBarrier(2),
    });
  });
  assert.deepEqual(store.get(checkpointKeys.snapshot('s', 1)), {
    epoch: 1,
    splits: { a: { split: { id: 'a', records: 5 }, offset: '2', finished: false } },
  });
  assert.deepEqual(store.get(checkpointKeys.snapshot('s', 2)), {
    epoch: 2,
    splits: { a: { split: { id: 'a', records: 5 }, offset: '5', finished: true } },
  });
  assert.equal(store.get(checkpointKeys.lastEpoch('s')), 2);
});

test('each barrier snapshots every assigned split, each at its own position', () => {
  const store = new MemoryStore();
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => cold('a', { a: [split('a', -1), split('b', -1)] }) },
      reader: { read: (s, offset, ctx) => scriptedReader(s.id === 'a' ? 10 : 15).read(s, offset, ctx) },
      barriers: cold('35ms x'),
    });
    expectObservable(source, '^ 40ms !').toBe('10ms a 4ms b 4ms c 9ms (de) 1ms B 4ms f', {
      a: c('a', 0), b: c('b', 0), c: c('a', 1), d: c('a', 2), e: c('b', 1), B: barrier(1), f: c('a', 3),
    });
  });
  const snapshot = store.get(checkpointKeys.snapshot('s', 1)) as { splits: Record<string, { offset: string }> };
  assert.equal(snapshot.splits['a']?.offset, '3');
  assert.equal(snapshot.splits['b']?.offset, '2');
});

test('a barrier waits for its snapshot to be written; chunks arriving meanwhile come after it', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const store = slowStore(new MemoryStore(), 20, asyncScheduler);
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => of([split('a', -1)]) },
      reader: scriptedReader(10),
      barriers: cold('15ms x'),
    });
    // The barrier requested at 15 is written from 15 to 35: chunks read at 20 and 30 wait behind it.
    expectObservable(source, '^ 45ms !').toBe('10ms a 24ms (Bbc) d', { a: c('a', 0), B: barrier(1), b: c('a', 1), c: c('a', 2), d: c('a', 3) });
  });
});

test('barrier requests that arrive during a write are coalesced, not stacked', () => {
  const inner = new MemoryStore();
  testScheduler().run(({ cold, expectObservable }) => {
    const store = slowStore(inner, 20, asyncScheduler);
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => NEVER },
      reader: scriptedReader(10),
      barriers: cold('5ms x 2ms x 2ms x 2ms x'),
    });
    // 5: write of epoch 1 starts; requests at 8, 11 and 14 collapse into one, written 25..45.
    expectObservable(source, '^ 60ms !').toBe('25ms A 19ms B', { A: barrier(1), B: barrier(2) });
  });
  assert.equal(inner.get(checkpointKeys.lastEpoch('s')), 2);
});

test('epochs keep increasing across restarts of the same store', () => {
  const store = new MemoryStore();
  const run = (expected: string, values: Record<string, unknown>) =>
    testScheduler().run(({ cold, expectObservable }) => {
      const source = createSource({ name: 's', store, enumerator: { splits: () => NEVER }, reader: scriptedReader(), barriers: cold('x 9ms x') });
      expectObservable(source, '^ 15ms !').toBe(expected, values);
    });
  run('A 9ms B', { A: barrier(1), B: barrier(2) });
  // Nothing was committed, yet the next run must not reuse epochs 1 and 2.
  run('A 9ms B', { A: barrier(3), B: barrier(4) });
});

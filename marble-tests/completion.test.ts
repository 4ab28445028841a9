import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER, map, of } from 'rxjs';
import { checkpointKeys } from '../src/core/Checkpoint.js';
import { commitEpochs } from '../src/core/commitEpochs.js';
import { createSource } from '../src/core/createSource.js';
import { MemoryStore } from '../src/state/MemoryStore.js';
import { barrier, finalBarrier, recordChunk as c, scriptedReader, split, testScheduler, type ReadCall } from './support/scripted.js';

test('a bounded source completes after its last split with a final checkpoint; a restart emits nothing', () => {
  const store = new MemoryStore();
  const calls: ReadCall[] = [];
  const bounded = () =>
    createSource({
      name: 's',
      store,
      enumerator: { splits: () => of([split('a', 2), split('b', 3)]) },
      reader: scriptedReader(10, { calls }),
      barriers: NEVER,
    });
  testScheduler().run(({ expectObservable }) => {
    const source = bounded();
    expectObservable(source.pipe(commitEpochs(source))).toBe('10ms (ab) 6ms (cd) 6ms (eF|)', {
      a: c('a', 0), b: c('b', 0), c: c('a', 1), d: c('b', 1), e: c('b', 2), F: finalBarrier(1),
    });
  });
  assert.equal(store.get(checkpointKeys.committed('s')), 1);
  testScheduler().run(({ expectObservable }) => {
    expectObservable(bounded()).toBe('|');
  });
  assert.equal(calls.length, 2, 'no split was read again');
});

test('a bounded source waits for its enumerator to complete before the final checkpoint', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => cold('a 29ms (b|)', { a: [split('a', 1)], b: [split('a', 1), split('b', 1)] }) },
      reader: scriptedReader(10),
      barriers: NEVER,
    });
    // a finishes at 10, but b only appears at 30: completion comes after b, at 40.
    expectObservable(source).toBe('10ms a 29ms (bF|)', { a: c('a', 0), b: c('b', 0), F: finalBarrier(1) });
  });
});

test('a bounded source with an empty upstream completes without a checkpoint', () => {
  const store = new MemoryStore();
  testScheduler().run(({ expectObservable }) => {
    const source = createSource({ name: 's', store, enumerator: { splits: () => of([]) }, reader: scriptedReader(), barriers: NEVER });
    expectObservable(source).toBe('|');
  });
  assert.equal(store.size, 0);
});

test('unsubscribing tears down the enumerator, every reader and the barrier timer', () => {
  testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const enumerator = cold('a', { a: [split('a', -1), split('b', -1)] });
    const barriers = cold('5ms x 5ms x 5ms x 5ms x 5ms x');
    const upstream = { a: cold('10ms x 9ms x'), b: cold('15ms x') };
    const source = createSource({
      name: 's',
      enumerator: { splits: () => enumerator },
      reader: { read: (s) => upstream[s.id as 'a' | 'b'].pipe(map((_, n) => c(s.id, n))) },
      barriers,
    });
    const subscription = '^ 12ms !';
    expectObservable(source, subscription).toBe('5ms A 4ms x B', { A: barrier(1), B: barrier(2), x: c('a', 0) });
    expectSubscriptions(enumerator.subscriptions).toBe(subscription);
    expectSubscriptions(barriers.subscriptions).toBe(subscription);
    expectSubscriptions(upstream.a.subscriptions).toBe(subscription);
    expectSubscriptions(upstream.b.subscriptions).toBe(subscription);
  });
});

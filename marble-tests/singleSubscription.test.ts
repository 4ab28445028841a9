import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER, asyncScheduler, of, retry, type SchedulerLike } from 'rxjs';
import { checkpointed } from '../src/core/checkpointed.js';
import { checkpointKeys } from '../src/core/Checkpoint.js';
import { createSource } from '../src/core/createSource.js';
import type { JsonValue } from '../src/core/Json.js';
import { mapRecords } from '../src/core/mapRecords.js';
import { SourceError } from '../src/core/SourceError.js';
import type { StateStore } from '../src/core/StateStore.js';
import { MemoryStore } from '../src/state/MemoryStore.js';
import { barrier, finalBarrier, recordChunk as c, scriptedReader, split, testScheduler, type ReadCall } from './support/scripted.js';

const ALREADY_MESSAGE =
  'the source is already subscribed: a source runs once at a time (two runs would write the same checkpoints); ' +
  'subscribe to one pipeline over it and share that (share()), or unsubscribe the first before subscribing again';

/** A store whose reads answer `delay` frames later: the restore of a subscription takes time. */
function slowReads(inner: MemoryStore, delay: number, scheduler: SchedulerLike): StateStore {
  const later = <V>(value: () => V): PromiseLike<V> => ({
    then<R1 = V, R2 = never>(onFulfilled?: ((value: V) => R1 | PromiseLike<R1>) | null): PromiseLike<R1 | R2> {
      scheduler.schedule(() => onFulfilled?.(value()), delay);
      return this as unknown as PromiseLike<R1 | R2>;
    },
  });
  return {
    get: (key: string) => later(() => inner.get(key)),
    entries: () => later(() => inner.entries()),
    set: (key: string, value: JsonValue) => inner.set(key, value),
    del: (key: string) => inner.del(key),
    setMany: (entries: ReadonlyArray<readonly [string, JsonValue]>) => inner.setMany(entries),
    delMany: (keys: readonly string[]) => inner.delMany(keys),
  };
}

test('a second subscription while one is live errors at once with a SourceError naming the source; the first run goes on untouched', () => {
  const calls: ReadCall[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({ name: 'orders', enumerator: { splits: () => of([split('a', 3)]) }, reader: scriptedReader(10, { calls }), barriers: cold('25ms x') });
    expectObservable(checkpointed(source)).toBe('10ms a 9ms b 4ms B 4ms (cF|)', { a: c('a', 0), b: c('a', 1), B: barrier(1), c: c('a', 2), F: finalBarrier(2) });
    // The second arrives at 15, mid-run: it fails there; the first keeps its events and epochs.
    expectObservable(source, '15ms ^').toBe(
      '15ms #',
      undefined,
      new SourceError(ALREADY_MESSAGE, { source: 'orders' }),
    );
  });
  assert.deepEqual(calls, [{ split: 'a', offset: null }], 'the refused subscription read nothing');
});

test('the second subscription is refused while the first is still restoring from a slow store', () => {
  testScheduler().run(({ expectObservable }) => {
    const store = slowReads(new MemoryStore(), 8, asyncScheduler);
    const source = createSource({ name: 's', store, enumerator: { splits: () => of([split('a', 1)]) }, reader: scriptedReader(10), barriers: NEVER });
    // The first subscription's restore takes two reads of 8 frames (a0 at 16 + 10); the second
    // comes at 3, before the first has a run.
    expectObservable(source).toBe('26ms (aF|)', { a: c('a', 0), F: finalBarrier(1) });
    expectObservable(source, '3ms ^').toBe('3ms #', undefined, new SourceError(ALREADY_MESSAGE, { source: 's' }));
  });
});

test('subscribing again after the first subscription ended resumes from the committed epoch', () => {
  const store = new MemoryStore();
  const calls: ReadCall[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({ name: 's', store, enumerator: { splits: () => of([split('a', 6)]) }, reader: scriptedReader(10, { calls }), barriers: cold('25ms x') });
    // The first run is unsubscribed at 30 (epoch 1 committed at 25, after a0 and a1); the second
    // starts at 40 and resumes at a2.
    expectObservable(checkpointed(source), '^ 29ms !').toBe('10ms a 9ms b 4ms B', { a: c('a', 0), b: c('a', 1), B: barrier(1) });
    expectObservable(checkpointed(source), '40ms ^ 20ms !').toBe('50ms a 9ms b', { a: c('a', 2), b: c('a', 3) });
  });
  assert.deepEqual(calls, [
    { split: 'a', offset: null },
    { split: 'a', offset: '2' },
  ]);
});

test('a retry that resubscribes at once, inside the failing run\'s error, is a rollback, not a second subscription', () => {
  const store = new MemoryStore();
  const calls: ReadCall[] = [];
  let failed = false;
  const failOnceAtA3 = mapRecords((record: string) => {
    if (record === 'a3' && !failed) {
      failed = true;
      throw new Error('downstream hiccup');
    }
    return record;
  }, 's');
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({ name: 's', store, enumerator: { splits: () => of([split('a', 5)]) }, reader: scriptedReader(10, { calls }), barriers: cold('25ms x') });
    // a3 fails at 40; retry() resubscribes synchronously: the new run restores epoch 1 (a2 next)
    // and reads a2 at 50. Its own barrier timer starts again (25 frames after 40).
    expectObservable(checkpointed(source, failOnceAtA3).pipe(retry(1))).toBe('10ms a 9ms b 4ms B 4ms c 19ms d 9ms e 4ms C 4ms (fF|)', {
      a: c('a', 0), b: c('a', 1), B: barrier(1), c: c('a', 2), d: c('a', 2), e: c('a', 3), C: barrier(2), f: c('a', 4), F: finalBarrier(3),
    });
  });
  assert.deepEqual(calls, [
    { split: 'a', offset: null },
    { split: 'a', offset: '2' },
  ]);
  assert.equal(store.get(checkpointKeys.committed('s')), 3);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER, asyncScheduler, catchError, of } from 'rxjs';
import { checkpointKeys } from '../src/core/Checkpoint.js';
import { createSource } from '../src/core/createSource.js';
import { MemoryStore } from '../src/state/MemoryStore.js';
import { barrier, recordChunk as c, scriptedReader, slowStore, split, testScheduler, type ReadCall } from './support/scripted.js';

const A = split('A', -1);
const B = split('B', -1);
const C = split('C', -1);

test('a split-set change keeps staying splits running, stops removed ones and starts new ones', () => {
  const calls: ReadCall[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => cold('a 24ms b', { a: [A, B], b: [A, C] }) },
      reader: scriptedReader(10, { calls }),
      barriers: NEVER,
    });
    // A is never restarted (A0..A3 in sequence); B stops at 25; C starts at 25 from its beginning.
    expectObservable(source, '^ 46ms !').toBe('10ms (ab) 6ms (cd) 6ms e 4ms f 4ms g 4ms h', {
      a: c('A', 0), b: c('B', 0), c: c('A', 1), d: c('B', 1), e: c('A', 2), f: c('C', 0), g: c('A', 3), h: c('C', 1),
    });
  });
  assert.deepEqual(calls, [
    { split: 'A', offset: null },
    { split: 'B', offset: null },
    { split: 'C', offset: null },
  ]);
});

test('a split removed and added again is a new split: its old position is forgotten', () => {
  const calls: ReadCall[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => cold('a 14ms b 19ms a', { a: [A], b: [] }) },
      reader: scriptedReader(10, { calls }),
      barriers: NEVER,
    });
    expectObservable(source, '^ 50ms !').toBe('10ms a 34ms b', { a: c('A', 0), b: c('A', 0) });
  });
  assert.deepEqual(calls, [
    { split: 'A', offset: null },
    { split: 'A', offset: null },
  ]);
});

test('splits start from the committed checkpoint; new ones from the configured start; finished ones are not read', () => {
  const store = new MemoryStore([
    [checkpointKeys.committed('s'), 4],
    [checkpointKeys.lastEpoch('s'), 4],
    [
      checkpointKeys.snapshot('s', 4),
      {
        epoch: 4,
        splits: {
          A: { split: A, offset: '3', finished: false },
          D: { split: split('D', 2), offset: '2', finished: true },
        },
      },
    ],
  ]);
  const calls: ReadCall[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => of([A, B, split('D', 2)]) },
      reader: scriptedReader(10, { calls }),
      barriers: cold('15ms x'),
    });
    expectObservable(source, '^ 20ms !').toBe('10ms (ab) 1ms B 4ms (cd)', { a: c('A', 3), b: c('B', 0), B: barrier(5), c: c('A', 4), d: c('B', 1) });
  });
  assert.deepEqual(calls, [
    { split: 'A', offset: '3' },
    { split: 'B', offset: null },
  ]);
  const snapshot = store.get(checkpointKeys.snapshot('s', 5)) as { splits: Record<string, { offset: string | null; finished: boolean }> };
  assert.deepEqual(
    Object.fromEntries(Object.entries(snapshot.splits).map(([id, p]) => [id, [p.offset, p.finished]])),
    { A: ['4', false], B: ['1', false], D: ['2', true] },
  );
});

test('a snapshot holds only the splits currently assigned', () => {
  const store = new MemoryStore();
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => cold('a 14ms b', { a: [A, B], b: [B] }) },
      reader: scriptedReader(10),
      barriers: cold('17ms x'),
    });
    expectObservable(source, '^ 18ms !').toBe('10ms (ab) 3ms B', { a: c('A', 0), b: c('B', 0), B: barrier(1) });
  });
  const snapshot = store.get(checkpointKeys.snapshot('s', 1)) as { splits: Record<string, unknown> };
  assert.deepEqual(Object.keys(snapshot.splits), ['B']);
});

test('an enumerator that lists one split twice is an error naming the split', () => {
  testScheduler().run(({ expectObservable }) => {
    const source = createSource({ name: 's', enumerator: { splits: () => of([A, A]) }, reader: scriptedReader(), barriers: NEVER });
    expectObservable(source.pipe(catchError((err: Error) => of(err.message)))).toBe('(m|)', {
      m: "source 's', split 'A': enumerator emitted split id 'A' twice in one set",
    });
  });
});

test('finished$ tells the enumerator a split is done only after its last chunk went downstream', () => {
  const finished: Array<[number, string]> = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store: slowStore(new MemoryStore(), 40, asyncScheduler),
      enumerator: {
        splits: (context) => {
          context.finished$.subscribe((id) => finished.push([asyncScheduler.now(), id]));
          return cold('a', { a: [split('a', 2)] });
        },
      },
      reader: scriptedReader(10),
      barriers: cold('5ms x'),
    });
    // a's reader completes at 20, while the barrier's write (5..45) holds a0 and a1 back.
    expectObservable(source, '^ 50ms !').toBe('45ms (Bab)', { B: barrier(1), a: c('a', 0), b: c('a', 1) });
  });
  assert.deepEqual(finished, [[45, 'a']]);
});

test('chunks read before their split left the set are still delivered', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store: slowStore(new MemoryStore(), 20, asyncScheduler),
      enumerator: { splits: () => cold('a 14ms b', { a: [A, B], b: [B] }) },
      reader: scriptedReader(10),
      barriers: cold('5ms x'),
    });
    // A0 and B0 are read at 10 and B1 at 20, behind the write (5..25); A leaves the set at 15.
    expectObservable(source, '^ 28ms !').toBe('25ms (Babc)', { B: barrier(1), a: c('A', 0), b: c('B', 0), c: c('B', 1) });
  });
});

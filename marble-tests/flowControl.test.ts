import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER, asyncScheduler, filter, identity, of, type MonoTypeOperatorFunction } from 'rxjs';
import { commitEpochs } from '../src/core/commitEpochs.js';
import { createSource } from '../src/core/createSource.js';
import type { SourceEvent } from '../src/core/SourceEvent.js';
import type { ReaderContext } from '../src/core/SplitReader.js';
import { scriptedReader, slowStore, split, testScheduler } from './support/scripted.js';
import { MemoryStore } from '../src/state/MemoryStore.js';

/** Runs a source with a high-water mark of 2 records and records when readers were told to pause. */
function pauses(end: (source: Parameters<typeof commitEpochs>[0]) => MonoTypeOperatorFunction<SourceEvent<string>>, barriers = '') {
  const seen: Array<[number, boolean]> = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const contexts: ReaderContext[] = [];
    const inner = scriptedReader(10, { contexts });
    const source = createSource({
      name: 's',
      enumerator: { splits: () => of([split('a', -1)]) },
      reader: {
        read: (s, offset, context) => {
          context.paused$.subscribe((paused) => seen.push([asyncScheduler.now(), paused]));
          return inner.read(s, offset, context);
        },
      },
      barriers: barriers ? cold(barriers) : NEVER,
      highWaterMark: 2,
    });
    expectObservable(source.pipe(end(source)), '^ 60ms !');
  });
  return seen;
}

test('readers are asked to pause while more records are in flight than the high-water mark', () => {
  // Nothing acknowledges: after the third record (frame 30) the source is over its mark.
  assert.deepEqual(pauses(() => identity), [
    [0, false],
    [30, true],
  ]);
});

test('records acknowledged at the end of the pipeline keep readers flowing', () => {
  assert.deepEqual(pauses((source) => commitEpochs(source)), [[0, false]]);
});

test('a committed barrier releases records an operator dropped without acknowledging them', () => {
  // Chunks never reach commitEpochs (filtered out), but the barrier at 35 does: it proves the
  // three records before it left the pipeline, so the pause lifts.
  const dropChunks = filter((event: SourceEvent<string>) => event.type === 'barrier');
  assert.deepEqual(pauses((source) => (events) => events.pipe(dropChunks, commitEpochs(source)), '35ms x'), [
    [0, false],
    [30, true],
    [35, false],
    [60, true],
  ]);
});

test('records held back behind a slow snapshot write count as in flight', () => {
  const seen: Array<[number, boolean]> = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store: slowStore(new MemoryStore(), 40, asyncScheduler),
      enumerator: { splits: () => of([split('a', -1)]) },
      reader: {
        read: (s, offset, context) => {
          context.paused$.subscribe((paused) => seen.push([asyncScheduler.now(), paused]));
          return scriptedReader(10).read(s, offset, context);
        },
      },
      barriers: cold('5ms x'),
      highWaterMark: 2,
    });
    // The write runs from 5 to 45: a0..a2 are read meanwhile and held; the third one tips it.
    expectObservable(source.pipe(commitEpochs(source)), '^ 50ms !');
  });
  assert.deepEqual(seen, [
    [0, false],
    [30, true],
    [45, false],
  ]);
});

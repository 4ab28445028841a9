import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER, asyncScheduler, of, type Observable } from 'rxjs';
import { checkpointed } from '../src/core/checkpointed.js';
import { checkpointKeys } from '../src/core/Checkpoint.js';
import { createSource } from '../src/core/createSource.js';
import { mapRecords } from '../src/core/mapRecords.js';
import type { Chunk } from '../src/core/SourceEvent.js';
import type { Source } from '../src/core/Source.js';
import { MemoryStore } from '../src/state/MemoryStore.js';
import { barrier, finalBarrier, recordChunk as c, scriptedReader, split, testScheduler } from './support/scripted.js';

const upper = (chunk: Chunk<string>): Chunk<string> => ({ ...chunk, records: chunk.records.map((r) => r.toUpperCase()) });

test('checkpointed(source, pipeline): the pipeline\'s events, each barrier passed on once its epoch is committed in that source\'s store', () => {
  const store = new MemoryStore();
  const committed: string[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({ name: 's', store, enumerator: { splits: () => of([split('a', 3)]) }, reader: scriptedReader(10), barriers: cold('25ms x') });
    const commit = source.commit.bind(source);
    source.commit = (epoch) => {
      committed.push(`${epoch} @${asyncScheduler.now()}`);
      return commit(epoch);
    };
    expectObservable(checkpointed(source, mapRecords((r: string) => r.toUpperCase(), 's'))).toBe('10ms a 9ms b 4ms B 4ms (cF|)', {
      a: upper(c('a', 0)), b: upper(c('a', 1)), B: barrier(1), c: upper(c('a', 2)), F: finalBarrier(2),
    });
  });
  assert.deepEqual(committed, ['1 @25', '2 @30']);
  assert.equal(store.get(checkpointKeys.committed('s')), 2);
});

test('checkpointed(source) acknowledges what reached its end: a reader under the high-water mark is never paused (and is without it)', () => {
  /** Runs a 3-record source with a high-water mark of 1 through `pipe`, logging the reader's pause signal. */
  const pauses = (pipe: (source: Source<string>) => Observable<unknown>): boolean[] => {
    const log: boolean[] = [];
    const reader = scriptedReader(10);
    testScheduler().run(() => {
      const source = createSource({
        name: 's',
        highWaterMark: 1,
        enumerator: { splits: () => of([split('a', 3)]) },
        reader: { read: (s, offset, context) => (context.paused$.subscribe((p) => log.push(p)), reader.read(s, offset, context)) },
        barriers: NEVER,
      });
      pipe(source).subscribe();
    });
    return log;
  };
  assert.deepEqual(pauses((source) => checkpointed(source)), [false]);
  // The control: the bare source acknowledges nothing, so the second record in flight pauses.
  assert.deepEqual(pauses((source) => source), [false, true]);
});

test('checkpointed(source, pipeline, { sink }): a barrier commits only after the sink flushed what came before it', () => {
  const log: string[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({ name: 's', enumerator: { splits: () => of([split('a', 2)]) }, reader: scriptedReader(10), barriers: cold('15ms x') });
    const commit = source.commit.bind(source);
    source.commit = (epoch) => {
      log.push(`commit ${epoch} @${asyncScheduler.now()}`);
      return commit(epoch);
    };
    const sink = {
      write: (records: readonly string[]) => void log.push(`write ${records.join(',')} @${asyncScheduler.now()}`),
      flush: () => void log.push(`flush @${asyncScheduler.now()}`),
    };
    expectObservable(checkpointed(source, (events) => events, { sink })).toBe('10ms a 4ms B 4ms (bF|)', { a: c('a', 0), B: barrier(1), b: c('a', 1), F: finalBarrier(2) });
  });
  assert.deepEqual(log, ['write a0 @10', 'flush @15', 'commit 1 @15', 'write a1 @20', 'flush @20', 'commit 2 @20', 'flush @20']);
});

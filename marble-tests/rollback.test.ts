import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER, asyncScheduler, catchError, identity, of } from 'rxjs';
import { checkpointKeys } from '../src/core/Checkpoint.js';
import { createSource } from '../src/core/createSource.js';
import { mapRecords } from '../src/core/mapRecords.js';
import { runWithCheckpoints } from '../src/core/runWithCheckpoints.js';
import { SourceError } from '../src/core/SourceError.js';
import { MemoryStore } from '../src/state/MemoryStore.js';
import { barrier, recordChunk as c, scriptedReader, split, testScheduler, type ReadCall } from './support/scripted.js';

/** Throws once on the first record named `bad`, as a flaky downstream would. */
function failOnceAt(bad: string) {
  let failed = false;
  return mapRecords((record: string) => {
    if (record === bad && !failed) {
      failed = true;
      throw new Error(`sink rejected ${record}`);
    }
    return record;
  }, 's');
}

test('after a downstream error, the source resumes exactly after the last successful epoch', () => {
  const store = new MemoryStore();
  const calls: ReadCall[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => of([split('a', 10)]) },
      reader: scriptedReader(10, { calls }),
      barriers: cold('25ms x 19ms x'),
    });
    // Epoch 2 (offset 4) commits at 45; a4 fails at 50; after a 5 ms backoff the source resumes
    // at 55 from offset 4: the first record is a4 itself, not a3 (repeated) nor a5 (lost).
    const run = runWithCheckpoints(source, failOnceAt('a4'), { retries: 1, backoffMs: 5 });
    expectObservable(run, '^ 80ms !').toBe('10ms a 9ms b 4ms B 4ms c 9ms d 4ms C 19ms e 9ms f 4ms D', {
      a: c('a', 0), b: c('a', 1), B: barrier(1), c: c('a', 2), d: c('a', 3), C: barrier(2), e: c('a', 4), f: c('a', 5), D: barrier(3),
    });
  });
  assert.deepEqual(calls, [
    { split: 'a', offset: null },
    { split: 'a', offset: '4' },
  ]);
  assert.equal(store.get(checkpointKeys.committed('s')), 3);
  // Garbage collection: only the committed epoch's snapshot is left.
  assert.deepEqual(
    store.entries().map(([key]) => key).filter((key) => key.startsWith('s/epoch/')),
    ['s/epoch/3'],
  );
});

test('an epoch whose barrier did not get through the pipeline is not successful: rollback goes to the one before', () => {
  const calls: ReadCall[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => of([split('a', 10)]) },
      reader: scriptedReader(10, { calls }),
      barriers: cold('25ms x 19ms x'),
    });
    // a3 fails at 40, before barrier 2 (taken at 45) could pass: epoch 1 (offset 2) is the last
    // successful one, so a2, already delivered once, comes again first.
    const run = runWithCheckpoints(source, failOnceAt('a3'), { retries: 1, backoffMs: 5 });
    expectObservable(run, '^ 70ms !').toBe('10ms a 9ms b 4ms B 4ms c 24ms d 9ms e 4ms C', {
      a: c('a', 0), b: c('a', 1), B: barrier(1), c: c('a', 2), d: c('a', 2), e: c('a', 3), C: barrier(2),
    });
  });
  assert.deepEqual(calls, [
    { split: 'a', offset: null },
    { split: 'a', offset: '2' },
  ]);
});

test('an error inside a reader names source, split and offset, and recovery resumes after the last successful epoch', () => {
  const retried: SourceError[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => of([split('a', 10)]) },
      reader: scriptedReader(10, { failAt: { split: 'a', index: 3, times: 1 } }),
      barriers: cold('25ms x'),
    });
    const run = runWithCheckpoints(source, undefined, { retries: 2, backoffMs: 5, onRetry: (err) => retried.push(err) });
    expectObservable(run, '^ 65ms !').toBe('10ms a 9ms b 4ms B 4ms c 24ms d 9ms e', {
      a: c('a', 0), b: c('a', 1), B: barrier(1), c: c('a', 2), d: c('a', 2), e: c('a', 3),
    });
  });
  assert.equal(retried.length, 1);
  const [err] = retried;
  assert.ok(err instanceof SourceError);
  assert.equal(err.source, 's');
  assert.equal(err.split, 'a');
  assert.equal(err.offset, '3');
  assert.match(err.message, /^source 's', split 'a', offset 3: upstream hiccup at record 3$/);
});

test('when retries run out, the error reaches the subscriber with source, split and offset', () => {
  const retried: number[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => of([split('a', 10)]) },
      reader: scriptedReader(10, { failAt: { split: 'a', index: 1, times: 99 } }),
      barriers: cold('5ms x'),
    });
    // Attempts at 0, 25 (after 5 ms) and 55 (after 10 ms): each takes a barrier, then fails on a1, 20 ms in.
    const run = runWithCheckpoints(source, undefined, { retries: 2, backoffMs: 5, onRetry: (_err, attempt) => retried.push(attempt) });
    const located = run.pipe(
      catchError((err: unknown) =>
        of(err instanceof SourceError ? { error: err.message, source: err.source, split: err.split, offset: err.offset } : { error: String(err) }),
      ),
    );
    expectObservable(located).toBe('5ms A 4ms a 19ms B 4ms a 24ms C 4ms a 9ms (E|)', {
      a: c('a', 0), A: barrier(1), B: barrier(2), C: barrier(3),
      E: { error: "source 's', split 'a', offset 1: upstream hiccup at record 1", source: 's', split: 'a', offset: '1' },
    });
  });
  assert.deepEqual(retried, [1, 2]);
});

test('resetAfterMs: a run that lasted that long without an error gets the retry budget and the backoff back', () => {
  // retries: 1. The reader fails at a2 twice: at 30, and (after a 5-frame backoff and a fresh
  // start at 35) at 65, 30 frames into the second run.
  const attempts = (resetAfterMs: number) => {
    const retried: number[] = [];
    const events: string[] = [];
    let failed: unknown;
    testScheduler().run(({ flush }) => {
      const source = createSource({
        name: 's',
        enumerator: { splits: () => of([split('a', 3)]) },
        reader: scriptedReader(10, { failAt: { split: 'a', index: 2, times: 2 } }),
        barriers: NEVER,
      });
      runWithCheckpoints(source, identity, { retries: 1, backoffMs: 5, resetAfterMs, onRetry: (_err, attempt) => retried.push(attempt) }).subscribe({
        next: (event) => events.push(`${event.type === 'chunk' ? event.records.join() : `|${event.epoch}`}@${asyncScheduler.now()}`),
        error: (err: unknown) => (failed = err),
      });
      flush();
    });
    return { retried, events, failed };
  };

  // 30 >= 20: the second failure is attempt 1 again, after the initial 5-frame backoff (not 10),
  // and the third run reads to the end.
  const reset = attempts(20);
  assert.deepEqual(reset.retried, [1, 1]);
  assert.equal(reset.failed, undefined);
  assert.deepEqual(reset.events, ['a0@10', 'a1@20', 'a0@45', 'a1@55', 'a0@80', 'a1@90', 'a2@100', '|1@100']);

  // 30 < 50: the second failure exhausts the single retry and reaches the subscriber.
  const kept = attempts(50);
  assert.deepEqual(kept.retried, [1]);
  assert.ok(kept.failed instanceof SourceError);
  assert.match(kept.failed.message, /source 's', split 'a'.*upstream hiccup at record 2/);
  assert.deepEqual(kept.events, ['a0@10', 'a1@20', 'a0@45', 'a1@55']);
});

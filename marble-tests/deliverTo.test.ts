import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER, asyncScheduler, identity, of, type SchedulerLike } from 'rxjs';
import { checkpointKeys } from '../src/core/Checkpoint.js';
import { commitEpochs } from '../src/core/commitEpochs.js';
import { createSource } from '../src/core/createSource.js';
import { deliverTo, type RecordSink } from '../src/core/deliverTo.js';
import { runWithCheckpoints } from '../src/core/runWithCheckpoints.js';
import type { Source } from '../src/core/Source.js';
import type { ReaderContext } from '../src/core/SplitReader.js';
import { MemoryStore } from '../src/state/MemoryStore.js';
import { barrier, finalBarrier, recordChunk as c, scriptedReader, split, testScheduler, type ReadCall } from './support/scripted.js';

/** A thenable the TestScheduler resolves (or rejects) `delay` frames from now: a slow sink in virtual time. */
function later(scheduler: SchedulerLike, delay: number, error?: Error): PromiseLike<void> {
  return {
    then<R1 = void, R2 = never>(
      onFulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null,
      onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
    ): PromiseLike<R1 | R2> {
      scheduler.schedule(() => (error === undefined ? onFulfilled?.(undefined) : onRejected?.(error)), delay);
      return this as unknown as PromiseLike<R1 | R2>;
    },
  };
}

/** Logs `<what> @<frame>` for every sink call and its completion, and every commit. */
function recordingSink(log: string[], options: { writeMs?: number; flushMs?: number } = {}): RecordSink<string> & { written: string[] } {
  const now = (): number => asyncScheduler.now();
  const written: string[] = [];
  return {
    written,
    write(records) {
      log.push(`write ${records.join(',')} @${now()}`);
      written.push(...records);
      if (options.writeMs === undefined) return;
      return later(asyncScheduler, options.writeMs);
    },
    flush() {
      log.push(`flush @${now()}`);
      if (options.flushMs === undefined) return;
      const done = later(asyncScheduler, options.flushMs);
      return { then: (ok, ko) => done.then(() => void log.push(`flushed @${now()}`)).then(ok, ko) } as PromiseLike<void>;
    },
  };
}

function logCommits<T>(source: Source<T>, log: string[]): Source<T> {
  const commit = source.commit.bind(source);
  source.commit = (epoch) => {
    log.push(`commit ${epoch} @${asyncScheduler.now()}`);
    return commit(epoch);
  };
  return source;
}

test('a barrier passes only after the sink flushed, so its epoch commits only what the sink delivered', () => {
  const log: string[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = logCommits(
      createSource({ name: 's', enumerator: { splits: () => of([split('a', 3)]) }, reader: scriptedReader(10), barriers: cold('25ms x') }),
      log,
    );
    // Barrier 1 is taken at 25; its flush takes 10 frames, so it passes at 35, and a2 (read at
    // 30) waits behind it. The final barrier (30) waits for a second flush (35..45), and
    // completion for a last one (45..55).
    expectObservable(source.pipe(deliverTo(recordingSink(log, { flushMs: 10 }), 's'), commitEpochs(source))).toBe('10ms a 9ms b 14ms (Bc) 6ms D 9ms |', {
      a: c('a', 0),
      b: c('a', 1),
      B: barrier(1),
      c: c('a', 2),
      D: finalBarrier(2),
    });
  });
  assert.deepEqual(log, [
    'write a0 @10',
    'write a1 @20',
    'flush @25',
    'flushed @35',
    'commit 1 @35',
    'write a2 @35',
    'flush @35',
    'flushed @45',
    'commit 2 @45',
    'flush @45',
    'flushed @55',
  ]);
});

test('a pending write holds later events in order and unacknowledged: readers pause, nothing is reordered', () => {
  const log: string[] = [];
  const pauses: Array<[number, boolean]> = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const inner = scriptedReader(10);
    const source = logCommits(
      createSource({
        name: 's',
        enumerator: { splits: () => of([split('a', -1)]) },
        reader: {
          read: (s, offset, context: ReaderContext) => {
            context.paused$.subscribe((paused) => pauses.push([asyncScheduler.now(), paused]));
            return inner.read(s, offset, context);
          },
        },
        barriers: cold('15ms x'),
        highWaterMark: 2,
      }),
      log,
    );
    // Each write takes 25 frames, records come every 10: a0 is written 10..35, barrier 1 (15)
    // waits behind it and commits at 35, a1 (20) is written 35..60. Records a1..a3 pile up
    // unacknowledged, so the reader is paused at 30 (3 in flight > 2) and not read further.
    expectObservable(source.pipe(deliverTo(recordingSink(log, { writeMs: 25 }), 's'), commitEpochs(source)), '^ 100ms !').toBe('35ms (aB) 21ms b 24ms c', {
      a: c('a', 0),
      B: barrier(1),
      b: c('a', 1),
      c: c('a', 2),
    });
  });
  assert.deepEqual(log, ['write a0 @10', 'flush @35', 'commit 1 @35', 'write a1 @35', 'write a2 @60', 'write a3 @85']);
  assert.deepEqual(pauses.slice(0, 2), [
    [0, false],
    [30, true],
  ]);
});

test('a sink error fails the epoch: no commit, rollback resumes after the last committed epoch and the rows are written again', () => {
  const store = new MemoryStore();
  const log: string[] = [];
  const calls: ReadCall[] = [];
  let failures = 1;
  const sink = recordingSink(log);
  const failing: RecordSink<string> = {
    write: (records, chunk) => {
      if (records.includes('a3') && failures-- > 0) throw new Error('disk full');
      return sink.write(records, chunk);
    },
    flush: () => sink.flush(),
  };
  const errors: string[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = logCommits(
      createSource({ name: 's', store, enumerator: { splits: () => of([split('a', 5)]) }, reader: scriptedReader(10, { calls }), barriers: cold('25ms x') }),
      log,
    );
    const run = runWithCheckpoints(source, identity, { sink: failing, retries: 1, backoffMs: 5, onRetry: (err) => errors.push(err.message) });
    expectObservable(run).toBe('10ms a 9ms b 4ms B 4ms c 24ms d 9ms e 4ms C 4ms (fD|)', {
      a: c('a', 0),
      b: c('a', 1),
      B: barrier(1),
      c: c('a', 2),
      d: c('a', 2),
      e: c('a', 3),
      C: barrier(2),
      f: c('a', 4),
      D: finalBarrier(3),
    });
  });
  // a3 failed at 40, before barrier 2 could be taken: epoch 1 (offset 2) is the last committed
  // one, so the sink gets a2 again (from 55, after the 5-frame backoff), then a3 and a4.
  assert.deepEqual(errors, ["source 's', split 'a', offset 3: writing to the sink failed: disk full"]);
  assert.deepEqual(calls, [
    { split: 'a', offset: null },
    { split: 'a', offset: '2' },
  ]);
  assert.deepEqual(sink.written, ['a0', 'a1', 'a2', 'a2', 'a3', 'a4']);
  assert.deepEqual(log.filter((l) => l.startsWith('commit')), ['commit 1 @25', 'commit 2 @70', 'commit 3 @75']);
  assert.equal(store.get(checkpointKeys.committed('s')), 3);
});

test('a flush that fails never commits its epoch', () => {
  const log: string[] = [];
  let failed: unknown;
  testScheduler().run(({ cold, expectObservable, flush }) => {
    const source = logCommits(
      createSource({ name: 's', enumerator: { splits: () => of([split('a', -1)]) }, reader: scriptedReader(10), barriers: cold('25ms x') }),
      log,
    );
    const sink: RecordSink<string> = { write: () => undefined, flush: () => later(asyncScheduler, 5, new Error('EIO')) };
    source.pipe(deliverTo(sink, 's'), commitEpochs(source)).subscribe({ error: (err: unknown) => (failed = err) });
    expectObservable(NEVER, '^ 40ms !');
    flush();
  });
  assert.deepEqual(log, []);
  assert.match(String(failed), /source 's': flushing the sink before epoch 1 failed: EIO/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER, Observable, of, retry } from 'rxjs';
import { checkpointKeys } from '../src/core/Checkpoint.js';
import { commitEpochs } from '../src/core/commitEpochs.js';
import { createSource } from '../src/core/createSource.js';
import type { Source } from '../src/core/Source.js';
import type { Chunk, SourceEvent } from '../src/core/SourceEvent.js';
import type { SourceSplit } from '../src/core/SourceSplit.js';
import type { LeasedSplit, SplitLeases } from '../src/core/SplitLeases.js';
import { MemoryStore } from '../src/state/MemoryStore.js';
import { barrier, finalBarrier, recordChunk as c, scriptedReader, split, testScheduler } from './support/scripted.js';

/**
 * The TestScheduler of the test running now, threaded into each source as its `scheduler` (the
 * run-mode stand-in for `asyncScheduler`'s intervals trips over a timer scheduled from inside
 * another one due at the same frame: "Expected a due immediate or interval").
 */
let ts = testScheduler();

/** Calls `change` at virtual frame `frame` (inside a TestScheduler run). */
function at(frame: number, change: () => void): void {
  ts.schedule(change, frame);
}

/** A fresh TestScheduler for each test, also what `at` schedules on. */
function run(callback: Parameters<typeof ts.run>[0]): void {
  ts = testScheduler();
  ts.run(callback);
}

test('a rate limit paces chunks: 20 rows/s lets one one-row chunk out every 50 ms', () => {
  run(({ expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => of([split('a', 5)]) },
      reader: scriptedReader(10), // a record every 10 ms: four times faster than the limit
      barriers: NEVER,
      scheduler: ts,
      rateLimit: 20,
    });
    // The bucket starts empty at 0 and fills at 20/s: a0 goes at once (overdrawing it), a1 waits
    // until the balance is back at zero (50), then one every 50 ms. Nothing is dropped. The source
    // completes once a4's debt is paid too: 50 ms after it.
    expectObservable(source).toBe('10ms a 39ms b 49ms c 49ms d 49ms e 49ms (F|)', {
      a: c('a', 0), b: c('a', 1), c: c('a', 2), d: c('a', 3), e: c('a', 4), F: finalBarrier(1),
    });
  });
});

test('a chunk larger than a second of the limit goes out whole and the next waits off its debt', () => {
  run(({ cold, expectObservable }) => {
    const big: Chunk<string> = { type: 'chunk', splitId: 'a', records: ['x', 'y', 'z', 'w'], offset: '0', nextOffset: '4' };
    const small = c('a', 4);
    const source = createSource({
      name: 's',
      enumerator: { splits: () => of([split('a', 5)]) },
      reader: { read: () => cold<Chunk<string>>('a b|', { a: big, b: small }) },
      barriers: NEVER,
      scheduler: ts,
      rateLimit: 2,
    });
    // Four rows at 0 leave a debt of 4 at 2 rows/s: the next chunk waits 2 s; its own row is paid
    // off 500 ms later, and only then does the bounded source complete.
    expectObservable(source).toBe('a 1999ms b 499ms (F|)', { a: big, b: small, F: finalBarrier(1) });
  });
});

test('the limit changes while running: the waiting chunk is paced at the new rate at once', () => {
  run(({ expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => of([split('a', 5)]) },
      reader: scriptedReader(10),
      barriers: NEVER,
      scheduler: ts,
      rateLimit: 10,
    });
    // 10 rows/s: a0 at 10 (debt 0.9: a1, read at 20, is due at 100). At 60 the limit is lifted:
    // a1..a4, read meanwhile and waiting, go at once.
    at(60, () => source.setRateLimit(null));
    expectObservable(source).toBe('10ms a 49ms (bcdeF|)', {
      a: c('a', 0), b: c('a', 1), c: c('a', 2), d: c('a', 3), e: c('a', 4), F: finalBarrier(1),
    });
  });
});

test('a lower limit set while running slows the chunk already waiting', () => {
  run(({ expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => of([split('a', 2)]) },
      reader: scriptedReader(10),
      barriers: NEVER,
      scheduler: ts,
      rateLimit: 10,
    });
    // 10 rows/s: a0 at 10 leaves a debt of 0.9, so a1 (read at 20) is due at 100. At 40 the limit
    // drops to 5 rows/s: 0.6 of debt is left, at the new rate 120 ms: a1 goes at 160, not 100.
    at(40, () => source.setRateLimit(5));
    // a1's own debt of 1 at 5 rows/s holds the completion another 200 ms.
    expectObservable(source).toBe('10ms a 149ms b 199ms (F|)', { a: c('a', 0), b: c('a', 1), F: finalBarrier(1) });
  });
});

test('rate limit 0 pauses the source, barriers still pass with positions of what was emitted, and nothing is lost', () => {
  const store = new MemoryStore();
  run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => of([split('a', 3)]) },
      reader: scriptedReader(10),
      barriers: cold('15ms x 19ms x'),
      scheduler: ts,
      rateLimit: 1_000,
    });
    at(12, () => source.setRateLimit(0));
    at(50, () => source.setRateLimit(1_000));
    // a0 is out before the pause; a1 (20) and a2 (30) wait; the barrier at 35 goes out ahead of
    // them. At 50 they follow at 1000 rows/s (a2 waits off a1's 1 ms), then the final checkpoint
    // once a2's 1 ms is paid.
    expectObservable(source).toBe('10ms a 4ms B 19ms C 14ms b c (F|)', {
      a: c('a', 0), b: c('a', 1), c: c('a', 2), B: barrier(1), C: barrier(2), F: finalBarrier(3),
    });
  });
  const offset = (epoch: number): unknown => (store.get(checkpointKeys.snapshot('s', epoch)) as { splits: { a: { offset: unknown } } }).splits.a.offset;
  assert.equal(offset(1), '1'); // covers a0 only
  assert.equal(offset(2), '1'); // a1 and a2 are held back, so not covered
  assert.equal(offset(3), '3');
});

test('while the limit holds chunks back, readers are asked to pause past one second of it', () => {
  const seen: Array<[number, boolean]> = [];
  run(({ expectObservable }) => {
    const inner = scriptedReader(10);
    const source = createSource({
      name: 's',
      enumerator: { splits: () => of([split('a', -1)]) },
      reader: {
        read: (s, offset, context) => {
          context.paused$.subscribe((paused) => seen.push([ts.now(), paused]));
          return inner.read(s, offset, context);
        },
      },
      barriers: NEVER,
      scheduler: ts,
      rateLimit: 2,
    });
    at(1_000, () => source.setRateLimit(null));
    expectObservable(source.pipe(commitEpochs(source)), '^ 1200ms !');
  });
  // 2 rows/s: a0 goes at 10 (debt 0.98); a1 (20) and a2 (30) wait; a3 (40) makes three waiting,
  // more than a second's worth: pause, and no resume-pause flapping as the limit lets one out
  // every 500 ms (this reader ignores the pause, so the backlog stays above a second's worth).
  // Lifting the limit at 1000 lets the backlog out: resume.
  assert.deepEqual(seen, [
    [0, false],
    [40, true],
    [1_000, false],
  ]);
});

test('a rollback keeps the rate limit, and every record is delivered once after the committed epoch', () => {
  const delivered: string[] = [];
  run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => of([split('a', 6)]) },
      reader: scriptedReader(10, { failAt: { split: 'a', index: 3, times: 1 } }),
      barriers: cold('25ms x 99ms x 99ms x 99ms x'),
      scheduler: ts,
      rateLimit: 20,
    });
    const events = new Observable<SourceEvent<string>>((subscriber) => source.subscribe(subscriber)).pipe(commitEpochs(source), retry(1));
    events.subscribe((event) => {
      if (event.type === 'chunk') delivered.push(`${event.records.join()}@${ts.now()}`);
    });
    at(10, () => assert.equal(source.rateLimit, 20));
    expectObservable(NEVER, '^ 2000ms !');
  });
  // a0 goes at 10; a1 and a2 are read (20, 30) but wait for the limit; reading a3 fails at 40.
  // Epoch 1 (barrier at 25) covers a0 only, so the retry resumes at a1, held back, never emitted:
  // nothing is lost and nothing repeats. The new run (from 40) is limited to 20 rows/s too: a1 at
  // 50 overdraws the bucket (0.2 credited since 40), a2 waits its 0.8 off (90), then one per 50 ms.
  assert.deepEqual(delivered, ['a0@10', 'a1@50', 'a2@90', 'a3@140', 'a4@190', 'a5@240']);
});

test("the picture in SourceOptions.rateLimit's TSDoc: a barrier requested while chunks wait goes out at once", () => {
  run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => of([split('a', 4)]) },
      reader: scriptedReader(10),
      barriers: cold('30ms x'),
      scheduler: ts,
      rateLimit: 20,
    });
    // reader:   -abcd----------- (10 ms a character)
    // barriers: ---x------------
    // output:   -a-x-b----c----d
    expectObservable(source).toBe('10ms a 19ms B 19ms b 49ms c 49ms d 49ms (F|)', {
      a: c('a', 0), b: c('a', 1), c: c('a', 2), d: c('a', 3), B: barrier(1), F: finalBarrier(2),
    });
  });
});

test('a bounded source completes only once the debt of its last chunk is paid: the run keeps to the limit', () => {
  const all: Chunk<string> = { type: 'chunk', splitId: 'a', records: ['x', 'y', 'z', 'w', 'v', 'u'], offset: '0', nextOffset: '6' };
  /** One split read as one chunk of six rows, at 2 rows/s. */
  const oneChunk = (cold: (marbles: string, values: Record<string, Chunk<string>>) => Observable<Chunk<string>>): Source<string> =>
    createSource({
      name: 's',
      enumerator: { splits: () => of([split('a', 6)]) },
      reader: { read: () => cold('(a|)', { a: all }) },
      barriers: NEVER,
      scheduler: ts,
      rateLimit: 2,
    });
  // Out at once (a chunk is never split), then 3 s of debt before the final checkpoint: six rows
  // in 3 s is the limit.
  run(({ cold, expectObservable }) => {
    expectObservable(oneChunk(cold)).toBe('a 2999ms (F|)', { a: all, F: finalBarrier(1) });
  });
  // Lifting the limit ends the wait at once.
  run(({ cold, expectObservable }) => {
    const source = oneChunk(cold);
    at(1_000, () => source.setRateLimit(null));
    expectObservable(source).toBe('a 999ms (F|)', { a: all, F: finalBarrier(1) });
  });
});

test('with split leases, a split handed over while the rate limit holds its chunks back: they are dropped, never emitted after the barrier that recorded its departure', () => {
  const store = new MemoryStore();
  run(({ cold, expectObservable }) => {
    // The scripted leases hold a, then give it away at 35 (a rebalance): a1 (read at 20) and a2
    // (30) still wait behind the limit of 20 rows/s.
    const leases: SplitLeases = {
      hold: <S extends SourceSplit>() => cold('a 34ms b', { a: [{ split: split('a', 10), position: undefined }], b: [] }) as unknown as Observable<ReadonlyArray<LeasedSplit<S>>>,
      commit: () => undefined,
    };
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => NEVER },
      reader: scriptedReader(10),
      barriers: cold('40ms x 59ms x'),
      scheduler: ts,
      rateLimit: 20,
      leases,
    });
    // The barrier at 40 goes ahead of a1 and a2 and hands a over at 1 (after a0, the last chunk
    // emitted): the next holder reads from a1, so this process must never emit a1 or a2.
    expectObservable(source).toBe('10ms a 29ms B 59ms C', { a: c('a', 0), B: barrier(1), C: barrier(2) });
  });
  const snapshot = (epoch: number): Record<string, { offset: unknown }> =>
    (store.get(checkpointKeys.snapshot('s', epoch)) as { splits: Record<string, { offset: unknown }> }).splits;
  assert.deepEqual(snapshot(1)['a']?.offset, '1', 'a handed over after a0');
  assert.equal(snapshot(2)['a'], undefined, 'recorded once');
});

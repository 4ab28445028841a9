// When a reader's bad records (skip, dead-letter) are reported: with the chunk whose position
// moves past them, as it goes out. A barrier that goes ahead of that chunk (the rate limit, a
// snapshot write holding output) does not cover them, and a rollback to it reads them again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER, Observable, of, retry, type SchedulerLike } from 'rxjs';
import { commitEpochs } from '../src/core/commitEpochs.js';
import { createSource } from '../src/core/createSource.js';
import { BadRecordError } from '../src/core/SourceError.js';
import { chunk, type Chunk } from '../src/core/SourceEvent.js';
import type { SourceSplit } from '../src/core/SourceSplit.js';
import type { SplitReader } from '../src/core/SplitReader.js';
import type { StateStore } from '../src/core/StateStore.js';
import { MemoryStore } from '../src/state/MemoryStore.js';
import { slowStore, testScheduler } from './support/scripted.js';

/**
 * Split `a`: `a0` at 10; at 20 a bad record at offset 1, then the chunk past it (`a2`, offsets
 * 1 to 3); at 40 the read fails, once. Read again from offset 1: the bad record and `a2` at 10,
 * then the end; from offset 3, the end at 10.
 */
function readerWithBadRecord(scheduler: SchedulerLike): SplitReader<SourceSplit, string> {
  let failed = false;
  return {
    read: (_split, offset, context) =>
      new Observable<Chunk<string>>((subscriber) => {
        const bad = (): void => context.badRecords.handle(new BadRecordError('not a row', { source: 's', split: 'a', offset: '1' }), Uint8Array.of(0xff));
        const at = (delay: number, step: () => void): void => void subscriber.add(scheduler.schedule(step, delay));
        if (offset === null) {
          at(10, () => subscriber.next(chunk('a', ['a0'], '0', '1')));
          at(20, () => {
            bad();
            subscriber.next(chunk('a', ['a2'], '1', '3'));
          });
          at(40, () => {
            if (failed) return;
            failed = true;
            subscriber.error(new Error('disk gone'));
          });
          return;
        }
        if (offset === '3') {
          at(10, () => subscriber.complete());
          return;
        }
        at(10, () => {
          bad();
          subscriber.next(chunk('a', ['a2'], '1', '3'));
          subscriber.complete();
        });
      }),
  };
}

/** Runs `s` through commitEpochs with one retry, recording rows and dead letters (with their time). */
function runOnce(options: { rateLimit?: number; store?: (scheduler: SchedulerLike) => StateStore; barriers: string }): { rows: string[]; letters: string[]; skipped: number } {
  const rows: string[] = [];
  const letters: string[] = [];
  let skipped = 0;
  const ts = testScheduler();
  ts.run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      ...(options.store === undefined ? {} : { store: options.store(ts) }),
      enumerator: { splits: () => of([{ id: 'a' }]) },
      reader: readerWithBadRecord(ts),
      barriers: cold(options.barriers),
      scheduler: ts,
      badRecords: 'dead-letter',
      ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
    });
    source.deadLetters$.subscribe(({ error }) => letters.push(`${error.offset ?? '?'}@${ts.now()}`));
    new Observable<never>((subscriber) => source.subscribe(subscriber as never))
      .pipe(commitEpochs(source), retry(1))
      .subscribe({
        next: (event) => {
          if (event.type === 'chunk') rows.push(...event.records.map((r) => `${r}@${ts.now()}`));
        },
        complete: () => (skipped = source.badRecordStats.deadLettered),
      });
    expectObservable(NEVER, '^ 500ms !');
  });
  return { rows, letters, skipped };
}

test('a throttled chunk reports its bad records when it goes out: a barrier that went ahead of it and a rollback to that barrier report them once', () => {
  // 20 rows/s: a0 goes at 10; the chunk read at 20 waits for the limit, and the barrier asked
  // for at 25 goes ahead of it (epoch 1 covers a0 only). The failure at 40 rolls back to epoch
  // 1: offset 1 is read again, with its bad record.
  const { rows, letters, skipped } = runOnce({ rateLimit: 20, barriers: '25ms x' });
  assert.deepEqual(rows, ['a0@10', 'a2@50']);
  assert.deepEqual(letters, ['1@50'], 'the bad record is dead-lettered once, when the chunk past it goes out');
  assert.equal(skipped, 1);
});

test('a chunk queued behind a snapshot write reports its bad records after the barrier, with the chunk: a rollback to that barrier reports them again only with its rows', () => {
  // The snapshot of the barrier asked for at 15 takes 10 frames: the chunk read at 20 is queued
  // behind it and goes out at 25, after the barrier (epoch 1 covers a0 only).
  const { rows, letters, skipped } = runOnce({ store: (scheduler) => slowStore(new MemoryStore(), 10, scheduler), barriers: '15ms x' });
  assert.deepEqual(rows, ['a0@10', 'a2@25', 'a2@50'], 'a2 went out after the barrier, so the rollback delivers it again (at least once)');
  assert.deepEqual(letters, ['1@25', '1@50'], 'its bad record went with it, both times: what a barrier does not cover is reported again, with its rows');
  assert.equal(skipped, 2);
});

test('without throttling or a held snapshot, a bad record is reported in the same step as the chunk past it', () => {
  const { rows, letters } = runOnce({ barriers: '25ms x' });
  assert.deepEqual(rows, ['a0@10', 'a2@20']);
  assert.deepEqual(letters, ['1@20'], 'epoch 1 covers the chunk past the bad record: the rollback at 40 does not read it again');
});

test('bad records with no chunk after them are reported when their split ends, or when it leaves the set (no leases: nothing reads it again)', () => {
  const letters: string[] = [];
  const ts = testScheduler();
  ts.run(({ cold, expectObservable }) => {
    const bad = (split: string): BadRecordError => new BadRecordError('not a row', { source: 's', split, offset: '0' });
    const source = createSource({
      name: 's',
      // b leaves the set at 30; a stays and ends on its own.
      enumerator: { splits: () => cold<SourceSplit[]>('a 29ms b', { a: [{ id: 'a' }, { id: 'b' }], b: [{ id: 'a' }] }) },
      reader: {
        read: (split, _offset, context) =>
          new Observable<Chunk<string>>((subscriber) => {
            subscriber.add(
              ts.schedule(() => {
                context.badRecords.handle(bad(split.id), null);
                // a ends right after its bad record; b goes on reading, with nothing more to emit.
                if (split.id === 'a') subscriber.complete();
              }, 10),
            );
          }),
      },
      barriers: NEVER,
      scheduler: ts,
      badRecords: 'dead-letter',
    });
    source.deadLetters$.subscribe(({ error }) => letters.push(`${error.split ?? '?'}@${ts.now()}`));
    expectObservable(source.pipe(commitEpochs(source)), '^ 100ms !');
  });
  assert.deepEqual(letters.sort(), ['a@10', 'b@30']);
});

test('a split that ends in bad records and leaves the set while its end waits (snapshot write, rate limit): they are reported once all the same (no leases)', () => {
  for (const [what, options] of [
    ['a snapshot write', { store: true, barriers: '18ms x' }],
    ['the rate limit', { rateLimit: 20, barriers: '-' }],
  ] as const) {
    const letters: string[] = [];
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = createSource({
        name: 's',
        ...('store' in options ? { store: slowStore(new MemoryStore(), 10, ts) } : {}),
        // a leaves the set at 24, after its reader ended (20) and while its end waits.
        enumerator: { splits: () => cold<SourceSplit[]>('a 23ms b', { a: [{ id: 'a' }, { id: 'b' }], b: [{ id: 'b' }] }) },
        reader: {
          read: (split, _offset, context) =>
            new Observable<Chunk<string>>((subscriber) => {
              subscriber.add(ts.schedule(() => subscriber.next(chunk(split.id, ['r0', 'r1', 'r2'], '0', '3')), 5));
              subscriber.add(
                ts.schedule(() => {
                  context.badRecords.handle(new BadRecordError('not a row', { source: 's', split: split.id, offset: '3' }), null);
                  subscriber.complete();
                }, 20),
              );
            }),
        },
        barriers: cold(options.barriers),
        scheduler: ts,
        badRecords: 'dead-letter',
        ...('rateLimit' in options ? { rateLimit: options.rateLimit } : {}),
      });
      source.deadLetters$.subscribe(({ error }) => letters.push(error.split ?? '?'));
      source.pipe(commitEpochs(source)).subscribe();
      expectObservable(NEVER, '^ 500ms !');
    });
    assert.deepEqual(letters.sort(), ['a', 'b'], what);
  }
});

test('bad records waiting with their chunks count toward the high-water mark: a split of nothing but bad records behind a slow snapshot write is paused', () => {
  let read = 0;
  let readWhileWriting = -1;
  const paused: boolean[] = [];
  const ts = testScheduler();
  ts.run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store: slowStore(new MemoryStore(), 100_000, ts),
      enumerator: { splits: () => of([{ id: 'p' }]) },
      reader: {
        read: (split, _offset, context) =>
          new Observable<Chunk<string>>((subscriber) => {
            let pause = false;
            subscriber.add(context.paused$.subscribe((p) => paused.push((pause = p))));
            // One bad record of 1 KiB and an empty chunk past it every frame, while not paused.
            const step = (): void => {
              if (!pause) {
                context.badRecords.handle(new BadRecordError('not a row', { source: 's', split: split.id, offset: String(read) }), new Uint8Array(1024));
                subscriber.next(chunk(split.id, [], String(read), String(read + 1)));
                read++;
              }
              if (read < 3_000) subscriber.add(ts.schedule(step, 1));
            };
            subscriber.add(ts.schedule(step, 1));
          }),
      },
      barriers: cold('5ms x'),
      scheduler: ts,
      badRecords: 'dead-letter',
      highWaterMark: 10,
    });
    source.pipe(commitEpochs(source)).subscribe();
    // The write (from 5) lasts 100,000 frames: at 3,500 it is still in flight.
    ts.schedule(() => (readWhileWriting = read), 3_500);
    expectObservable(NEVER, '^ 3500ms !');
  });
  assert.deepEqual(paused.slice(0, 2), [false, true], 'the reader was asked to pause');
  assert.ok(readWhileWriting <= 20, `${readWhileWriting} bad records read while the write was in flight (high-water mark 10)`);
  assert.equal(read, 3_000, 'and read on once it was written');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER, delay, map, of, tap } from 'rxjs';
import { commitEpochs } from '../src/core/commitEpochs.js';
import type { Chunk } from '../src/core/SourceEvent.js';
import { createSource } from '../src/core/createSource.js';
import { maxLag, totalLag, type SourceMetrics } from '../src/core/SourceMetrics.js';
import { MemoryStore } from '../src/state/MemoryStore.js';
import { recordChunk as c, scriptedReader, slowStore, split, testScheduler } from './support/scripted.js';

test('metrics$ emits after each checkpoint: rows per split, write time from request to durable, snapshot size', () => {
  const seen: SourceMetrics[] = [];
  const ts = testScheduler();
  ts.run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store: slowStore(new MemoryStore(), 20, ts),
      enumerator: { splits: () => of([split('a', 4), split('b', 2)]) },
      reader: { read: (s, offset, ctx) => scriptedReader(s.id === 'a' ? 10 : 15).read(s, offset, ctx) },
      barriers: cold('25ms x'),
      scheduler: ts,
    });
    source.metrics$.subscribe((m) => seen.push(m));
    expectObservable(source, '^ 200ms !');
  });
  assert.equal(seen.length, 2); // the barrier at 25 and the final checkpoint
  const [first, last] = seen as [SourceMetrics, SourceMetrics];
  // At 25: a0, a1 (10, 20) and b0 (15) were out; the write took 20 frames: durable at 45.
  assert.equal(first.at, 45);
  assert.equal(first.rows, 3);
  assert.deepEqual(first.splits.map((s) => [s.split, s.rows, s.assigned]), [['a', 2, true], ['b', 1, true]]);
  assert.equal(first.lastCheckpoint?.epoch, 1);
  assert.equal(first.lastCheckpoint?.writeMs, 20);
  assert.equal(first.lastCheckpoint?.splits, 2);
  assert.ok((first.lastCheckpoint?.size ?? 0) > 50, 'the size is the snapshot as JSON text');
  assert.equal(first.checkpoints, 1);
  assert.equal(first.rateLimit, null);
  assert.equal(last.rows, 6);
  assert.equal(last.lastCheckpoint?.final, true);
  assert.equal(last.checkpoints, 2);
});

test('a checkpoint queued behind a slow write counts its wait: write time runs from the request', () => {
  const seen: SourceMetrics[] = [];
  const ts = testScheduler();
  ts.run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store: slowStore(new MemoryStore(), 30, ts),
      enumerator: { splits: () => of([split('a', -1)]) },
      reader: scriptedReader(10),
      barriers: cold('5ms x 9ms x'),
      scheduler: ts,
    });
    source.metrics$.subscribe((m) => seen.push(m));
    expectObservable(source, '^ 100ms !');
  });
  // Epoch 1 is requested at 5 and durable at 35; epoch 2 is requested at 15, written from 35 to 65.
  assert.deepEqual(seen.map((m) => [m.lastCheckpoint?.epoch, m.lastCheckpoint?.writeMs]), [[1, 30], [2, 50]]);
});

test('readers report bytes and lag through the context; a split that leaves the set is no longer assigned', () => {
  const ts = testScheduler();
  let metrics: SourceMetrics | undefined;
  let before: SourceMetrics | undefined;
  ts.run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => cold('a 49ms b', { a: [split('a', -1), split('b', -1)], b: [split('b', -1)] }) },
      reader: {
        read: (s, offset, ctx) => {
          const lagOf = s.id === 'a' ? 7 : 3;
          ctx.metrics?.lag(s.id, lagOf, 'records');
          ctx.metrics?.bytes(s.id, 100);
          ctx.metrics?.lag(s.id, -5, 'records'); // a head read before the records it counted: clamped
          ctx.metrics?.lag(s.id, lagOf, 'records');
          return scriptedReader(10).read(s, offset, ctx);
        },
      },
      barriers: NEVER,
      scheduler: ts,
    });
    ts.schedule(() => (before = source.metrics()), 45);
    ts.schedule(() => (metrics = source.metrics()), 85);
    expectObservable(source, '^ 100ms !');
  });
  assert.ok(before !== undefined && metrics !== undefined);
  assert.deepEqual(before.splits.map((s) => [s.split, s.rows, s.bytes, s.lag?.value, s.lag?.unit, s.assigned]), [
    ['a', 4, 100, 7, 'records', true],
    ['b', 4, 100, 3, 'records', true],
  ]);
  assert.equal(before.bytes, 200);
  assert.deepEqual(maxLag(before), { records: 7 });
  assert.deepEqual(totalLag(before), { records: 10 });
  // At 50 split a left the set: its counts stay (counters never go back), its lag no longer counts.
  assert.deepEqual(metrics.splits.map((s) => [s.split, s.rows, s.assigned]), [['a', 4, false], ['b', 8, true]]);
  assert.deepEqual(totalLag(metrics), { records: 3 });
  assert.equal(metrics.checkpoints, 0);
  assert.equal(metrics.lastCheckpoint, undefined);
});

test('counters continue across runs: a resubscription adds to them', () => {
  const ts = testScheduler();
  let metrics: SourceMetrics | undefined;
  ts.run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => of([split('a', 3)]) },
      reader: scriptedReader(10),
      barriers: cold('15ms x'),
      scheduler: ts,
    });
    const first = source.subscribe();
    ts.schedule(() => first.unsubscribe(), 25); // a0, a1 out; nothing committed
    ts.schedule(() => source.subscribe(), 30); // so the next run reads a0..a2 again
    ts.schedule(() => (metrics = source.metrics()), 90);
    expectObservable(NEVER, '^ 100ms !');
  });
  assert.equal(metrics?.rows, 5);
  assert.equal(metrics?.splits[0]?.rows, 5);
});

test('lag tied to a chunk takes effect when the chunk is emitted, after a rate limit held it back', () => {
  const ts = testScheduler();
  const seen: Array<[number, number | undefined]> = [];
  ts.run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => of([split('a', 3)]) },
      reader: {
        // Three one-record chunks read at once, upstream holding 3: lag 2, 1, 0 after each.
        read: (s, _offset, ctx) =>
          cold<Chunk<string>>('(abc|)', { a: c('a', 0), b: c('a', 1), c: c('a', 2) }).pipe(
            tap((chunk) => ctx.metrics?.lag(s.id, 2 - Number(chunk.offset), 'records', chunk)),
          ),
      },
      barriers: NEVER,
      scheduler: ts,
      rateLimit: 10, // one record per 100 ms
    });
    source.subscribe((event) => {
      if (event.type === 'chunk') seen.push([ts.now(), source.metrics().splits[0]?.lag?.value]);
    });
    expectObservable(NEVER, '^ 400ms !');
  });
  // Reported at 0 for all three, but each figure shows only once its chunk is out.
  assert.deepEqual(seen, [
    [0, 2],
    [100, 1],
    [200, 0],
  ]);
});

test('under a rate limit readers are asked for chunks of a tenth of a second of it; without, any size', () => {
  const ts = testScheduler();
  const hints: number[] = [];
  ts.run(({ expectObservable }) => {
    const source = createSource({
      name: 's',
      enumerator: { splits: () => of([split('a', -1)]) },
      reader: {
        read: (s, offset, ctx) => {
          ts.schedule(() => hints.push(ctx.chunkRows?.() ?? -1), 0);
          ts.schedule(() => source.setRateLimit(5), 10);
          ts.schedule(() => hints.push(ctx.chunkRows?.() ?? -1), 20);
          ts.schedule(() => source.setRateLimit(2_000), 30);
          ts.schedule(() => hints.push(ctx.chunkRows?.() ?? -1), 40);
          return scriptedReader(10).read(s, offset, ctx);
        },
      },
      barriers: NEVER,
      scheduler: ts,
    });
    expectObservable(source.pipe(map(() => 'x')), '^ 50ms !');
  });
  assert.deepEqual(hints, [Infinity, 1, 200]);
});

test('commit latency runs from the barrier request to its commit at the end of the pipeline', () => {
  const ts = testScheduler();
  let metrics: SourceMetrics | undefined;
  ts.run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store: slowStore(new MemoryStore(), 20, ts),
      enumerator: { splits: () => of([split('a', -1)]) },
      reader: scriptedReader(10),
      barriers: cold('25ms x'),
      scheduler: ts,
    });
    // Requested at 25, written at 45, through a pipeline that takes 30: committed at 75.
    const running = source.pipe(delay(30, ts), commitEpochs(source)).subscribe();
    ts.schedule(() => (metrics = source.metrics()), 90);
    ts.schedule(() => running.unsubscribe(), 100);
    expectObservable(NEVER, '^ 100ms !');
  });
  assert.deepEqual(metrics?.lastCommit, { epoch: 1, latencyMs: 50 });
  assert.equal(metrics?.lastCheckpoint?.writeMs, 20);
});

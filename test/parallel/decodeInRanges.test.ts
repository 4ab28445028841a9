// The ordering and verification rules of decodeInRanges, against a scripted pool (a fake: this
// tests the logic; test/connectors/fs/parallelDecode.test.ts runs the real worker threads).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeInRanges, type OrderedBatch } from '../../src/connectors/fs/rangeDecode.js';
import { SourceError } from '../../src/core/SourceError.js';
import type { DecodeHandle, DecodeListener } from '../../src/parallel/DecodePool.js';
import type { DecodeTask } from '../../src/parallel/decodeProtocol.js';

interface Submitted {
  readonly task: Omit<DecodeTask, 'type' | 'id'>;
  readonly first: boolean;
  readonly listener: DecodeListener;
  cancelled: boolean;
  acks: number;
}

/** A pool that records submissions; the test plays the workers' part through each listener. */
function scriptedPool(size = 2) {
  const submitted: Submitted[] = [];
  return {
    submitted,
    pool: {
      size,
      submit(task: Omit<DecodeTask, 'type' | 'id'>, first: boolean, listener: DecodeListener): DecodeHandle {
        const s: Submitted = { task, first, listener, cancelled: false, acks: 0 };
        submitted.push(s);
        return { ack: () => s.acks++, cancel: () => (s.cancelled = true) };
      },
    },
  };
}

const batch = (from: number, to: number, rows: string[]) => ({ type: 'batch' as const, id: 0, rows: rows.map((r) => ({ r })), offset: String(from), from: String(from), nextOffset: String(to), read: to, bad: [] });
const tick = () => new Promise<void>((r) => setImmediate(r));

/** Pulls everything from the generator in the background, acking each batch. */
function consume(gen: AsyncGenerator<OrderedBatch>) {
  const got: string[] = [];
  const done = (async () => {
    for await (const { batch: b, ack } of gen) {
      got.push(...b.rows.map((r) => String(r['r'])));
      ack();
    }
  })();
  return { got, done };
}

const base = { path: '/f', format: { name: 'csv', options: {} }, source: 's', split: 'f.csv', start: null, startByte: 0, readBufferBytes: 10, splittable: true, policy: 'skip' } as const;

test('ranges are cut at nominal bytes, later ones start at a guess; batches come out in file order whatever order the workers finish in', async () => {
  const { pool, submitted } = scriptedPool(2);
  const { got, done } = consume(decodeInRanges({ ...base, pool, size: 300, rangeBytes: 100 }));
  await tick();
  // Range 0 at the verified start, and as many guesses as there are threads.
  assert.deepEqual(submitted.map((s) => [s.task.start, s.task.startAfter, s.task.end]), [[null, undefined, 100], [null, 100, 200], [null, 200, undefined]]);
  const [r0, r1, r2] = submitted as [Submitted, Submitted, Submitted];
  // Range 2 and 1 finish first: nothing is delivered before range 0.
  r2.listener.started('205');
  r2.listener.batch(batch(205, 300, ['e']));
  r2.listener.done('300', 1);
  r1.listener.started('103');
  r1.listener.batch(batch(103, 205, ['c', 'd']));
  r1.listener.done('205', 2);
  await tick();
  assert.deepEqual(got, []);
  r0.listener.started('0');
  r0.listener.batch(batch(0, 50, ['a']));
  await tick();
  assert.deepEqual(got, ['a']);
  r0.listener.batch(batch(50, 103, ['b']));
  r0.listener.done('103', 3);
  await done;
  assert.deepEqual(got, ['a', 'b', 'c', 'd', 'e']);
  assert.ok(submitted.every((s) => !s.first));
});

test('a guess that is not where the previous range really ended (a quoted newline across the boundary) is discarded and decoded again from there, first in the queue', async () => {
  const { pool, submitted } = scriptedPool(1);
  const { got, done } = consume(decodeInRanges({ ...base, pool, size: 200, rangeBytes: 100 }));
  await tick();
  const [r0, r1] = submitted as [Submitted, Submitted];
  r1.listener.started('101');
  r1.listener.batch(batch(101, 200, ['garbage from inside a quoted field']));
  r1.listener.done('200', 1);
  r0.listener.started('0');
  r0.listener.batch(batch(0, 130, ['a', 'b "quoted\nacross"']));
  r0.listener.done('130', 2);
  await tick();
  assert.equal(r1.cancelled, true);
  const redo = submitted[2] as Submitted;
  assert.deepEqual([redo.task.start, redo.task.startAfter, redo.task.end, redo.first], ['130', undefined, undefined, true]);
  redo.listener.started('130');
  redo.listener.batch(batch(130, 200, ['c']));
  redo.listener.done('200', 1);
  await done;
  assert.deepEqual(got, ['a', 'b "quoted\nacross"', 'c']);
});

test('a guessed range that failed is decoded again from the verified start; a verified range that fails fails the read, naming source, split and the position delivered', async () => {
  const { pool, submitted } = scriptedPool(1);
  const gen = decodeInRanges({ ...base, pool, size: 200, rangeBytes: 100 });
  const { got, done } = consume(gen);
  await tick();
  const [r0, r1] = submitted as [Submitted, Submitted];
  r1.listener.failed(new Error('nonsense decoded from a wrong guess'));
  r0.listener.started('0');
  r0.listener.batch(batch(0, 104, ['a']));
  r0.listener.done('104', 1);
  await tick();
  const redo = submitted[2] as Submitted;
  assert.equal(redo.task.start, '104');
  redo.listener.started('104');
  redo.listener.batch(batch(104, 150, ['b']));
  redo.listener.failed(new Error('the decode worker thread died (exit code 70)'));
  const err = await done.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof SourceError);
  assert.equal(err.source, 's');
  assert.equal(err.split, 'f.csv');
  assert.equal(err.offset, '150');
  assert.match(err.message, /failed at byte 150 \(range 2 of 2\): the decode worker thread died/);
  assert.deepEqual(got, ['a', 'b']);
  // Everything still submitted was cancelled.
  assert.ok(submitted.filter((s) => s !== r0).every((s) => s.cancelled));
});

test('a file that is not cut (a format without safe boundaries, or smaller than a range) is one task to its end', async () => {
  const { pool, submitted } = scriptedPool(4);
  const { got, done } = consume(decodeInRanges({ ...base, pool, size: 1000, rangeBytes: 100, splittable: false, start: '40', startByte: 40 }));
  await tick();
  assert.equal(submitted.length, 1);
  assert.deepEqual([submitted[0]?.task.start, submitted[0]?.task.end], ['40', undefined]);
  submitted[0]?.listener.started('40');
  submitted[0]?.listener.batch(batch(40, 1000, ['x']));
  submitted[0]?.listener.done('1000', 9);
  await done;
  assert.deepEqual(got, ['x']);
});

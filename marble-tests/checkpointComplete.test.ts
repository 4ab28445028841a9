import assert from 'node:assert/strict';
import { test } from 'node:test';
// Inside TestScheduler.run, asyncScheduler runs on virtual time: hooks and slow stores use it.
import { NEVER, asyncScheduler, map, of, type SchedulerLike } from 'rxjs';
import { checkpointKeys } from '../src/core/Checkpoint.js';
import { commitEpochs } from '../src/core/commitEpochs.js';
import { createSource } from '../src/core/createSource.js';
import type { JsonValue } from '../src/core/Json.js';
import type { SourceEvent } from '../src/core/SourceEvent.js';
import { runWithCheckpoints } from '../src/core/runWithCheckpoints.js';
import type { SourceWarning } from '../src/core/SourceWarning.js';
import type { CompletedCheckpoint, SplitReader } from '../src/core/SplitReader.js';
import { MemoryStore } from '../src/state/MemoryStore.js';
import type { StateStore } from '../src/state/StateStore.js';
import { barrier, finalBarrier, recordChunk as c, scriptedReader, split, testScheduler, type ScriptedSplit } from './support/scripted.js';

/** What the hook saw: when, which epoch, each split's offset, and what the store said was committed then. */
interface HookCall {
  readonly at: number;
  readonly epoch: number;
  readonly offsets: Record<string, string | null>;
  readonly committedInStore: JsonValue | undefined;
}

/** A scripted reader with a checkpoint-complete hook that records its calls (and optionally takes `hookDelay` frames). */
function hookedReader(
  scheduler: SchedulerLike,
  store: StateStore,
  calls: HookCall[],
  options: { hookDelay?: number; failEpochs?: readonly number[]; period?: number } = {},
): SplitReader<ScriptedSplit, string> {
  const inner = scriptedReader(options.period ?? 10);
  return {
    read: (s, offset, context) => inner.read(s, offset, context),
    checkpointComplete(checkpoint: CompletedCheckpoint<ScriptedSplit>) {
      const offsets: Record<string, string | null> = {};
      for (const [id, position] of checkpoint.splits) offsets[id] = position.offset;
      calls.push({ at: scheduler.now(), epoch: checkpoint.epoch, offsets, committedInStore: store.get(checkpointKeys.committed('s')) as JsonValue | undefined });
      if (options.failEpochs?.includes(checkpoint.epoch)) throw new Error('upstream refused the acknowledgement');
      const delay = options.hookDelay ?? 0;
      if (delay === 0) return;
      const later = {
        then(resolve?: ((value: void) => unknown) | null) {
          scheduler.schedule(() => resolve?.(undefined), delay);
          return later;
        },
      };
      return later as PromiseLike<void>;
    },
  };
}

/** A store whose commit writes (`set`) take `delay` frames, so "after commit" is visible in virtual time. */
function slowCommits(inner: MemoryStore, delay: number, scheduler: SchedulerLike): StateStore {
  return {
    get: (key) => inner.get(key),
    setMany: (entries) => inner.setMany(entries),
    del: (key) => inner.del(key),
    delMany: (keys) => inner.delMany(keys),
    entries: () => inner.entries(),
    set: (key, value) =>
      ({
        then(resolve?: ((value: void) => unknown) | null) {
          scheduler.schedule(() => {
            inner.set(key, value);
            resolve?.(undefined);
          }, delay);
          return this;
        },
      }) as PromiseLike<void>,
  };
}

test('the checkpoint-complete hook fires once per committed epoch, after the commit is in the store, with that snapshot\'s positions', () => {
  const memory = new MemoryStore();
  const calls: HookCall[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const store = slowCommits(memory, 5, asyncScheduler);
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => of([split('a', -1), split('b', -1)]) },
      reader: hookedReader(asyncScheduler, memory, calls, { period: 10 }),
      barriers: cold('25ms x 19ms x'),
    });
    // Barrier 1 at 25 (a and b at offset 2); its commit takes 5 frames, so the barrier leaves
    // commitEpochs at 30 and the hook fires then, not at 25.
    expectObservable(source.pipe(commitEpochs(source)), '^ 60ms !').toBe('10ms (ab) 6ms (cd) 6ms (Bef) 5ms (gh) 6ms (Cij) 5ms (kl)', {
      a: c('a', 0), b: c('b', 0), c: c('a', 1), d: c('b', 1), B: barrier(1), e: c('a', 2), f: c('b', 2), g: c('a', 3), h: c('b', 3),
      C: barrier(2), i: c('a', 4), j: c('b', 4), k: c('a', 5), l: c('b', 5),
    });
  });
  assert.deepEqual(calls, [
    { at: 30, epoch: 1, offsets: { a: '2', b: '2' }, committedInStore: 1 },
    { at: 50, epoch: 2, offsets: { a: '4', b: '4' }, committedInStore: 2 },
  ]);
});

test('an epoch rolled back is never reported: after a downstream error the hook skips it and goes on with the new run\'s epochs', () => {
  const store = new MemoryStore();
  const calls: HookCall[] = [];
  let failed = false;
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => of([split('a', 8)]) },
      reader: hookedReader(asyncScheduler, store, calls),
      barriers: cold('25ms x 19ms x 19ms x 19ms x'),
    });
    // Barrier 2 (at 45) is written but the pipeline fails on it before commitEpochs sees it: the
    // epoch is rolled back. The rerun (at 50, from epoch 1's offset 2) numbers its epochs from 3.
    const pipeline = map((event: SourceEvent<string>) => {
      if (event.type === 'barrier' && event.epoch === 2 && !failed) {
        failed = true;
        throw new Error('sink rejected barrier 2');
      }
      return event;
    });
    expectObservable(runWithCheckpoints(source, pipeline, { retries: 1, backoffMs: 5 })).toBe(
      '10ms a 9ms b 4ms B 4ms c 9ms d 19ms e 9ms f 4ms D 4ms g 9ms h 4ms E 4ms i 9ms (jF|)',
      {
        a: c('a', 0), b: c('a', 1), B: barrier(1), c: c('a', 2), d: c('a', 3),
        e: c('a', 2), f: c('a', 3), D: barrier(3), g: c('a', 4), h: c('a', 5), E: barrier(4), i: c('a', 6), j: c('a', 7), F: finalBarrier(5),
      },
    );
  });
  assert.equal(store.get(checkpointKeys.committed('s')), 5);
  assert.deepEqual(
    calls.map(({ epoch, offsets, committedInStore }) => ({ epoch, a: offsets['a'], committedInStore })),
    [
      { epoch: 1, a: '2', committedInStore: 1 },
      { epoch: 3, a: '4', committedInStore: 3 },
      { epoch: 4, a: '6', committedInStore: 4 },
      { epoch: 5, a: '8', committedInStore: 5 },
    ],
  );
});

test('a barrier that never reaches the end of the pipeline never fires the hook', () => {
  const store = new MemoryStore();
  const calls: HookCall[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => of([split('a', -1)]) },
      reader: hookedReader(asyncScheduler, store, calls),
      barriers: cold('25ms x 19ms x'),
    });
    // Without commitEpochs nothing commits: snapshots are written, the hook stays silent.
    expectObservable(source, '^ 60ms !').toBe('10ms a 9ms b 4ms B 4ms c 9ms d 4ms C 4ms e 9ms f', {
      a: c('a', 0), b: c('a', 1), B: barrier(1), c: c('a', 2), d: c('a', 3), C: barrier(2), e: c('a', 4), f: c('a', 5),
    });
  });
  assert.deepEqual(calls, []);
  assert.equal(store.get(checkpointKeys.lastEpoch('s')), 2);
});

test('a slow hook is called one epoch at a time; epochs committed meanwhile coalesce into the newest', () => {
  const store = new MemoryStore();
  const calls: HookCall[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => of([split('a', -1)]) },
      reader: hookedReader(asyncScheduler, store, calls, { hookDelay: 25, period: 5 }),
      barriers: cold('10ms x 9ms x 9ms x 9ms x 9ms x 9ms x 9ms x'),
    });
    expectObservable(source.pipe(commitEpochs(source)), '^ 80ms !').toBe(
      '5ms a 4ms (Bb) 1ms c 4ms (Cd) 1ms e 4ms (Df) 1ms g 4ms (Eh) 1ms i 4ms (Fj) 1ms k 4ms (Gl) 1ms m 4ms (Hn) 1ms o 4ms p',
      {
        a: c('a', 0), B: barrier(1), b: c('a', 1), c: c('a', 2), C: barrier(2), d: c('a', 3), e: c('a', 4), D: barrier(3), f: c('a', 5),
        g: c('a', 6), E: barrier(4), h: c('a', 7), i: c('a', 8), F: barrier(5), j: c('a', 9), k: c('a', 10), G: barrier(6), l: c('a', 11),
        m: c('a', 12), H: barrier(7), n: c('a', 13), o: c('a', 14), p: c('a', 15),
      },
    );
  });
  // Commits at 10, 20, ..., 70; each hook call takes 25 frames: epoch 1 at 10 (busy until 35),
  // 2 and 3 coalesce into 3 at 35 (busy until 60), 4 to 6 into 6 at 60, then 7 at 85.
  assert.deepEqual(
    calls.map(({ at, epoch, offsets }) => ({ at, epoch, a: offsets['a'] })),
    [
      { at: 10, epoch: 1, a: '1' },
      { at: 35, epoch: 3, a: '5' },
      { at: 60, epoch: 6, a: '11' },
      { at: 85, epoch: 7, a: '13' },
    ],
  );
});

test('a failing hook is a warning, not a failure: the commit stands and the next epoch is reported', () => {
  const store = new MemoryStore();
  const calls: HookCall[] = [];
  const warnings: SourceWarning[] = [];
  testScheduler().run(({ cold, expectObservable }) => {
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => of([split('a', -1)]) },
      reader: hookedReader(asyncScheduler, store, calls, { failEpochs: [1] }),
      barriers: cold('25ms x 19ms x'),
    });
    source.warnings$?.subscribe((w) => warnings.push(w));
    expectObservable(source.pipe(commitEpochs(source)), '^ 50ms !').toBe('10ms a 9ms b 4ms B 4ms c 9ms d 4ms C 4ms e', {
      a: c('a', 0), b: c('a', 1), B: barrier(1), c: c('a', 2), d: c('a', 3), C: barrier(2), e: c('a', 4),
    });
  });
  assert.deepEqual(calls.map((call) => call.epoch), [1, 2]);
  assert.equal(store.get(checkpointKeys.committed('s')), 2);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!.message, /checkpoint-complete hook of epoch 1 failed.*upstream refused the acknowledgement/);
});

test('the final epoch of a bounded source is reported even when its commit settles after the run ended', () => {
  const memory = new MemoryStore();
  const calls: HookCall[] = [];
  testScheduler().run(({ expectObservable }) => {
    const source = createSource({
      name: 's',
      store: slowCommits(memory, 7, asyncScheduler),
      enumerator: { splits: () => of([split('a', 2)]) },
      reader: hookedReader(asyncScheduler, memory, calls),
      barriers: NEVER,
    });
    expectObservable(source.pipe(commitEpochs(source))).toBe('10ms a 9ms b 6ms (F|)', { a: c('a', 0), b: c('a', 1), F: finalBarrier(1) });
  });
  assert.deepEqual(calls, [{ at: 27, epoch: 1, offsets: { a: '2' }, committedInStore: 1 }]);
});

// A split that finished and then left the assignment (its lease given back, a file no longer
// listed): the newest snapshot does not list it, yet its final position must reach the hook
// once (a Kafka lag group would otherwise show its last chunk as lag forever).
const leavingSets = { x: [split('a', 2), split('b', -1)], y: [split('b', -1)] };

test('coalescing keeps the final position of a finished split the newest snapshot no longer lists', () => {
  const store = new MemoryStore();
  const calls: HookCall[] = [];
  testScheduler().run(({ cold }) => {
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => cold('x 29ms y', leavingSets) },
      reader: hookedReader(asyncScheduler, store, calls, { hookDelay: 40 }),
      barriers: cold('5ms x 19ms x 9ms x'),
    });
    const run = source.pipe(commitEpochs(source)).subscribe();
    asyncScheduler.schedule(() => run.unsubscribe(), 90);
  });
  // a ends at 20 (two records); epoch 2 (at 25) lists it finished, epoch 3 (at 35) no longer.
  // Epoch 1's call is busy until 45: 2 and 3 coalesce into 3, which still reports where a ended.
  assert.deepEqual(
    calls.map(({ at, epoch, offsets }) => ({ at, epoch, offsets })),
    [
      { at: 5, epoch: 1, offsets: { a: null, b: null } },
      { at: 45, epoch: 3, offsets: { b: '3', a: '2' } },
    ],
  );
});

/** A run over `leavingSets` whose hook fails at `failEpochs`, with `barriers`, unsubscribed at `end`: the hook's calls and the warnings. */
function failingRun(failEpochs: readonly number[], barriers: string, end: number): { calls: HookCall[]; warnings: SourceWarning[] } {
  const store = new MemoryStore();
  const calls: HookCall[] = [];
  const warnings: SourceWarning[] = [];
  testScheduler().run(({ cold }) => {
    const source = createSource({
      name: 's',
      store,
      enumerator: { splits: () => cold('x 29ms y', leavingSets) },
      reader: hookedReader(asyncScheduler, store, calls, { failEpochs }),
      barriers: cold(barriers),
    });
    source.warnings$?.subscribe((w) => warnings.push(w));
    const run = source.pipe(commitEpochs(source)).subscribe();
    asyncScheduler.schedule(() => run.unsubscribe(), end);
  });
  return { calls, warnings };
}

test('a failed call carries a finished split\'s final position into the next call, once', () => {
  const { calls, warnings } = failingRun([1], '25ms x 9ms x 9ms x', 60);
  // Epoch 1 (at 25) lists a finished and fails; epoch 2 (at 35) no longer lists a but reports it;
  // once delivered, epoch 3 does not repeat it.
  assert.deepEqual(
    calls.map(({ epoch, offsets }) => ({ epoch, offsets })),
    [
      { epoch: 1, offsets: { a: '2', b: '2' } },
      { epoch: 2, offsets: { b: '3', a: '2' } },
      { epoch: 3, offsets: { b: '4' } },
    ],
  );
  assert.equal(warnings.length, 1);
});

test('the same failure call after call is one warning; the finished split is carried until a call succeeds; a failure after that is told again', () => {
  const { calls, warnings } = failingRun([1, 2, 4], '25ms x 9ms x 9ms x 9ms x', 70);
  assert.deepEqual(
    calls.map(({ epoch, offsets }) => ({ epoch, offsets })),
    [
      { epoch: 1, offsets: { a: '2', b: '2' } },
      { epoch: 2, offsets: { b: '3', a: '2' } },
      { epoch: 3, offsets: { b: '4', a: '2' } },
      { epoch: 4, offsets: { b: '5' } },
    ],
  );
  assert.deepEqual(
    warnings.map((w) => /hook of epoch (\d+) failed/.exec(w.message)?.[1]),
    ['1', '4'],
  );
});

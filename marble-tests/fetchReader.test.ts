import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BehaviorSubject, type Observable } from 'rxjs';
import { fetchReader, type FetchReaderOptions, type FetchRetryEvent } from '../src/connectors/base/fetchReader.js';
import { RetriesExhaustedError } from '../src/connectors/base/RetriesExhaustedError.js';
import type { Fetched } from '../src/connectors/base/SplitFetch.js';
import { BadRecordTracker } from '../src/core/BadRecordTracker.js';
import { SourceError } from '../src/core/SourceError.js';
import type { Chunk } from '../src/core/SourceEvent.js';
import type { SourceSplit } from '../src/core/SourceSplit.js';
import type { ReaderContext } from '../src/core/SplitReader.js';
import { expectMarbles, VirtualClock } from './support/virtualTime.js';

// The connector base's fetch loop in virtual time: when it fetches, retries, paces and pauses.
// Fetch steps are scripted: each call takes the next answer (a Fetched, or an error to throw).

const split: SourceSplit = { id: 's1' };
const transient = (): Error => Object.assign(new Error('connection reset'), { name: 'ECONNRESET' });
const fatal = (): Error => Object.assign(new Error('no such stream'), { name: 'NotFound' });
const context = (paused$: Observable<boolean> = new BehaviorSubject(false)): ReaderContext => ({
  source: 'src',
  badRecords: new BadRecordTracker('fail'),
  paused$,
});
const retry = (onRetry?: (e: FetchRetryEvent) => void): NonNullable<FetchReaderOptions<SourceSplit, string>['retry']> => ({
  classify: (err) => ((err as Error).name === 'ECONNRESET' ? 'transient' : null),
  retries: { transient: 2 },
  backoff: { baseMs: 100, maxMs: 1_000 },
  onRetry,
});

/** A fetch step answering from a script, recording the virtual frame and position of every call. */
function scripted(clock: VirtualClock, answers: (Fetched<string> | Error)[]) {
  const calls: string[] = [];
  return {
    calls,
    fetch: async (_split: SourceSplit, position: string | null): Promise<Fetched<string>> => {
      calls.push(`${clock.now()}@${position ?? 'start'}`);
      const answer = answers.shift() ?? { records: [] };
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const chunkOf = (records: string[], offset: string, nextOffset: string): Chunk<string> => ({ type: 'chunk', splitId: 's1', records, offset, nextOffset });

describe('fetchReader (connector base fetch loop, virtual time)', () => {
  test('a failed fetch is retried at the same position after 100, then 200 ms of backoff', async () => {
    const clock = new VirtualClock();
    const step = scripted(clock, [transient(), transient(), { records: ['a'], nextOffset: '1', done: true }]);
    const retries: number[] = [];
    const reader = fetchReader({ fetch: step.fetch, retry: retry((e) => retries.push(e.delayMs)), scheduler: clock.scheduler });
    const recording = clock.record(reader.read(split, null, context()));
    await clock.advanceTo(1_000);
    expectMarbles(recording, '300ms (a|)', { a: chunkOf(['a'], '1', '1') });
    assert.deepEqual(step.calls, ['0@start', '100@start', '300@start']);
    assert.deepEqual(retries, [100, 200]);
  });

  test('a spent budget fails the read naming source, split and the last position delivered', async () => {
    const clock = new VirtualClock();
    const step = scripted(clock, [{ records: ['a', 'b'], offset: '0', nextOffset: '2' }, transient(), transient(), transient()]);
    const reader = fetchReader({ fetch: step.fetch, retry: retry(), scheduler: clock.scheduler });
    const recording = clock.record(reader.read(split, '0', context()));
    await clock.advanceTo(1_000);
    expectMarbles(recording, 'a 299ms #', { a: chunkOf(['a', 'b'], '0', '2') }, (err) => {
      assert.ok(err instanceof SourceError);
      assert.equal(err.source, 'src');
      assert.equal(err.split, 's1');
      assert.equal(err.offset, '2');
      assert.ok(err.cause instanceof RetriesExhaustedError && err.cause.attempts === 3, 'the cause counts the three attempts');
      assert.match(err.message, /source 'src', split 's1', offset 2: connection reset/);
      return true;
    });
    assert.deepEqual(step.calls, ['0@0', '0@2', '100@2', '300@2']);
  });

  test('progress renews the budget: only failures in a row at one position count', async () => {
    const clock = new VirtualClock();
    const step = scripted(clock, [
      transient(),
      transient(),
      { records: ['a'], nextOffset: '1' },
      transient(),
      transient(),
      { records: ['b'], nextOffset: '2', done: true },
    ]);
    const attempts: number[] = [];
    const reader = fetchReader({ fetch: step.fetch, retry: retry((e) => attempts.push(e.attempt)), scheduler: clock.scheduler });
    const recording = clock.record(reader.read(split, null, context()));
    await clock.advanceTo(2_000);
    expectMarbles(recording, '300ms a 299ms (b|)', { a: chunkOf(['a'], '1', '1'), b: chunkOf(['b'], '1', '2') });
    assert.deepEqual(attempts, [1, 2, 1, 2]);
  });

  test('retry events name the split and the position the retry resumes from', async () => {
    const clock = new VirtualClock();
    const step = scripted(clock, [{ records: ['a'], nextOffset: '1' }, transient(), { records: ['b'], nextOffset: '2', done: true }]);
    const events: string[] = [];
    const reader = fetchReader({ fetch: step.fetch, retry: retry((e) => events.push(`${e.split}@${e.position ?? 'start'}#${e.attempt}`)), scheduler: clock.scheduler });
    clock.record(reader.read(split, null, context()));
    await clock.advanceTo(1_000);
    assert.deepEqual(events, ['s1@1#1']);
  });

  test('a step that says it was stable starts the budgets over before its failure counts', async () => {
    // retries { transient: 2 }: without `stable`, the third failure in a row would fail the read.
    const clock = new VirtualClock();
    let failures = 0;
    const attempts: number[] = [];
    const reader = fetchReader<SourceSplit, string>({
      open: async () => ({
        next: async () => {
          failures++;
          if (failures === 6) return { records: ['a'], nextOffset: '1', done: true };
          throw transient();
        },
        // Every second failure comes after a stretch of health.
        stable: () => failures % 2 === 1,
      }),
      retry: retry((e) => attempts.push(e.attempt)),
      scheduler: clock.scheduler,
    });
    const recording = clock.record(reader.read(split, null, context()));
    await clock.advanceTo(5_000);
    assert.deepEqual(attempts, [1, 2, 1, 2, 1]);
    expectMarbles(recording, '700ms (a|)', { a: chunkOf(['a'], '1', '1') });
  });

  test('an error the policy does not classify fails at once; without a policy, every error does', async () => {
    for (const withPolicy of [true, false]) {
      const clock = new VirtualClock();
      const step = scripted(clock, [withPolicy ? fatal() : transient()]);
      const reader = fetchReader({ fetch: step.fetch, ...(withPolicy ? { retry: retry() } : {}), scheduler: clock.scheduler });
      const recording = clock.record(reader.read(split, null, context()));
      await clock.advanceTo(1_000);
      expectMarbles(recording, '#', undefined, (err) => err instanceof SourceError && err.split === 's1' && err.offset === undefined);
      assert.equal(step.calls.length, 1);
    }
  });

  test('intervalMs paces fetch starts; idleMs waits after a fetch that brought nothing', async () => {
    const clock = new VirtualClock();
    const step = scripted(clock, [{ records: ['a'], nextOffset: '1' }, { records: [] }, { records: ['b'], nextOffset: '2' }, { records: [] }]);
    const reader = fetchReader({ fetch: step.fetch, intervalMs: 100, idleMs: 250, scheduler: clock.scheduler });
    const recording = clock.record(reader.read(split, null, context()));
    await clock.advanceTo(700);
    recording.unsubscribe();
    // 0: a; 100: nothing, then idle until 350; 350: b; 450: nothing, idle until 700.
    assert.deepEqual(step.calls, ['0@start', '100@1', '350@1', '450@2', '700@2']);
    expectMarbles(recording, 'a 349ms b', { a: chunkOf(['a'], '1', '1'), b: chunkOf(['b'], '1', '2') });
  });

  test('no fetch while paused$ is true; the loop resumes the moment it turns false', async () => {
    const clock = new VirtualClock();
    const paused$ = new BehaviorSubject(true);
    const step = scripted(clock, [{ records: ['a'], nextOffset: '1' }, { records: ['b'], nextOffset: '2', done: true }]);
    const reader = fetchReader({ fetch: step.fetch, scheduler: clock.scheduler });
    clock.scheduler.schedule(() => paused$.next(false), 40);
    const recording = clock.record(reader.read(split, null, context(paused$)));
    await clock.advanceTo(1_000);
    expectMarbles(recording, '40ms (ab|)', { a: chunkOf(['a'], '1', '1'), b: chunkOf(['b'], '1', '2') });
    assert.deepEqual(step.calls, ['40@start', '40@1']);
  });

  test('a position-only move is a chunk without records; a fetch that moves nothing emits nothing', async () => {
    const clock = new VirtualClock();
    const step = scripted(clock, [{ records: [], nextOffset: '5' }, { records: [] }, { records: [], nextOffset: '5', done: true }]);
    const reader = fetchReader({ fetch: step.fetch, scheduler: clock.scheduler });
    const recording = clock.record(reader.read(split, '3', context()));
    await clock.advanceTo(10);
    expectMarbles(recording, '(a|)', { a: chunkOf([], '3', '5') });
  });

  test('records without a nextOffset fail the read (a checkpoint could not say where they end)', async () => {
    const clock = new VirtualClock();
    const step = scripted(clock, [{ records: ['a'] }]);
    const recording = clock.record(fetchReader({ fetch: step.fetch, scheduler: clock.scheduler }).read(split, null, context()));
    await clock.advanceTo(10);
    expectMarbles(recording, '#', undefined, (err) => err instanceof SourceError && /without a nextOffset/.test(err.message));
  });

  test('unsubscribing aborts the step and closes the read once; a backoff in progress is cancelled', async () => {
    const clock = new VirtualClock();
    const signals: AbortSignal[] = [];
    let closed = 0;
    let calls = 0;
    const reader = fetchReader<SourceSplit, string>({
      open: async (_split, _start, io) => {
        signals.push(io.signal);
        return {
          next: async () => {
            calls++;
            throw transient();
          },
          close: () => closed++,
        };
      },
      retry: retry(),
      scheduler: clock.scheduler,
    });
    const recording = clock.record(reader.read(split, null, context()));
    await clock.advanceTo(50);
    recording.unsubscribe();
    await clock.advanceTo(1_000);
    assert.equal(calls, 1, 'the retry due at 100 never ran');
    assert.equal(signals[0]?.aborted, true);
    assert.equal(closed, 1);
    assert.equal(clock.scheduler.actions.length, 0, 'no timer left behind');
    assert.deepEqual(recording.messages, []);
  });

  test('the step describes its own failures, and the read still names source, split and position', async () => {
    const clock = new VirtualClock();
    const reader = fetchReader<SourceSplit, string>({
      open: async () => ({
        next: async () => {
          throw fatal();
        },
        describe: (err) => new Error(`GetRecords on stream 'x' failed: ${(err as Error).message}`),
      }),
      scheduler: clock.scheduler,
    });
    const recording = clock.record(reader.read(split, '9', context()));
    await clock.advanceTo(10);
    expectMarbles(recording, '#', undefined, (err) => err instanceof SourceError && err.message === "source 'src', split 's1', offset 9: GetRecords on stream 'x' failed: no such stream");
  });

  test('the checkpoint-complete hook is passed through', async () => {
    const seen: number[] = [];
    const reader = fetchReader<SourceSplit, string>({ fetch: async () => ({ records: [], done: true }), checkpointComplete: (c) => void seen.push(c.epoch) });
    await reader.checkpointComplete?.({ epoch: 4, splits: new Map() });
    assert.deepEqual(seen, [4]);
    assert.equal(fetchReader<SourceSplit, string>({ fetch: async () => ({ records: [], done: true }) }).checkpointComplete, undefined);
  });
});

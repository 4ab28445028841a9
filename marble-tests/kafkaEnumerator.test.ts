import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEVER, catchError, defer, map, of, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { KafkaEnumerator, MAX_DISCOVERY_FAILURES } from '../src/connectors/kafka/KafkaEnumerator.js';
import type { KafkaSplit } from '../src/connectors/kafka/KafkaSplit.js';
import { kafkaSplit } from '../src/connectors/kafka/KafkaSplit.js';
import { resolveKafkaConfig } from '../src/connectors/kafka/KafkaSourceConfig.js';
import type { PartitionEnd, PartitionListing } from '../src/connectors/kafka/PartitionListing.js';
import type { EnumeratorContext } from '../src/core/Enumerator.js';
import { SourceError } from '../src/core/SourceError.js';
import { testScheduler } from './support/scripted.js';

// The Kafka enumerator's discovery timing on virtual time. The partition listing is scripted (a
// unit test of timing logic); discovery against a real broker is in
// test/connectors/kafka/kafkaSource.test.ts and kafkaBrokerRestart.test.ts.

/** A listing whose n-th `partitions()` call plays the n-th script; records when each call came. */
function scriptedListing(scheduler: TestScheduler, answers: Observable<readonly number[]>[], ends: readonly PartitionEnd[] = []) {
  const calls: number[] = [];
  const released: number[] = [];
  const listing: PartitionListing = {
    partitions: () =>
      defer(() => {
        calls.push(scheduler.now());
        const answer = answers[calls.length - 1];
        assert.ok(answer !== undefined, `no script for poll ${calls.length} at frame ${scheduler.now()}`);
        return answer;
      }),
    endOffsets: () => of(ends),
    release: () => released.push(scheduler.now()),
  };
  return { listing, calls, released };
}

const context = (restored: readonly KafkaSplit[] = [], finished: readonly number[] = []): EnumeratorContext<KafkaSplit> => ({
  source: 'disc',
  restoredState: undefined,
  restoredSplits: new Map(restored.map((split) => [split.id, { split, offset: '3', finished: finished.includes(split.partition) }])),
  saveState: () => undefined,
  finished$: NEVER,
});

const config = (extra: { partitionDiscoveryIntervalMs?: number; boundedMode?: 'latest' } = {}) =>
  resolveKafkaConfig({ name: 'disc', topic: 'orders', brokers: '127.0.0.1:9', partitionDiscoveryIntervalMs: 10, ...extra });

/** Split sets as partition lists with their `fromEarliest` flag: `0`, `1e` (from earliest). */
const shape = (splits: readonly KafkaSplit[]): string => splits.map((s) => `${s.partition}${s.fromEarliest ? 'e' : ''}`).join(',');

function refused(): Error {
  return Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9'), { name: 'KafkaJSConnectionError' });
}

test('discovery polls an interval after the previous poll ended (a slow poll never overlaps the next) and emits only grown sets', () => {
  const scheduler = testScheduler();
  scheduler.run(({ cold, expectObservable }) => {
    const { listing, calls, released } = scriptedListing(scheduler, [
      cold('-a|', { a: [0] }),
      // Slower than the interval: the next poll waits for it, then a full interval.
      cold('15ms b|', { b: [0] }),
      cold('-c|', { c: [0, 1] }),
      cold('-c|', { c: [0, 1] }),
    ]);
    const splits = new KafkaEnumerator(config(), () => listing, scheduler).splits(context()).pipe(map(shape));
    // a at 1; poll at 12 answers at 27; poll at 37 answers at 38 with partition 1; poll at 48;
    // unsubscribed at 56 ('^' takes a frame).
    expectObservable(splits, '^ 55ms !').toBe('-a 36ms c', { a: '0', c: '0,1e' });
    scheduler.flush();
    assert.deepEqual(calls, [0, 12, 37, 48]);
    assert.deepEqual(released, [56], 'the admin is let go when the enumerator is unsubscribed');
  });
});

test(`a failed poll is tried again an interval later; ${MAX_DISCOVERY_FAILURES} failures in a row fail the source, and a success starts the count over`, () => {
  const scheduler = testScheduler();
  scheduler.run(({ cold, expectObservable }) => {
    const fail = () => cold<readonly number[]>('-#', undefined, refused());
    const { listing, calls } = scriptedListing(scheduler, [
      cold('-a|', { a: [0] }),
      ...Array.from({ length: MAX_DISCOVERY_FAILURES - 1 }, fail),
      cold('-b|', { b: [0, 1] }),
      ...Array.from({ length: MAX_DISCOVERY_FAILURES }, fail),
    ]);
    const splits = new KafkaEnumerator(config(), () => listing, scheduler)
      .splits(context())
      .pipe(
        map(shape),
        catchError((err: unknown) => of(err instanceof SourceError ? `error: ${err.message}` : 'not a SourceError')),
      );
    // Polls at 12, 23, 34, 45 fail (each a frame later); 56 finds partition 1 at 57; then
    // 67, 78, 89, 100, 111 fail: the fifth failure in a row, at 112, fails the source.
    expectObservable(splits).toBe('-a 55ms b 54ms (e|)', {
      a: '0',
      b: '0,1e',
      e:
        `error: source 'disc': partition discovery of topic 'orders' failed ${MAX_DISCOVERY_FAILURES} times in a row: ` +
        'cannot reach Kafka brokers 127.0.0.1:9: Connection error: connect ECONNREFUSED 127.0.0.1:9',
    });
    scheduler.flush();
    assert.deepEqual(calls, [0, 12, 23, 34, 45, 56, 67, 78, 89, 100, 111]);
  });
});

test('a topic deleted while being polled fails the source at that poll, without retries', () => {
  const scheduler = testScheduler();
  scheduler.run(({ cold, expectObservable }) => {
    const gone = new SourceError("topic 'orders' does not exist (brokers 127.0.0.1:9)", { source: 'disc' });
    const { listing, calls } = scriptedListing(scheduler, [cold('-a|', { a: [0, 1] }), cold<readonly number[]>('--#', undefined, gone)]);
    const splits = new KafkaEnumerator(config(), () => listing, scheduler)
      .splits(context())
      .pipe(
        map(shape),
        catchError((err: unknown) => of(err === gone ? 'gone' : `other: ${String(err)}`)),
      );
    // The poll at 12 fails at 14.
    expectObservable(splits).toBe('-a 12ms (g|)', { a: '0,1', g: 'gone' });
    scheduler.flush();
    assert.deepEqual(calls, [0, 12]);
  });
});

test('a restart keeps the restored splits and reads partitions added since from their beginning', () => {
  const scheduler = testScheduler();
  scheduler.run(({ cold, expectObservable }) => {
    const { listing } = scriptedListing(scheduler, [cold('-a|', { a: [0, 1, 2] })]);
    const restored = [kafkaSplit('orders', 0), kafkaSplit('orders', 1)];
    const splits = new KafkaEnumerator(config({ partitionDiscoveryIntervalMs: 0 }), () => listing, scheduler).splits(context(restored)).pipe(map(shape));
    // Interval 0: no discovery, no timer; the set stays open (unbounded).
    expectObservable(splits, '^ 100ms !').toBe('-a', { a: '0,1,2e' });
  });
});

test('bounded: one set with the end offsets as stop offsets, then completion and release, with no timer', () => {
  const scheduler = testScheduler();
  scheduler.run(({ cold, expectObservable }) => {
    const { listing, calls, released } = scriptedListing(scheduler, [cold('--a|', { a: [0, 1] })], [
      { partition: 0, high: '7' },
      { partition: 1, high: '0' },
    ]);
    const splits = new KafkaEnumerator(config({ boundedMode: 'latest' }), () => listing, scheduler)
      .splits(context())
      .pipe(map((set) => set.map((s) => `${s.partition}<${s.stopOffset}`).join(',')));
    // The set as soon as the ends are known; completion with the listing's.
    expectObservable(splits).toBe('--a|', { a: '0<7,1<0' });
    scheduler.flush();
    assert.deepEqual(calls, [0]);
    assert.deepEqual(released, [3]);
  });
});

test('the first listing failing fails at once (there is nothing to read meanwhile)', () => {
  const scheduler = testScheduler();
  scheduler.run(({ cold, expectObservable }) => {
    const { listing } = scriptedListing(scheduler, [cold<readonly number[]>('---#', undefined, refused())]);
    const splits = new KafkaEnumerator(config(), () => listing, scheduler)
      .splits(context())
      .pipe(catchError((err: unknown) => of(err instanceof SourceError ? err.message : 'not a SourceError')));
    expectObservable(splits).toBe('---(e|)', {
      e: "source 'disc': cannot reach Kafka brokers 127.0.0.1:9: Connection error: connect ECONNREFUSED 127.0.0.1:9",
    });
  });
});

/** Split sets as `partition<stop` with `e` (from earliest) and `r` (reopen) marks. */
const bounds = (set: readonly KafkaSplit[]): string =>
  set.map((s) => `${s.partition}<${s.stopOffset}${s.fromEarliest ? 'e' : ''}${s['reopen'] === true ? 'r' : ''}`).join(',');

test('bounded restart from an unbounded run: restored splits get the end offsets of this start, partitions added since are read from their beginning', () => {
  const scheduler = testScheduler();
  scheduler.run(({ cold, expectObservable }) => {
    const { listing, calls, released } = scriptedListing(scheduler, [cold('-a|', { a: [0, 1, 2] })], [
      { partition: 0, high: '9' },
      { partition: 1, high: '4' },
      { partition: 2, high: '2' },
    ]);
    const restored = [kafkaSplit('orders', 0), kafkaSplit('orders', 1)];
    const splits = new KafkaEnumerator(config({ boundedMode: 'latest' }), () => listing, scheduler).splits(context(restored)).pipe(map(bounds));
    expectObservable(splits).toBe('-a|', { a: '0<9,1<4,2<2e' });
    scheduler.flush();
    assert.deepEqual(calls, [0]);
    assert.deepEqual(released, [2]);
  });
});

test("bounded restart from a bounded run keeps that run's stop offsets and set, without asking the broker", () => {
  const scheduler = testScheduler();
  scheduler.run(({ expectObservable }) => {
    const { listing, calls } = scriptedListing(scheduler, [], [{ partition: 0, high: '99' }]);
    const restored = [kafkaSplit('orders', 0, '5'), kafkaSplit('orders', 1, '0')];
    const splits = new KafkaEnumerator(config({ boundedMode: 'latest' }), () => listing, scheduler).splits(context(restored, [1])).pipe(map(bounds));
    expectObservable(splits).toBe('(a|)', { a: '0<5,1<0' });
    scheduler.flush();
    assert.deepEqual(calls, []);
  });
});

test('unbounded restart from a bounded run drops the stop offsets and reopens the partitions that run finished', () => {
  const scheduler = testScheduler();
  scheduler.run(({ cold, expectObservable }) => {
    const { listing } = scriptedListing(scheduler, [cold('-a|', { a: [0, 1, 2] })]);
    const restored = [kafkaSplit('orders', 0, '5'), kafkaSplit('orders', 1, '7')];
    const splits = new KafkaEnumerator(config({ partitionDiscoveryIntervalMs: 0 }), () => listing, scheduler).splits(context(restored, [0])).pipe(map(bounds));
    expectObservable(splits, '^ 100ms !').toBe('-a', { a: '0<nullr,1<null,2<nulle' });
  });
});

test('bounded after unbounded after bounded: a partition the first run finished is reopened up to the new end', () => {
  const scheduler = testScheduler();
  scheduler.run(({ cold, expectObservable }) => {
    const { listing } = scriptedListing(scheduler, [cold('-a|', { a: [0] })], [{ partition: 0, high: '12' }]);
    // The unbounded run resumed the finished partition but read nothing before its checkpoint.
    const restored = [kafkaSplit('orders', 0, null, false, true)];
    const splits = new KafkaEnumerator(config({ boundedMode: 'latest' }), () => listing, scheduler).splits(context(restored, [0])).pipe(map(bounds));
    expectObservable(splits).toBe('-a|', { a: '0<12r' });
  });
});

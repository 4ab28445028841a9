import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { EnumeratorContext } from '../src/core/Enumerator.js';
import type { AdminMessageId } from '../src/connectors/pulsar/messageId.js';
import { decodeMessageId } from '../src/connectors/pulsar/messageId.js';
import { MAX_DISCOVERY_FAILURES, PulsarEnumerator } from '../src/connectors/pulsar/PulsarEnumerator.js';
import { PulsarCallError } from '../src/connectors/pulsar/pulsarErrors.js';
import type { PulsarSplit } from '../src/connectors/pulsar/PulsarSplit.js';
import { pulsarConfig as config } from './support/pulsarConfig.js';

// The Pulsar enumerator's timing rules, in virtual time. The admin API is scripted (its answers
// are promises, so the clock is advanced one scheduled action at a time, letting them settle in
// between); what is checked is when split sets are emitted and when the source fails.

const context = (): EnumeratorContext<PulsarSplit> => ({ source: 's', restoredState: undefined, restoredSplits: new Map(), saveState: () => undefined, finished$: EMPTY });

/** A scripted admin API: `partitions(frame)` says the partition count (or throws) at a virtual time. */
function scriptedAdmin(scheduler: TestScheduler, partitions: (frame: number) => number) {
  const calls: number[] = [];
  return {
    calls,
    admin: {
      partitions: async () => {
        calls.push(scheduler.now());
        return partitions(scheduler.now());
      },
      lastMessageId: async (): Promise<AdminMessageId> => ({ ledgerId: 7, entryId: 41, partitionIndex: -1, batchIndex: -1 }),
    },
  };
}

/** Runs virtual time to `until`, one scheduled action at a time, letting promises settle in between. */
async function runTo(scheduler: TestScheduler, until: number): Promise<void> {
  for (;;) {
    await new Promise((resolve) => setImmediate(resolve));
    const next = scheduler.actions[0];
    if (next === undefined || next.delay > until) break;
    scheduler.maxFrames = next.delay;
    scheduler.flush();
  }
  scheduler.frame = until;
}

/** The emissions as `frame:partitions` strings, plus `frame:|` for completion and `frame:#message` for an error. */
function record(scheduler: TestScheduler, enumerator: PulsarEnumerator) {
  const timeline: string[] = [];
  const sets: (readonly PulsarSplit[])[] = [];
  const subscription = enumerator.splits(context()).subscribe({
    next: (splits) => {
      sets.push(splits);
      timeline.push(`${scheduler.now()}:${splits.map((s) => s.partition).join(',')}`);
    },
    error: (err: unknown) => timeline.push(`${scheduler.now()}:#${err instanceof Error ? err.message : String(err)}`),
    complete: () => timeline.push(`${scheduler.now()}:|`),
  });
  return { timeline, sets, subscription };
}

const transient = () => new PulsarCallError('GET http://admin/...: answered 503', true, 503);

test('discovery: the first set at once, then a poll every interval; a grown topic is emitted at the first poll after it grew', async () => {
  // partitions:  2 2 2 3 3 3          polls at 0 100 200 300 ...
  // emitted:     a-----b              a = [0,1] at 0, b = [0,1,2] at 300 (the poll after 250)
  const scheduler = new TestScheduler(assert.deepStrictEqual);
  const { admin, calls } = scriptedAdmin(scheduler, (frame) => (frame < 250 ? 2 : 3));
  const { timeline, sets, subscription } = record(scheduler, new PulsarEnumerator(config({ startupMode: 'latest' }), { admin, scheduler }));
  await runTo(scheduler, 450);
  subscription.unsubscribe();
  assert.deepEqual(timeline, ['0:0,1', '300:0,1,2']);
  assert.deepEqual(calls, [0, 100, 200, 300, 400]);
  // `latest` applies to the partitions of the first start only: the added one starts at earliest.
  assert.deepEqual(sets[1]!.map((s) => s.start), ['message', 'message', 'earliest']);
  assert.deepEqual(decodeMessageId(sets[0]![0]!.startMessageId!).entryId, 41n);
  // Unsubscribed: no more polls.
  await runTo(scheduler, 1000);
  assert.equal(calls.length, 5);
});

test(`discovery: a transient failure waits for the next poll; ${MAX_DISCOVERY_FAILURES} in a row fail the source`, async () => {
  // polls:   0 100 200 300 400 500 600     failing from 150 on (each poll: its own retries, then counted)
  // result:  a-----------------------#     the 5th failed poll in a row (at 500+ its retries) fails the source
  const scheduler = new TestScheduler(assert.deepStrictEqual);
  const { admin } = scriptedAdmin(scheduler, (frame) => {
    if (frame >= 150) throw transient();
    return 1;
  });
  const { timeline } = record(scheduler, new PulsarEnumerator(config({ retryAttempts: 0 }), { admin, scheduler }));
  await runTo(scheduler, 2000);
  assert.deepEqual(timeline, ['0:0', `${100 * MAX_DISCOVERY_FAILURES + 100}:#source 's': listing the partitions of 'persistent://public/default/orders' at http://admin: GET http://admin/...: answered 503`]);
});

test('discovery: a failure streak ends with a successful poll, and the count starts again', async () => {
  const scheduler = new TestScheduler(assert.deepStrictEqual);
  // Failing at 200..500 (4 polls), fine at 600, failing again from 700: the source fails at 700 + 4 * 100.
  const { admin } = scriptedAdmin(scheduler, (frame) => {
    if ((frame >= 200 && frame <= 500) || frame >= 700) throw transient();
    return 1;
  });
  const { timeline } = record(scheduler, new PulsarEnumerator(config({ retryAttempts: 0 }), { admin, scheduler }));
  await runTo(scheduler, 3000);
  assert.equal(timeline.length, 2);
  assert.equal(timeline[0], '0:0');
  assert.match(timeline[1]!, /^1100:#/);
});

test('discovery: a missing topic (404) fails at once, without retries', async () => {
  const scheduler = new TestScheduler(assert.deepStrictEqual);
  const { admin, calls } = scriptedAdmin(scheduler, () => {
    throw new PulsarCallError("GET http://admin/admin/v2/persistent/public/default/orders/partitions answered 404: topic 'persistent://public/default/orders' does not exist", false, 404);
  });
  const { timeline } = record(scheduler, new PulsarEnumerator(config(), { admin, scheduler }));
  await runTo(scheduler, 1000);
  assert.deepEqual(calls, [0]);
  assert.equal(timeline.length, 1);
  assert.match(timeline[0]!, /^0:#.*does not exist/);
});

test('first listing: transient failures are retried with backoff on the scheduler (200 ms doubling, jittered), then the set is emitted', async () => {
  const scheduler = new TestScheduler(assert.deepStrictEqual);
  const { admin, calls } = scriptedAdmin(scheduler, () => 2);
  let failures = 0;
  // The first two calls fail before reaching the (counting) script.
  const flaky = { ...admin, partitions: async () => (failures++ < 2 ? Promise.reject(transient()) : admin.partitions()) };
  const { timeline, subscription } = record(scheduler, new PulsarEnumerator(config({ partitionDiscoveryIntervalMs: 0 }), { admin: flaky, scheduler }));
  await runTo(scheduler, 5000);
  subscription.unsubscribe();
  // Backoffs: attempt 1 waits 100..200, attempt 2 waits 200..400.
  assert.equal(timeline.length, 1);
  const at = Number(timeline[0]!.split(':')[0]);
  assert.ok(at >= 300 && at <= 600, `emitted at ${at}`);
  assert.equal(timeline[0]!.split(':')[1], '0,1');
  assert.equal(calls.length, 1, 'interval 0: no discovery polls after the first listing');
});

test('bounded: one set with each partition’s end, then completion, at once', async () => {
  const scheduler = new TestScheduler(assert.deepStrictEqual);
  const { admin, calls } = scriptedAdmin(scheduler, () => 3);
  const { timeline, sets } = record(scheduler, new PulsarEnumerator(config({ bounded: true }), { admin, scheduler }));
  await runTo(scheduler, 1000);
  assert.deepEqual(timeline, ['0:0,1,2', '0:|']);
  assert.deepEqual(calls, [0]);
  for (const split of sets[0]!) assert.equal(decodeMessageId(split.end!).entryId, 41n);
});

test('restart: restored splits keep their positions; partitions added since start at earliest', async () => {
  const scheduler = new TestScheduler(assert.deepStrictEqual);
  const { admin } = scriptedAdmin(scheduler, () => 3);
  const restoredSplit: PulsarSplit = { id: 'persistent://public/default/orders-partition-0', topic: 'persistent://public/default/orders', partition: 0, start: 'message', startMessageId: 'CAcQKQ==', startTimestamp: null, end: null };
  const other: PulsarSplit = { ...restoredSplit, id: 'persistent://public/default/elsewhere-partition-0', topic: 'persistent://public/default/elsewhere' };
  const sets: (readonly PulsarSplit[])[] = [];
  const subscription = new PulsarEnumerator(config({ startupMode: 'latest' }), { admin, scheduler })
    .splits({ ...context(), restoredSplits: new Map([[restoredSplit.id, { split: restoredSplit, offset: 'x', finished: false }], [other.id, { split: other, offset: 'y', finished: false }]]) })
    .subscribe((s) => sets.push(s));
  await runTo(scheduler, 50);
  subscription.unsubscribe();
  assert.equal(sets.length, 1);
  assert.deepEqual(sets[0]!.map((s) => [s.partition, s.start]), [[0, 'message'], [1, 'earliest'], [2, 'earliest']]);
  assert.equal(sets[0]![0], restoredSplit, 'the restored split as it was');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concatMap, map, tap, timer } from 'rxjs';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import type { SourceEvent } from '../../../src/core/SourceEvent.js';
import { createPulsarSource } from '../../../src/connectors/pulsar/createPulsarSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Row } from '../../../src/formats/Format.js';
import { createTopic, jsonMessages, needPulsar, produce, uniqueTopic } from '../../support/pulsar.js';
import { byPartition, expected } from './pulsarHelpers.js';

const PER_PARTITION = 600;
const QUEUE = 20;
const HIGH_WATER_MARK = 50;

async function loadedTopic(adminUrl: string, name: string): Promise<string> {
  const topic = uniqueTopic(name);
  await createTopic(adminUrl, topic, 2);
  for (const p of [0, 1]) await produce(adminUrl, topic, p, jsonMessages(p, PER_PARTITION), true);
  return topic;
}

test('a subscriber that stops acknowledging stops the readers: what arrives is bounded by the high-water mark and the receiver queues', async (t) => {
  const adminUrl = await needPulsar(t);
  if (adminUrl === undefined) return;
  const topic = await loadedTopic(adminUrl, 'stalled');
  const source = createPulsarSource({ name: 'stalled', topic, adminUrl, format: createFormat('json'), highWaterMark: HIGH_WATER_MARK, receiverQueueSize: QUEUE });
  const rows: Row[] = [];
  let acknowledged = 0;
  const subscription = source.subscribe({
    next: (event) => {
      if (event.type === 'chunk') rows.push(...event.records);
    },
  });
  try {
    // Nothing is acknowledged: the subscriber is stuck. Give the readers time to overrun, if they would.
    await new Promise((r) => setTimeout(r, 1500));
    const stalledAt = rows.length;
    t.diagnostic(`received while stalled: ${stalledAt} of ${2 * PER_PARTITION}`);
    assert.ok(stalledAt >= HIGH_WATER_MARK, `reading went on up to the mark (${stalledAt})`);
    // Over the mark, each split can still emit the take it was decoding and what its socket held (at most QUEUE each).
    assert.ok(stalledAt <= HIGH_WATER_MARK + 2 * 2 * QUEUE, `at most ${stalledAt} in flight, mark ${HIGH_WATER_MARK}, queue ${QUEUE}`);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(rows.length, stalledAt, 'nothing more arrives while stalled');
    // The subscriber catches up: reading resumes, and everything arrives once, in order.
    const deadline = Date.now() + 60_000;
    while (rows.length < 2 * PER_PARTITION && Date.now() < deadline) {
      source.acknowledge(rows.length - acknowledged);
      acknowledged = rows.length;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    subscription.unsubscribe();
  }
  assert.deepEqual(byPartition(rows), expected([0, 1], PER_PARTITION));
});

test('a slow subscriber: records in flight stay near the high-water mark, and every record arrives once', async (t) => {
  const adminUrl = await needPulsar(t);
  if (adminUrl === undefined) return;
  const topic = await loadedTopic(adminUrl, 'slow');
  const source = createPulsarSource({ name: 'slow', topic, adminUrl, format: createFormat('json'), highWaterMark: HIGH_WATER_MARK, receiverQueueSize: QUEUE });
  let emitted = 0;
  let acknowledged = 0;
  let maxInFlight = 0;
  let maxChunk = 0;
  const received: Row[] = [];
  await new Promise<void>((resolve, reject) => {
    const subscription = source
      .pipe(
        tap((event) => {
          if (event.type !== 'chunk') return;
          emitted += event.records.length;
          maxChunk = Math.max(maxChunk, event.records.length);
          maxInFlight = Math.max(maxInFlight, emitted - acknowledged);
        }),
        // The slow part: every chunk takes a while; concatMap queues what waits (the buffer that flow control keeps small).
        concatMap((event: SourceEvent<Row>) => timer(event.type === 'chunk' && event.records.length > 0 ? 5 : 0).pipe(map(() => event))),
        commitEpochs(source),
        tap((event) => {
          if (event.type !== 'chunk') return;
          acknowledged += event.records.length;
          received.push(...event.records);
        }),
      )
      .subscribe({
        next: () => {
          if (received.length >= 2 * PER_PARTITION) {
            subscription.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
  });
  t.diagnostic(`largest chunk ${maxChunk}, most records in flight ${maxInFlight}`);
  assert.ok(maxChunk <= QUEUE, `a chunk is at most what the endpoint sends ahead (largest ${maxChunk})`);
  assert.ok(maxInFlight <= HIGH_WATER_MARK + 2 * 2 * QUEUE, `in flight at most ${maxInFlight}, mark ${HIGH_WATER_MARK}`);
  assert.deepEqual(byPartition(received), expected([0, 1], PER_PARTITION));
});

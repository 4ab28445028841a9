import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KafkaMessage } from 'kafkajs';
import { NEVER } from 'rxjs';
import type { BadRecordHandler } from '../../../src/core/BadRecordHandler.js';
import type { Chunk } from '../../../src/core/SourceEvent.js';
import type { KafkaConsumerHub, PartitionListener } from '../../../src/connectors/kafka/KafkaConsumerHub.js';
import type { KafkaRecordDecoder } from '../../../src/connectors/kafka/KafkaRecordDecoder.js';
import type { KafkaSourceConfig } from '../../../src/connectors/kafka/KafkaSourceConfig.js';
import type { KafkaSplit } from '../../../src/connectors/kafka/KafkaSplit.js';
import { KafkaSplitReader } from '../../../src/connectors/kafka/KafkaSplitReader.js';

// The Kafka reader's rule for formats that fetch before decoding (schemas from a registry):
// deliveries stay in arrival order behind a pending prefetch, the end waits for them, and a
// failed prefetch fails the split at its first message. A fake hub drives the listener: this is
// the reader's own logic, not the broker's (schemaRegistry.test.ts runs it on a real broker).

const split: KafkaSplit = { id: 't-0', topic: 't', partition: 0, stopOffset: null, fromEarliest: true };
const badRecords: BadRecordHandler = { policy: 'fail', handle: (e) => { throw e; } };
const message = (offset: number): KafkaMessage => ({ offset: String(offset), value: Buffer.from(String(offset)), key: null, timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;

/** A decoder whose prefetch is pending for the offsets in `slow` until `release` is called. */
function harness(slow: Set<number>, fail?: Error) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const decoded: string[] = [];
  const decode = Object.assign(
    (messages: readonly KafkaMessage[]) => messages.map((m) => {
      decoded.push(m.offset);
      return m.offset;
    }),
    {
      prefetch: (messages: readonly KafkaMessage[]) =>
        messages.some((m) => slow.has(Number(m.offset))) ? gate.then(() => { if (fail !== undefined) throw fail; }) : undefined,
    },
  ) as KafkaRecordDecoder<string>;
  let listener!: PartitionListener;
  const paused: boolean[] = [];
  const hub = { attach: (l: PartitionListener) => (listener = l), detach: () => {}, setPaused: (_l: PartitionListener, p: boolean) => paused.push(p), track: () => {} } as unknown as KafkaConsumerHub;
  const reader = new KafkaSplitReader(hub, decode, { consumerGroup: null } as unknown as KafkaSourceConfig);
  const chunks: Chunk<string>[] = [];
  let completed = false;
  let error: Error | undefined;
  reader.read(split, null, { source: 'src', badRecords, paused$: NEVER }).subscribe({
    next: (c) => chunks.push(c),
    complete: () => (completed = true),
    error: (e: Error) => (error = e),
  });
  const deliver = (...offsets: number[]) => listener.onRecords(offsets.map(message), BigInt(offsets[0]!), BigInt(offsets[offsets.length - 1]! + 1));
  return { deliver, end: () => listener.onEnd(), release, chunks, decoded, paused, state: () => ({ completed, error }) };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

test('without a prefetch to wait for, a delivery is decoded and emitted at once (the synchronous path)', () => {
  const h = harness(new Set());
  h.deliver(0, 1);
  assert.deepEqual(h.chunks.map((c) => c.records), [['0', '1']]);
});

test('deliveries behind a pending prefetch wait in arrival order, also those needing no fetch; the end waits for them', async () => {
  const h = harness(new Set([2]));
  h.deliver(0, 1);
  h.deliver(2, 3);
  h.deliver(4);
  h.end();
  await flush();
  assert.deepEqual(h.chunks.map((c) => c.records), [['0', '1']], 'only what came before the pending fetch');
  assert.equal(h.state().completed, false);
  assert.equal(h.paused.at(-1), true, 'the partition is paused while deliveries wait');
  h.release();
  await flush();
  assert.deepEqual(h.chunks.map((c) => [c.offset, c.nextOffset, c.records]), [['0', '2', ['0', '1']], ['2', '4', ['2', '3']], ['4', '5', ['4']]]);
  assert.deepEqual(h.decoded, ['0', '1', '2', '3', '4'], 'decoded once each, in order');
  assert.equal(h.state().completed, true);
  // The queue drained: the next delivery is synchronous again.
  const late = harness(new Set([0]));
  late.deliver(0);
  late.release();
  await flush();
  late.deliver(1);
  assert.deepEqual(late.chunks.map((c) => c.records), [['0'], ['1']]);
  assert.deepEqual(late.paused, [true, false], 'paused while waiting, flowing again once drained');
});

test('a failed prefetch fails the split at the first message of its delivery, and nothing after it is emitted', async () => {
  const h = harness(new Set([2]), new Error('schema registry http://r is unreachable fetching schema id 7'));
  h.deliver(0);
  h.deliver(2, 3);
  h.deliver(4);
  h.release();
  await flush();
  assert.deepEqual(h.chunks.map((c) => c.records), [['0']]);
  assert.match(h.state().error?.message ?? '', /source 'src', split 't-0', offset 2: schema registry http:\/\/r is unreachable fetching schema id 7/);
  assert.deepEqual(h.decoded, ['0']);
});

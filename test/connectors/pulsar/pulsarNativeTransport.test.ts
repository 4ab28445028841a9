import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { BehaviorSubject, type Observable } from 'rxjs';
import { loadPulsarClient, PULSAR_CLIENT_MISSING } from '../../../src/connectors/pulsar/loadPulsarClient.js';
import { decodeMessageId, encodeMessageId } from '../../../src/connectors/pulsar/messageId.js';
import { nativeTransport } from '../../../src/connectors/pulsar/nativeTransport.js';
import type { PulsarConfig } from '../../../src/connectors/pulsar/pulsarProperties.js';
import type { PulsarReconnectEvent } from '../../../src/connectors/pulsar/PulsarReconnectEvent.js';
import type { PulsarSplit } from '../../../src/connectors/pulsar/PulsarSplit.js';
import { PulsarSplitReader } from '../../../src/connectors/pulsar/PulsarSplitReader.js';
import { selectTransport } from '../../../src/connectors/pulsar/selectTransport.js';
import { BadRecordTracker } from '../../../src/core/BadRecordTracker.js';
import { SourceError } from '../../../src/core/SourceError.js';
import type { Chunk } from '../../../src/core/SourceEvent.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Row } from '../../../src/formats/Format.js';
import { pulsarConfig } from '../../../marble-tests/support/pulsarConfig.js';
import { FakeAuthenticationToken, fakeMessages, FakeMessageId, FakePulsar } from './fakePulsarClient.js';

// The native transport (pulsar-client) is a unit test of logic against a fake shaped like
// pulsar-client 1.18's Reader: the real package cannot be installed here (its install script
// downloads an unreachable prebuilt libpulsar; building needs the libpulsar headers), so the
// native transport is NOT tested against a real broker. The message-id mapping it relies on is
// checked against real broker ids in pulsarMessageIdMapping.test.ts.

const TOPIC = 'persistent://public/default/orders-partition-0';
const split: PulsarSplit = { id: TOPIC, topic: 'persistent://public/default/orders', partition: 0, start: 'earliest', startMessageId: null, startTimestamp: null, end: null };
const idOf = (ledgerId: number, entryId: number, batchIndex = -1): string => encodeMessageId({ ledgerId: BigInt(ledgerId), entryId: BigInt(entryId), partition: 0, batchIndex });
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig-very-secret';

function setup(overrides: Partial<PulsarConfig> = {}) {
  const pulsar = new FakePulsar();
  const config = pulsarConfig({ receiverQueueSize: 4, retryAttempts: 2, maxBackoffMs: 20, ...overrides });
  const events: PulsarReconnectEvent[] = [];
  const reader = new PulsarSplitReader(config, {
    transport: async () => nativeTransport(pulsar.module, { serviceUrl: 'pulsar://broker:6650', token: config.token, requestTimeoutMs: 1000, pollMs: 20 }),
    admin: { messageIdAt: async () => assert.fail('no timestamp start here') },
    format: createFormat('json'),
    readerName: 'native-test',
    onReconnect: (event) => events.push(event),
    random: () => 0,
  });
  return { pulsar, reader, events, config };
}

const context = (paused$ = new BehaviorSubject(false)) => ({ source: 'src', badRecords: new BadRecordTracker('fail'), paused$ });

/** Collects chunks until `enough` holds (or the read ends or fails), with a bound on the wait. */
function collect(chunks$: Observable<Chunk<Row>>, enough: (chunks: Chunk<Row>[]) => boolean, timeoutMs = 5_000): Promise<{ chunks: Chunk<Row>[]; error?: unknown }> {
  return new Promise((resolve) => {
    const chunks: Chunk<Row>[] = [];
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      resolve({ chunks, error: new Error(`timed out with ${chunks.length} chunks`) });
    }, timeoutMs);
    const subscription = chunks$.subscribe({
      next: (chunk) => {
        chunks.push(chunk);
        if (enough(chunks)) {
          clearTimeout(timer);
          queueMicrotask(() => subscription.unsubscribe());
          resolve({ chunks });
        }
      },
      error: (error: unknown) => {
        clearTimeout(timer);
        resolve({ chunks, error });
      },
      complete: () => {
        clearTimeout(timer);
        resolve({ chunks });
      },
    });
  });
}
const rows = (chunks: Chunk<Row>[]): number[] => chunks.flatMap((c) => c.records.map((r) => r['i'] as number));
const until = async (what: string, check: () => boolean, ms = 3_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('Pulsar native transport (pulsar-client) against a fake of its Reader', () => {
  test('from earliest: MessageId.earliest(), every message once, in order, chunks of at most receiverQueueSize, offsets are the serialized ids', async () => {
    const { pulsar, reader } = setup();
    pulsar.append(TOPIC, ...fakeMessages(0, 23, 5));
    const { chunks, error } = await collect(reader.read(split, null, context()), (c) => rows(c).length >= 23);
    assert.equal(error, undefined);
    assert.deepEqual(rows(chunks), Array.from({ length: 23 }, (_, i) => i));
    for (const c of chunks) assert.ok(c.records.length <= 4, `chunk of ${c.records.length}`);
    assert.ok((pulsar.readers[0]!.config.startMessageId as FakeMessageId).isEarliest);
    assert.equal(pulsar.readers[0]!.config.receiverQueueSize, 4);
    assert.equal(pulsar.readers[0]!.config.readerName, 'native-test');
    const last = decodeMessageId(chunks[chunks.length - 1]!.nextOffset);
    assert.deepEqual([last.ledgerId, last.entryId, last.partition, last.batchIndex, last.batchSize], [7n, 4n, 0, 2, 5]);
  });

  test('resume after a checkpoint inside a batch entry: the reader gets the entry again, the next message delivered is the one after', async () => {
    const { pulsar, reader } = setup();
    pulsar.append(TOPIC, ...fakeMessages(0, 20, 5));
    // Message 7 is entry 1, batch index 2 of 5: a checkpoint there resumes at 8 (RisingWave #22486 gave 7 again).
    const checkpoint = idOf(7, 1, 2);
    const { chunks, error } = await collect(reader.read(split, checkpoint, context()), (c) => rows(c).length >= 12);
    assert.equal(error, undefined);
    assert.deepEqual(rows(chunks), Array.from({ length: 12 }, (_, i) => i + 8));
    const start = pulsar.readers[0]!.config.startMessageId as FakeMessageId;
    assert.deepEqual([start.ledgerId, start.entryId, start.partition, start.batchIndex], [7, 1, 0, 2]);
  });

  test('a start without a batch index (latest, a timestamp) covers its whole entry, even when the client hands the entry back', async () => {
    const { pulsar, reader } = setup();
    pulsar.redeliverStartEntry = true;
    pulsar.append(TOPIC, ...fakeMessages(0, 15, 5));
    const { chunks } = await collect(reader.read(split, idOf(7, 1), context()), (c) => rows(c).length >= 5);
    assert.deepEqual(rows(chunks), [10, 11, 12, 13, 14]);
  });

  test('resume after a single-message entry: the next entry first', async () => {
    const { pulsar, reader } = setup();
    pulsar.append(TOPIC, ...fakeMessages(0, 10, 1));
    const { chunks } = await collect(reader.read(split, idOf(7, 3), context()), (c) => rows(c).length >= 6);
    assert.deepEqual(rows(chunks), [4, 5, 6, 7, 8, 9]);
  });

  test('metadata: key, properties, publish and event time as the WebSocket transport gives them (no key and no event time: null)', async () => {
    const { pulsar, reader } = setup({ include: ['key', 'properties', 'publish_time', 'event_time', 'message_id'].map((field) => ({ field: field as 'key', column: field })) });
    pulsar.append(TOPIC, ...fakeMessages(0, 2, 1), { ...fakeMessages(0, 1, 1, 2)[0]!, key: undefined as unknown as string, eventTime: undefined as unknown as number });
    const { chunks } = await collect(reader.read(split, null, context()), (c) => rows(c).length >= 3);
    const [a, b, c] = chunks.flatMap((ch) => ch.records);
    assert.deepEqual(a, { i: 0, key: 'k0', properties: { n: '0' }, publish_time: 1_700_000_000_000, event_time: 1_600_000_000_000, message_id: idOf(7, 0) });
    assert.equal(b!['event_time'], null, 'odd messages have no event time (pulsar-client says 0)');
    assert.equal(c!['key'], null, "no key (pulsar-client says '')");
  });

  test('a paused split stops reading: at most twice receiverQueueSize taken from the client, which holds at most receiverQueueSize; all arrive after the resume', async () => {
    const { pulsar, reader } = setup();
    pulsar.append(TOPIC, ...fakeMessages(0, 200, 5));
    const paused$ = new BehaviorSubject(false);
    const got: number[] = [];
    let pausedOnce = false;
    const subscription = reader.read(split, null, context(paused$)).subscribe((c) => {
      got.push(...c.records.map((r) => r['i'] as number));
      if (!pausedOnce && got.length >= 4) {
        pausedOnce = true;
        paused$.next(true);
      }
    });
    await until('the first chunk', () => got.length >= 4);
    const r = pulsar.readers[0]!;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const calls = r.readNextCalls;
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(r.readNextCalls, calls, 'no readNext while paused');
    assert.ok(r.handedOut <= 8, `taken while paused: ${r.handedOut} (bound 2 x 4)`);
    assert.ok(r.maxQueued <= 4, `client queue ${r.maxQueued}`);
    paused$.next(false);
    await until('all 200', () => got.length >= 200);
    subscription.unsubscribe();
    assert.deepEqual(got.slice(0, 200), Array.from({ length: 200 }, (_, i) => i));
  });

  test('unsubscribing while a readNext waits closes the reader and its client', async () => {
    const { pulsar, reader } = setup();
    const subscription = reader.read(split, null, context()).subscribe();
    await until('a reader', () => pulsar.readers.length === 1 && pulsar.readers[0]!.readNextCalls > 0);
    subscription.unsubscribe();
    await until('close', () => pulsar.readers[0]!.closed && pulsar.clients[0]!.closed);
    const calls = pulsar.readers[0]!.readNextCalls;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(pulsar.readers[0]!.readNextCalls, calls, 'no reads after close');
    assert.equal(pulsar.clients.length, 1);
  });

  test('a reader that breaks is reopened after the last message delivered (a new client), nothing repeated or skipped', async () => {
    const { pulsar, reader, events } = setup();
    const all = fakeMessages(0, 10, 5);
    pulsar.append(TOPIC, ...all.slice(0, 3));
    const chunks: Chunk<Row>[] = [];
    const subscription = reader.read(split, null, context()).subscribe((c) => chunks.push(c));
    await until('3 rows', () => rows(chunks).length >= 3);
    // The connection breaks mid-batch (after message 2 of the batch 0..4), then the rest arrives.
    pulsar.readers[0]!.readFailures.push('Failed to receive message: ConnectError');
    await until('the failure', () => pulsar.readers.length === 2);
    pulsar.append(TOPIC, ...all.slice(3));
    await until('10 rows', () => rows(chunks).length >= 10);
    subscription.unsubscribe();
    assert.deepEqual(rows(chunks), Array.from({ length: 10 }, (_, i) => i));
    assert.equal(pulsar.readers.length, 2);
    assert.ok(pulsar.clients[0]!.closed, 'the broken session closed its client');
    const restart = pulsar.readers[1]!.config.startMessageId as FakeMessageId;
    const lastBefore = decodeMessageId(events[0]!.after!);
    assert.deepEqual([restart.entryId, restart.batchIndex], [Number(lastBefore.entryId), lastBefore.batchIndex]);
    assert.deepEqual([restart.entryId, restart.batchIndex], [0, 2], 'restarted after message 2, inside its batch entry');
    assert.match(events[0]!.error, /ConnectError/);
  });

  test('TopicNotFound fails at once (no retry), naming source, split and position; the token never appears', async () => {
    const { pulsar, reader, events } = setup({ token: TOKEN });
    pulsar.createFailures.push(`Failed to create reader: TopicNotFound (token ${TOKEN})`);
    const { error } = await collect(reader.read(split, idOf(7, 3), context()), () => false);
    assert.ok(error instanceof SourceError, String(error));
    assert.equal(error.source, 'src');
    assert.equal(error.split, TOPIC);
    assert.equal(error.offset, idOf(7, 3));
    assert.match(error.message, /src.*orders-partition-0.*pulsar:\/\/broker:6650.*TopicNotFound/s);
    assert.equal(events.length, 0, 'not retried');
    // The whole cause chain, as an error reporter prints it.
    assert.ok(!inspect(error, { depth: 20 }).includes(TOKEN), 'token printed');
    const auth = pulsar.clients[0]!.config.authentication as FakeAuthenticationToken;
    assert.equal(auth.params.token, TOKEN, 'the token reaches the client as AuthenticationToken');
    assert.ok(pulsar.clients[0]!.closed, 'the client of a failed open is closed');
  });

  test('a broker that keeps failing exhausts the retry budget: the error names split and position, reconnect events never carry the token', async () => {
    const { pulsar, reader, events } = setup({ token: TOKEN });
    for (let i = 0; i < 5; i++) pulsar.createFailures.push(`Failed to create reader: ConnectError ${TOKEN}`);
    const { error } = await collect(reader.read(split, idOf(7, 3), context()), () => false);
    assert.ok(error instanceof SourceError);
    assert.equal(error.offset, idOf(7, 3));
    assert.match(error.message, /gave up after 3 failed attempts/);
    assert.equal(events.length, 2);
    for (const text of [inspect(error, { depth: 20 }), ...events.map((e) => e.error)]) assert.ok(!text.includes(TOKEN), text);
  });

  test('never calls hasNext (synchronous, may block the event loop on a broker round trip)', async () => {
    const { pulsar, reader } = setup();
    pulsar.append(TOPIC, ...fakeMessages(0, 9, 3));
    const { chunks, error } = await collect(reader.read(split, null, context()), (c) => rows(c).length >= 9);
    assert.equal(error, undefined); // the fake's hasNext throws
    assert.equal(rows(chunks).length, 9);
  });
});

describe('choosing the Pulsar transport', () => {
  const base = pulsarConfig({ serviceUrl: 'pulsar://broker:6650' });
  const missing = async (): Promise<never> => {
    throw new Error(PULSAR_CLIENT_MISSING);
  };
  const noWs = async (): Promise<never> => assert.fail('ws not needed');

  test("pulsar-client is not installed here: loading it fails saying how to install it and that 'websocket' needs nothing of it", async () => {
    await assert.rejects(loadPulsarClient(), (err: Error) => {
      assert.match(err.message, /npm install pulsar-client/);
      assert.match(err.message, /'websocket'/);
      return true;
    });
  });

  test("'native' without pulsar-client fails with that message; 'auto' falls back to websocket; 'websocket' never tries it", async () => {
    await assert.rejects(selectTransport({ ...base, transport: 'native' }, { ws: noWs, pulsarClient: loadPulsarClient }), /npm install pulsar-client/);
    const auto = await selectTransport({ ...base, transport: 'auto' }, { ws: noWs, pulsarClient: loadPulsarClient });
    assert.equal(auto.kind, 'websocket');
    assert.equal(auto.endpoint, 'ws://admin');
    let tried = false;
    const websocket = await selectTransport({ ...base, transport: 'websocket' }, {
      ws: noWs,
      pulsarClient: async () => {
        tried = true;
        return missing();
      },
    });
    assert.equal(websocket.kind, 'websocket');
    assert.equal(tried, false);
  });

  test("'auto' and 'native' with pulsar-client loadable: native, on the pulsar:// service URL", async () => {
    const pulsar = new FakePulsar();
    for (const transport of ['auto', 'native'] as const) {
      const chosen = await selectTransport({ ...base, transport }, { ws: noWs, pulsarClient: async () => pulsar.module });
      assert.equal(chosen.kind, 'native');
      assert.equal(chosen.endpoint, 'pulsar://broker:6650');
    }
  });
});

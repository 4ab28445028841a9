import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { BehaviorSubject } from 'rxjs';
import type { WsModule } from '../src/connectors/pulsar/loadWs.js';
import { encodeMessageId } from '../src/connectors/pulsar/messageId.js';
import { webSocketTransport } from '../src/connectors/pulsar/webSocketTransport.js';
import type { PulsarConfig } from '../src/connectors/pulsar/pulsarProperties.js';
import type { PulsarReconnectEvent } from '../src/connectors/pulsar/PulsarReconnectEvent.js';
import type { PulsarSplit } from '../src/connectors/pulsar/PulsarSplit.js';
import { HEALTHY_CONNECTION_MS, PulsarSplitReader } from '../src/connectors/pulsar/PulsarSplitReader.js';
import { BadRecordTracker } from '../src/core/BadRecordTracker.js';
import { SourceError } from '../src/core/SourceError.js';
import type { Chunk } from '../src/core/SourceEvent.js';
import { createFormat } from '../src/formats/createFormat.js';
import type { Row } from '../src/formats/Format.js';
import { pulsarConfig as config } from './support/pulsarConfig.js';
import { expectMarbles, VirtualClock } from './support/virtualTime.js';

// The Pulsar reader's reconnect timing and flow control, in virtual time. The WebSocket service is
// a scripted stand-in (logic of the reader around the connection; the real broker's behaviour,
// restart included, is in test/connectors/pulsar): each connection the reader opens takes the next
// step of a script, and what the reader sends back (permits) is recorded.

const split: PulsarSplit = { id: 'persistent://public/default/orders', topic: 'persistent://public/default/orders', partition: -1, start: 'earliest', startMessageId: null, startTimestamp: null, end: null };
const id = (entry: number): string => encodeMessageId({ ledgerId: 3n, entryId: BigInt(entry), partition: -1 });
const wire = (entry: number): string =>
  JSON.stringify({ messageId: id(entry), payload: Buffer.from(JSON.stringify({ v: entry })).toString('base64'), publishTime: '2024-01-01T00:00:00Z' });
const chunkOf = (entries: number[]): Chunk<Row> => ({
  type: 'chunk',
  splitId: split.id,
  records: entries.map((v) => ({ v })),
  offset: id(entries[0]!),
  nextOffset: id(entries[entries.length - 1]!),
});

/** One connection of the stand-in: refused, or opened (then the test drives it). */
type Step = 'refuse' | 'open';

/** A scripted WebSocket service: connection n takes `script[n]`; every connection is kept for the test to drive. */
function standIn(clock: VirtualClock, script: Step[]) {
  const connections: { at: number; messageId: string | null; socket: FakeSocket }[] = [];
  class FakeSocket extends EventEmitter {
    readonly OPEN = 1;
    readyState = 0;
    readonly permits: number[] = [];
    constructor(url: string) {
      super();
      connections.push({ at: clock.now(), messageId: new URL(url).searchParams.get('messageId'), socket: this });
      const step = script.shift() ?? 'refuse';
      setImmediate(() => {
        if (step === 'refuse') this.emit('error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8080'), { code: 'ECONNREFUSED' }));
        else {
          this.readyState = 1;
          this.emit('open');
        }
      });
    }
    /** The service sends these messages now. */
    deliver(...entries: number[]): void {
      for (const entry of entries) this.emit('message', Buffer.from(wire(entry)), false);
    }
    /** The connection drops (a broker going down). */
    drop(): void {
      this.readyState = 3;
      this.emit('close', 1006, Buffer.alloc(0));
    }
    send(data: string): void {
      this.permits.push(clock.now());
      assert.ok(typeof JSON.parse(data).messageId === 'string');
    }
    close(): void {
      this.readyState = 3;
    }
    terminate(): void {
      this.readyState = 3;
    }
  }
  return { connections, ws: FakeSocket as unknown as WsModule };
}

function reader(clock: VirtualClock, ws: WsModule, overrides: Partial<PulsarConfig>, events: PulsarReconnectEvent[]) {
  const configured = config(overrides);
  return new PulsarSplitReader(configured, {
    transport: async () => webSocketTransport({ ...configured, ws: async () => ws }),
    admin: { messageIdAt: async () => assert.fail('no timestamp start here') },
    format: createFormat('json'),
    scheduler: clock.scheduler,
    readerName: 'marble',
    onReconnect: (event) => events.push(event),
    // Jitter pinned to its top: the delays are the plain doubling, 200, 400, 800 ... up to maxBackoffMs.
    random: () => 0.999_999,
  });
}

const context = (paused$ = new BehaviorSubject(false)) => ({ source: 'src', badRecords: new BadRecordTracker('fail'), paused$ });

describe('Pulsar reader reconnects (connector base retry budget, virtual time)', () => {
  test('a dropped connection is reopened after 200, 400, 800 ms of backoff, from the last message delivered', async () => {
    // connections:  1 (open, a, drops at 50)   2 refused at 250   3 refused at 650   4 open at 1450, b
    // chunks:       a-------------------------------------------------------------------b
    const clock = new VirtualClock();
    const service = standIn(clock, ['open', 'refuse', 'refuse', 'open']);
    const events: PulsarReconnectEvent[] = [];
    const recording = clock.record(reader(clock, service.ws, {}, events).read(split, null, context()));
    await clock.advanceTo(0);
    service.connections[0]!.socket.deliver(1, 2);
    clock.scheduler.schedule(() => service.connections[0]!.socket.drop(), 50);
    await clock.advanceTo(1_450);
    service.connections[3]!.socket.deliver(3);
    await clock.advanceTo(2_000);
    recording.unsubscribe();
    expectMarbles(recording, 'a 1449ms b', { a: chunkOf([1, 2]), b: chunkOf([3]) });
    assert.deepEqual(
      service.connections.map((c) => `${c.at}@${c.messageId === id(2) ? 'after 2' : c.messageId}`),
      ['0@earliest', '250@after 2', '650@after 2', '1450@after 2'],
    );
    assert.deepEqual(
      events.map((e) => [e.attempt, e.after === id(2), e.split]),
      [[1, true, split.id], [2, true, split.id], [3, true, split.id]],
    );
    assert.match(events[0]!.error, /connection closed \(code 1006\)/);
    assert.match(events[1]!.error, /ECONNREFUSED/);
    assert.deepEqual(service.connections[0]!.socket.permits, [0, 0], 'one permit per message taken');
  });

  test('retryAttempts failures in a row fail the read, naming split, position and the attempts', async () => {
    const clock = new VirtualClock();
    const service = standIn(clock, ['open', 'refuse', 'refuse', 'refuse']);
    const events: PulsarReconnectEvent[] = [];
    const recording = clock.record(reader(clock, service.ws, { retryAttempts: 2 }, events).read(split, null, context()));
    await clock.advanceTo(0);
    service.connections[0]!.socket.deliver(1);
    clock.scheduler.schedule(() => service.connections[0]!.socket.drop(), 10);
    await clock.advanceTo(5_000);
    // Fails at 10 + 200 + 400, at the third failure in a row.
    expectMarbles(recording, 'a 609ms #', { a: chunkOf([1]) }, (err) => {
      assert.ok(err instanceof SourceError, String(err));
      assert.equal(err.split, split.id);
      assert.equal(err.offset, id(1));
      assert.match(err.message, /reading persistent:\/\/public\/default\/orders at ws:\/\/admin: gave up after 3 failed attempts in a row: .*ECONNREFUSED/);
      return true;
    });
    assert.equal(service.connections.length, 3);
    assert.deepEqual(events.map((e) => e.attempt), [1, 2]);
  });

  test(`a connection that held ${HEALTHY_CONNECTION_MS} ms starts the budget over; one that did not, does not`, async () => {
    // retryAttempts 1. Idle connections (no message, so the position never moves) that drop after
    // holding 10 s each cost one retry afresh; a drop after 5 s is a second failure in a row.
    const clock = new VirtualClock();
    const service = standIn(clock, ['open', 'open', 'open', 'open']);
    const events: PulsarReconnectEvent[] = [];
    const recording = clock.record(reader(clock, service.ws, { retryAttempts: 1 }, events).read(split, null, context()));
    const dropAt = (n: number, at: number): void => void clock.scheduler.schedule(() => service.connections[n]!.socket.drop(), at - clock.now());
    await clock.advanceTo(0);
    dropAt(0, 10_000);
    await clock.advanceTo(10_200); // reopened after 200
    dropAt(1, 20_200);
    await clock.advanceTo(20_400); // held 10 s again: attempt 1 again, reopened after 200
    assert.deepEqual(events.map((e) => e.attempt), [1, 1]);
    assert.deepEqual(recording.messages, [], 'still reading');
    dropAt(2, 25_400);
    await clock.advanceTo(25_400); // held 5 s: the second failure in a row of a budget of one
    expectMarbles(recording, '25400ms #', undefined, (err) => err instanceof SourceError && /gave up after 2 failed attempts in a row/.test(err.message));
    assert.equal(service.connections.length, 3);
  });

  test('a pause that begins while the reader waits for messages holds their permits (and the chunk) until the resume', async () => {
    const clock = new VirtualClock();
    const service = standIn(clock, ['open']);
    const paused$ = new BehaviorSubject(false);
    const recording = clock.record(reader(clock, service.ws, {}, []).read(split, null, context(paused$)));
    clock.scheduler.schedule(() => paused$.next(true), 10);
    clock.scheduler.schedule(() => service.connections[0]!.socket.deliver(1, 2), 20);
    clock.scheduler.schedule(() => paused$.next(false), 100);
    await clock.advanceTo(99);
    assert.deepEqual(service.connections[0]!.socket.permits, [], 'no permit while paused: the service sends nothing more');
    await clock.advanceTo(200);
    recording.unsubscribe();
    assert.deepEqual(service.connections[0]!.socket.permits, [100, 100]);
    expectMarbles(recording, '100ms a', { a: chunkOf([1, 2]) });
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import type { Kafka } from 'kafkajs';
import { groupAssignment } from '../src/connectors/kafka/groupAssignment.js';
import { resolveKafkaConfig } from '../src/connectors/kafka/KafkaSourceConfig.js';
import { loadKafkaJs } from '../src/connectors/kafka/loadKafkaJs.js';

// The assignment group's membership rules on virtual time, with a scripted kafkajs consumer (a
// unit test of the timing logic: joins, heartbeats and crashes are played by the test). The
// protocol against a real broker is test/leases/kafkaGroupShare.test.ts.
//
//   joins:       j{0,1}-----------------------------j{1,2}
//   heartbeats:  ----h(900)----------------h(4100)--------
//   emitted:     {0,1}-----------{}(4000)--{0,1}----{1,2}
//   (session 1000 ms + rebalance 2000 ms without contact: the assignment is given up)

type Listener = (event: { payload: Record<string, unknown> }) => void;

class ScriptedConsumer {
  readonly events = { GROUP_JOIN: 'join', HEARTBEAT: 'heartbeat', CRASH: 'crash' };
  readonly listeners = new Map<string, Listener>();
  readonly paused: string[] = [];
  config: Record<string, unknown> = {};
  disconnected = 0;
  on(event: string, listener: Listener): void {
    this.listeners.set(event, listener);
  }
  fire(event: string, payload: Record<string, unknown>): void {
    this.listeners.get(event)!({ payload });
  }
  connect = async (): Promise<void> => undefined;
  subscribe = async (): Promise<void> => undefined;
  run = async (): Promise<void> => undefined;
  pause = (topics: Array<{ topic: string }>): void => void this.paused.push(...topics.map((t) => t.topic));
  disconnect = async (): Promise<void> => void this.disconnected++;
}

async function setup() {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const consumer = new ScriptedConsumer();
  const kafka = {
    consumer: (config: Record<string, unknown>) => {
      consumer.config = config;
      return consumer;
    },
  } as unknown as Kafka;
  const tracked: Promise<unknown>[] = [];
  const config = resolveKafkaConfig({ name: 'orders', topic: 'orders', brokers: '127.0.0.1:9', assignment: 'group', groupSessionTimeoutMs: 1000 });
  const emitted: Array<[number, number[]]> = [];
  let failure: Error | undefined;
  const subscription = groupAssignment({ client: async () => kafka, kafkajs: loadKafkaJs, track: (p) => void tracked.push(p) }, config, scheduler).subscribe({
    next: (set) => emitted.push([scheduler.now(), [...set]]),
    error: (err: Error) => (failure = err),
  });
  // The membership starts asynchronously (loading kafkajs, connect, subscribe, run): wait until
  // it paused the topic after run, bounded (a loaded machine takes a while to load kafkajs).
  for (const start = Date.now(); consumer.paused.length === 0; ) {
    assert.ok(Date.now() - start < 10_000, 'the membership never started');
    await new Promise((r) => setTimeout(r, 5));
  }
  /** Runs the scheduler's timers up to frame `to`. */
  const advance = (to: number): void => {
    scheduler.maxFrames = to;
    scheduler.flush();
    scheduler.frame = to;
  };
  return { scheduler, consumer, emitted, subscription, tracked, advance, failure: () => failure };
}

test('joins are emitted; no contact for a session plus a rebalance timeout gives the assignment up; a heartbeat restores it; a new join replaces it', async () => {
  const { consumer, emitted, subscription, tracked, advance } = await setup();
  assert.equal(consumer.config['groupId'], 'tributary-orders-assign');
  assert.equal(consumer.config['sessionTimeout'], 1000);
  consumer.fire('join', { memberAssignment: { orders: [1, 0] } });
  assert.deepEqual(consumer.paused, ['orders', 'orders'], 'paused after run and at the join: the member never fetches');
  assert.equal(consumer.listeners.size, 3);
  advance(900);
  consumer.fire('heartbeat', {});
  advance(3750);
  assert.deepEqual(emitted, [[0, [0, 1]]], 'still held 2850 ms after the last heartbeat');
  advance(4000);
  assert.deepEqual(emitted.at(-1), [4000, []], 'given up 3100 ms after the last heartbeat');
  advance(4100);
  consumer.fire('heartbeat', {});
  assert.deepEqual(emitted.at(-1), [4100, [0, 1]], 'a heartbeat of the same generation: the assignment stands');
  advance(5000);
  consumer.fire('join', { memberAssignment: { orders: [2, 1], other: [7] } });
  assert.deepEqual(emitted.at(-1), [5000, [1, 2]]);
  assert.equal(emitted.length, 4);
  subscription.unsubscribe();
  await Promise.all(tracked);
  assert.equal(consumer.disconnected, 1, 'leaving: the others get its partitions at once');
});

test('a crash kafkajs does not restart fails the assignment, naming the source and the group', async () => {
  const { consumer, failure } = await setup();
  consumer.fire('crash', { restart: true, error: new Error('retried') });
  assert.equal(failure(), undefined);
  consumer.fire('crash', { restart: false, error: new Error('coordinator gone') });
  assert.match(failure()?.message ?? '', /Kafka source 'orders': assignment group 'tributary-orders-assign': .*coordinator gone/);
});

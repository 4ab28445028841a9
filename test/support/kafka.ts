import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { Kafka, logLevel, type Admin, type Message, type Producer } from 'kafkajs';
import { needPeer } from './peers.js';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** How to get a broker, for skip messages. */
export const HOW_TO_START_KAFKA = 'Kafka: run `npm run peers:up` (or set KAFKA_BROKERS=host:port)';

let found: Promise<string | undefined> | undefined;

/**
 * The brokers tests use: `KAFKA_BROKERS`, else the `.peers/kafka.env` that `npm run peers:up`
 * writes, else 127.0.0.1:9092 if something answers there. `undefined` when none.
 */
export function kafkaBrokers(): Promise<string | undefined> {
  found ??= (async () => {
    const fromEnv = process.env.KAFKA_BROKERS;
    if (fromEnv) return fromEnv;
    const envFile = join(projectRoot, '.peers', 'kafka.env');
    if (existsSync(envFile)) {
      const match = /^KAFKA_BROKERS=(.+)$/m.exec(readFileSync(envFile, 'utf8'));
      if (match?.[1] && (await reachable(match[1]))) return match[1].trim();
    }
    return (await reachable('127.0.0.1:9092')) ? '127.0.0.1:9092' : undefined;
  })();
  return found;
}

function reachable(brokers: string): Promise<boolean> {
  const [host, port] = brokers.split(',')[0]!.trim().split(':');
  return new Promise((resolve) => {
    const socket = connect({ host: host!, port: Number(port) });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The brokers, or `undefined` after skipping the test (failing under TRIBUTARY_REQUIRE_PEERS=1). */
export async function needKafka(t: TestContext): Promise<string | undefined> {
  const brokers = await kafkaBrokers();
  return needPeer(t, brokers !== undefined, HOW_TO_START_KAFKA) ? brokers : undefined;
}

/** A topic name no other test (or earlier run) uses. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A kafkajs client for test setup (producing, creating topics), quiet unless something fails. */
export function testKafka(brokers: string): Kafka {
  return new Kafka({ clientId: 'tributary-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10 } });
}

/** Runs `fn` with a connected admin client. */
export async function withAdmin<R>(brokers: string, fn: (admin: Admin) => Promise<R>): Promise<R> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates a topic and waits until its partitions have leaders. */
export async function createTopic(brokers: string, topic: string, partitions: number): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  });
}

/** Runs `fn` with a connected idempotent producer. */
export async function withProducer<R>(brokers: string, fn: (producer: Producer) => Promise<R>, transactionalId?: string): Promise<R> {
  const producer = testKafka(brokers).producer(
    transactionalId === undefined ? { idempotent: true } : { idempotent: true, transactionalId, maxInFlightRequests: 1 },
  );
  await producer.connect();
  try {
    return await fn(producer);
  } finally {
    await producer.disconnect();
  }
}

/** Produces messages to explicit partitions. */
export async function produce(brokers: string, topic: string, messages: readonly Message[]): Promise<void> {
  await withProducer(brokers, async (producer) => {
    await producer.send({ topic, messages: [...messages], acks: -1 });
  });
}

/**
 * Waits until the read_committed end offsets (last stable offsets) of `topic` reach `expected`.
 * `commit()` of a transaction returns before the markers are written to the partitions; until
 * they are, the last stable offset stays before the transaction.
 */
export async function waitForStableEnds(brokers: string, topic: string, expected: Readonly<Record<number, number>>): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    for (let attempt = 0; ; attempt++) {
      const offsets = await admin.fetchTopicOffsets(topic);
      if (offsets.every((o) => expected[o.partition] === undefined || Number(o.high) >= expected[o.partition]!)) return;
      if (attempt > 200) throw new Error(`end offsets of ${topic} stay at ${JSON.stringify(offsets)}, expected ${JSON.stringify(expected)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
}

/** A loopback port nothing listens on (bound once by us, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

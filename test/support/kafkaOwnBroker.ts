import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { cleanKafka, kafkaAnswers, resolveKafka, startKafka, stopKafka, upKafka, type KafkaOptions } from '../../scripts/peers/kafka.mjs';
import { needPeer } from './peers.js';

/** A broker started by the test itself, which it may stop and start at will. */
export interface OwnKafka {
  readonly brokers: string;
  /** Stops the broker (SIGTERM, then SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** Starts it again on the same data; resolves once it answers. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  clean(): Promise<void>;
}

let java: boolean | undefined;

function javaAvailable(): boolean {
  const command = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  java ??= spawnSync(command, ['-version']).status === 0;
  return java;
}

/**
 * Starts (or finds running) a Kafka broker of the test's own, on other ports and another data
 * dir than the shared one, so that stopping it disturbs no other test. Needs Java and the jar
 * cache `npm run peers:up` fills: without them the test skips (fails under
 * TRIBUTARY_REQUIRE_PEERS=1) through {@link needPeer}. Whether it runs is decided by the broker
 * it starts answering, never by the shared broker.
 */
export async function needOwnKafka(t: TestContext, options: KafkaOptions): Promise<OwnKafka | undefined> {
  const k = resolveKafka({ quiet: true, ...options });
  if (!needPeer(t, javaAvailable(), 'Java 17+ (on PATH or JAVA_HOME) to start a Kafka broker of the test\'s own')) return undefined;
  if (!needPeer(t, existsSync(join(k.dist, '.complete')), `the Kafka ${k.version} jars in ${k.dist}: run \`npm run peers:up\` once`)) return undefined;
  const all = { quiet: true, ...options };
  const up = await upKafka(all);
  if (up.pid === undefined) {
    throw new Error(`${up.brokers} is served by a broker this test did not start (it would not be able to stop it): free the port`);
  }
  if (!(await kafkaAnswers(k.host, k.port))) {
    await cleanKafka(all);
    throw new Error(`the broker started on ${k.brokers} does not answer`);
  }
  return {
    brokers: up.brokers,
    stop: async (graceMs) => {
      await stopKafka(all, graceMs === undefined ? {} : { graceMs });
    },
    start: async () => {
      await startKafka(all);
    },
    clean: () => cleanKafka(all),
  };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A client port whose neighbour (the controller port) is free too, so that two copies of a test
 * that starts its own broker (two checkouts, two CI jobs on one host) do not collide on a fixed
 * port. Ports are taken from the kernel's ephemeral choice and checked, not reserved: the window
 * until the broker binds is short, and a collision then fails loudly at start.
 */
export async function freeBrokerPorts(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    if (port > 0 && port < 65535 && (await portFree(port + 1))) return port;
  }
  throw new Error('no two adjacent free ports on 127.0.0.1 for a Kafka broker of the test\'s own');
}

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { cleanPulsar, resolvePulsar, signToken, startPulsar, stopPulsar, upPulsar, type PulsarOptions } from '../../scripts/peers/pulsar.mjs';
import { needPeer } from './peers.js';

/** A Pulsar standalone started by the test itself, which it may stop and start at will. */
export interface OwnPulsar {
  readonly adminUrl: string;
  /** Signs a token for `subject` with the broker's secret (when started with `auth`). */
  token(subject: string): string;
  /** Stops the broker (SIGTERM, then SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** Starts it again on the same data; resolves once `public/default` exists. */
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
 * Starts a Pulsar standalone of the test's own, on other ports and another data dir than the
 * shared one, so that stopping it disturbs no other test; with `auth`, token authentication is on
 * (a fresh secret). Needs Java and the jar cache the pulsar peer fills: without them the test
 * skips (fails under TRIBUTARY_REQUIRE_PEERS=1).
 */
export async function needOwnPulsar(t: TestContext, options: PulsarOptions & { auth?: boolean }): Promise<OwnPulsar | undefined> {
  const { auth, ...rest } = options;
  const p = resolvePulsar({ quiet: true, ...rest });
  if (!needPeer(t, javaAvailable(), "Java 17+ (on PATH or JAVA_HOME) to start a Pulsar broker of the test's own")) return undefined;
  if (!needPeer(t, existsSync(join(p.dist, '.complete')), `the Pulsar ${p.version} jars in ${p.dist}: run \`node scripts/peers.mjs up pulsar\` once`)) return undefined;
  const secret = randomBytes(32).toString('base64');
  const all: PulsarOptions = { quiet: true, ...rest, ...(auth === true ? { authSecret: secret } : {}) };
  // Leftovers of an earlier run (another secret, stale data) must not decide this one.
  await cleanPulsar(all);
  const up = await upPulsar(all);
  if (up.pid === undefined) throw new Error(`${up.adminUrl} is served by a broker this test did not start (it could not stop it): free the port`);
  return {
    adminUrl: up.adminUrl,
    token: (subject) => signToken(secret, subject),
    stop: async (graceMs) => {
      await stopPulsar(all, graceMs === undefined ? {} : { graceMs });
    },
    start: async () => {
      await startPulsar(all);
    },
    clean: () => cleanPulsar(all),
  };
}

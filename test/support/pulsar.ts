import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import WebSocket from 'ws';
import { pulsarAnswers } from '../../scripts/peers/pulsar.mjs';
import { needPeer } from './peers.js';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** How to get a broker, for skip messages. */
export const HOW_TO_START_PULSAR = 'Pulsar: run `node scripts/peers.mjs up pulsar` (or `npm run peers:up`; or set PULSAR_ADMIN_URL=http://host:8080)';

let found: Promise<string | undefined> | undefined;

/**
 * The admin URL tests use: `PULSAR_ADMIN_URL`, else the `.peers/pulsar.env` that the peer
 * writes, else http://127.0.0.1:8080 (or TRIBUTARY_PULSAR_HTTP_PORT) if a broker answers there.
 */
export function pulsarAdminUrl(): Promise<string | undefined> {
  found ??= (async () => {
    const candidates: string[] = [];
    if (process.env.PULSAR_ADMIN_URL) candidates.push(process.env.PULSAR_ADMIN_URL);
    const envFile = join(projectRoot, '.peers', 'pulsar.env');
    if (existsSync(envFile)) {
      const match = /^PULSAR_ADMIN_URL=(.+)$/m.exec(readFileSync(envFile, 'utf8'));
      if (match?.[1]) candidates.push(match[1].trim());
    }
    candidates.push(`http://127.0.0.1:${process.env.TRIBUTARY_PULSAR_HTTP_PORT ?? '8080'}`);
    for (const url of candidates) if (await pulsarAnswers(url, 3000)) return url;
    return undefined;
  })();
  return found;
}

/** The admin URL, or `undefined` after skipping the test (failing under TRIBUTARY_REQUIRE_PEERS=1). */
export async function needPulsar(t: TestContext): Promise<string | undefined> {
  const url = await pulsarAdminUrl();
  return needPeer(t, url !== undefined, HOW_TO_START_PULSAR) ? url : undefined;
}

/** A topic name no other test (or earlier run) uses. */
export function uniqueTopic(prefix: string): string {
  return `pulsar-${prefix}-${randomUUID().slice(0, 8)}`;
}

/** The full name of partition `i` of `topic` (in public/default), or of the topic itself for -1. */
export const partitionOf = (topic: string, i: number): string => `persistent://public/default/${i < 0 ? topic : `${topic}-partition-${i}`}`;

const bearer = (token: string | undefined): Record<string, string> => (token !== undefined ? { authorization: `Bearer ${token}` } : {});

async function call(method: string, url: string, body?: string, token?: string): Promise<void> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...bearer(token) },
    ...(body !== undefined ? { body } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
}

/** Creates a topic in public/default: partitioned with `partitions` > 0, else non-partitioned. */
export async function createTopic(adminUrl: string, topic: string, partitions: number, token?: string): Promise<void> {
  const base = `${adminUrl}/admin/v2/persistent/public/default/${topic}`;
  if (partitions > 0) await call('PUT', `${base}/partitions`, String(partitions), token);
  else await call('PUT', base, undefined, token);
}

/** Grows a partitioned topic to `partitions` partitions. */
export async function addPartitions(adminUrl: string, topic: string, partitions: number): Promise<void> {
  await call('POST', `${adminUrl}/admin/v2/persistent/public/default/${topic}/partitions`, String(partitions));
}

/** One message to produce. */
export interface TestMessage {
  readonly value: string | Uint8Array;
  readonly key?: string;
  readonly properties?: Record<string, string>;
  /** ms since the epoch. */
  readonly eventTime?: number;
}

/**
 * Produces `messages` to one partition (`partition` -1: a non-partitioned topic) through the
 * WebSocket producer endpoint, in order, and resolves with their message ids once every one is
 * acknowledged. `batching` makes the producer pack them into batch entries (several messages
 * under one entry id, told apart by batch index).
 */
export async function produce(adminUrl: string, topic: string, partition: number, messages: readonly TestMessage[], batching = false, token?: string): Promise<string[]> {
  if (messages.length === 0) return [];
  const path = partitionOf(topic, partition).replace('://', '/');
  const query = batching ? '?batchingEnabled=true&batchingMaxMessages=5&batchingMaxPublishDelay=20' : '';
  const socket = new WebSocket(`${adminUrl.replace(/^http/, 'ws')}/ws/v2/producer/${path}${query}`, { headers: bearer(token) });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`producer on ${topic}: ${res.statusCode}`)));
    });
    const ids = new Array<string>(messages.length);
    let acked = 0;
    const done = new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        const ack = JSON.parse(data.toString()) as { result: string; messageId?: string; context: string; errorMsg?: string };
        if (ack.result !== 'ok') reject(new Error(`produce to ${topic}: ${ack.result} ${ack.errorMsg ?? ''}`));
        ids[Number(ack.context)] = ack.messageId!;
        if (++acked === messages.length) resolve();
      });
      socket.once('close', () => reject(new Error(`producer on ${topic} closed after ${acked} acks`)));
    });
    messages.forEach((m, i) => {
      socket.send(
        JSON.stringify({
          payload: Buffer.from(m.value).toString('base64'),
          context: String(i),
          ...(m.key !== undefined ? { key: m.key } : {}),
          ...(m.properties !== undefined ? { properties: m.properties } : {}),
          ...(m.eventTime !== undefined ? { eventTime: new Date(m.eventTime).toISOString() } : {}),
        }),
      );
    });
    await done;
    return ids;
  } finally {
    socket.removeAllListeners('close');
    socket.close();
  }
}

/** JSON messages `{"p": partition, "i": index, "tag": tag}` for partitions 0..n-1 (or -1). */
export function jsonMessages(partition: number, count: number, tag = 'm', from = 0): TestMessage[] {
  return Array.from({ length: count }, (_, k) => ({ value: JSON.stringify({ p: partition, i: from + k, tag }), key: `k${partition}-${from + k}` }));
}

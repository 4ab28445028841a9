import { randomUUID } from 'node:crypto';
import { lineItemJson, lineItems } from './lineitem.js';

/** The admin URL the Pulsar case uses: `PULSAR_ADMIN_URL`, or the peer script's default. */
export function benchPulsarAdminUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.PULSAR_ADMIN_URL ?? `http://127.0.0.1:${env.TRIBUTARY_PULSAR_HTTP_PORT ?? '8080'}`;
}

/** True when the broker's admin API lists `public/default`. */
export async function pulsarAnswers(adminUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${adminUrl}/admin/v2/namespaces/public`, { signal: AbortSignal.timeout(2000) });
    return res.ok && ((await res.json()) as string[]).includes('public/default');
  } catch {
    return false;
  }
}

export const BENCH_PULSAR_PARTITIONS = 8;

/**
 * Creates a fresh 8-partition topic and fills it with `rows` lineitem messages (NDJSON values,
 * order key as key, round-robin over the partitions) through the WebSocket producer with
 * batching, as a Pulsar producer would write them. A fresh topic per bench run: Pulsar keeps no
 * offsets to check a reused topic's content by. Returns its name; `deleteBenchTopic` removes it.
 */
export async function createBenchTopic(adminUrl: string, rows: number): Promise<string> {
  const { default: WebSocket } = await import('ws');
  const topic = `tributary-bench-lineitem-${rows}-${randomUUID().slice(0, 8)}`;
  const base = `${adminUrl}/admin/v2/persistent/public/default/${topic}`;
  const res = await fetch(`${base}/partitions`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: String(BENCH_PULSAR_PARTITIONS) });
  if (!res.ok) throw new Error(`creating ${topic}: ${res.status} ${await res.text()}`);
  process.stderr.write(`bench: producing ${rows} messages to ${topic} ...`);
  const next = lineItems(0x7219_2026);
  const messages: { key: string; value: string }[][] = Array.from({ length: BENCH_PULSAR_PARTITIONS }, () => []);
  for (let i = 0; i < rows; i++) {
    const item = next();
    messages[i % BENCH_PULSAR_PARTITIONS]!.push({ key: String(item.l_orderkey), value: lineItemJson(item).trimEnd() });
  }
  await Promise.all(
    messages.map(async (list, partition) => {
      const socket = new WebSocket(
        `${adminUrl.replace(/^http/, 'ws')}/ws/v2/producer/persistent/public/default/${topic}-partition-${partition}?batchingEnabled=true&batchingMaxMessages=1000&batchingMaxPublishDelay=10&maxPendingMessages=5000`,
      );
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      // A window of unacknowledged sends keeps the producer's queue from overflowing.
      const window = 2000;
      let sent = 0;
      let acked = 0;
      await new Promise<void>((resolve, reject) => {
        const pump = (): void => {
          while (sent < list.length && sent - acked < window) {
            const m = list[sent]!;
            socket.send(JSON.stringify({ payload: Buffer.from(m.value).toString('base64'), key: m.key, context: String(sent) }));
            sent++;
          }
        };
        socket.on('message', (data) => {
          const ack = JSON.parse(data.toString()) as { result: string; errorMsg?: string };
          if (ack.result !== 'ok') reject(new Error(`producing to ${topic}: ${ack.result} ${ack.errorMsg ?? ''}`));
          if (++acked === list.length) resolve();
          else pump();
        });
        socket.once('close', () => reject(new Error(`producer of ${topic} closed after ${acked} acks`)));
        pump();
      });
      socket.removeAllListeners('close');
      socket.close();
    }),
  );
  process.stderr.write(' done\n');
  return topic;
}

/** Deletes the bench topic (its data is only good for one bench run). */
export async function deleteBenchTopic(adminUrl: string, topic: string): Promise<void> {
  await fetch(`${adminUrl}/admin/v2/persistent/public/default/${topic}/partitions?force=true`, { method: 'DELETE' }).catch(() => undefined);
}

import { Socket } from 'node:net';
import { lineItemJson, lineItems } from './lineitem.js';

/** The brokers the Kafka case uses: `KAFKA_BROKERS`, or the peer script's default. */
export function benchBrokers(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim()).filter((b) => b !== '');
}

/** True when the first broker accepts a TCP connection within `timeoutMs`. */
export function brokerAnswers(broker: string, timeoutMs = 1000): Promise<boolean> {
  const at = broker.lastIndexOf(':');
  const host = broker.slice(0, at);
  const port = Number.parseInt(broker.slice(at + 1), 10);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

export const BENCH_PARTITIONS = 8;

/**
 * Makes sure topic `tributary-bench-lineitem-<rows>` holds exactly `rows` lineitem messages
 * (NDJSON values, order key as key) spread over 8 partitions; produces them only when it does not.
 * Returns the topic name.
 */
export async function ensureBenchTopic(brokers: readonly string[], rows: number): Promise<string> {
  const { Kafka, logLevel } = await import('kafkajs');
  const topic = `tributary-bench-lineitem-${rows}`;
  const kafka = new Kafka({ clientId: 'tributary-bench-setup', brokers: [...brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    if (topics.includes(topic)) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const count = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
      if (offsets.length === BENCH_PARTITIONS && count === rows) return topic;
      await admin.deleteTopics({ topics: [topic] });
      // Deletion is asynchronous on the broker; creating the same name too soon fails.
      for (let i = 0; i < 50 && (await admin.listTopics()).includes(topic); i++) await new Promise((r) => setTimeout(r, 200));
    }
    await admin.createTopics({ topics: [{ topic, numPartitions: BENCH_PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  process.stderr.write(`bench: producing ${rows} messages to ${topic} ...`);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const next = lineItems(0x7219_2026);
    const perBatch = 2000;
    for (let sent = 0; sent < rows; ) {
      const n = Math.min(perBatch * BENCH_PARTITIONS, rows - sent);
      const byPartition: Array<Array<{ key: string; value: string }>> = Array.from({ length: BENCH_PARTITIONS }, () => []);
      for (let i = 0; i < n; i++) {
        const item = next();
        byPartition[(sent + i) % BENCH_PARTITIONS]?.push({ key: String(item.l_orderkey), value: lineItemJson(item).trimEnd() });
      }
      await producer.sendBatch({
        topicMessages: byPartition.map((messages, partition) => ({
          topic,
          messages: messages.map((m) => ({ ...m, partition })),
        })),
      });
      sent += n;
    }
  } finally {
    await producer.disconnect();
  }
  process.stderr.write(' done\n');
  return topic;
}

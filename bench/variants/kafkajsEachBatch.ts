import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import type { Variant } from '../Variant.js';
import { settleWithin } from './settleWithin.js';

/**
 * A kafkajs consumer reading the topic from the beginning with `eachBatch`, parsing each value as
 * JSON (the same work tributary's json format does), until every message was seen. A fresh group
 * per run, so every run reads everything.
 */
export const kafkajsEachBatch: Variant = async ({ rows, options }) => {
  const brokers = (options.brokers ?? '').split(',');
  const topic = options.topic ?? '';
  const kafka = new Kafka({ clientId: 'tributary-bench', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `tributary-bench-${process.pid}-${Date.now()}` });
  const started = performance.now();
  let firstRowMs: number | undefined;
  let lastRowMs = 0;
  let seen = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            if (message.value !== null && JSON.parse(message.value.toString('utf8')) !== undefined) seen++;
          }
          firstRowMs ??= performance.now() - started;
          if (seen >= rows) {
            lastRowMs = performance.now() - started;
            resolve();
          }
        },
      })
      .catch(reject);
  });
  const result = { rows: seen, ms: lastRowMs, ...(firstRowMs !== undefined ? { firstRowMs } : {}) };
  await settleWithin(consumer.disconnect(), 5000);
  return result;
};

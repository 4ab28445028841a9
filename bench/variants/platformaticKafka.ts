import { performance } from 'node:perf_hooks';
import { Consumer, MessagesStreamModes } from '@platformatic/kafka';
import type { Variant } from '../Variant.js';
import { settleWithin } from './settleWithin.js';

/**
 * A `@platformatic/kafka` consumer (pure JavaScript, maintained; kafkajs has had no release since
 * 2023) reading the topic from the beginning the way its README shows: `consume()` into a message
 * stream, each value (a Buffer, the default deserializer) parsed as JSON like the other variants,
 * until every message was seen. A fresh group per run and no offset commits, like the kafkajs
 * baseline. Its defaults match kafkajs's where it matters here (10 MB a fetch, read-committed).
 */
export const platformaticKafka: Variant = async ({ rows, options }) => {
  const brokers = (options.brokers ?? '').split(',');
  const topic = options.topic ?? '';
  const consumer = new Consumer({
    clientId: 'tributary-bench',
    groupId: `tributary-bench-platformatic-${process.pid}-${Date.now()}`,
    bootstrapBrokers: brokers,
  });
  const started = performance.now();
  let firstRowMs: number | undefined;
  let lastRowMs = 0;
  let seen = 0;
  try {
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      stream.on('data', (message) => {
        if (message.value !== undefined && message.value !== null && JSON.parse(message.value.toString('utf8')) !== undefined) seen++;
        firstRowMs ??= performance.now() - started;
        if (seen === rows) {
          lastRowMs = performance.now() - started;
          resolve();
        }
      });
    });
    const result = { rows: seen, ms: lastRowMs, ...(firstRowMs !== undefined ? { firstRowMs } : {}) };
    await settleWithin(stream.close(), 5000);
    return result;
  } finally {
    // Forced: closes the stream too if the loop above failed before closing it.
    await settleWithin(new Promise<void>((resolve) => consumer.close(true, () => resolve())), 5000);
  }
};

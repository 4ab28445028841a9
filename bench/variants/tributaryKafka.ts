// tributary loads kafkajs (an optional peer) on first use; the baseline loads it before its clock
// starts, so load it here too.
import 'kafkajs';
import { performance } from 'node:perf_hooks';
import { createKafkaSource } from '../../src/connectors/kafka/createKafkaSource.js';
import { checkpointed } from '../../src/core/checkpointed.js';
import { toRecords } from '../../src/core/toRecords.js';
import { createFormat } from '../../src/formats/createFormat.js';
import type { Variant } from '../Variant.js';
import { settleWithin } from './settleWithin.js';

/**
 * tributary's kafka source, json format, reading the topic from the earliest offsets up to the
 * end offsets seen at start (`boundedMode: 'latest'`), with the lag-reporting consumer group off
 * (the baseline commits nothing either). Timed to the last row, like the baseline.
 */
export const tributaryKafka: Variant = async ({ rows: expected, options }) => {
  const started = performance.now();
  const source = createKafkaSource({
    name: 'bench-kafka',
    topic: options.topic ?? '',
    brokers: options.brokers ?? '',
    format: createFormat('json'),
    startupMode: 'earliest',
    boundedMode: 'latest',
    consumerGroup: false,
  });
  let rows = 0;
  let firstRowMs: number | undefined;
  let lastRowMs = 0;
  await new Promise<void>((resolve, reject) => {
    checkpointed(source).pipe(toRecords()).subscribe({
      next: () => {
        rows++;
        if (rows === 1) firstRowMs = performance.now() - started;
        if (rows === expected) lastRowMs = performance.now() - started;
      },
      error: reject,
      complete: resolve,
    });
  });
  await settleWithin(source.closed(), 5000);
  return { rows, ms: rows === expected ? lastRowMs : performance.now() - started, ...(firstRowMs !== undefined ? { firstRowMs } : {}) };
};

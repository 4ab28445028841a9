// tributary loads ws (an optional peer) on first use; the baseline loads it before its clock
// starts, so load it here too.
import 'ws';
import { performance } from 'node:perf_hooks';
import { createPulsarSource } from '../../src/connectors/pulsar/createPulsarSource.js';
import { commitEpochs } from '../../src/core/commitEpochs.js';
import { toRecords } from '../../src/core/toRecords.js';
import { createFormat } from '../../src/formats/createFormat.js';
import type { Variant } from '../Variant.js';

/**
 * tributary's pulsar source, json format, from the earliest messages up to the last ones at start
 * (bounded mode `latest`), checkpointing every second into memory. Timed to the last row, like
 * the baseline.
 */
export const tributaryPulsar: Variant = async ({ rows: expected, options }) => {
  const started = performance.now();
  const source = createPulsarSource({
    name: 'bench-pulsar',
    topic: options.topic ?? '',
    adminUrl: options.adminUrl ?? '',
    format: createFormat('json'),
    startupMode: 'earliest',
    bounded: true,
  });
  let rows = 0;
  let firstRowMs: number | undefined;
  let lastRowMs = 0;
  await new Promise<void>((resolve, reject) => {
    source.pipe(commitEpochs(source), toRecords()).subscribe({
      next: () => {
        rows++;
        if (rows === 1) firstRowMs = performance.now() - started;
        if (rows === expected) lastRowMs = performance.now() - started;
      },
      error: reject,
      complete: resolve,
    });
  });
  return { rows, ms: rows === expected ? lastRowMs : performance.now() - started, ...(firstRowMs !== undefined ? { firstRowMs } : {}) };
};

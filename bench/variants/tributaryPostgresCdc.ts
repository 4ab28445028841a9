// tributary loads pg (an optional peer) on first use; load it before the clock starts, as the baseline does.
import 'pg';
import { performance } from 'node:perf_hooks';
import { createPostgresCdcSource } from '../../src/connectors/postgres-cdc/index.js';
import { commitEpochs } from '../../src/core/commitEpochs.js';
import { toRecords } from '../../src/core/toRecords.js';
import { benchPgUrl, BENCH_PUBLICATION, BENCH_TABLE, copyRunSlot, dropRunSlot } from '../pgBench.js';
import type { Variant } from '../Variant.js';

/**
 * tributary's postgres-cdc source on a copy of the template slot (no snapshot: the changes are
 * in the WAL after the slot), with checkpoints every second as in production (each confirms the
 * slot's LSN), rows converted to exact types. Timed to the last expected change.
 */
export const tributaryPostgresCdc: Variant = async ({ rows: expected }) => {
  const slot = await copyRunSlot();
  const url = new URL(benchPgUrl());
  const source = createPostgresCdcSource({
    name: 'bench-pg', hostname: url.hostname, port: Number(url.port || 5432), username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password), database: url.pathname.slice(1), tables: [BENCH_TABLE],
    slotName: slot, publicationName: BENCH_PUBLICATION, snapshot: false, slotCreate: false, publicationCreate: false,
  });
  const started = performance.now();
  let rows = 0;
  let firstRowMs: number | undefined;
  let lastRowMs = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const subscription = source.pipe(commitEpochs(source), toRecords()).subscribe({
        next: () => {
          rows++;
          firstRowMs ??= performance.now() - started;
          if (rows === expected) {
            lastRowMs = performance.now() - started;
            subscription.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
    });
  } finally {
    await dropRunSlot(slot);
  }
  return { rows, ms: lastRowMs, ...(firstRowMs !== undefined ? { firstRowMs } : {}) };
};

import { performance } from 'node:perf_hooks';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import { benchPgUrl, BENCH_PUBLICATION, copyRunSlot, dropRunSlot } from '../pgBench.js';
import type { Variant } from '../Variant.js';
import { settleWithin } from './settleWithin.js';

/**
 * The bare reader: `pg-logical-replication` (the maintained npm client over `pg`) with its
 * pgoutput plugin, decoding every change into an object, acknowledging nothing (as tributary
 * confirms only at checkpoints). Counts insert and update messages up to the expected number.
 */
export const pgLogicalReplication: Variant = async ({ rows: expected }) => {
  const slot = await copyRunSlot();
  const service = new LogicalReplicationService({ connectionString: benchPgUrl() }, { acknowledge: { auto: false, timeoutSeconds: 0 } });
  const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [BENCH_PUBLICATION] });
  const started = performance.now();
  let rows = 0;
  let firstRowMs: number | undefined;
  let lastRowMs = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      service.on('data', (_lsn: string, message: { tag: string }) => {
        if (message.tag !== 'insert' && message.tag !== 'update') return;
        rows++;
        firstRowMs ??= performance.now() - started;
        if (rows === expected) {
          lastRowMs = performance.now() - started;
          resolve();
        }
      });
      service.on('error', reject);
      service.subscribe(plugin, slot).catch(reject);
    });
  } finally {
    await settleWithin(service.stop(), 5000);
    await dropRunSlot(slot);
  }
  return { rows, ms: lastRowMs, ...(firstRowMs !== undefined ? { firstRowMs } : {}) };
};

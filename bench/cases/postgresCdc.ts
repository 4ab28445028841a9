import type { BenchCase } from '../CaseResult.js';
import { benchClient, ensureBenchChanges } from '../pgBench.js';
import { compare } from './compare.js';
import { label } from './csvScan.js';

/**
 * Change events per second from a PostgreSQL slot (pgoutput): tributary's postgres-cdc against
 * a bare `pg-logical-replication` reader, both decoding the same WAL (inserts in transactions of
 * 10,000 plus updates) from copies of one slot. At most 200,000 inserts (decoding is the
 * server's work too). Only when the `postgres` peer answers.
 */
export const postgresCdc: BenchCase = {
  id: 'postgres-cdc',
  title: 'PostgreSQL change data',
  async run(scale) {
    const inserts = Math.min(scale.rows, 200_000);
    const title = `postgres-cdc ${label(inserts)} inserts + updates`;
    try {
      await (await benchClient()).end();
    } catch (err) {
      return {
        id: this.id,
        title,
        variants: [],
        rows: [{ case: title, baseline: 'pg-logical-replication', target: '≥ 0.80', status: `skipped: no PostgreSQL (node scripts/peers.mjs up postgres, or set TRIBUTARY_PG_URL): ${err instanceof Error ? err.message : String(err)}` }],
      };
    }
    const changes = await ensureBenchChanges(inserts);
    return compare(
      { id: this.id, title, tributary: 'tributary-postgres-cdc', baselines: [{ variant: 'pg-logical-replication', target: 0.8 }] },
      { path: '', rows: changes, options: {} },
      undefined,
      { runs: scale.runs, timeoutMs: scale.timeoutMs },
    );
  },
};

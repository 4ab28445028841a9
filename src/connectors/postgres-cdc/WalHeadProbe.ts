import type { SchedulerLike } from 'rxjs';
import { sleep } from '../base/sleep.js';
import type { PgClient, PgModule } from './loadPg.js';
import { parseLsn, type Lsn } from './Lsn.js';
import { pgConnectionSettings, type PostgresCdcConfig } from './postgresCdcProperties.js';

/** How often the server's WAL head is asked for. */
export const WAL_HEAD_INTERVAL_MS = 1_000;

/**
 * Asks the server for the end of its WAL (`pg_current_wal_lsn()`) once a second on a connection of
 * its own, for the lag metric: the replication stream cannot tell it (pgoutput's `walEnd` is the
 * message's own position, and a keepalive's is where decoding got to, not where the WAL ends), and
 * a replication connection runs no queries once streaming.
 *
 * Monitoring only: a failed query or connection is retried at the next tick and never reaches the
 * source; the answer is `undefined` until the first one succeeds. The lag it yields counts every
 * WAL byte after a table's position, unrelated databases' too, as the slot's own lag
 * (`pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)`) does.
 */
export class WalHeadProbe {
  /** The server's WAL end at the last successful query. */
  head: Lsn | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly pg: PgModule,
    private readonly config: PostgresCdcConfig,
    private readonly sourceName: string,
    private readonly scheduler: SchedulerLike,
    private readonly intervalMs = WAL_HEAD_INTERVAL_MS,
  ) {
    void this.loop();
  }

  stop(): void {
    this.stopping.abort();
  }

  private async loop(): Promise<void> {
    const { signal } = this.stopping;
    let client: PgClient | undefined;
    while (!signal.aborted) {
      try {
        client ??= await this.connect();
        const row = (await client.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0];
        if (typeof row?.['lsn'] === 'string') this.head = parseLsn(row['lsn']);
      } catch {
        void client?.end().catch(() => undefined);
        client = undefined;
      }
      await sleep(this.intervalMs, signal, this.scheduler).catch(() => undefined);
    }
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<PgClient> {
    const client = new this.pg.Client(pgConnectionSettings(this.config, `tributary:${this.sourceName}:wal-head`));
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      void client.end().catch(() => undefined);
      throw err;
    }
    return client;
  }
}

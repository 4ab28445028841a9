import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asyncScheduler } from 'rxjs';
import type { PgClient, PgModule } from '../../../src/connectors/postgres-cdc/loadPg.js';
import type { PostgresCdcConfig } from '../../../src/connectors/postgres-cdc/postgresCdcProperties.js';
import { WalHeadProbe } from '../../../src/connectors/postgres-cdc/WalHeadProbe.js';

const config = { hostname: 'h', port: 1, username: 'u', password: 'secret', database: 'd', connectTimeoutMs: 100 } as unknown as PostgresCdcConfig;

/** A fake pg whose clients answer `answers` in turn (an Error is thrown), the last one from then on, counting connections and ends. */
function fakePg(answers: Array<string | Error>): PgModule & { connects: number; ends: number; configs: Record<string, unknown>[] } {
  const pg = {
    connects: 0,
    ends: 0,
    configs: [] as Record<string, unknown>[],
    Client: class implements PgClient {
      constructor(c: Record<string, unknown>) {
        pg.configs.push(c);
      }
      connect(): Promise<void> {
        pg.connects++;
        return Promise.resolve();
      }
      query(): Promise<{ rows: Array<Record<string, unknown>>; fields: [] }> {
        const next = answers.length > 1 ? answers.shift()! : answers[0]!;
        return next instanceof Error ? Promise.reject(next) : Promise.resolve({ rows: [{ lsn: next }], fields: [] });
      }
      end(): Promise<void> {
        pg.ends++;
        return Promise.resolve();
      }
      on(): unknown {
        return this;
      }
    },
  };
  return pg;
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the WAL head probe polls pg_current_wal_lsn(), survives failed queries by reconnecting, and closes on stop', async () => {
  const pg = fakePg(['0/10', new Error('connection lost'), '0/2A']);
  const probe = new WalHeadProbe(pg, config, 'src', asyncScheduler, 5);
  await settle(5);
  for (let i = 0; i < 40 && probe.head !== 0x2an; i++) await settle(5);
  assert.equal(probe.head, 0x2an, 'the head after a failed query is the next answer');
  assert.equal(pg.connects, 2, 'a failed query drops the connection; the next tick opens a new one');
  assert.equal(pg.configs[0]?.['application_name'], 'tributary:src:wal-head');
  assert.equal(pg.configs[0]?.['replication'], undefined, 'a plain connection: replication connections run no queries while streaming');
  probe.stop();
  await settle(20);
  const ends = pg.ends;
  await settle(30);
  assert.equal(pg.ends, ends, 'nothing more after stop');
  assert.equal(pg.ends, 2, 'both connections closed');
});

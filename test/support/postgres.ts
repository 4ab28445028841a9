import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** How to get the server, for skip messages. */
export const HOW_TO_START_POSTGRES = 'PostgreSQL: run `node scripts/peers.mjs up postgres` (or set TRIBUTARY_PG_URL=postgres://user:password@host:port/db)';

export interface PgTarget {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

let found: Promise<PgTarget | undefined> | undefined;

/**
 * The server tests use: `TRIBUTARY_PG_URL`, else the `.peers/postgres.env` the peers script
 * writes, else 127.0.0.1:`TRIBUTARY_PG_PORT` (55432) if something answers there.
 */
export function postgresTarget(): Promise<PgTarget | undefined> {
  found ??= (async () => {
    let url = process.env.TRIBUTARY_PG_URL;
    const envFile = join(projectRoot, '.peers', 'postgres.env');
    if (!url && existsSync(envFile)) url = /^TRIBUTARY_PG_URL=(.+)$/m.exec(readFileSync(envFile, 'utf8'))?.[1]?.trim();
    url ||= `postgres://tributary:tributary@127.0.0.1:${process.env.TRIBUTARY_PG_PORT ?? '55432'}/tributary`;
    const target = parseUrl(url);
    return (await reachable(target.host, target.port)) ? target : undefined;
  })();
  return found;
}

export function parseUrl(url: string): PgTarget {
  const u = new URL(url);
  return {
    url,
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1),
  };
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A connected client (the caller ends it). */
export async function pgClient(target: PgTarget): Promise<pg.Client> {
  const client = new pg.Client({ host: target.host, port: target.port, user: target.user, password: target.password, database: target.database });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Unique names per test (the server is shared by every test file). */
export function uniqueName(prefix: string): string {
  return `pg_${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
}

/**
 * Drops a slot (waiting for its consumer to go away, then ending that consumer's connection if it
 * lingers) and a publication; errors ignored. A slot left behind holds the server's WAL for good:
 * a run of the suite once left 24 of them (163 MB) because a test's source was still closing its
 * replication connection when the 5 s wait here gave up.
 */
export async function dropSlotAndPublication(target: PgTarget, slot: string, publication: string): Promise<void> {
  const client = await pgClient(target);
  try {
    for (let i = 0; i < 150; i++) {
      const r = await client.query('SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      if (r.rows.length === 0) break;
      if (r.rows[0].active !== true) {
        await client.query('SELECT pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
        continue; // checked again: dropped, or taken in between
      }
      // Still held after 5 s: the test is over, so its consumer is a leftover; end it.
      if (i >= 50 && r.rows[0].active_pid !== null) await client.query('SELECT pg_terminate_backend($1)', [r.rows[0].active_pid]).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await client.query(`DROP PUBLICATION IF EXISTS "${publication}"`).catch(() => undefined);
  } finally {
    await client.end();
  }
}

/** The slot's confirmed flush LSN as a bigint (0n when none). */
export async function confirmedFlushLsn(client: pg.Client, slot: string): Promise<bigint> {
  const r = await client.query('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  const text = r.rows[0]?.lsn as string | undefined;
  if (!text) return 0n;
  const [hi, lo] = text.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

// The PostgreSQL side of the postgres-cdc case: where the server is, the table of changes both
// variants read, and a template slot that each run copies, so every run decodes the same WAL.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `TRIBUTARY_PG_URL`, else the `.peers/postgres.env` the peers script writes, else the default port. */
export function benchPgUrl(): string {
  if (process.env.TRIBUTARY_PG_URL) return process.env.TRIBUTARY_PG_URL;
  const envFile = join(root, '.peers', 'postgres.env');
  const match = existsSync(envFile) ? /^TRIBUTARY_PG_URL=(.+)$/m.exec(readFileSync(envFile, 'utf8')) : null;
  return match?.[1]?.trim() ?? `postgres://tributary:tributary@127.0.0.1:${process.env.TRIBUTARY_PG_PORT ?? '55432'}/tributary`;
}

export async function benchClient(url = benchPgUrl()): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export const BENCH_TABLE = 'tributary_bench_cdc';
export const BENCH_PUBLICATION = 'tributary_bench_pub';
const TEMPLATE_SLOT = 'tributary_bench_template';

/**
 * Makes `rows` inserts (in transactions of 10,000) plus a tenth as many updates in the WAL, after
 * a template slot: a run copies the slot and reads from its start. Rebuilt when the row count
 * differs from the last setup.
 */
export async function ensureBenchChanges(rows: number): Promise<number> {
  const client = await benchClient();
  try {
    const marker = await client.query(`SELECT obj_description('${BENCH_TABLE}'::regclass) AS d`).catch(() => ({ rows: [] as Array<{ d: string | null }> }));
    const slot = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [TEMPLATE_SLOT]);
    const updates = Math.floor(rows / 10);
    if (marker.rows[0]?.d === `changes=${rows}` && slot.rows.length > 0) return rows + updates;
    await client.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'tributary_bench_%' AND NOT active`);
    await client.query(`DROP PUBLICATION IF EXISTS ${BENCH_PUBLICATION}`);
    await client.query(`DROP TABLE IF EXISTS ${BENCH_TABLE}`);
    await client.query(`CREATE TABLE ${BENCH_TABLE} (id int8 PRIMARY KEY, amount numeric(20,4), note text, at timestamptz)`);
    await client.query(`CREATE PUBLICATION ${BENCH_PUBLICATION} FOR TABLE ${BENCH_TABLE}`);
    await client.query(`SELECT pg_create_logical_replication_slot('${TEMPLATE_SLOT}', 'pgoutput')`);
    for (let from = 0; from < rows; from += 10_000) {
      await client.query(
        `INSERT INTO ${BENCH_TABLE} SELECT g, g * 1.25, 'note ' || g, timestamptz '2024-01-01' + g * interval '1 second' FROM generate_series($1::int8, $2::int8) g`,
        [from, Math.min(rows, from + 10_000) - 1],
      );
    }
    await client.query(`UPDATE ${BENCH_TABLE} SET amount = amount + 1 WHERE id % 10 = 0`);
    await client.query(`COMMENT ON TABLE ${BENCH_TABLE} IS 'changes=${rows}'`);
    return rows + updates;
  } finally {
    await client.end();
  }
}

/** A copy of the template slot for one run (dropped with {@link dropRunSlot}). */
export async function copyRunSlot(): Promise<string> {
  const name = `tributary_bench_${process.pid}_${Date.now()}`;
  const client = await benchClient();
  try {
    await client.query('SELECT pg_copy_logical_replication_slot($1, $2)', [TEMPLATE_SLOT, name]);
  } finally {
    await client.end();
  }
  return name;
}

export async function dropRunSlot(name: string): Promise<void> {
  const client = await benchClient();
  try {
    for (let i = 0; i < 50; i++) {
      const r = await client.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [name]);
      if (r.rows.length === 0) return;
      if (r.rows[0].active !== true) {
        await client.query('SELECT pg_drop_replication_slot($1)', [name]);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
}

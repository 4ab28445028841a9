import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { tap } from 'rxjs';
import { UNCHANGED, opOf } from '../../../src/core/Changelog.js';
import { MicroDate } from '../../../src/core/MicroDate.js';
import { runWithCheckpoints } from '../../../src/core/runWithCheckpoints.js';
import type { SourceEvent } from '../../../src/core/SourceEvent.js';
import { toTable } from '../../../src/core/toTable.js';
import { createPostgresCdcSource, parseCdcOffset, parsePgValue } from '../../../src/connectors/postgres-cdc/index.js';
import type { Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { needPeer } from '../../support/peers.js';
import {
  HOW_TO_START_POSTGRES, confirmedFlushLsn, dropSlotAndPublication, pgClient, postgresTarget, uniqueName, type PgTarget,
} from '../../support/postgres.js';

/** `SELECT *` of a table, converted the way the connector converts values (text → parsePgValue by type OID). */
export async function selectAll(target: PgTarget, table: string, key: string): Promise<Map<string, Row>> {
  const client = await pgClient(target);
  try {
    const result = await client.query({ text: `SELECT * FROM "${table}"`, types: { getTypeParser: () => (v: string) => v } });
    const out = new Map<string, Row>();
    for (const raw of result.rows as Record<string, string | null>[]) {
      const row: Row = {};
      for (const f of result.fields) row[f.name] = raw[f.name] === null ? null : parsePgValue(f.dataTypeID, raw[f.name]!);
      out.set(String(row[key]), row);
    }
    return out;
  } finally {
    await client.end();
  }
}

/** Rows equal column by column, a column absent on one side counting as NULL (a column added later). */
export function sameTable(a: Map<string, Row>, b: Map<string, Row>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, ra] of a) {
    const rb = b.get(k);
    if (rb === undefined) return false;
    for (const c of new Set([...Object.keys(ra), ...Object.keys(rb)])) {
      if (!isDeepStrictEqual(ra[c] ?? null, rb[c] ?? null)) return false;
    }
  }
  return true;
}

/** Applies toTable's change output to a map (what a downstream table would hold). */
function applyChange(table: Map<string, Row>, row: Row, key: string): void {
  const plain: Row = { ...row };
  const op = opOf(row);
  if (op === 'insert' || op === 'update_after') table.set(String(plain[key]), plain);
  else table.delete(String(plain[key]));
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

for (const identity of ['FULL', 'DEFAULT'] as const) {
  test(`postgres-cdc (REPLICA IDENTITY ${identity}): snapshot, insert/update/delete/truncate, TOAST, ADD COLUMN while streaming; the table equals SELECT *; the slot never confirms past a committed checkpoint`, async (t) => {
    const target = await postgresTarget();
    if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
    const pg = target!;
    const table = uniqueName('t');
    const slot = uniqueName('slot');
    const publication = uniqueName('pub');
    const admin = await pgClient(pg);
    t.after(async () => {
      await dropSlotAndPublication(pg, slot, publication);
      await admin.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
      await admin.end();
    });
    await admin.query(`CREATE TABLE "${table}" (
      id int8 PRIMARY KEY, amount numeric(38,10), at timestamptz, doc jsonb, ints int4[], tags text[],
      big text, version int NOT NULL DEFAULT 0, flag boolean, day date)`);
    await admin.query(`ALTER TABLE "${table}" ALTER COLUMN big SET STORAGE EXTERNAL`);
    if (identity === 'FULL') await admin.query(`ALTER TABLE "${table}" REPLICA IDENTITY FULL`);
    // Rows before the start: the snapshot's. Ids above 2^53 and numerics beyond a double's digits.
    for (let i = 1; i <= 30; i++) {
      await admin.query(
        `INSERT INTO "${table}" (id, amount, at, doc, ints, tags, flag, day) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [String(2n ** 60n + BigInt(i)), `12345678901234567890.${String(i).padStart(10, '0')}`, `2024-01-${String(i).padStart(2, '0')} 01:02:03.456${String(i).padStart(3, '0')}+00`, { i, nested: { a: [1, 'x'] } }, [i, null, -i], ['a b', 'c"d', 'NULL', ''], i % 2 === 0, '2024-02-29'],
      );
    }
    const big = randomBytes(6000).toString('base64'); // incompressible: stored out of line (TOAST)
    await admin.query(`UPDATE "${table}" SET big = $1 WHERE id = $2`, [big, String(2n ** 60n + 1n)]);

    const source = createPostgresCdcSource({
      name: `cdc-${table}`, hostname: pg.host, port: pg.port, username: pg.user, password: pg.password, database: pg.database,
      tables: [table], slotName: slot, publicationName: publication, store: new MemoryStore(), checkpointIntervalMs: 50, batchRows: 7,
    });
    const mirror = new Map<string, Row>();
    const emitted = new Map<string, string>();
    let committedLsn = 0n;
    let sawUnchanged = false;
    let sawSnapshot = false;
    const errors: unknown[] = [];
    const subscription = runWithCheckpoints(
      source,
      (events) =>
        events.pipe(
          tap((e: SourceEvent<Row>) => {
            if (e.type !== 'chunk') return;
            for (const r of e.records) if (Object.values(r).includes(UNCHANGED)) sawUnchanged = true;
            if (e.nextOffset.startsWith('snapshot:')) sawSnapshot = true;
          }),
          toTable<Row>(source, { primaryKey: ['id'] }),
        ),
      { retries: 0 },
    ).subscribe({
      next: (e) => {
        if (e.type === 'chunk') {
          emitted.set(e.splitId, e.nextOffset);
          for (const r of e.records) applyChange(mirror, r, 'id');
        } else {
          // The barrier passed commitEpochs: its epoch is committed.
          for (const offset of emitted.values()) {
            const p = parseCdcOffset(offset);
            if (p.kind === 'stream' && p.lsn > committedLsn) committedLsn = p.lsn;
          }
        }
      },
      error: (err: unknown) => errors.push(err),
    });
    t.after(() => subscription.unsubscribe());

    // The slot's confirmed LSN, watched all along: never past the last committed checkpoint.
    let maxConfirmed = 0n;
    let initial: bigint | undefined;
    let watching = true;
    const watcher = (async () => {
      const c = await pgClient(pg);
      try {
        while (watching) {
          const confirmed = await confirmedFlushLsn(c, slot);
          // Read after the query: committedLsn only grows, and the hook fires after the commit
          // that raised it (both in the same synchronous step of commitEpochs).
          if (committedLsn === 0n) {
            // Before the first committed stream position: the slot stays where it was created.
            initial ??= confirmed === 0n ? undefined : confirmed;
            assert.ok(confirmed === 0n || confirmed === initial, `confirmed_flush_lsn moved to ${confirmed.toString(16)} before any checkpoint committed`);
          } else {
            assert.ok(confirmed <= committedLsn, `confirmed_flush_lsn ${confirmed.toString(16)} passed the committed checkpoint's ${committedLsn.toString(16)}`);
          }
          if (confirmed > maxConfirmed) maxConfirmed = confirmed;
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        await c.end();
      }
    })();

    const expect = (): Promise<Map<string, Row>> => selectAll(pg, table, 'id');
    await waitUntil('the snapshot', async () => errors.length > 0 || sameTable(mirror, await expect()));
    assert.deepEqual(errors, []);
    assert.ok(sawSnapshot, 'the rows came through the snapshot');
    const first = mirror.get(String(2n ** 60n + 5n))!;
    assert.equal(first.id, 2n ** 60n + 5n);
    assert.equal(first.amount, '12345678901234567890.0000000005');
    // Every microsecond of the timestamptz, through the snapshot (and, below, the stream).
    assert.deepEqual(first.at, new MicroDate(Date.UTC(2024, 0, 5, 1, 2, 3, 456), 5));
    assert.equal((first.at as MicroDate).toISOString(), '2024-01-05T01:02:03.456005Z');
    assert.deepEqual(first.doc, { i: 5, nested: { a: [1, 'x'] } });
    assert.deepEqual(first.ints, [5, null, -5]);
    assert.deepEqual(first.tags, ['a b', 'c"d', 'NULL', '']);
    assert.equal(first.day, '2024-02-29');

    // Changes while reading: in single statements and in one large transaction.
    const id = (i: number): string => String(2n ** 60n + BigInt(i));
    for (let i = 31; i <= 60; i++) await admin.query(`INSERT INTO "${table}" (id, amount, ints, at) VALUES ($1, $2, $3, $4)`, [id(i), '-0.0000000001', [i], `1969-12-31 23:59:59.999${String(i).padStart(3, '0')}-05:30`]);
    await admin.query(`UPDATE "${table}" SET version = version + 1, amount = amount * 3 WHERE id % 3 = 0`);
    await admin.query(`UPDATE "${table}" SET version = version + 1 WHERE id = $1`, [id(1)]); // big unchanged: TOAST not sent
    await admin.query(`DELETE FROM "${table}" WHERE id % 5 = 0`);
    await admin.query(`UPDATE "${table}" SET id = id + 1000 WHERE id = $1`, [id(2)]); // the key changes
    await admin.query('BEGIN');
    for (let i = 61; i <= 90; i++) await admin.query(`INSERT INTO "${table}" (id, tags) VALUES ($1, $2)`, [id(i), [`t${i}`]]);
    await admin.query(`UPDATE "${table}" SET flag = NOT coalesce(flag, false) WHERE id > $1`, [id(80)]);
    await admin.query('COMMIT');
    await waitUntil('the changes', async () => errors.length > 0 || sameTable(mirror, await expect()));
    assert.deepEqual(errors, []);
    assert.equal(mirror.get(id(1))!.big, big, 'the unchanged TOASTed value is kept');
    assert.equal((mirror.get(id(31))!.at as MicroDate).toISOString(), '1970-01-01T05:29:59.999031Z');
    assert.ok(sawUnchanged, 'the update sent the TOASTed column as unchanged');

    // A column added while streaming appears; TRUNCATE empties the table; then more rows.
    // (Nullable: PostgreSQL writes no change for the rows that exist when a column with a
    // default is added, so no change-data reader can see that default on them.)
    await admin.query(`ALTER TABLE "${table}" ADD COLUMN note text`);
    await admin.query(`ALTER TABLE "${table}" ALTER COLUMN note SET DEFAULT 'n/a'`);
    await admin.query(`INSERT INTO "${table}" (id) VALUES ($1)`, [id(499)]);
    await admin.query(`INSERT INTO "${table}" (id, note) VALUES ($1, 'added')`, [id(500)]);
    await waitUntil('the added column', async () => errors.length > 0 || sameTable(mirror, await expect()));
    assert.equal(mirror.get(id(500))!.note, 'added');
    assert.equal(mirror.get(id(499))!.note, 'n/a');
    await admin.query(`TRUNCATE "${table}"`);
    await admin.query(`INSERT INTO "${table}" (id, note) VALUES ($1, 'after truncate'), ($2, NULL)`, [id(501), id(502)]);
    await waitUntil('the truncate', async () => errors.length > 0 || sameTable(mirror, await expect()));
    assert.deepEqual(errors, []);
    assert.equal(mirror.size, 2);

    // The confirmed LSN moves (the hook works) and stays at or below the committed checkpoint.
    await waitUntil('the slot to confirm the end', async () => maxConfirmed > 0n && maxConfirmed === committedLsn, 15_000);
    watching = false;
    await watcher;
  });
}

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkpointKeys, type Snapshot } from '../../../src/core/Checkpoint.js';
import { parseCdcOffset } from '../../../src/connectors/postgres-cdc/index.js';
import { FileStore } from '../../../src/state/FileStore.js';
import { needPeer } from '../../support/peers.js';
import { HOW_TO_START_POSTGRES, confirmedFlushLsn, dropSlotAndPublication, pgClient, postgresTarget, uniqueName } from '../../support/postgres.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The table the committed changes build, run after run (`START c` cuts what followed barrier c of the previous run). */
function committedTable(log: string): { table: Map<string, string>; deletes: number; problems: string[] } {
  type Entry = { barrier: number } | { op: string; id: string; version: string };
  let entries: Entry[] = [];
  const problems: string[] = [];
  for (const line of log.split('\n')) {
    if (line === '') continue;
    const [kind, a, b, c] = line.split(' ');
    if (kind === 'START') {
      const epoch = Number(a);
      if (epoch === 0) entries = [];
      else {
        let at = entries.length - 1;
        while (at >= 0 && !('barrier' in entries[at]! && (entries[at] as { barrier: number }).barrier === epoch)) at--;
        if (at < 0) problems.push(`restored epoch ${epoch} was never emitted`);
        entries = entries.slice(0, at + 1);
      }
    } else if (kind === 'B') entries.push({ barrier: Number(a) });
    else if (kind === 'C') entries.push({ op: a!, id: b!, version: c! });
    else if (kind === 'ERROR') problems.push(line);
  }
  const table = new Map<string, string>();
  let deletes = 0;
  for (const e of entries) {
    if ('barrier' in e) continue;
    if (e.op === 'insert') {
      // The table's changelog: an insert of a present key would be a row applied twice.
      if (table.has(e.id)) problems.push(`row ${e.id} inserted twice`);
      table.set(e.id, e.version);
    } else if (e.op === 'update_after') table.set(e.id, e.version);
    else if (e.op === 'delete') {
      if (!table.delete(e.id)) problems.push(`row ${e.id} deleted while absent`);
      deletes++;
    }
  }
  return { table, deletes, problems };
}

test('postgres-cdc: kill -9 in the middle of the first snapshot; the restart takes it again (retracting the partial one) and the table equals SELECT *; the slot confirms nothing past the committed checkpoint', { timeout: 240_000 }, async (t) => {
  const pg = await postgresTarget();
  if (!needPeer(t, pg !== undefined, HOW_TO_START_POSTGRES)) return;
  const target = pg!;
  const table = uniqueName('pg2_snapkill');
  const slot = uniqueName('pg2_slot');
  const publication = uniqueName('pg2_pub');
  const admin = await pgClient(target);
  const dir = mkdtempSync(join(tmpdir(), 'pg2-snapkill-'));
  const logFile = join(dir, 'changes.log');
  const stateDir = join(dir, 'state');
  writeFileSync(logFile, '');
  let child: ChildProcess | undefined;
  t.after(async () => {
    child?.kill('SIGKILL');
    await dropSlotAndPublication(target, slot, publication);
    await admin.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });
  const ROWS = 10_000;
  await admin.query(`CREATE TABLE "${table}" AS SELECT g::int8 AS id, 0 AS version, repeat('x', 50) AS pad FROM generate_series(1, ${ROWS}) g`);
  await admin.query(`ALTER TABLE "${table}" ADD PRIMARY KEY (id)`);

  const log = (): string => readFileSync(logFile, 'utf8');
  const start = (): void => {
    child = spawn(process.execPath, ['--import', 'tsx', join(here, 'cdcChild.ts')], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, CDC_URL: target.url, CDC_LOG: logFile, CDC_NAME: 'snapkill', CDC_STATE: stateDir, CDC_TABLE: table, CDC_SLOT: slot, CDC_PUBLICATION: publication, CDC_BATCH: '7', CDC_RATE: '20000' },
    });
  };
  let detail = '';
  const waitFor = async (what: string, check: () => boolean | Promise<boolean>, ms = 60_000, pollMs = 150): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      const errors = log().split('\n').filter((l) => l.startsWith('ERROR'));
      assert.deepEqual(errors, [], `the reading process failed while waiting for ${what}`);
      assert.ok(Date.now() < deadline, `timed out after ${ms / 1000}s waiting for ${what} (${detail}; child exit ${String(child?.exitCode)}; log tail: ${log().split('\n').slice(-4).join(' | ')})`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };
  /** The committed checkpoint's positions, read from the (dead) process's store. */
  const committedPositions = async (): Promise<string[]> => {
    const store = await FileStore.open(stateDir);
    try {
      const epoch = (await store.get(checkpointKeys.committed('snapkill'))) as number | undefined;
      if (epoch === undefined) return [];
      const snapshot = (await store.get(checkpointKeys.snapshot('snapkill', epoch))) as Snapshot | undefined;
      return Object.values(snapshot?.splits ?? {}).map((p) => p.offset ?? 'null');
    } finally {
      await store.close();
    }
  };
  const kill = async (): Promise<void> => {
    const c = child!;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };

  // Twice: kill -9 after a checkpoint committed inside the snapshot, change the table while
  // nobody reads (deletes of rows already delivered, updates, inserts), restart.
  for (let round = 0; round < 2; round++) {
    start();
    const starts = (log().match(/^START /gm) ?? []).length;
    await waitFor('a checkpoint after 300 rows of the snapshot', () => {
      const text = log();
      if ((text.match(/^START /gm) ?? []).length === starts) return false;
      const since = text.slice(text.lastIndexOf('START'));
      // A barrier after the 300th row, anywhere: the snapshot goes on meanwhile (throttled by
      // CDC_RATE, so that it is still going when the kill lands), and the log rarely ends in one.
      const inserts = [...since.matchAll(/^C insert /gm)];
      return inserts.length >= 300 && /^B \d+$/m.test(since.slice(inserts[299]!.index));
    }, 60_000, 20);
    await kill();
    const positions = await committedPositions();
    assert.ok(positions.length === 1 && positions[0]!.startsWith('snapshot:'), `killed inside the snapshot: committed position ${positions.join(', ')}`);
    const delivered = [...committedTable(log()).table.keys()].map(Number).sort((a, b) => a - b);
    const victims = delivered.filter((_, i) => i % 97 === round);
    await admin.query(`DELETE FROM "${table}" WHERE id = ANY($1::int8[])`, [victims]);
    await admin.query(`UPDATE "${table}" SET version = version + 1 WHERE id % 101 = $1`, [round]);
    await admin.query(`INSERT INTO "${table}" SELECT g, 7, 'new' FROM generate_series($1::int8, $2::int8) g`, [ROWS + 1 + round * 10, ROWS + 10 + round * 10]);
    // The slot of the interrupted snapshot confirmed nothing past its start.
    const confirmed = await confirmedFlushLsn(admin, slot);
    assert.ok(confirmed <= parseCdcOffset(positions[0]!).lsn, `confirmed_flush_lsn ${confirmed.toString(16)} passed the committed snapshot position ${positions[0]}`);
  }

  start();
  // Changes while the final snapshot or the stream runs.
  await admin.query(`UPDATE "${table}" SET version = version + 1 WHERE id % 103 = 0`);
  await admin.query(`DELETE FROM "${table}" WHERE id % 211 = 0`);
  const expected = async (): Promise<Map<string, string>> =>
    new Map((await admin.query(`SELECT id::text AS id, version::text AS version FROM "${table}"`)).rows.map((r: { id: string; version: string }) => [r.id, r.version]));
  let want = await expected();
  await waitFor(
    'the table to equal SELECT *',
    async () => {
      const got = committedTable(log());
      assert.deepEqual(got.problems, []);
      want = await expected();
      const differing = [...want].filter(([k, v]) => got.table.get(k) !== v);
      detail = `${got.table.size} rows replayed, ${want.size} in PostgreSQL, ${differing.length} differ, e.g. ${JSON.stringify(differing.slice(0, 3))} vs ${JSON.stringify(differing.slice(0, 3).map(([k]) => got.table.get(k)))}`;
      return got.table.size === want.size && [...want].every(([k, v]) => got.table.get(k) === v);
    },
    150_000,
  );
  // The restarts retracted what the interrupted snapshots delivered: deletes came first.
  // (The equality above is the proof: rows deleted while nobody read were delivered before.)
  assert.ok(committedTable(log()).deletes > 0, 'the interrupted snapshots were retracted');
  await waitFor('a stream position to commit', async () => {
    const p = await committedPositions();
    return p.length === 1 && !p[0]!.startsWith('snapshot:');
  });
  await kill();
  const positions = await committedPositions();
  const confirmed = await confirmedFlushLsn(admin, slot);
  assert.ok(confirmed <= parseCdcOffset(positions[0]!).lsn, `confirmed_flush_lsn ${confirmed.toString(16)} passed the committed position ${positions[0]}`);
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Subscription } from 'rxjs';
import { opOf } from '../../../src/core/Changelog.js';
import { runWithCheckpoints } from '../../../src/core/runWithCheckpoints.js';
import { toTable } from '../../../src/core/toTable.js';
import { createPostgresCdcSource } from '../../../src/connectors/postgres-cdc/index.js';
import type { Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { needPeer } from '../../support/peers.js';
import { HOW_TO_START_POSTGRES, dropSlotAndPublication, pgClient, postgresTarget, uniqueName, type PgTarget } from '../../support/postgres.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function ids(pg: PgTarget, table: string): Promise<string[]> {
  const c = await pgClient(pg);
  try {
    return (await c.query(`SELECT id::text AS id FROM "${table}" ORDER BY id`)).rows.map((r: { id: string }) => r.id);
  } finally {
    await c.end();
  }
}

for (const snapshot of [true, false]) {
  test(`postgres-cdc: TRUNCATE after a restart (snapshot = ${snapshot}) empties the table from its checkpointed rows; the connector keeps no key set`, { timeout: 90_000 }, async (t) => {
    const pg = await postgresTarget();
    if (!needPeer(t, pg !== undefined, HOW_TO_START_POSTGRES)) return;
    const target = pg!;
    const table = uniqueName('pg2_trunc');
    const slot = uniqueName('pg2_slot');
    const publication = uniqueName('pg2_pub');
    const admin = await pgClient(target);
    const subscriptions: Subscription[] = [];
    t.after(async () => {
      for (const s of subscriptions) s.unsubscribe();
      await dropSlotAndPublication(target, slot, publication);
      await admin.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
      await admin.end();
    });
    await admin.query(`CREATE TABLE "${table}" (id int8 PRIMARY KEY, v text)`);
    await admin.query(`INSERT INTO "${table}" SELECT g, 'before' FROM generate_series(1, 50) g`);
    const store = new MemoryStore();
    const make = () => createPostgresCdcSource({
      name: 'trunc', hostname: target.host, port: target.port, username: target.user, password: target.password, database: target.database,
      tables: [table], slotName: slot, publicationName: publication, store, checkpointIntervalMs: 20, snapshot,
    });
    // A run that holds `mirror` up to date with the table's changes; `committed` counts barriers past the commit.
    const start = (mirror: Map<string, Row>, errors: unknown[], ops: string[] = []): { barriers: () => number } => {
      const source = make();
      let barriers = 0;
      subscriptions.push(
        runWithCheckpoints(source, toTable<Row>(source, { primaryKey: ['id'] }), { retries: 0 }).subscribe({
          next: (e) => {
            if (e.type === 'barrier') barriers++;
            else for (const r of e.records) {
              ops.push(`${opOf(r)} ${String(r.id)}`);
              if (opOf(r) === 'insert' || opOf(r) === 'update_after') mirror.set(String(r.id), { ...r });
              else mirror.delete(String(r.id));
            }
          },
          error: (err: unknown) => errors.push(err),
        }),
      );
      return { barriers: () => barriers };
    };
    const errors: unknown[] = [];
    const first = new Map<string, Row>();
    const run1 = start(first, errors);
    // Without a snapshot the stream starts at the slot's creation: rows written after it.
    await waitUntil('the first run to stream', () => run1.barriers() > 2);
    await admin.query(`INSERT INTO "${table}" SELECT g, 'streamed' FROM generate_series(51, 80) g`);
    await admin.query(`DELETE FROM "${table}" WHERE id = 60`);
    const expectedFirst = snapshot ? 79 : 29;
    await waitUntil('the first run\'s rows', () => errors.length > 0 || first.size === expectedFirst);
    const seen = run1.barriers();
    await waitUntil('a checkpoint after them', () => run1.barriers() > seen + 1);
    subscriptions.pop()!.unsubscribe();
    assert.deepEqual(errors, []);

    // The restart: a TRUNCATE, then new rows. The table's restored rows are what it deletes.
    const second = new Map<string, Row>();
    const ops: string[] = [];
    const run2 = start(second, errors, ops);
    await waitUntil('the second run to start', () => run2.barriers() > 0);
    await admin.query(`TRUNCATE "${table}"`);
    await admin.query(`INSERT INTO "${table}" VALUES (1000, 'after')`);
    // `second` starts from nothing: it sees the deletes of the restored rows, then the insert.
    await waitUntil('the truncate', () => errors.length > 0 || second.has('1000'));
    assert.deepEqual(errors, []);
    assert.deepEqual([...second.keys()], await ids(target, table));
    assert.deepEqual([...second.keys()], ['1000']);
    // The restored rows, each deleted once, then the new row: nothing else.
    assert.deepEqual(ops.slice(0, -1).sort(), [...first.keys()].map((k) => `delete ${k}`).sort());
    assert.equal(ops.at(-1), 'insert 1000');
  });
}

test('postgres-cdc from SQL and the CLI: a TRUNCATE through CREATE SOURCE prints one truncate line naming the table; through CREATE TABLE ... PRIMARY KEY, after a restart from --state, a delete of each stored row', { timeout: 120_000 }, async (t) => {
  const pg = await postgresTarget();
  if (!needPeer(t, pg !== undefined, HOW_TO_START_POSTGRES)) return;
  const target = pg!;
  const table = uniqueName('pg2_cli');
  const [slotA, slotB] = [uniqueName('pg2_slota'), uniqueName('pg2_slotb')];
  const [pubA, pubB] = [uniqueName('pg2_puba'), uniqueName('pg2_pubb')];
  const admin = await pgClient(target);
  const dir = mkdtempSync(join(tmpdir(), 'pg2-cli-'));
  t.after(async () => {
    await dropSlotAndPublication(target, slotA, pubA);
    await dropSlotAndPublication(target, slotB, pubB);
    await admin.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });
  await admin.query(`CREATE TABLE "${table}" (id int8 PRIMARY KEY, v text)`);
  await admin.query(`INSERT INTO "${table}" VALUES (1, 'a'), (2, 'b')`);
  const properties = (slot: string, publication: string): string =>
    `connector = 'postgres-cdc', hostname = '${target.host}', port = '${target.port}', username = '${target.user}', password = '${target.password}', database.name = '${target.database}', schema.name = 'public', table.name = '${table}', slot.name = '${slot}', publication.name = '${publication}'`;
  /** `tributary run`; `onLine` sees each stdout line and may stop the run (SIGINT: commit and exit). */
  const run = (file: string, args: string[], onLine: (line: string, stop: () => void) => void): Promise<{ code: number | null; lines: string[]; stderr: string }> =>
    new Promise((done, fail) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', file, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: string[] = [];
      let partial = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        const parts = (partial + text).split('\n');
        partial = parts.pop()!;
        for (const line of parts) {
          lines.push(line);
          onLine(line, () => child.kill('SIGINT'));
        }
      });
      child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      child.on('error', fail);
      child.on('close', (code) => {
        clearTimeout(timer);
        done({ code, lines, stderr });
      });
    });

  // A source without a table: the TRUNCATE is one line.
  const sourceFile = join(dir, 'source.sql');
  writeFileSync(sourceFile, `CREATE SOURCE cdc (id BIGINT, v TEXT) WITH (${properties(slotA, pubA)}) FORMAT PLAIN ENCODE JSON;\nSELECT * FROM cdc;\n`);
  let truncated = false;
  const plain = await run(sourceFile, [], (line, stop) => {
    if (line === '{"id":2,"v":"b","__op":"insert"}') void admin.query(`TRUNCATE "${table}"`);
    if (line.includes('"truncate"')) {
      truncated = true;
      stop();
    }
  });
  assert.ok(truncated, `no truncate line: ${plain.lines.join(' | ')} ${plain.stderr}`);
  assert.deepEqual(plain.lines, ['{"id":1,"v":"a","__op":"insert"}', '{"id":2,"v":"b","__op":"insert"}', `{"__op":"truncate","__split":"public.${table}"}`]);
  assert.equal(plain.code, 0, plain.stderr);

  // A table, across a restart: the second run's TRUNCATE deletes the rows the first run stored.
  await admin.query(`INSERT INTO "${table}" VALUES (3, 'c'), (4, 'd')`);
  const tableFile = join(dir, 'table.sql');
  writeFileSync(tableFile, `CREATE TABLE cdc (id BIGINT, v TEXT, PRIMARY KEY (id)) WITH (${properties(slotB, pubB)}) FORMAT PLAIN ENCODE JSON;\nSELECT * FROM cdc;\n`);
  const state = join(dir, 'state');
  const first = await run(tableFile, ['--state', state], (line, stop) => {
    if (line.startsWith('{"id":4,')) stop();
  });
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(first.lines, ['{"id":3,"v":"c","__op":"insert"}', '{"id":4,"v":"d","__op":"insert"}']);
  // While nothing reads: the slot keeps the WAL from the first run's committed position.
  await admin.query(`TRUNCATE "${table}"`);
  await admin.query(`INSERT INTO "${table}" VALUES (5, 'e')`);
  const secondRun = run(tableFile, ['--state', state], (line, stop) => {
    if (line.startsWith('{"id":5,')) stop();
  });
  const result = await secondRun;
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.lines, ['{"id":3,"v":"c","__op":"delete"}', '{"id":4,"v":"d","__op":"delete"}', '{"id":5,"v":"e","__op":"insert"}']);
});

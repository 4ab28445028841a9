// The proof of issue 18 on the CLI: three `tributary run --share` processes over 60 files with a
// PostgreSQL state; one is killed with kill -9 mid-run and its splits move to the others within
// the lease time; a fourth joins and takes a share. The union of everything printed is every row,
// and a row printed twice was printed by the killed process and again by the one that took its
// file over, at or after the position it took it from (nothing repeats before the last committed
// epoch, and nothing at all on a handover between live processes). Each process's stdout is read at a bounded rate so the run
// lasts long enough for all of that to happen mid-run.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { needPeer } from '../support/peers.js';
import { HOW_TO_START_POSTGRES, pgClient, postgresTarget } from '../support/postgres.js';
import { checkRows, type PrintedRows } from './shareCli.js';
import { until } from './workers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FILES = 60;
const ROWS = 10_000;
const LEASE_MS = 2_000;
/** Bytes of stdout read per second from each process. */
const READ_RATE = 300_000;
const target = await postgresTarget();

const fileName = (f: number): string => `f${String(f).padStart(2, '0')}.ndjson`;
const rowText = (f: number, i: number): string => `${JSON.stringify({ f, i, pad: 'x'.repeat(20) })}\n`;

interface LeaseLine {
  readonly member: string;
  readonly type: string;
  readonly splits: readonly string[];
  readonly from?: ReadonlyArray<string | null>;
  /** When the test read it. */
  readonly at: number;
}

class CliProcess {
  readonly child: ChildProcess;
  readonly rows: Array<[number, number]> = [];
  readonly leases: LeaseLine[] = [];
  readonly held = new Set<string>();
  /** Files whose last row this process printed. */
  readonly lastRows = new Set<string>();
  stderr = '';
  readonly exited: Promise<number | null>;
  #partial = '';
  #errPartial = '';

  constructor(sql: string, state: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', sql, '--state', state, '--share', '--lease-ms', String(LEASE_MS), '--checkpoint-interval', '200'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let started: number | undefined;
    let bytes = 0;
    const out = this.child.stdout!;
    out.setEncoding('utf8').on('data', (text: string) => {
      started ??= Date.now();
      bytes += Buffer.byteLength(text);
      this.#partial += text;
      const lines = this.#partial.split('\n');
      this.#partial = lines.pop()!;
      for (const line of lines) {
        const row = JSON.parse(line) as { f: number; i: number };
        this.rows.push([row.f, row.i]);
        if (row.i === ROWS - 1) this.lastRows.add(fileName(row.f));
      }
      const ahead = bytes / READ_RATE - (Date.now() - started) / 1000;
      if (ahead > 0) {
        out.pause();
        setTimeout(() => out.resume(), ahead * 1000);
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
      this.#errPartial += text;
      const lines = this.#errPartial.split('\n');
      this.#errPartial = lines.pop()!;
      for (const line of lines) {
        const m = /^tributary: leases: (\{.*\})$/.exec(line);
        if (m === null) continue;
        const event = { ...(JSON.parse(m[1]!) as Omit<LeaseLine, 'at'>), at: Date.now() };
        this.leases.push(event);
        if (event.type === 'acquired') for (const s of event.splits) this.held.add(s);
        if (event.type === 'released' || event.type === 'lost' || event.type === 'fenced') for (const s of event.splits) this.held.delete(s);
      }
    });
    this.exited = new Promise((done) => this.child.on('close', (code) => done(code)));
  }
}

test('three CLI processes share 60 files; kill -9 one, its files move within the lease; a fourth takes a share; every row, no repeat before a takeover', { timeout: 180_000 }, async (t) => {
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const dir = mkdtempSync(join(tmpdir(), 'multi-share-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  mkdirSync(data);
  /** Byte position where each row starts, per file: a takeover's committed offset is one of these. */
  const starts: number[][] = [];
  for (let f = 0; f < FILES; f++) {
    const lines: string[] = [];
    const at: number[] = [];
    let bytes = 0;
    for (let i = 0; i < ROWS; i++) {
      at.push(bytes);
      const line = rowText(f, i);
      lines.push(line);
      bytes += Buffer.byteLength(line);
    }
    starts.push(at);
    writeFileSync(join(data, fileName(f)), lines.join(''));
  }
  const sql = join(dir, 'q.sql');
  writeFileSync(sql, `CREATE SOURCE multi_rows (f INT, i INT, pad VARCHAR) WITH (connector = 'fs', fs.path = '${data}', fs.match_pattern = '*.ndjson') FORMAT PLAIN ENCODE JSON;\nSELECT f, i FROM multi_rows;\n`);
  const table = `multi_proof_${process.pid}`;
  const state = `${target!.url}?table=${table}`;
  t.after(async () => {
    const client = await pgClient(target!);
    try {
      if (process.env['MULTI_DEBUG'] === undefined) await client.query(`DROP TABLE IF EXISTS ${table}_leases, ${table}_leases_members`);
    } finally {
      await client.end();
    }
  });
  const procs: CliProcess[] = [];
  const launch = (): CliProcess => {
    const p = new CliProcess(sql, state);
    procs.push(p);
    t.after(() => p.child.kill('SIGKILL'));
    return p;
  };
  const [p1, p2, p3] = [launch(), launch(), launch()];
  if (process.env['MULTI_DEBUG'] !== undefined) t.after(() => writeFileSync(process.env['MULTI_DEBUG']!, JSON.stringify(procs.map((p) => ({ rows: p.rows, leases: p.leases, stderr: p.stderr.slice(-3000) })))));
  // Every process gets a share. How even it is depends on start-up skew on a loaded machine (the
  // first one up reads ahead, and hands files over only at commits, which wait for this slow
  // reader); exact shares are checked in PostgresSplitLeases.test.ts.
  await until('each of three processes holds files', () => [p1, p2, p3].every((p) => p.held.size > 0), 60_000);
  t.diagnostic(`shares: ${[p1, p2, p3].map((p) => p.held.size).join(', ')}`);
  await until('some rows out of the third', () => p3.rows.length > 0, 30_000);
  const victim = new Set(p3.held);
  const killedAt = Date.now();
  p3.child.kill('SIGKILL');
  await until('the killed process’s files are held by the others', () => [...victim].every((s) => p1.held.has(s) || p2.held.has(s) || allRowsOf(s)), 30_000);
  const moved = Date.now() - killedAt;
  t.diagnostic(`kill -9: ${victim.size} files moved in ${moved} ms (lease ${LEASE_MS} ms)`);
  assert.ok(moved <= LEASE_MS + LEASE_MS / 3 + 1_500, `files moved after ${moved} ms`);
  const p4 = launch();
  await until('the fourth process takes a share', () => p4.held.size >= 3, 60_000);
  // Files move at commits, which wait for this test's slow reader, and the remaining files
  // finish meanwhile: the shares are only reported from here on.
  t.diagnostic(`fourth process holds ${p4.held.size} files (others ${p1.held.size}, ${p2.held.size})`);
  for (const p of [p1, p2, p4]) assert.equal(await p.exited, 0, p.stderr);

  // Every row of every file came out of some process, and each extra print is paired with a
  // takeover from the killed process (shareCli.ts checkRows: files stand for partitions, a
  // takeover's committed byte offset for the row starting there).
  const fileOf = (split: string): number => Number(/f(\d+)\.ndjson$/.exec(split)![1]);
  const rowAt = (f: number, from: string | null | undefined): string | null => {
    if (from === null || from === undefined) return null;
    const at = Number((JSON.parse(from) as { at: string }).at);
    const row = starts[f]!.indexOf(at);
    if (row < 0 && at !== starts[f]!.at(-1)! + Buffer.byteLength(rowText(f, ROWS - 1))) assert.fail(`${fileName(f)} taken over at byte ${at}, not a row start`);
    return String(row < 0 ? ROWS : row);
  };
  const printed: PrintedRows[] = procs.map((p) => ({
    rows: p.rows.map(([f, i]) => `${f} ${i}`),
    acquired: p.leases
      .filter((e) => e.type === 'acquired')
      .map((e) => ({ at: e.at, splits: e.splits.map((s) => `f${fileOf(s)}`), from: e.splits.map((s, k) => rowAt(fileOf(s), e.from?.[k])) })),
  }));
  const repeats = checkRows(printed, FILES, ROWS, (message) => assert.fail(message), [printed[2]!]);
  t.diagnostic(`${FILES * ROWS} rows, ${repeats} repeated after a takeover start (${procs.map((p) => p.rows.length).join(' + ')} printed)`);

  function allRowsOf(split: string): boolean {
    // A file the killed process had finished (and committed) needs no new holder.
    return procs.some((p) => p.lastRows.has(split));
  }
});

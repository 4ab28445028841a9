// kill -9 at random moments while a child process writes checkpoints through a FileStore; after
// every kill the store must open, and hold a whole checkpoint no older than the last one the child
// saw acknowledged. The writer's log holds a few checkpoints (maxLogBytes 4 MiB, a checkpoint pair
// ~600 KB), so kills land in appends, in their fdatasync and in rewrites of state.json. The default suite runs a slice: 15 kills of the default, blocking writes and 5
// of `blockingWrites: false`, whose steps are the same system calls, made one by one. The full
// loop runs from `npm run test:crash`: CRASH_KILLS kills (100 there) and a quarter as many async
// (KILL_ITERATIONS is the older name of CRASH_KILLS). KILL_SEED replays the kill delays of a run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FileStore } from '../../src/state/FileStore.js';
import { epochValue, KEEP_EPOCHS, SPLITS } from './killCheckpoint.js';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = join(here, '..', '..');
const writer = join(here, 'fileStoreKillWriter.ts');

const fullKills = process.env['CRASH_KILLS'] ?? process.env['KILL_ITERATIONS'];
const iterations = fullKills === undefined ? 15 : Number(fullKills);
const asyncIterations = fullKills === undefined ? 5 : Math.ceil(iterations / 4);
const seed = Number(process.env['KILL_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: a small seeded PRNG, so that KILL_SEED replays a run's kill delays. */
function random(state: { seed: number }): number {
  let t = (state.seed = (state.seed + 0x6d2b79f5) | 0);
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

interface KilledRun {
  /** Epochs whose setMany the child saw resolve. */
  readonly acked: number[];
  readonly firstEpoch: number;
}

type WriteMode = 'blocking' | 'async';

/** Whether the log that `dir`'s state.json names ends in part of a record (a kill mid-append). */
async function endsTorn(dir: string): Promise<boolean> {
  const state = await readFile(join(dir, 'state.json'), 'utf8').catch(() => undefined);
  const generation = state === undefined ? undefined : /"log":(\d+)/.exec(state)?.[1];
  if (generation === undefined) return false;
  const log = await readFile(join(dir, `state.json.log-${generation}`)).catch(() => Buffer.alloc(0));
  return log.length > 0 && log[log.length - 1] !== 0x0a;
}

/** Starts the writer on `dir`, kills it with SIGKILL `delayMs` after it is ready. */
function runAndKill(dir: string, delayMs: number, mode: WriteMode): Promise<KilledRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, mode], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let firstEpoch: number | undefined;
    const stuck = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (data: string) => {
      stdout += data;
      if (firstEpoch === undefined) {
        const ready = /^ready (\d+)$/m.exec(stdout);
        if (ready !== null) {
          firstEpoch = Number(ready[1]);
          setTimeout(() => child.kill('SIGKILL'), delayMs);
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(stuck);
      if (signal !== 'SIGKILL' || firstEpoch === undefined) {
        reject(new Error(`writer ended with code ${code} signal ${signal} before being killed:\n${stderr}`));
        return;
      }
      const acked = [...stdout.matchAll(/^ack (\d+)$/gm)].map((m) => Number(m[1]));
      resolve({ acked, firstEpoch });
    });
  });
}

const runs: ReadonlyArray<readonly [WriteMode, number]> = [
  ['blocking', iterations],
  ['async', asyncIterations],
];

for (const [mode, iterations] of runs) {
  const label = mode === 'blocking' ? '' : ' (blockingWrites: false)';
  test(`FileStore${label} keeps a whole, acknowledged checkpoint through ${iterations} kill -9s (seed ${seed})`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-kill-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const prng = { seed };
    let previousLast = 0;
    let killedMidWrite = 0;
    let tornLogs = 0;
    let totalAcked = 0;

    for (let i = 0; i < iterations; i++) {
      const delayMs = 20 + Math.floor(random(prng) * 131);
      const { acked, firstEpoch } = await runAndKill(dir, delayMs, mode);
      const where = `kill ${i + 1} of ${iterations} (seed ${seed}, ${delayMs} ms after ready)`;
      totalAcked += acked.length;
      assert.equal(firstEpoch, previousLast + 1, `${where}: the writer resumed after the last checkpoint`);
      if ((await readdir(dir)).some((name) => name.startsWith('state.json.tmp-'))) killedMidWrite++;
      if (await endsTorn(dir)) tornLogs++;

      const store = await FileStore.open(dir).catch((err: unknown) => {
        throw new Error(`${where}: the store does not open after the kill: ${String(err)}`, { cause: err });
      });
      try {
        const entries = new Map(await store.entries());
        const files = (await readdir(dir)).map((name) => name.replace(/^state\.json\.log-\d+$/, 'state.json.log-N')).sort();
        assert.deepEqual(files, entries.size === 0 ? [] : ['state.json', 'state.json.log-N'], `${where}: temp files and unused logs cleaned`);
        const last = entries.get('s/last');
        const maxAcked = Math.max(0, ...acked);
        if (last === undefined) {
          assert.equal(entries.size, 0, `${where}: entries without s/last`);
          assert.equal(maxAcked, 0, `${where}: an acknowledged checkpoint was lost`);
          assert.equal(previousLast, 0, `${where}: the state went back to nothing`);
          continue;
        }
        assert.equal(typeof last, 'number', `${where}: s/last`);
        const lastEpoch = last as number;
        assert.ok(lastEpoch >= maxAcked, `${where}: last ${lastEpoch} is older than acknowledged ${maxAcked}`);
        assert.ok(lastEpoch >= previousLast, `${where}: last went back from ${previousLast} to ${lastEpoch}`);

        let splits = 0;
        for (const [key, value] of entries) {
          const epochKey = /^s\/epoch\/(\d+)$/.exec(key);
          if (epochKey !== null) {
            const epoch = Number(epochKey[1]);
            assert.ok(epoch <= lastEpoch, `${where}: epoch ${epoch} stored without s/last moving to it`);
            assert.deepStrictEqual(value, epochValue(epoch), `${where}: epoch ${epoch} is not whole`);
          } else if (/^s\/split\/\d+$/.test(key)) {
            splits++;
            assert.deepStrictEqual(value, { epoch: lastEpoch }, `${where}: ${key} is not on epoch ${lastEpoch}`);
          } else {
            assert.equal(key, 's/last', `${where}: unexpected key`);
          }
        }
        assert.equal(splits, SPLITS, `${where}: splits missing`);
        assert.ok(entries.has(`s/epoch/${lastEpoch}`), `${where}: s/last = ${lastEpoch} but its epoch is missing`);
        for (const epoch of acked) {
          if (epoch > lastEpoch - KEEP_EPOCHS) {
            assert.ok(entries.has(`s/epoch/${epoch}`), `${where}: acknowledged epoch ${epoch} is missing`);
          }
        }
        previousLast = lastEpoch;
      } finally {
        await store.close();
      }
    }
    t.diagnostic(
      `${iterations} kills, ${totalAcked} checkpoints acknowledged, last epoch ${previousLast}, ` +
        `${killedMidWrite} kills left a temporary file (killed mid-rewrite), ${tornLogs} a torn record at the log's end (killed mid-append)`,
    );
    assert.ok(previousLast > 0 || iterations === 0, 'the writer never committed a checkpoint');
  });
}

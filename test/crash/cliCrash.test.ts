// kill -9 of `tributary run … --state` at seeded random moments, restarted until done, over a
// multi-file fs job (CSV bounded, NDJSON unbounded, files appended to and added between runs) and
// over a multi-partition Kafka topic (produced to before and during the runs), with stdout to a
// pipe read by a slow consumer and to a file. See harness.ts for what is checked.
//
// The default suite runs a small fixed slice (a few kills each). `npm run test:crash` runs the
// full loops: CRASH_KILLS kills per scenario (default there 100); CRASH_SEED replays a seed,
// CRASH_ONLY=<part of a name> runs matching scenarios only, CRASH_VERBOSE=1 reports every run,
// CRASH_KEEP=1 keeps the scenario's directory (data, job, every run's output and the state after it).
//
// Kill timing is wall-clock, so a seed fixes the kill plan, the data and the consumer's pace, not
// the exact rows in flight at each kill.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { prng } from '../../bench/prng.js';
import { needKafka } from '../support/kafka.js';
import { FsUpstream, type FsFormat } from './FsUpstream.js';
import { runScenario, summary, type Output, type ScenarioReport } from './harness.js';
import { KafkaUpstream } from './KafkaUpstream.js';
import type { Upstream } from './Upstream.js';

const fullKills = process.env['CRASH_KILLS'] === undefined ? undefined : Number(process.env['CRASH_KILLS']);
const seedOverride = process.env['CRASH_SEED'] === undefined ? undefined : Number(process.env['CRASH_SEED']);
const only = process.env['CRASH_ONLY'];

interface Case {
  readonly name: string;
  readonly seed: number;
  /** Kills in the default suite's slice. */
  readonly sliceKills: number;
  readonly output: Output;
  readonly mode: 'bounded' | 'unbounded';
  readonly maxKillDelayMs: number;
  readonly upstream: (dir: string, random: () => number, t: TestContext) => Promise<Upstream | undefined>;
}

/**
 * Behind a pipe the slow consumer sets the pace, so little data makes long runs; to a file the
 * CLI runs at full speed, so it gets more data, for kills to land mid-run rather than after it.
 */
function fs(format: FsFormat, mode: 'bounded' | 'unbounded', output: Output, appendToFinished = false, properties?: Record<string, string>): Case['upstream'] {
  const size = output === 'pipe' ? { rowsPerFile: 800, newFileRows: [50, 300] as const } : { rowsPerFile: 5000, newFileRows: [1000, 4000] as const };
  return async (dir, random) => new FsUpstream({ dir, format, mode, random, files: 6, ...size, appendToFinished, ...(properties === undefined ? {} : { properties }) });
}

/** Decoding on two worker threads, each file cut into many byte ranges (issue 16). */
const workerThreads = { 'fs.decode.threads': '2', 'fs.decode.range.bytes': '8192', 'fs.read.buffer.bytes': '4096' };

const kafka: Case['upstream'] = async (_dir, random, t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return undefined;
  return new KafkaUpstream({ brokers, random, partitions: 4, initialPerPartition: 1200 });
};

const cases: readonly Case[] = [
  { name: 'fs csv bounded, stdout to a pipe', seed: 1101, sliceKills: 3, output: 'pipe', mode: 'bounded', maxKillDelayMs: 1500, upstream: fs('csv', 'bounded', 'pipe') },
  { name: 'fs csv bounded, stdout to a file', seed: 1102, sliceKills: 3, output: 'file', mode: 'bounded', maxKillDelayMs: 300, upstream: fs('csv', 'bounded', 'file') },
  { name: 'fs csv bounded, decoded on worker threads, stdout to a file', seed: 1117, sliceKills: 3, output: 'file', mode: 'bounded', maxKillDelayMs: 600, upstream: fs('csv', 'bounded', 'file', false, workerThreads) },
  { name: 'fs ndjson bounded, decoded on worker threads, stdout to a pipe', seed: 1118, sliceKills: 2, output: 'pipe', mode: 'bounded', maxKillDelayMs: 1500, upstream: fs('ndjson', 'bounded', 'pipe', false, workerThreads) },
  // Issue 11: a file that grew resumes at its offset in both scan modes, finished or not.
  { name: 'fs csv bounded, appends to finished files, stdout to a file', seed: 1107, sliceKills: 2, output: 'file', mode: 'bounded', maxKillDelayMs: 300, upstream: fs('csv', 'bounded', 'file', true) },
  { name: 'fs ndjson unbounded, stdout to a pipe', seed: 1103, sliceKills: 3, output: 'pipe', mode: 'unbounded', maxKillDelayMs: 1500, upstream: fs('ndjson', 'unbounded', 'pipe') },
  { name: 'fs ndjson unbounded, stdout to a file', seed: 1104, sliceKills: 3, output: 'file', mode: 'unbounded', maxKillDelayMs: 600, upstream: fs('ndjson', 'unbounded', 'file') },
  { name: 'kafka unbounded, stdout to a pipe', seed: 1105, sliceKills: 3, output: 'pipe', mode: 'unbounded', maxKillDelayMs: 1500, upstream: kafka },
  { name: 'kafka unbounded, stdout to a file', seed: 1116, sliceKills: 2, output: 'file', mode: 'unbounded', maxKillDelayMs: 600, upstream: kafka },
];

function firstFew<T>(items: readonly T[], show: (item: T) => string): string {
  return items.length === 0 ? 'none' : `${items.slice(0, 5).map(show).join(', ')}${items.length > 5 ? ', …' : ''}`;
}

function check(report: ScenarioReport): void {
  const figures = summary(report);
  assert.deepEqual(report.problems, [], `${figures}`);
  assert.equal(
    report.lostAtCommit.length,
    0,
    `${figures}\nrows committed before the consumer had them: ${firstFew(report.lostAtCommit, (l) => `${l.id} (run ${l.run})`)}`,
  );
  assert.equal(
    report.repeatedBeforeCheckpoint.length,
    0,
    `${figures}\nrows delivered again from before the restored checkpoint: ${firstFew(report.repeatedBeforeCheckpoint, (r) => `${r.id} (run ${r.run})`)}`,
  );
  assert.equal(report.neverDelivered.length, 0, `${figures}\nrows never delivered: ${firstFew(report.neverDelivered, (id) => id)}`);
}

for (const c of cases) {
  if (only !== undefined && !c.name.includes(only)) continue;
  const kills = fullKills ?? c.sliceKills;
  const seed = seedOverride ?? c.seed;
  test(`crash: ${c.name}: ${kills} kill -9s, nothing committed undelivered, nothing before the checkpoint repeated (seed ${seed})`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-crash-'));
    let keep = false;
    t.after(() => (keep ? undefined : rm(dir, { recursive: true, force: true })));
    const upstream = await c.upstream(dir, prng(seed ^ 0x5eed), t);
    if (upstream === undefined) return;
    const report = await runScenario({ name: c.name, dir, seed, kills, output: c.output, mode: c.mode, upstream, maxKillDelayMs: c.maxKillDelayMs,
      ...(process.env['CRASH_VERBOSE'] === '1' ? { onRun: (line: string) => t.diagnostic(line) } : {}),
    });
    t.diagnostic(summary(report));
    keep = process.env['CRASH_KEEP'] === '1';
    if (keep) t.diagnostic(`kept ${dir}`);
    assert.equal(report.kills, kills, `${summary(report)}: the harness delivered fewer kills than planned`);
    check(report);
  });
}

// The harness checks itself: with the state deleted before one restart, the rows the deleted
// checkpoint covered come again, and it must say so (it would pass a CLI that ignores --state).
test('crash harness: a run that ignores the checkpoint is caught repeating rows from before it', async (t) => {
  if (only !== undefined && !'harness self-check'.includes(only)) {
    t.skip(`CRASH_ONLY=${only}`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'tributary-crash-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const seed = 1108;
  const upstream = new FsUpstream({ dir, format: 'csv', mode: 'bounded', random: prng(seed), files: 2, rowsPerFile: 500, newFileRows: [100, 300], appendToFinished: false });
  const report = await runScenario({ name: 'harness self-check', dir, seed, kills: 1, output: 'file', mode: 'bounded', upstream, maxKillDelayMs: 300, forgetStateOnce: true });
  t.diagnostic(summary(report));
  assert.equal(report.stateForgotten, true, summary(report));
  assert.ok(report.repeatedBeforeCheckpoint.length > 0, `${summary(report)}: the repeats went unnoticed`);
  assert.equal(report.neverDelivered.length, 0, summary(report));
});

// The crash harness: runs `tributary run job.sql --state <dir>` (the CLI bundled as installed) over
// an upstream, SIGKILLs it at seeded random moments with stdout to a pipe read by a slow consumer
// (test/crash/slowReader.mjs) or to a file, changes the upstream between runs, restarts until
// done, and checks after every run against the checkpoint the state directory holds:
//
// - every row the committed checkpoint covers reached the consumer (the CLI commits only what was
//   delivered; bytes in the pipe's kernel buffer count, since the reader gets them after the kill);
// - the next run, restored from that checkpoint, delivers none of those rows again (repeats of
//   rows after the checkpoint are allowed, and counted as duplicates);
// - at the end every row was delivered at least once; a bounded job exits 0, and a rerun after it
//   delivers nothing; an unbounded one, once its checkpoint covers everything, stops on SIGTERM
//   with exit 0.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { intBetween, prng } from '../../bench/prng.js';
import { readFileStoreState } from '../state/readFileStoreState.js';
import { bundleCli } from '../support/cli.js';
import type { CommittedPositions, StoredPosition, Upstream } from './Upstream.js';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = join(here, '..', '..');

/**
 * The CLI as `npm run build` bundles it, built once, inside the project (where its optional
 * peers, kafkajs for the Kafka upstream, resolve): the CLI users run. Not src/cli/main.ts through
 * tsx, whose loader touches `process.stdout`: that turns a pipe non-blocking, and the CLI's
 * writes to it from the thread pool (FdWriteStream), which these kills must hit too, off.
 */
let bundled: string | undefined;
function cliEntry(): string {
  if (bundled === undefined) {
    const cache = join(projectRoot, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const home = mkdtempSync(join(cache, 'tributary-crash-cli-'));
    process.on('exit', () => rmSync(home, { recursive: true, force: true }));
    bundled = bundleCli(home);
  }
  return bundled;
}
const slowReader = join(here, 'slowReader.mjs');

/** Where the CLI's stdout goes. */
export type Output = 'pipe' | 'file';

/** One crash scenario. */
export interface ScenarioOptions {
  readonly name: string;
  /** A fresh directory for the job, its state and outputs. */
  readonly dir: string;
  readonly seed: number;
  /** SIGKILLs to deliver before the final run. */
  readonly kills: number;
  readonly output: Output;
  readonly mode: 'bounded' | 'unbounded';
  readonly upstream: Upstream;
  /** Kills land up to this long after the first output byte (or after the start, for early kills). */
  readonly maxKillDelayMs: number;
  /** The slow consumer's pace: bytes per read at most, and pause between reads at most. */
  readonly readerMaxBurst?: number;
  readonly readerMaxPauseMs?: number;
  readonly checkpointIntervalMs?: number;
  /** How long the final run may take to finish (bounded) or to cover everything (unbounded). */
  readonly finalTimeoutMs?: number;
  /**
   * The harness's own check: delete the state once, before the first restart after a checkpoint
   * covered rows, so the next run repeats them; the report must then show repeats before the
   * checkpoint.
   */
  readonly forgetStateOnce?: boolean;
  /** Told about every run as it ends (for CRASH_VERBOSE). */
  readonly onRun?: (line: string) => void;
}

/** A row the committed checkpoint covered although the consumer never got it. */
export interface Loss {
  readonly id: string;
  /** The run after which the checkpoint covered it (1-based). */
  readonly run: number;
}

/** What a scenario did and found. */
export interface ScenarioReport {
  readonly name: string;
  readonly seed: number;
  readonly runs: number;
  readonly kills: number;
  /** Distinct rows the upstream holds at the end. */
  readonly rows: number;
  /** Rows received, repeats included. */
  readonly received: number;
  /** Rows received again after a restart, from after the checkpoint the restart restored: allowed. */
  readonly duplicates: number;
  /** Rows received twice within one run (no restart in between). */
  readonly duplicatesWithinRun: number;
  /** Rows covered by a committed checkpoint that the consumer had not received by then. */
  readonly lostAtCommit: readonly Loss[];
  /** Rows never received at all. */
  readonly neverDelivered: readonly string[];
  /** Rows a run delivered although the checkpoint it restored from covered them. */
  readonly repeatedBeforeCheckpoint: ReadonlyArray<{ readonly id: string; readonly run: number }>;
  /** Other violations (a checkpoint going back, a rerun printing rows, a bad exit). */
  readonly problems: readonly string[];
  /** Whether `forgetStateOnce` deleted the state. */
  readonly stateForgotten: boolean;
  readonly elapsedMs: number;
}

/** One line of figures for a report. */
export function summary(r: ScenarioReport): string {
  return (
    `${r.name} (seed ${r.seed}): ${r.kills} kills over ${r.runs} runs, ${r.rows} rows, ${r.received} received, ` +
    `${r.duplicates} duplicates after the checkpoint, ${r.duplicatesWithinRun} within a run, ` +
    `${r.lostAtCommit.length} committed before delivery, ${r.neverDelivered.length} never delivered, ` +
    `${r.repeatedBeforeCheckpoint.length} repeated before the checkpoint, ${r.problems.length} other problems, ` +
    `${(r.elapsedMs / 1000).toFixed(1)} s`
  );
}

/** The committed checkpoint in `stateDir` (a FileStore's state.json and log), read without opening a store. */
export function readCommitted(stateDir: string, source: string): CommittedPositions {
  const file = join(stateDir, 'state.json');
  const entries = readFileStoreState(stateDir);
  if (entries === undefined) return new Map();
  const committed = entries.get(`${source}/committed`);
  if (committed === undefined) return new Map();
  const snapshot = entries.get(`${source}/epoch/${String(committed)}`) as { splits: Record<string, StoredPosition> } | undefined;
  if (snapshot === undefined) throw new Error(`${file}: epoch ${String(committed)} is committed but its snapshot is missing`);
  return new Map(Object.entries(snapshot.splits).map(([id, p]) => [id, { offset: p.offset, finished: p.finished }]));
}

/** When a run ends: killed, left to finish, or stopped with SIGTERM once `until` holds. */
type Ending =
  /** SIGKILL `delayMs` after the start, or after the output reached `afterBytes` (1: the first byte). */
  | { readonly kind: 'kill'; readonly afterBytes: number; readonly delayMs: number }
  | { readonly kind: 'finish'; readonly timeoutMs: number }
  | { readonly kind: 'terminate'; readonly until: () => boolean; readonly timeoutMs: number };

interface RunResult {
  readonly ids: string[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  /** A last line cut short by the kill (its row was not delivered). */
  readonly torn: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for `promise` or `ms`, whichever comes first, leaving no timer behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Runs the CLI once and returns the ids the consumer got, in order. */
async function runCli(s: ScenarioOptions, run: number, job: string, stateDir: string, ending: Ending, random: () => number): Promise<RunResult> {
  const outDir = join(s.dir, 'out');
  mkdirSync(outDir, { recursive: true });
  const outPath = join(outDir, `run-${run}.ndjson`);
  let reader: ChildProcess | undefined;
  let stdoutFd: number;
  if (s.output === 'pipe') {
    // A named pipe: a real pipe with its 64 KiB buffer, as `tributary run … | consumer` has.
    const fifo = join(outDir, `run-${run}.fifo`);
    execFileSync('mkfifo', [fifo]);
    stdoutFd = openSync(fifo, 'r+'); // read-write: opening does not wait for the other end
    const readFd = openSync(fifo, 'r');
    reader = spawn(
      process.execPath,
      [slowReader, outPath, String(intBetween(random, 1, 2 ** 31)), String(s.readerMaxBurst ?? 8192), String(s.readerMaxPauseMs ?? 12)],
      { stdio: [readFd, 'ignore', 'inherit'] },
    );
    closeSync(readFd);
  } else {
    stdoutFd = openSync(outPath, 'w');
  }
  const args = [cliEntry(), 'run', job, '--state', stateDir, '--checkpoint-interval', String(s.checkpointIntervalMs ?? 100)];
  const cli = spawn(process.execPath, args, { cwd: projectRoot, stdio: ['ignore', stdoutFd, 'pipe'] });
  // The children hold the pipe's ends now; the reader sees end of file once the CLI is gone.
  closeSync(stdoutFd);
  let stderr = '';
  cli.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const cliExit = exited(cli);
  let cliDone = false;
  void cliExit.then(() => (cliDone = true), () => (cliDone = true));

  const outputSize = (): number => (existsSync(outPath) ? statSync(outPath).size : 0);
  const waitFor = async (condition: () => boolean, timeoutMs: number): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (cliDone || Date.now() > deadline) return condition();
      await sleep(10);
    }
    return true;
  };

  let during: Promise<void> | undefined;
  const startDuring = (): void => {
    if (s.upstream.duringRun !== undefined && during === undefined) {
      during = sleep(intBetween(random, 0, 400)).then(() => s.upstream.duringRun!());
    }
  };

  if (ending.kind === 'kill') {
    // Bounded by time too: an unbounded run never ends by itself, and a share of the output is an estimate.
    if (ending.afterBytes > 0) await waitFor(() => outputSize() >= ending.afterBytes, 15_000);
    startDuring();
    await within(cliExit, ending.delayMs);
    if (!cliDone) cli.kill('SIGKILL');
  } else if (ending.kind === 'finish') {
    startDuring();
    await within(cliExit, ending.timeoutMs);
    if (!cliDone) {
      cli.kill('SIGKILL');
      stderr += `\n[harness] the final run did not finish within ${ending.timeoutMs} ms; killed`;
    }
  } else {
    const covered = await waitFor(ending.until, ending.timeoutMs);
    if (!cliDone) {
      if (covered) cli.kill('SIGTERM');
      else {
        cli.kill('SIGKILL');
        stderr += `\n[harness] the checkpoint did not cover every row within ${ending.timeoutMs} ms; killed`;
      }
    }
  }
  const { code, signal } = await cliExit;
  await during;
  if (reader !== undefined) {
    const readerDone = exited(reader);
    const timer = setTimeout(() => reader!.kill('SIGKILL'), 120_000);
    const r = await readerDone;
    clearTimeout(timer);
    if (r.code !== 0) throw new Error(`the slow reader of run ${run} ended with code ${r.code} signal ${r.signal}`);
  }
  const text = existsSync(outPath) ? readFileSync(outPath, 'utf8') : '';
  const lines = text.split('\n');
  const last = lines.pop()!;
  const ids = lines.map((line, i) => {
    try {
      const row = JSON.parse(line) as { id?: unknown };
      if (typeof row.id !== 'string') throw new Error('no id');
      return row.id;
    } catch (err) {
      throw new Error(`run ${run}: output line ${i + 1} is not a row: ${line.slice(0, 200)} (${String(err)})`);
    }
  });
  return { ids, code, signal, stderr, torn: last !== '' };
}

/**
 * Runs a scenario to the end and reports what it found. Throws only when the harness itself
 * cannot go on (a run failing with an error is a problem in the report).
 */
export async function runScenario(s: ScenarioOptions): Promise<ScenarioReport> {
  const started = Date.now();
  // Mixed first: mulberry32's first draws for neighbouring seeds are alike.
  const random = prng(Math.imul(s.seed, 0x9e3779b1) ^ 0x5bd1e995);
  const { upstream } = s;
  mkdirSync(s.dir, { recursive: true });
  const stateDir = join(s.dir, 'state');
  const job = join(s.dir, 'job.sql');
  await upstream.setUp();
  writeFileSync(job, `${upstream.createSourceSql()}\nselect id, pad from ${upstream.source};\n`);

  const received = new Map<string, number>();
  let receivedTotal = 0;
  let duplicates = 0;
  let duplicatesWithinRun = 0;
  const lostAtCommit: Loss[] = [];
  const repeatedBeforeCheckpoint: Array<{ id: string; run: number }> = [];
  const problems: string[] = [];
  let positions = readCommitted(stateDir, upstream.source);
  let covered = new Set<string>();
  let runs = 0;
  let kills = 0;

  /** Records a run's rows and checks them against the checkpoint it restored, then reads the new one. */
  const account = (result: RunResult, ending: string, startedAt: number): void => {
    runs++;
    s.onRun?.(
      `run ${runs} (${ending}): ${result.signal ?? `exit ${result.code}`} after ${Date.now() - startedAt} ms, ` +
        `${result.ids.length} rows${result.torn ? ' + a torn line' : ''}`,
    );
    const seenThisRun = new Set<string>();
    const known = new Set(upstream.ids());
    let unknown = 0;
    for (const id of result.ids) {
      receivedTotal++;
      if (!known.has(id) && unknown++ === 0) problems.push(`run ${runs}: delivered a row that the upstream never held: ${id}`);
      if (covered.has(id)) repeatedBeforeCheckpoint.push({ id, run: runs });
      if (seenThisRun.has(id)) duplicatesWithinRun++;
      else if (received.has(id) && !covered.has(id)) duplicates++;
      seenThisRun.add(id);
      received.set(id, (received.get(id) ?? 0) + 1);
    }
    // Kept beside the run's output, for a scenario kept with CRASH_KEEP=1.
    const kept = readFileStoreState(stateDir);
    if (kept !== undefined) writeFileSync(join(s.dir, 'out', `state-after-run-${runs}.json`), JSON.stringify([...kept], null, 1));
    const next = readCommitted(stateDir, upstream.source);
    const nextCovered = new Set(upstream.covered(next));
    for (const id of covered) {
      if (!nextCovered.has(id)) {
        problems.push(`run ${runs}: the committed checkpoint went back: it no longer covers ${id}`);
        break;
      }
    }
    for (const id of nextCovered) if (!covered.has(id) && !received.has(id)) lostAtCommit.push({ id, run: runs });
    positions = next;
    covered = nextCovered;
  };

  let stateForgotten = false;
  const beforeRestart = (): void => {
    if (s.forgetStateOnce === true && !stateForgotten && covered.size > 0) {
      rmSync(stateDir, { recursive: true, force: true });
      stateForgotten = true;
    }
  };

  const describeExit = (r: RunResult): string => `code ${r.code} signal ${r.signal}; stderr: ${r.stderr.trim().slice(0, 500)}`;

  try {
    // Kill loop. A bounded run may finish before its kill; it then counts as a run, not a kill.
    while (kills < s.kills && runs < s.kills * 3 + 5) {
      if (runs > 0) await upstream.betweenRuns(positions);
      beforeRestart();
      // Where kills land: one in ten during startup, the rest after the first output, or once
      // the output reached a random share of what this run has left to deliver (rows are 40 to
      // 120 bytes), so that kills hit short runs mid-way too.
      const pick = random();
      const left = upstream.ids().length - covered.size;
      const ending: Ending =
        pick < 0.1
          ? { kind: 'kill', afterBytes: 0, delayMs: intBetween(random, 0, s.maxKillDelayMs) }
          : pick < 0.5
            ? { kind: 'kill', afterBytes: 1, delayMs: intBetween(random, 0, s.maxKillDelayMs) }
            : { kind: 'kill', afterBytes: Math.max(1, Math.floor(random() * left * 60)), delayMs: 0 };
      const at = Date.now();
      const result = await runCli(s, runs + 1, job, stateDir, ending, random);
      account(result, ending.afterBytes === 0 ? `kill ${ending.delayMs} ms after start` : ending.afterBytes === 1 ? `kill ${ending.delayMs} ms after the first output` : `kill at ${ending.afterBytes} bytes of output`, at);
      if (result.signal === 'SIGKILL') kills++;
      else if (result.code !== 0) problems.push(`run ${runs} failed: ${describeExit(result)}`);
    }

    // Final run: no kill.
    await upstream.betweenRuns(positions);
    beforeRestart();
    const timeoutMs = s.finalTimeoutMs ?? 120_000;
    let at = Date.now();
    const final = await runCli(
      s,
      runs + 1,
      job,
      stateDir,
      s.mode === 'bounded'
        ? { kind: 'finish', timeoutMs }
        : { kind: 'terminate', until: () => upstream.coversAll(readCommitted(stateDir, upstream.source)), timeoutMs },
      random,
    );
    account(final, 'final', at);
    if (final.code !== 0) problems.push(`the final run did not exit 0: ${describeExit(final)}`);

    if (s.mode === 'bounded' && final.code === 0) {
      // Done means done: a rerun delivers nothing and exits 0.
      beforeRestart();
      at = Date.now();
      const rerun = await runCli(s, runs + 1, job, stateDir, { kind: 'finish', timeoutMs }, random);
      account(rerun, 'rerun after completion', at);
      if (rerun.code !== 0) problems.push(`the rerun after completion did not exit 0: ${describeExit(rerun)}`);
      if (rerun.ids.length > 0) problems.push(`the rerun after completion delivered ${rerun.ids.length} rows (first ${rerun.ids[0]})`);
    }
    await upstream.verify?.();
  } finally {
    await upstream.tearDown();
  }

  const neverDelivered = upstream.ids().filter((id) => !received.has(id));
  return {
    name: s.name,
    seed: s.seed,
    runs,
    kills,
    rows: upstream.ids().length,
    received: receivedTotal,
    duplicates,
    duplicatesWithinRun,
    lostAtCommit,
    neverDelivered,
    repeatedBeforeCheckpoint,
    problems,
    stateForgotten,
    elapsedMs: Date.now() - started,
  };
}

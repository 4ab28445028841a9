import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildReport } from './child.js';
import type { VariantArgs } from './Variant.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'child.ts');

/** One timed run of one variant. */
export interface Sample {
  readonly rows: number;
  readonly ms: number;
  readonly firstRowMs?: number;
  /** Peak resident set of the run's process, in KiB. */
  readonly maxRssKB: number;
  readonly detail?: Readonly<Record<string, number>>;
}

/** Outcome of one run: a sample, or why there is none. */
export type RunOutcome =
  | ({ readonly status: 'ok' } & Sample)
  | { readonly status: 'unavailable' | 'failed'; readonly reason: string };

/** Extra node flags for every child (e.g. `--cpu-prof`), from `BENCH_NODE_FLAGS`. */
function extraFlags(): string[] {
  const flags = process.env.BENCH_NODE_FLAGS;
  return flags === undefined || flags.trim() === '' ? [] : flags.trim().split(/\s+/);
}

/**
 * Runs one variant in a fresh `node --import tsx` process and reads its report. Baseline and
 * tributary runs go through exactly this, so both pay the same loader and start-up.
 */
export function runVariant(variant: string, args: VariantArgs, timeoutMs: number): Promise<RunOutcome> {
  // --expose-gc: the child collects the garbage module loading left before it starts the clock.
  const argv = [...extraFlags(), '--expose-gc', '--import', 'tsx', CHILD, JSON.stringify({ variant, args })];
  return collect(process.execPath, argv, timeoutMs).then(({ code, stdout, stderr, timedOut }) => {
    if (timedOut) return { status: 'failed', reason: `timed out after ${timeoutMs} ms` };
    const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
    if (line === undefined) {
      return { status: 'failed', reason: `exit ${String(code)}: ${lastLines(stderr)}` };
    }
    const report = JSON.parse(line.slice('BENCH_RESULT '.length)) as ChildReport;
    return report;
  });
}

/** A whole-process run of a command: wall time, and peak RSS where `/usr/bin/time` can tell it. */
export interface ProcessOutcome {
  readonly code: number | null;
  readonly ms: number;
  /** KiB, or `undefined` without `/usr/bin/time`. */
  readonly maxRssKB: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** Newlines the child wrote to stdout, with `countStdoutLines`. */
  readonly stdoutLines: number;
}

/**
 * Runs `command args` as a whole process and times it from spawn to exit. With `discardStdout`,
 * the child's stdout is `/dev/null` itself (no pipe for this process to drain).
 */
export async function runProcess(
  command: string,
  args: readonly string[],
  timeoutMs: number,
  options: { readonly cwd?: string; readonly discardStdout?: boolean; readonly countStdoutLines?: boolean } = {},
): Promise<ProcessOutcome> {
  const timed = existsSync('/usr/bin/time');
  const marker = 'BENCH_MAXRSS_KB=';
  const [cmd, argv] = timed
    ? ['/usr/bin/time', ['-f', `${marker}%M`, command, ...args]]
    : [command, [...args]];
  const started = performance.now();
  const result = await collect(cmd, argv, timeoutMs, options.cwd, options.discardStdout, options.countStdoutLines);
  const ms = performance.now() - started;
  let maxRssKB: number | undefined;
  let stderr = result.stderr;
  const at = stderr.lastIndexOf(marker);
  if (timed && at >= 0) {
    maxRssKB = Number.parseInt(stderr.slice(at + marker.length), 10);
    // GNU time also says "Command exited with non-zero status N" before its own line.
    stderr = stderr.slice(0, at).replace(/Command exited with non-zero status \d+\s*$/, '');
  }
  return { code: result.code, ms, maxRssKB, stdout: result.stdout, stderr, timedOut: result.timedOut, stdoutLines: result.lines };
}

/** Bytes of a child's stdout kept for its report. */
const TAIL_BYTES = 65_536;

function collect(
  command: string,
  args: readonly string[],
  timeoutMs: number,
  cwd?: string,
  discardStdout = false,
  countLines = false,
): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean; lines: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: cwd ?? join(HERE, '..'), stdio: ['ignore', discardStdout ? 'ignore' : 'pipe', 'pipe'] });
    // The last 64 KiB of stdout (the report line), kept as bytes: the reader counts newlines in
    // the bytes it is handed (as `wc -l` does) and decodes only that tail at the end, so it takes
    // as little CPU as a reader can on a 2-core machine, where it competes with the process timed.
    let tail: Buffer = Buffer.alloc(0);
    let stderr = '';
    let timedOut = false;
    let lines = 0;
    // Bounded: a hung run (a broker that stopped answering, say) must not hang the whole bench.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout?.on('data', (bytes: Buffer) => {
      if (countLines) for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) lines++;
      // Only the tail matters (the report line); a CLI writing rows to stdout must not fill memory.
      tail = bytes.length >= TAIL_BYTES ? bytes.subarray(bytes.length - TAIL_BYTES) : Buffer.concat([tail, bytes]).subarray(-TAIL_BYTES);
    });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      stderr = (stderr + s).slice(-65536);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: tail.toString('utf8'), stderr, timedOut, lines });
    });
  });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-6).join(' | ');
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

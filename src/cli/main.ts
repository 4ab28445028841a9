#!/usr/bin/env node
import { readFileSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { BadRecordPolicy } from '../core/BadRecordHandler.js';
import { builtinConnectors } from '../sql/builtinConnectors.js';
import { MAX_TIMER_DELAY_MS } from '../sql/commonProperties.js';
import { SqlError } from '../sql/SqlError.js';
import { UsageError } from './CliError.js';
import { FdWriteStream } from './FdWriteStream.js';
import { helpText } from './helpText.js';
import { hideKnownWarnings } from './hideKnownWarnings.js';
import { SECOND_SIGNAL_EXIT, runFile } from './runFile.js';

/**
 * The `tributary` command. Exit codes: 0 done, 1 runtime error, 2 usage or SQL error; every
 * error is one line on stderr. See `tributary --help`.
 */
async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        state: { type: 'string' },
        'checkpoint-interval': { type: 'string' },
        'bad-records': { type: 'string' },
        'dead-letter': { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        share: { type: 'boolean' },
        'lease-ms': { type: 'string' },
        'metrics-port': { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\.?\s*To specify.*$/s, ''));
  }
  const { values, positionals } = parsed;
  if (values.help === true || positionals[0] === 'help') {
    process.stdout.write(helpText(builtinConnectors));
    return 0;
  }
  if (values.version === true) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`tributary ${pkg.version}\n`);
    return 0;
  }
  const [command, file, ...extra] = positionals;
  if (command === undefined) throw new UsageError('missing command: tributary run <file.sql>');
  if (command !== 'run' && command !== 'check') throw new UsageError(`unknown command '${command}' (commands: run, check)`);
  if (file === undefined) throw new UsageError(`missing file: tributary ${command} <file.sql>`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  let checkpointIntervalMs: number | undefined;
  if (values['checkpoint-interval'] !== undefined) {
    checkpointIntervalMs = Number(values['checkpoint-interval']);
    // Above the longest timer delay Node would warn and fire every 1 ms.
    if (!/^\d+$/.test(values['checkpoint-interval']) || checkpointIntervalMs < 1 || checkpointIntervalMs > MAX_TIMER_DELAY_MS) {
      throw new UsageError(
        `--checkpoint-interval must be a whole number of milliseconds between 1 and ${MAX_TIMER_DELAY_MS}, got '${values['checkpoint-interval']}'`,
      );
    }
  }
  const badRecords = values['bad-records'];
  if (badRecords !== undefined && !['fail', 'skip', 'dead-letter'].includes(badRecords)) {
    throw new UsageError(`--bad-records must be fail, skip or dead-letter, got '${badRecords}'`);
  }
  // --dead-letter FILE alone means the dead-letter policy; with another policy it would stay empty.
  const deadLetter = values['dead-letter'];
  if (deadLetter === '') throw new UsageError('--dead-letter needs a file');
  if (deadLetter !== undefined && badRecords !== undefined && badRecords !== 'dead-letter') {
    throw new UsageError(`--dead-letter goes with --bad-records dead-letter, not '${badRecords}'`);
  }
  const policy = badRecords ?? (deadLetter === undefined ? undefined : 'dead-letter');
  if (values.state === '') throw new UsageError('--state needs a directory or a postgres:// URL');
  const leaseText = values['lease-ms'];
  if (leaseText !== undefined && (!/^\d+$/.test(leaseText) || Number(leaseText) < 100 || Number(leaseText) > MAX_TIMER_DELAY_MS)) {
    throw new UsageError(`--lease-ms must be a whole number of milliseconds from 100 to ${MAX_TIMER_DELAY_MS}, got '${leaseText}'`);
  }
  if (leaseText !== undefined && values.share !== true) throw new UsageError('--lease-ms goes with --share');
  const metricsAt = values['metrics-port'] === undefined ? undefined : parseMetricsPort(values['metrics-port']);
  return runFile(
    {
      file,
      checkOnly: command === 'check',
      ...(values.state === undefined ? {} : { state: values.state }),
      ...(values.share === true ? { share: true } : {}),
      ...(leaseText === undefined ? {} : { leaseMs: Number(leaseText) }),
      ...(checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs }),
      ...(policy === undefined ? {} : { badRecords: policy as BadRecordPolicy }),
      ...(deadLetter === undefined ? {} : { deadLetter }),
      ...(values.quiet === true ? { quiet: true } : {}),
      ...(metricsAt === undefined ? {} : { metricsAt }),
    },
    { stdout: runOutput(), stderr: process.stderr },
  );
}

/**
 * The stream a run's rows go to, made once: for a pipe or a socket, one that writes from the
 * thread pool (see {@link FdWriteStream}); else `process.stdout`. Made before anything touches
 * `process.stdout`, whose creation would make a pipe non-blocking.
 *
 * Not with a pool of one thread (`UV_THREADPOOL_SIZE=1`): a write blocked by a reader that does
 * not read would hold the only thread that file reads, fsyncs and DNS lookups need.
 */
let output: Writable | undefined;
function runOutput(): Writable {
  if (output !== undefined) return output;
  output = (poolThreads() >= 2 ? FdWriteStream.forPipe(1, () => process.stdout) : undefined) ?? process.stdout;
  // Write errors reach the run through its own listener and the writes' callbacks, and exit()
  // through its listener; this one covers the moments between them (the run closing its
  // store and leases after its listener is gone), where an EPIPE would otherwise be thrown.
  output.on('error', () => undefined);
  if (output instanceof FdWriteStream) {
    const stream = output;
    // Node's exit waits for the thread pool, and a write blocked on a reader that does not read
    // would hold it until the reader reads or leaves: a crash, or a process.exit from a library,
    // would hang there, deaf to SIGTERM. exit() below never leaves a write pending; anything else
    // that ends the process with one does not wait for it (what the write held was not
    // committed: the next run prints it again).
    process.on('exit', () => {
      if (!stream.writing) return;
      stderrNow("tributary: exiting while a write to stdout waits for its reader: not waiting for it (what it holds was not committed)\n");
      process.kill(process.pid, 'SIGKILL');
    });
    // Node prints an uncaught error after the 'exit' listeners, too late when the one above ends
    // the process: printed here then.
    process.on('uncaughtExceptionMonitor', (err, origin) => {
      if (stream.writing) stderrNow(`tributary: ${origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception'}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    });
  }
  return output;
}

/** Writes `text` to stderr before returning (process.stderr may write a pipe later), best effort. */
function stderrNow(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // stderr is gone or full: nothing else to tell it with.
  }
}

/** Threads in libuv's pool: UV_THREADPOOL_SIZE as libuv reads it (atoi; 0 means 1), else 4. */
function poolThreads(): number {
  const size = process.env.UV_THREADPOOL_SIZE;
  return size === undefined ? 4 : Math.max(1, Number.parseInt(size, 10) || 0);
}

/** `--metrics-port [host:]port`: where the Prometheus endpoint listens (127.0.0.1 unless a host is given; port 0 picks one). */
function parseMetricsPort(text: string): { readonly host?: string; readonly port: number } {
  const match = /^(?:(.+):)?(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (match === null || port > 65_535) throw new UsageError(`--metrics-port must be a port (0-65535), optionally after host:, got '${text}'`);
  const host = match[1]?.replace(/^\[(.*)\]$/, '$1');
  return host === undefined ? { port } : { host, port };
}

/** Exits once stdout has taken everything written to it (a pipe may still hold a buffer). */
function exit(code: number): void {
  const stdout = output ?? process.stdout;
  // A write that failed after the run let go of stdout (the last rows of a LIMIT, sent as it
  // ended) fails a run that would exit 0, as it would have failed it while running; EPIPE (the
  // reader left: `| head`) does not.
  const failed = (err: unknown): number => {
    if (code !== 0 || (err as NodeJS.ErrnoException | null)?.code === 'EPIPE') return code;
    stderrNow(`tributary: writing to stdout failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  };
  if (stdout.errored !== null) process.exit(failed(stdout.errored));
  // A second signal means now: not after a reader that may never read again (a write the
  // thread pool still holds ends the process by the 'exit' listener in runOutput).
  if (code === SECOND_SIGNAL_EXIT || stdout.writableLength === 0 || stdout.destroyed) process.exit(code);
  process.exitCode = code;
  stdout.on('error', (err) => process.exit(failed(err)));
  stdout.write('', () => process.exit(code));
}

hideKnownWarnings();
main(process.argv.slice(2)).then(exit, (err: unknown) => {
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
  if (err instanceof UsageError) {
    process.stderr.write(`tributary: ${message} (see tributary --help)\n`);
    exit(2);
  } else if (err instanceof SqlError) {
    process.stderr.write(`tributary: ${message}\n`);
    exit(2);
  } else {
    process.stderr.write(`tributary: ${message}\n`);
    exit(1);
  }
});

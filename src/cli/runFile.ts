import { readFile } from 'node:fs/promises';
import { ReplaySubject, identity, tap, type Subscription } from 'rxjs';
import type { BadRecordPolicy } from '../core/BadRecordHandler.js';
import { checkpointed } from '../core/checkpointed.js';
import type { RecordSink } from '../core/deliverTo.js';
import { isBarrier } from '../core/SourceEvent.js';
import type { Row } from '../formats/Format.js';
import { MemoryStore } from '../state/MemoryStore.js';
import type { StateStore } from '../state/StateStore.js';
import { FileStore } from '../state/FileStore.js';
import { Session, type Query } from '../sql/Session.js';
import type { ResultState } from '../sql/maintainQuery.js';
import { opOf } from '../core/Changelog.js';
import { SqlError } from '../sql/SqlError.js';
import { UsageError } from './CliError.js';
import { ChunkQuery } from './ChunkQuery.js';
import { DeadLetterFile } from './DeadLetterFile.js';
import { NdjsonSink } from './NdjsonSink.js';
import { ProgressLine } from './ProgressLine.js';

/** Options of `tributary run`. */
export interface RunFileOptions {
  readonly file: string;
  /** Directory of the durable checkpoint store; in memory when absent. */
  readonly state?: string;
  readonly checkpointIntervalMs?: number;
  readonly badRecords?: BadRecordPolicy;
  /** Where dead letters go (`--dead-letter FILE`): appended as NDJSON, synced before each commit. */
  readonly deadLetter?: string;
  /** Parse and validate only (`tributary check`). */
  readonly checkOnly?: boolean;
  /** Serve the sources' metrics for Prometheus here (`--metrics-port`). */
  readonly metricsAt?: { readonly host?: string; readonly port: number };
}

/** Where `runFile` writes, and the process it listens to for signals. */
export interface RunFileIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

/** How long a final checkpoint may take after SIGINT/SIGTERM before the run gives up on it. */
const STOP_TIMEOUT_MS = 30_000;
/** Signals closer together than this count as one (see `onSignal`). */
const DUPLICATE_SIGNAL_MS = 500;

/**
 * `tributary run`: executes the statements of a SQL file and streams the rows of its last
 * SELECT (or of its last source) to stdout as NDJSON. Resolves with the exit code: 0 done (a
 * bounded query finished, a LIMIT was reached, or a signal stopped an unbounded one after a final
 * checkpoint), 1 runtime error, 2 usage or SQL error. Errors are one line on stderr.
 */
export async function runFile(options: RunFileOptions, io: RunFileIo): Promise<number> {
  let text: string;
  try {
    text = await readFile(options.file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${options.file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const store: StateStore = options.state === undefined || options.checkOnly === true ? new MemoryStore() : await FileStore.open(options.state);
  try {
    const stop$ = new ReplaySubject<void>(1);
    const session = new Session({
      store,
      extraBarriers: stop$,
      ...(options.checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs: options.checkpointIntervalMs }),
      ...(options.badRecords === undefined ? {} : { badRecords: options.badRecords }),
    });
    const results = session.execute(text);
    let query: Query | undefined;
    for (const result of results) if (result.kind === 'select') query = result.query;
    if (query === undefined) {
      const last = [...session.sources.keys()].at(-1);
      if (last === undefined) throw new SqlError(`${options.file} has no CREATE SOURCE and no SELECT: nothing to run`);
      query = session.query(`SELECT * FROM "${last.replaceAll('"', '""')}"`);
    }
    if (options.checkOnly === true) {
      io.stdout.write(`${options.file}: ok (${session.sources.size} source(s), ${results.filter((r) => r.kind === 'select').length} query(ies))\n`);
      return 0;
    }
    const redact = (text: string): string => session.redact(text);
    const policy = query.source.badRecordStats.policy;
    if (policy === 'dead-letter' && options.deadLetter === undefined) {
      throw new UsageError(`source '${query.source.name}' sends bad records to dead letters: give --dead-letter FILE to say where they go`);
    }
    let deadLetters: DeadLetterFile | undefined;
    if (options.deadLetter !== undefined) {
      try {
        deadLetters = await DeadLetterFile.open(options.deadLetter, redact);
      } catch (err) {
        throw new UsageError(`cannot open --dead-letter ${options.deadLetter}: ${(err as Error).message}`);
      }
    }
    const metrics = options.metricsAt === undefined ? undefined : await serveSessionMetrics(session, options.metricsAt, io);
    try {
      return await stream(query, stop$, io, redact, deadLetters);
    } finally {
      await metrics?.close();
      // Dead letters of an epoch that never committed are written too: at-least-once.
      await deadLetters?.close().catch((err: unknown) => io.stderr.write(`tributary: writing dead letters to ${options.deadLetter} failed: ${(err as Error).message}\n`));
    }
  } finally {
    await store.close?.();
  }
}

/**
 * The field each NDJSON line of a changing result carries its operation in: `insert`, `delete`,
 * `update_before` or `update_after` (see `ChangeOp`). An update is two lines, before then after.
 */
export const OP_FIELD = '__op';

function stream(query: Query, stop$: ReplaySubject<void>, io: RunFileIo, redact: (text: string) => string, deadLetters: DeadLetterFile | undefined): Promise<number> {
  const { source } = query;
  const output = new NdjsonSink(io.stdout);
  const rows = new ChunkQuery(query.compiled);
  // A table, an aggregate or ORDER BY ... LIMIT: the result changes. Over a bounded input the
  // final result is printed at the end (ordered, limited); over an unbounded one, every change
  // as it happens, each line saying its operation in OP_FIELD.
  const incremental = query.incremental;
  const finalOnly = incremental && query.from.bounded;
  let result: ResultState | undefined;
  if (incremental && query.compiled.columns.some((c) => c.name === OP_FIELD)) {
    throw new UsageError(`the query has a column named ${OP_FIELD}, the field its changes carry their operation in: rename it with AS`);
  }
  const pipeline = incremental ? query.pipelineWith((r) => (result = r)) : identity;
  // The query and the JSON text run inside the sink, before the checkpoint: a row that fails
  // there fails its epoch, and a rerun fails on it again instead of starting after it.
  const sink: RecordSink<Row> = {
    write: (records, chunk) => {
      if (!incremental) return output.write(rows.run(chunk, source.name));
      if (finalOnly) return;
      return output.write(records.map((r) => ({ ...r, [OP_FIELD]: opOf(r) })));
    },
    flush: () => {
      const written = output.flush();
      if (deadLetters === undefined) return written;
      return Promise.all([written, deadLetters.flush()]).then(() => undefined);
    },
  };
  const progress = new ProgressLine(io.stderr, () => output);
  // Warnings (a pattern matching nothing, a file re-read from the start): one line each on stderr.
  const warnings = source.warnings$?.subscribe((w) =>
    io.stderr.write(`tributary: ${oneLine(redact(`source '${w.source}': ${w.split === undefined ? '' : `split '${w.split}': `}${w.message}`))}\n`),
  );
  return new Promise<number>((resolve) => {
    let subscription: Subscription | undefined;
    let letterSubscription: Subscription | undefined;
    let done = false;
    let stopping = false;
    let stopTimer: NodeJS.Timeout | undefined;

    const finish = (code: number, message?: string): void => {
      if (done) return;
      done = true;
      subscription?.unsubscribe();
      letterSubscription?.unsubscribe();
      warnings?.unsubscribe();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      io.stdout.off('error', onStdoutError);
      if (stopTimer !== undefined) clearTimeout(stopTimer);
      output.close(code === 141);
      progress.stop();
      const stats = source.badRecordStats;
      if (stats.skipped > 0 || stats.deadLettered > 0) {
        const sample = stats.samples[0] === undefined ? '' : ` (first: ${oneLine(stats.samples[0].message)})`;
        io.stderr.write(redact(`tributary: source '${source.name}': ${stats.skipped} bad record(s) skipped, ${stats.deadLettered} dead-lettered, ${stats.bytes} byte(s) of input set aside (${stats.errors} error(s))${sample}\n`));
      }
      if (message !== undefined) io.stderr.write(`tributary: ${oneLine(redact(message))}\n`);
      resolve(code === 141 ? 0 : code);
    };

    let firstSignalAt = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      // A launcher that forwards signals (tsx, npm) makes one Ctrl-C arrive twice: only a
      // second signal a moment later means "stop now".
      if (stopping && Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) return;
      if (stopping) {
        finish(130, `second ${signal}: exiting without a final checkpoint`);
        return;
      }
      stopping = true;
      firstSignalAt = Date.now();
      stop$.next();
      stopTimer = setTimeout(() => finish(1, `no checkpoint completed within ${STOP_TIMEOUT_MS / 1000}s of ${signal}; exiting without one`), STOP_TIMEOUT_MS);
      stopTimer.unref();
    };

    // `| head` closes the pipe: not an error, just nobody left to read.
    const onStdoutError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EPIPE') finish(141);
      else finish(1, `writing to stdout failed: ${err.message}`);
    };

    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    io.stdout.on('error', onStdoutError);
    if (!incremental && rows.done) {
      finish(0); // LIMIT 0: nothing to read
      return;
    }

    // Dead letters arrive while their records are decoded, so before the barrier that ends their
    // epoch: the sink's flush at that barrier writes and syncs them before the commit.
    letterSubscription = deadLetters === undefined ? undefined : source.deadLetters$.subscribe((letter) => deadLetters.add(source.name, letter));

    subscription = checkpointed(source, pipeline, { sink })
      .pipe(
        tap((event) => {
          if (stopping && isBarrier(event)) finish(0);
          // LIMIT reached: its rows are out; stop without committing the epoch in progress.
          else if (!incremental && rows.done) finish(0);
        }),
      )
      .subscribe({
        error: (err: unknown) => (isBrokenPipe(err) ? finish(141) : finish(1, err instanceof Error ? err.message : String(err))),
        complete: () => {
          if (!finalOnly || result === undefined) {
            finish(0);
            return;
          }
          try {
            void output.write(result.final());
          } catch (err) {
            finish(1, err instanceof Error ? err.message : String(err));
            return;
          }
          Promise.resolve(output.flush()).then(
            () => finish(0),
            (err: unknown) => (isBrokenPipe(err) ? finish(141) : finish(1, err instanceof Error ? err.message : String(err))),
          );
        },
      });
    if (done) subscription.unsubscribe();
  });
}

/** True when `err` or one of its causes is EPIPE: the reader of stdout is gone (`| head`). */
function isBrokenPipe(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) if ((e as NodeJS.ErrnoException).code === 'EPIPE') return true;
  return false;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/**
 * `--metrics-port`: the session's sources at `/metrics` for Prometheus while the run lasts.
 * prom-client is loaded only here (an optional peer); the line on stderr says where to scrape.
 */
async function serveSessionMetrics(session: Session, at: { readonly host?: string; readonly port: number }, io: RunFileIo): Promise<{ close(): Promise<void> }> {
  const { prometheusMetrics, serveMetrics } = await import('../metrics/index.js');
  let exporter;
  try {
    exporter = await prometheusMetrics(() => [...session.sources.values()].map((r) => r.source));
  } catch (err) {
    throw new UsageError(`--metrics-port: ${(err as Error).message}`);
  }
  let server;
  try {
    server = await serveMetrics(exporter, at);
  } catch (err) {
    exporter.close();
    throw new UsageError(`--metrics-port: cannot listen on ${at.host ?? '127.0.0.1'}:${at.port}: ${(err as Error).message}`);
  }
  io.stderr.write(`tributary: metrics at ${server.url}\n`);
  return {
    close: async () => {
      exporter.close();
      await server.close();
    },
  };
}

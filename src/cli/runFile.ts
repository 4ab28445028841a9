import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { ReplaySubject, identity, tap, type Subscription } from 'rxjs';
import type { BadRecordPolicy } from '../core/BadRecordHandler.js';
import { checkpointed } from '../core/checkpointed.js';
import type { RecordSink } from '../core/deliverTo.js';
import { isBarrier } from '../core/SourceEvent.js';
import type { Row } from '../formats/Format.js';
import { MemoryStore } from '../state/MemoryStore.js';
import type { StateStore } from '../state/StateStore.js';
import { FileStore } from '../state/FileStore.js';
import { PostgresStore } from '../state/PostgresStore.js';
import { connectionSecrets, isPostgresUrl, redactUrl, scrub } from '../state/pgConnection.js';
import { PostgresSplitLeases } from '../leases/PostgresSplitLeases.js';
import { Session, type Query } from '../sql/Session.js';
import type { ResultState } from '../sql/maintainQuery.js';
import { opOf } from '../core/Changelog.js';
import { totalLag } from '../core/SourceMetrics.js';
import { SqlError } from '../sql/SqlError.js';
import { UsageError } from './CliError.js';
import { ChunkQuery } from './ChunkQuery.js';
import { rowJsonWriter } from './toJsonText.js';
import { DeadLetterFile } from './DeadLetterFile.js';
import type { FdWriteStream } from './FdWriteStream.js';
import { NdjsonSink } from './NdjsonSink.js';
import { ProgressLine, lagText } from './ProgressLine.js';
import { runSummary } from './runSummary.js';

/** Options of `tributary run`. */
export interface RunFileOptions {
  readonly file: string;
  /**
   * Where checkpoints go: a directory (a FileStore), or `postgres://user:password@host:port/db`
   * (a PostgresStore; `?table=name` picks its table, default `tributary_state`). In memory when absent.
   */
  readonly state?: string;
  /**
   * Share the sources' splits with every process run with the same `postgres://` state and
   * source names (`--share`): split leases in `<table>_leases` (`tributary_state_leases` by default).
   */
  readonly share?: boolean;
  /** Lease time of `share`, in ms (`--lease-ms`). */
  readonly leaseMs?: number;
  readonly checkpointIntervalMs?: number;
  readonly badRecords?: BadRecordPolicy;
  /** Where dead letters go (`--dead-letter FILE`): appended as NDJSON, synced before each commit. */
  readonly deadLetter?: string;
  /** Parse and validate only (`tributary check`). */
  readonly checkOnly?: boolean;
  /** No summary line at the end (`--quiet`). */
  readonly quiet?: boolean;
  /** Serve the sources' metrics for Prometheus here (`--metrics-port`). */
  readonly metricsAt?: { readonly host?: string; readonly port: number };
}

/** Where `runFile` writes, and the process it listens to for signals. */
export interface RunFileIo {
  /** Where the rows go: `process.stdout`, or for a pipe or socket an {@link FdWriteStream} over it. */
  readonly stdout: Writable & { readonly fd?: number; readonly isTTY?: boolean };
  readonly stderr: NodeJS.WriteStream;
}

/**
 * Records in flight (read, not yet written to stdout and committed) above which the sources
 * pause. The library's default (65 536) lets rows pile up while stdout's reader is a moment late,
 * and those rows outlive the young generation: 270-300 MB peak RSS behind a pipe for a 1M-row
 * CSV, against ~130 MB at 4 096 (a few chunks of read-ahead, which is all the output needs).
 */
const OUTPUT_HIGH_WATER_MARK = 4096;
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
  const state = options.state === undefined || options.checkOnly === true ? undefined : options.state;
  const postgres = state !== undefined && isPostgresUrl(state) ? postgresState(state) : undefined;
  if (options.share === true && options.checkOnly !== true && postgres === undefined) throw new UsageError('--share needs --state postgres://...: the processes share their splits through that database');
  // The password of a postgres:// state never reaches stderr, whatever message carries it.
  const secrets = state === undefined ? [] : connectionSecrets(state);
  const leases =
    postgres !== undefined && options.share === true
      ? await PostgresSplitLeases.open({ connection: postgres.url, table: `${postgres.table}_leases`, ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }) })
      : undefined;
  let store: StateStore;
  try {
    // With --share a split's durable position lives in its lease row (fenced there); the
    // process's own epochs only need to outlive a rollback inside the process.
    store =
      state === undefined || leases !== undefined
        ? new MemoryStore()
        : postgres !== undefined
          ? await PostgresStore.open({ connection: postgres.url, table: postgres.table })
          : await FileStore.open(state);
  } catch (err) {
    await leases?.close();
    throw err;
  }
  try {
    const stop$ = new ReplaySubject<void>(1);
    const session = new Session({
      store,
      ...(leases === undefined ? {} : { leases }),
      extraBarriers: stop$,
      highWaterMark: OUTPUT_HIGH_WATER_MARK,
      ...(options.checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs: options.checkpointIntervalMs }),
      ...(options.badRecords === undefined ? {} : { badRecords: options.badRecords }),
    });
    // executeAsync: a registry Avro source without columns gets them from its latest schema.
    const results = await session.executeAsync(text);
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
    const redact = (text: string): string => scrub(session.redact(text), secrets);
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
    // Lease changes are rare and matter to an operator (which process reads what, and from
    // where): one line each on stderr. Commits are not printed: there is one per checkpoint.
    const leaseLog = leases?.events$.subscribe((event) => {
      if (event.type !== 'committed') io.stderr.write(redact(`tributary: leases: ${JSON.stringify({ member: leases.member, ...event })}`) + '\n');
    });
    const metrics = options.metricsAt === undefined ? undefined : await serveSessionMetrics(session, options.metricsAt, io);
    let code: number | undefined;
    try {
      code = await stream(query, stop$, io, redact, deadLetters, options.quiet === true);
      return code;
    } finally {
      // The exit comes right after this: clients closing in the background would be cut off
      // (Kafka's lag group would miss the last positions: a short run reached it not at all). A
      // second signal means now; a signal while waiting here ends the process (Node's default:
      // the run's handlers are gone).
      if (code !== SECOND_SIGNAL_EXIT) await sourcesClosed(session);
      leaseLog?.unsubscribe();
      await metrics?.close();
      // Dead letters of an epoch that never committed are written too: at-least-once.
      await deadLetters?.close().catch((err: unknown) => io.stderr.write(`tributary: writing dead letters to ${options.deadLetter} failed: ${(err as Error).message}\n`));
    }
  } finally {
    await store.close?.();
    await leases?.close();
  }
}

/** Waits until the session's sources have closed their clients (`Source.closed`), for STOP_TIMEOUT_MS at most. */
async function sourcesClosed(session: Session): Promise<void> {
  const closing = [...session.sources.values()].map(({ source }) => source.closed?.().catch(() => undefined));
  let timeout: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(closing), new Promise<void>((resolve) => (timeout = setTimeout(resolve, STOP_TIMEOUT_MS)))]);
  clearTimeout(timeout);
}

/** A `postgres://` state URL split into the URL pg connects with and the `table` parameter. */
function postgresState(state: string): { url: string; table: string } {
  let parsed: URL;
  try {
    parsed = new URL(state);
  } catch {
    throw new UsageError(`--state: not a valid URL: ${redactUrl(state)}`);
  }
  const table = parsed.searchParams.get('table') ?? 'tributary_state';
  parsed.searchParams.delete('table');
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(table)) throw new UsageError(`--state: table '${table}' must be lower-case letters, digits and _`);
  return { url: parsed.toString(), table };
}

/**
 * The field each NDJSON line of a changing result carries its operation in: `insert`, `delete`,
 * `update_before` or `update_after` (see `ChangeOp`). An update is two lines, before then after.
 * A TRUNCATE of a source without a table is a line `{"__op":"truncate","__split":"<split>"}`.
 */
export const OP_FIELD = '__op';

/** The exit code of a run ended by a second SIGINT/SIGTERM (128 + SIGINT, as a shell reports Ctrl-C): it exits at once. */
export const SECOND_SIGNAL_EXIT = 130;

function stream(query: Query, stop$: ReplaySubject<void>, io: RunFileIo, redact: (text: string) => string, deadLetters: DeadLetterFile | undefined, quiet: boolean): Promise<number> {
  const { source } = query;
  const started = Date.now();
  let lastEpoch: number | undefined;
  const output = new NdjsonSink(io.stdout);
  const rows = new ChunkQuery(query.compiled);
  // Result rows' keys in the query's order, as ChunkQuery writes them (not an object's order).
  const names = query.compiled.columns.map((c) => c.name);
  const changeLine = rowJsonWriter([...names, OP_FIELD]);
  const resultLine = rowJsonWriter(names);
  // A table, an aggregate or ORDER BY ... LIMIT: the result changes. Over a bounded input the
  // final result is printed at the end (ordered, limited); over an unbounded one, every change
  // as it happens, each line saying its operation in OP_FIELD.
  const incremental = query.incremental;
  const finalOnly = incremental && query.from.bounded;
  let result: ResultState | undefined;
  if (incremental && query.compiled.columns.some((c) => c.name === OP_FIELD)) {
    throw new UsageError(`the query has a column named ${OP_FIELD}, the field its changes carry their operation in: rename it with AS`);
  }
  // Only a bounded run prints the final result, so only it has the query keep every row (an
  // unbounded one would hold them all, up to the result-row limit, for nothing).
  const pipeline = finalOnly ? query.pipelineWith((r) => (result = r)) : incremental ? query.pipeline : identity;
  // The query and the JSON text run inside the sink, before the checkpoint: a row that fails
  // there fails its epoch, and a rerun fails on it again instead of starting after it.
  const sink: RecordSink<Row> = {
    write: (records, chunk) => {
      if (!incremental) {
        return output.writeLines((lines) => rows.writeLines(chunk, source.name, lines));
      }
      if (finalOnly) return;
      // A TRUNCATE has no columns: its line names the split (the upstream table) it empties.
      return output.writeRows(
        records.map((r) => (opOf(r) === 'truncate' ? { [OP_FIELD]: 'truncate', __split: chunk.splitId } : { ...r, [OP_FIELD]: opOf(r) })),
        changeLine,
      );
    },
    flush: () => {
      const written = output.flush();
      if (deadLetters === undefined) return written;
      return Promise.all([written, deadLetters.flush()]).then(() => undefined);
    },
  };
  // The source's lag, read once a second with the rows written (cheap: a pass over the splits).
  // --quiet silences it as well as the summary line: nothing on stderr but errors and warnings.
  const progress = quiet ? undefined : new ProgressLine(io.stderr, () => ({ rows: output.rows, bytes: output.bytes, lag: lagText(totalLag(source.metrics())) }), { output: io.stdout });
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
      progress?.stop();
      const stats = source.badRecordStats;
      if (stats.skipped > 0 || stats.deadLettered > 0) {
        const sample = stats.samples[0] === undefined ? '' : ` (first: ${oneLine(stats.samples[0].message)})`;
        io.stderr.write(redact(`tributary: source '${source.name}': ${stats.skipped} bad record(s) skipped, ${stats.deadLettered} dead-lettered, ${stats.bytes} byte(s) of input set aside (${stats.errors} error(s))${sample}\n`));
      }
      if (message !== undefined) io.stderr.write(`tributary: ${oneLine(redact(message))}\n`);
      if (!quiet) io.stderr.write(`${runSummary({ rows: output.rows, badRecords: stats.skipped + stats.deadLettered, elapsedMs: Date.now() - started, lastEpoch })}\n`);
      resolve(code === 141 ? 0 : code);
    };

    let firstSignalAt = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      // A launcher that forwards signals (tsx, npm) makes one Ctrl-C arrive twice: only a
      // second signal a moment later means "stop now".
      if (stopping && Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) return;
      if (stopping) {
        finish(SECOND_SIGNAL_EXIT, `second ${signal}: exiting without a final checkpoint`);
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

    // A signal ends the run at a committed barrier; but a barrier commits only after the sink
    // flushed it, and meanwhile the chunks after it reach the sink (the source reads on): printed,
    // yet past the checkpoint, a rerun would print them again (measured with a PostgresStore,
    // whose commit takes a round trip). So once stopping, the first barrier flushed seals the
    // output (what follows is not printed: the rerun reads it) and the run ends when that barrier
    // commits, not at one flushed before the signal with rows printed after it. The k-th flush is
    // the k-th barrier's (barriers reach the tap in the order deliverTo flushed them).
    let flushes = 0;
    let barriers = 0;
    let sealedAt: number | undefined;
    const stopSafe: RecordSink<Row> = {
      write: (records, chunk) => (sealedAt === undefined ? sink.write(records, chunk) : undefined),
      flush: () => {
        flushes++;
        if (stopping && sealedAt === undefined) sealedAt = flushes;
        return sink.flush();
      },
    };

    subscription = checkpointed(source, pipeline, { sink: stopSafe })
      .pipe(
        tap((event) => {
          // Barriers pass here once their epoch has committed.
          if (isBarrier(event)) {
            lastEpoch = event.epoch;
            barriers++;
          }
          if (stopping && isBarrier(event) && sealedAt !== undefined && barriers >= sealedAt) finish(0);
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
            void output.writeRows(result.final(), resultLine);
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

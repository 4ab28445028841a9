import { EMPTY, catchError, exhaustMap, from, timer, type Observable, type SchedulerLike } from 'rxjs';
import { BadRecordError } from '../../core/SourceError.js';
import type { Chunk } from '../../core/SourceEvent.js';
import type { ReaderContext, SplitReader } from '../../core/SplitReader.js';
import type { Format, Row, RowConverter } from '../../formats/Format.js';
import { fetchReader } from '../base/fetchReader.js';
import { pauseGate } from '../base/pauseGate.js';
import type { Fetched, FetchIo, SplitFetch } from '../base/SplitFetch.js';
import { decodeMessageId, encodeMessageId, positionAgainstEnd, type MessageId } from './messageId.js';
import type { PulsarAdmin } from './PulsarAdmin.js';
import { describeError } from './pulsarErrors.js';
import type { PulsarConfig } from './pulsarProperties.js';
import type { PulsarReconnectEvent } from './PulsarReconnectEvent.js';
import { pulsarRetryPolicy } from './pulsarRetryPolicy.js';
import type { PulsarSplit } from './PulsarSplit.js';
import { parseTopicName } from './pulsarTopic.js';
import type { PulsarMessage, PulsarTransport, ReaderSession } from './PulsarTransport.js';

/** What a {@link PulsarSplitReader} needs besides the configuration. */
export interface PulsarReaderDeps {
  /** The transport sessions are opened on (chosen once per source: see selectTransport). */
  readonly transport: () => Promise<PulsarTransport>;
  readonly admin: Pick<PulsarAdmin, 'messageIdAt'> & Partial<Pick<PulsarAdmin, 'readerBacklog'>>;
  readonly format: Format;
  readonly convert?: RowConverter | undefined;
  readonly scheduler?: SchedulerLike | undefined;
  /** The reader name the broker shows in topic stats (`readerName`). */
  readonly readerName: string;
  readonly onReconnect?: ((event: PulsarReconnectEvent) => void) | undefined;
  /** Random numbers in [0, 1) for the reconnect backoff's jitter; `Math.random` unless a test pins it. */
  readonly random?: (() => number) | undefined;
}

/** How often a split's lag (its reader's backlog in the topic stats) is asked for. */
export const LAG_POLL_MS = 1_000;

/** How long a connection must have lived for the reconnect budget to start afresh. */
export const HEALTHY_CONNECTION_MS = 10_000;

/**
 * Reads one partition from a message id, through a {@link PulsarTransport}: the WebSocket reader
 * endpoint by default, `pulsar-client` when configured (see PulsarTransport for why the
 * WebSocket API is the default). What follows holds for both.
 *
 * Positions: a chunk's `nextOffset` is the id of its last message; the endpoint's start message id
 * is exclusive, so a restart (or a reconnect) from it delivers the message after it first. This is
 * exact for messages inside batches too (the id carries the batch index, and the broker-side
 * reader skips the batch up to it): RisingWave #22486 delivered the message at the checkpoint
 * twice, and the tests check exactly that message.
 *
 * Flow control: the reader gives the endpoint its permits back for the messages it takes from the
 * session only while `paused$` is false, then decodes and emits them as one chunk. A paused split
 * therefore holds at most twice `receiverQueueSize` messages (one take being emitted, one in the
 * transport), and the broker holds the rest.
 *
 * Failures: a dropped connection or a 5xx on reconnect (a restarting broker) is retried with
 * backoff, resuming after the last message emitted; `retryAttempts` failures in a row (without a
 * message delivered or a connection that held {@link HEALTHY_CONNECTION_MS} in between) fail the
 * source, naming split and position. A missing topic or refused token fails at once.
 *
 * The fetch loop (pause gate, retry budget, backoff on the scheduler) is the connector base's
 * ({@link fetchReader}); this class is the partition's fetch step: one reader connection per
 * read, reopened after a failure, and the decoding of what it takes.
 *
 * No checkpoint-complete hook: the reader endpoint has no subscription, so there is nothing to
 * acknowledge on the broker (the frames the reader sends back are permits, counted, not
 * recorded); retention, not a cursor, keeps the data a restart needs.
 */
export class PulsarSplitReader implements SplitReader<PulsarSplit, Row> {
  readonly #reader: SplitReader<PulsarSplit, Row>;
  readonly #secrets: readonly string[];

  constructor(
    private readonly config: PulsarConfig,
    private readonly deps: PulsarReaderDeps,
  ) {
    const secrets = config.token !== undefined ? [config.token] : [];
    this.#secrets = secrets;
    this.#reader = fetchReader<PulsarSplit, Row>({
      open: (split, start, io) => this.open(split, start, io),
      scheduler: deps.scheduler,
      retry: {
        ...pulsarRetryPolicy(config, deps.random),
        onRetry: ({ split, attempt, error, position }) => deps.onReconnect?.({ split, attempt, error: describeError(error, secrets), after: position }),
        exhausted: (err, _kind, attempts) => new Error(`gave up after ${attempts} failed attempts in a row: ${describeError(err, secrets)}`, { cause: err }),
      },
    });
  }

  read(split: PulsarSplit, offset: string | null, context: ReaderContext): Observable<Chunk<Row>> {
    return this.#reader.read(split, offset, context);
  }

  /**
   * The partition's read: a reader connection, opened at the first fetch and again at the first
   * fetch after a failure, from the position the fetch loop hands over (the last message
   * delivered), so a reconnect neither skips nor repeats a message.
   */
  private async open(split: PulsarSplit, start: string | null, { signal, scheduler, context }: FetchIo): Promise<SplitFetch<Row>> {
    const { config, deps } = this;
    const decodeMessage = deps.format.decodeMessage?.bind(deps.format);
    if (decodeMessage === undefined) throw new Error(`format '${deps.format.name}' cannot decode single messages, so it cannot read Pulsar messages`);
    const end: MessageId | undefined = split.end === null || split.end === '' ? undefined : decodeMessageId(split.end);
    const topic = parseTopicName(split.id);
    // The fetch loop waits out a pause before each fetch, but a fetch waits for messages, and a
    // pause may begin meanwhile: the permits of what it took wait for the resume here.
    const gate = pauseGate(context.paused$, signal);
    /**
     * For a timestamp start: messages published before it are skipped until the first one at
     * or after it (the broker starts at the entry before the one the timestamp names, and a
     * batch entry holds messages of either side).
     */
    let notBefore = split.start === 'timestamp' && start === null ? split.startTimestamp : null;
    let session: ReaderSession | undefined;
    /** Where the current session connects, for error messages. */
    let endpoint = config.transport === 'websocket' ? config.webSocketUrl : (config.serviceUrl ?? config.adminUrl);
    let openedAt: number | undefined;
    /** Whether the connection that failed last had held long enough to count as health. */
    let held = false;
    const nothing: Fetched<Row> = { records: [], done: true };

    const startPosition = async (position: string | null): Promise<string> => {
      if (position !== null) return position;
      if (split.start === 'message' && split.startMessageId !== null) return split.startMessageId;
      if (split.start === 'timestamp' && split.startTimestamp !== null) {
        // The first message at or after the timestamp, made exclusive: start after the entry before it.
        const at = await deps.admin.messageIdAt(topic, split.startTimestamp, signal);
        return encodeMessageId({ ledgerId: BigInt(at.ledgerId), entryId: BigInt(at.entryId) - 1n, partition: split.partition });
      }
      return 'earliest';
    };

    /** Opens a connection after `position`; `undefined` when a bounded split has nothing after it. */
    const connect = async (position: string | null): Promise<ReaderSession | undefined> => {
      const from = await startPosition(position);
      // Bounded, and starting at or after the end (latest, or a timestamp past the last message): nothing to read.
      if (end !== undefined && from !== 'earliest' && positionAgainstEnd(decodeMessageId(from), end) !== 'before') return undefined;
      const transport = await deps.transport();
      endpoint = transport.endpoint;
      return transport.open({ topic: topic.full, startMessageId: from, receiverQueueSize: config.receiverQueueSize, readerName: deps.readerName, signal });
    };

    // Lag: the reader's backlog from the topic stats, once a second while the split is read
    // (paused or not: a paused reader's backlog is what grows). Monitoring only: a failed call is
    // skipped, never retried into the read.
    const readerBacklog = deps.admin.readerBacklog?.bind(deps.admin);
    const metrics = context.metrics;
    const lagPoll =
      readerBacklog === undefined || metrics === undefined
        ? undefined
        : timer(0, LAG_POLL_MS, scheduler)
            .pipe(exhaustMap(() => from(readerBacklog(topic, deps.readerName, signal)).pipe(catchError(() => EMPTY))))
            .subscribe((backlog) => {
              if (backlog !== undefined) metrics.lag(split.id, backlog, 'records');
            });

    const drop = (): void => {
      session?.close();
      session = undefined;
      openedAt = undefined;
    };

    const next = async (position: string | null): Promise<Fetched<Row>> => {
      if (split.end === '') return nothing; // bounded, and the partition was empty at the first start
      try {
        if (session === undefined) {
          session = await connect(position);
          if (session === undefined) return nothing;
          openedAt = scheduler.now();
        }
        // At most `receiverQueueSize` messages: the endpoint sends no more until they are permitted.
        const messages = await session.take(signal);
        await gate.wait();
        if (signal.aborted) return { records: [] };
        // Permits go back before the taken messages are decoded, so that the broker sends the
        // next ones meanwhile; while paused, none do. A split thus holds at most twice
        // `receiverQueueSize` messages: those being decoded and those in the transport (the
        // WebSocket inbox, or libpulsar's receiver queue, which `take` empties and so permits).
        session.permit(messages);
        // Schemas from a registry, before decoding: a failure reconnects from the same position.
        if (messages.length > 0) await this.deps.format.prefetch?.(messages.map((m) => m.payload));
        const { rows, first, lastId, done, reached } = this.decode(messages, split, end, notBefore, decodeMessage, context);
        if (reached) notBefore = null;
        return lastId === undefined ? { records: [], done } : { records: rows, offset: first, nextOffset: lastId, done };
      } catch (err) {
        // The next fetch reconnects (after the fetch loop's backoff) from the position it hands over.
        held = openedAt !== undefined && scheduler.now() - openedAt >= HEALTHY_CONNECTION_MS;
        drop();
        throw err;
      }
    };

    return {
      next,
      close: () => {
        lagPoll?.unsubscribe();
        drop();
      },
      stable: () => held,
      describe: (err) => new Error(`reading ${split.id} at ${endpoint}: ${describeError(err, this.#secrets)}`, { cause: err }),
    };
  }

  /**
   * Decodes the messages of one take into rows: the payload through the format and the schema,
   * then the metadata columns. Stops at the bounded end. Bad payloads go to the bad-record
   * policy with their message id; empty payloads make no row (Pulsar has no null value; an empty
   * one is how upsert streams write deletes, which a plain format cannot express).
   */
  private decode(
    messages: readonly PulsarMessage[],
    split: PulsarSplit,
    end: MessageId | undefined,
    notBefore: number | null,
    decodeMessage: (payload: Uint8Array) => Row | null,
    context: ReaderContext,
  ): { rows: Row[]; first: string | undefined; lastId: string | undefined; done: boolean; reached: boolean } {
    const { include } = this.config;
    const convert = this.deps.convert;
    const rows: Row[] = [];
    let first: string | undefined;
    let lastId: string | undefined;
    let done = false;
    let skipping = notBefore !== null;
    /** Payload bytes read, for the source's metrics (payloads are decoded here anyway: counting them elsewhere would decode them twice). */
    let bytes = 0;
    // Ids grow along a partition: when the take's last message is before the end, all are.
    const endInView = end !== undefined && messages.length > 0 && positionAgainstEnd(decodeMessageId(messages[messages.length - 1]!.messageId), end) !== 'before';
    for (const message of messages) {
      let where: 'before' | 'last' | 'past' = 'before';
      if (endInView && end !== undefined) {
        where = positionAgainstEnd(decodeMessageId(message.messageId), end);
        if (where === 'past') {
          done = true;
          break;
        }
      }
      if (where === 'last') done = true;
      const publishTime = message.publishTime;
      if (skipping && notBefore !== null && publishTime < notBefore) {
        // Not a position: a checkpoint here would make a restart resume among the skipped
        // messages, past the timestamp's check. Until the first message at or after it, the
        // split stays at its configured start (and a reconnect resolves the timestamp again).
        if (done) break;
        continue;
      }
      skipping = false;
      first ??= message.messageId;
      lastId = message.messageId;
      const payload = message.payload;
      bytes += payload.length;
      if (payload.length > 0) {
        const bad = (what: string, err: unknown): void => {
          const reason = err instanceof Error ? err.message : String(err);
          context.badRecords.handle(
            new BadRecordError(`${what}${message.key !== undefined ? ` (key '${message.key}')` : ''}: ${reason}`, { source: context.source, split: split.id, offset: message.messageId }, { cause: err }),
            payload,
          );
        };
        let row: Row | null = null;
        try {
          row = decodeMessage(payload);
        } catch (err) {
          bad(`cannot decode the payload as ${this.deps.format.name}`, err);
        }
        if (row !== null && convert !== undefined) {
          try {
            row = convert(row);
          } catch (err) {
            bad('the payload does not fit the schema', err);
            row = null;
          }
        }
        if (row !== null) {
          for (const { field, column } of include) {
            switch (field) {
              case 'key':
                row[column] = message.key ?? null;
                break;
              case 'properties':
                row[column] = { ...(message.properties ?? {}) };
                break;
              case 'publish_time':
                row[column] = Number.isNaN(publishTime) ? null : publishTime;
                break;
              case 'event_time':
                row[column] = message.eventTime ?? null;
                break;
              case 'message_id':
                row[column] = message.messageId;
                break;
              case 'partition':
                row[column] = split.partition;
                break;
            }
          }
          rows.push(row);
        }
      }
      if (done) break;
    }
    if (bytes > 0) context.metrics?.bytes(split.id, bytes);
    return { rows, first, lastId, done, reached: !skipping };
  }
}

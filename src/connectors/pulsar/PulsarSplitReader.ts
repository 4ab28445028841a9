import { asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import { BadRecordError, SourceError } from '../../core/SourceError.js';
import { chunk, type Chunk } from '../../core/SourceEvent.js';
import type { ReaderContext, SplitReader } from '../../core/SplitReader.js';
import type { Format, Row, RowConverter } from '../../formats/Format.js';
import { backoffDelay } from '../base/backoff.js';
import { pauseGate } from '../base/pauseGate.js';
import { runLoop } from '../base/runLoop.js';
import { sleep } from '../base/sleep.js';
import { fetchMessages } from './fetchMessages.js';
import type { WsModule } from './loadWs.js';
import { decodeMessageId, encodeMessageId, positionAgainstEnd, type MessageId } from './messageId.js';
import type { PulsarAdmin } from './PulsarAdmin.js';
import { describeError, isTransient } from './pulsarErrors.js';
import type { PulsarConfig } from './pulsarProperties.js';
import type { PulsarSplit } from './PulsarSplit.js';
import { parseTopicName, topicPath } from './pulsarTopic.js';
import type { PulsarReconnectEvent } from './PulsarReconnectEvent.js';
import { ReaderSocket, type PulsarWireMessage } from './ReaderSocket.js';


/** What a {@link PulsarSplitReader} needs besides the configuration. */
export interface PulsarReaderDeps {
  readonly ws: () => Promise<WsModule>;
  readonly admin: Pick<PulsarAdmin, 'messageIdAt'>;
  readonly format: Format;
  readonly convert?: RowConverter | undefined;
  readonly scheduler?: SchedulerLike | undefined;
  /** The reader name the broker shows in topic stats (`readerName`). */
  readonly readerName: string;
  readonly onReconnect?: ((event: PulsarReconnectEvent) => void) | undefined;
}

/** How long a connection must have lived for the reconnect budget to start afresh. */
const HEALTHY_CONNECTION_MS = 10_000;

/**
 * Reads one partition through the WebSocket reader endpoint, from a message id.
 *
 * Positions: a chunk's `nextOffset` is the id of its last message; the endpoint's start message id
 * is exclusive, so a restart (or a reconnect) from it delivers the message after it first. This is
 * exact for messages inside batches too (the id carries the batch index, and the broker-side
 * reader skips the batch up to it): RisingWave #22486 delivered the message at the checkpoint
 * twice, and the tests check exactly that message.
 *
 * Flow control: the reader gives the endpoint its permits back for the messages it takes from the
 * socket only while `paused$` is false, then decodes and emits them as one chunk. A paused split
 * therefore holds at most twice `receiverQueueSize` messages (one take being emitted, one in the
 * socket), and the broker holds the rest.
 *
 * Failures: a dropped connection or a 5xx on reconnect (a restarting broker) is retried with
 * backoff, resuming after the last message emitted; `retryAttempts` failures in a row fail the
 * source, naming split and position. A missing topic or refused token fails at once.
 *
 * No checkpoint-complete hook: the reader endpoint has no subscription, so there is nothing to
 * acknowledge on the broker (the frames the reader sends back are permits, counted, not
 * recorded); retention, not a cursor, keeps the data a restart needs.
 */
export class PulsarSplitReader implements SplitReader<PulsarSplit, Row> {
  constructor(
    private readonly config: PulsarConfig,
    private readonly deps: PulsarReaderDeps,
  ) {}

  read(split: PulsarSplit, offset: string | null, context: ReaderContext): Observable<Chunk<Row>> {
    const { config, deps } = this;
    const scheduler = deps.scheduler ?? asyncScheduler;
    const secrets = config.token !== undefined ? [config.token] : [];
    let last = offset;
    return runLoop<Chunk<Row>>(
      async ({ subscriber, signal }) => {
        const decodeMessage = deps.format.decodeMessage?.bind(deps.format);
        if (decodeMessage === undefined) throw new Error(`format '${deps.format.name}' cannot decode single messages, so it cannot read Pulsar messages`);
        let end: MessageId | undefined;
        if (split.end !== null) {
          if (split.end === '') return; // bounded, and the partition was empty at the first start
          end = decodeMessageId(split.end);
          if (last !== null && positionAgainstEnd(decodeMessageId(last), end) !== 'before') return;
        }
        const ws = await deps.ws();
        const topic = parseTopicName(split.id);
        const gate = pauseGate(context.paused$, signal);
        /**
         * For a timestamp start: messages published before it are skipped until the first one at
         * or after it (the broker starts at the entry before the one the timestamp names, and a
         * batch entry holds messages of either side).
         */
        let notBefore = split.start === 'timestamp' && last === null ? split.startTimestamp : null;
        let failures = 0;

        const startPosition = async (): Promise<string> => {
          if (last !== null) return last;
          if (split.start === 'message' && split.startMessageId !== null) return split.startMessageId;
          if (split.start === 'timestamp' && split.startTimestamp !== null) {
            // The first message at or after the timestamp, made exclusive: start after the entry before it.
            const at = await deps.admin.messageIdAt(topic, split.startTimestamp, signal);
            return encodeMessageId({ ledgerId: BigInt(at.ledgerId), entryId: BigInt(at.entryId) - 1n, partition: split.partition });
          }
          return 'earliest';
        };

        while (!signal.aborted) {
          let socket: ReaderSocket | undefined;
          let openedAt = 0;
          try {
            const start = await startPosition();
            // Bounded, and starting at or after the end (latest, or a timestamp past the last message): nothing to read.
            if (end !== undefined && start !== 'earliest' && positionAgainstEnd(decodeMessageId(start), end) !== 'before') return;
            const url =
              `${config.webSocketUrl}/ws/v2/reader/${topicPath(topic)}?messageId=${encodeURIComponent(start)}` +
              `&receiverQueueSize=${config.receiverQueueSize}&readerName=${encodeURIComponent(deps.readerName)}`;
            socket = await ReaderSocket.open(ws, { url, token: config.token, timeoutMs: config.requestTimeoutMs, signal });
            openedAt = scheduler.now();
            for (;;) {
              const messages = await fetchMessages(socket, signal);
              if (signal.aborted) return;
              // Permits go back before the taken messages are decoded, so that the broker sends
              // the next ones meanwhile; while paused, none do. A split thus holds at most twice
              // `receiverQueueSize` messages: those being decoded and those in the socket.
              await gate.wait();
              if (signal.aborted) return;
              socket.permit(messages);
              const { rows, first, lastId, done, reached } = this.decode(messages, split, end, notBefore, decodeMessage, context);
              if (reached) notBefore = null;
              if (lastId !== undefined) {
                last = lastId;
                subscriber.next(chunk(split.id, rows, first!, lastId));
              }
              if (done) return;
            }
          } catch (err) {
            if (signal.aborted) return;
            if (!isTransient(err)) throw err;
            if (openedAt > 0 && scheduler.now() - openedAt >= HEALTHY_CONNECTION_MS) failures = 0;
            if (++failures > config.retryAttempts) {
              throw new Error(`gave up after ${failures} failed attempts in a row: ${describeError(err, secrets)}`, { cause: err });
            }
            deps.onReconnect?.({ split: split.id, attempt: failures, error: describeError(err, secrets), after: last });
            await sleep(backoffDelay(failures, { baseMs: 200, maxMs: config.maxBackoffMs, jitter: 'equal' }), signal, scheduler);
          } finally {
            socket?.close();
          }
        }
      },
      (err) =>
        err instanceof SourceError
          ? err
          : new SourceError(`reading ${split.id} at ${config.webSocketUrl}: ${describeError(err, secrets)}`, { source: context.source, split: split.id, ...(last !== null ? { offset: last } : {}) }, { cause: err }),
    );
  }

  /**
   * Decodes the messages of one take into rows: the payload through the format and the schema,
   * then the metadata columns. Stops at the bounded end. Bad payloads go to the bad-record
   * policy with their message id; empty payloads make no row (Pulsar has no null value; an empty
   * one is how upsert streams write deletes, which a plain format cannot express).
   */
  private decode(
    messages: readonly PulsarWireMessage[],
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
      const publishTime = Date.parse(message.publishTime);
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
      const payload = Buffer.from(message.payload, 'base64');
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
              case 'event_time': {
                const eventTime = message.eventTime !== undefined ? Date.parse(message.eventTime) : Number.NaN;
                row[column] = Number.isNaN(eventTime) ? null : eventTime;
                break;
              }
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
    return { rows, first, lastId, done, reached: !skipping };
  }
}

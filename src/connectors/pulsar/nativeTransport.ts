import type { PulsarClientMessage, PulsarClientModule, PulsarClientReader } from './loadPulsarClient.js';
import { compareMessageIds, decodeMessageId, messageIdFromBytes, messageIdToBytes, type MessageId } from './messageId.js';
import { PulsarCallError, scrub } from './pulsarErrors.js';
import type { PulsarMessage, PulsarTransport, ReaderSession } from './PulsarTransport.js';

/** What the native transport needs. @internal */
export interface NativeTransportOptions {
  /** `pulsar://host:6650` (or the http:// URL: libpulsar looks topics up over HTTP too). */
  readonly serviceUrl: string;
  readonly token?: string | undefined;
  readonly requestTimeoutMs: number;
  /**
   * How long one `readNext` waits in the addon before the session looks at its signal again
   * (the addon's wait cannot be cancelled; closing the reader ends it). Default 1000.
   */
  readonly pollMs?: number | undefined;
}

/** `readNext` with a timeout that passed: nothing came, not a failure. */
const TIMED_OUT = /TimeOut/i;
/** Answers that waiting will not change: fail the source at once instead of retrying. */
const PERMANENT = /TopicNotFound|AuthenticationError|AuthorizationError|InvalidTopicName|NotAllowed|InvalidConfiguration|IncompatibleSchema/i;

/**
 * The optional transport: the official `pulsar-client` package (libpulsar's binary protocol).
 *
 * NOT TESTED AGAINST A REAL BROKER: `pulsar-client` cannot be installed where tributary is built
 * (its install script downloads an unreachable prebuilt binary; building needs the libpulsar
 * headers). Its logic is unit-tested against a fake shaped like pulsar-client 1.18's Reader
 * (test/connectors/pulsar/pulsarNativeTransport.test.ts); its API is mirrored in loadPulsarClient.ts.
 *
 * - Positions: the session starts after `startMessageId` (a reader's start is exclusive, as the
 *   WebSocket endpoint's), mapped to and from `MessageId.serialize()` bytes (the same protobuf
 *   the WebSocket API writes as base64), so checkpoints move between transports. Messages at or
 *   before the start (a batch entry redelivered from its first message) are dropped here, not
 *   trusted to the client version.
 * - Flow control: libpulsar keeps at most `receiverQueueSize` messages and asks the broker for
 *   more only as `readNext` takes them; a take returns at most `receiverQueueSize`. A paused
 *   split takes nothing, so it holds at most twice that, as with the WebSocket transport.
 *   `permit` has nothing to do: taking is the permit.
 * - Threads: pulsar-client runs each `readNext` on a libuv threadpool thread, which it holds while
 *   waiting (up to `pollMs`). A split waiting for messages therefore occupies one thread; with
 *   more partitions than `UV_THREADPOOL_SIZE` (default 4), file system and DNS work queue behind
 *   idle splits: set `UV_THREADPOOL_SIZE` above the partition count. The reader's `listener`
 *   option would not hold threads, but it pushes every message as it arrives with no way to
 *   pause a reader, which would make the buffer unbounded; bounded memory wins.
 * - One client (its connection and threads) per session, closed with it: a session is a
 *   partition read, long-lived, and a failed one is thrown away whole.
 * @internal
 */
export function nativeTransport(pulsar: PulsarClientModule, options: NativeTransportOptions): PulsarTransport {
  const { serviceUrl, token, requestTimeoutMs } = options;
  const pollMs = options.pollMs ?? 1000;
  const secrets = token !== undefined ? [token] : [];
  const fail = (what: string, err: unknown, transient: boolean): PulsarCallError => {
    const text = `${what}: ${err instanceof Error ? err.message : String(err)}`;
    const shown = scrub(text, secrets);
    // The addon's error is kept as the cause only when it does not hold the token: error
    // reporters print cause chains.
    return new PulsarCallError(shown, transient, undefined, shown === text ? { cause: err } : undefined);
  };

  return {
    kind: 'native',
    endpoint: serviceUrl,
    async open({ topic, startMessageId, receiverQueueSize, readerName, signal }): Promise<ReaderSession> {
      const after: MessageId | undefined = startMessageId === 'earliest' ? undefined : decodeMessageId(startMessageId);
      const start = startMessageId === 'earliest' ? pulsar.MessageId.earliest() : pulsar.MessageId.deserialize(messageIdToBytes(startMessageId));
      const client = new pulsar.Client({
        serviceUrl,
        ...(token !== undefined ? { authentication: new pulsar.AuthenticationToken({ token }) } : {}),
        operationTimeoutSeconds: Math.max(1, Math.ceil(requestTimeoutMs / 1000)),
        connectionTimeoutMs: requestTimeoutMs,
        // libpulsar logs to stdout unless given a logger; its lines are for debugging the addon.
        log: () => undefined,
      });
      const closeClient = (reader?: PulsarClientReader): void => {
        const readerClosed = reader !== undefined ? reader.close().catch(() => null) : Promise.resolve(null);
        void readerClosed.then(() => client.close()).catch(() => null);
      };
      let reader: PulsarClientReader;
      try {
        reader = await client.createReader({ topic, startMessageId: start, receiverQueueSize, readerName });
      } catch (err) {
        closeClient();
        const text = err instanceof Error ? err.message : String(err);
        throw fail(`cannot open a reader on ${topic} at ${serviceUrl}`, err, !PERMANENT.test(text));
      }
      if (signal.aborted) {
        closeClient(reader);
        throw new PulsarCallError('aborted', false);
      }
      return new NativeSession(reader, topic, after, receiverQueueSize, pollMs, () => closeClient(reader), fail);
    },
  };
}

/** A pulsar-client message as a transport-neutral one. */
function fromClientMessage(message: PulsarClientMessage): PulsarMessage {
  const key = message.getPartitionKey();
  const eventTime = message.getEventTimestamp();
  return {
    messageId: messageIdFromBytes(message.getMessageId().serialize()),
    payload: message.getData(),
    properties: message.getProperties(),
    publishTime: message.getPublishTimestamp(),
    // pulsar-client says "none" as 0 and '': the WebSocket API leaves them out.
    eventTime: eventTime > 0 ? eventTime : undefined,
    key: key === '' ? undefined : key,
  };
}

class NativeSession implements ReaderSession {
  #closed = false;
  /** A failure met while draining, after messages were taken: the next take throws it. */
  #failure: Error | undefined;

  constructor(
    private readonly reader: PulsarClientReader,
    private readonly topic: string,
    /** Messages at or before this are not delivered (the exclusive start). Cleared once passed. */
    private after: MessageId | undefined,
    private readonly max: number,
    private readonly pollMs: number,
    private readonly release: () => void,
    private readonly fail: (what: string, err: unknown, transient: boolean) => PulsarCallError,
  ) {}

  async take(signal: AbortSignal): Promise<PulsarMessage[]> {
    const taken: PulsarMessage[] = [];
    // The first message: wait for it in `pollMs` slices, looking at the signal between them.
    while (taken.length === 0) {
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#closed) throw new PulsarCallError(`reader ${this.topic}: closed`, false);
      if (signal.aborted) return [];
      const next = await this.#readNext(this.pollMs, signal);
      if (next === 'aborted') return [];
      if (next !== 'none') this.#accept(next, taken);
    }
    // Then whatever libpulsar already holds, without waiting (1 ms: the addon reads 0 as "forever").
    while (taken.length < this.max && !signal.aborted && this.#failure === undefined) {
      const next = await this.#readNext(1, signal).catch((err: unknown) => {
        this.#failure = err instanceof Error ? err : new Error(String(err));
        return 'none' as const;
      });
      if (next === 'none' || next === 'aborted') break;
      this.#accept(next, taken);
    }
    return taken;
  }

  permit(): void {
    // Taking is the permit: libpulsar asks the broker for more as readNext empties its queue.
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.release();
  }

  #accept(message: PulsarClientMessage, into: PulsarMessage[]): void {
    const converted = fromClientMessage(message);
    if (this.after !== undefined) {
      // The reader may hand back a batch entry from its first message: skip up to the start.
      // A start without a batch index covers its whole entry (as the WebSocket endpoint reads it,
      // and as positionAgainstEnd does): none of that entry's messages come after it.
      const id = decodeMessageId(converted.messageId);
      const after = this.after;
      if (compareMessageIds(id, after) <= 0 || (after.batchIndex < 0 && id.ledgerId === after.ledgerId && id.entryId === after.entryId)) return;
      this.after = undefined;
    }
    into.push(converted);
  }

  /** One `readNext`: a message, `'none'` when the wait timed out, `'aborted'` when the signal fired first. */
  async #readNext(timeoutMs: number, signal: AbortSignal): Promise<PulsarClientMessage | 'none' | 'aborted'> {
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<'aborted'>((resolve) => {
      onAbort = () => resolve('aborted');
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([this.reader.readNext(timeoutMs), aborted]);
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      if (TIMED_OUT.test(text)) return 'none';
      if (this.#closed || signal.aborted) return 'aborted';
      // The reader broke (libpulsar reconnects by itself; what reaches here is what it gave up on).
      throw this.fail(`reader ${this.topic}`, err, !PERMANENT.test(text));
    } finally {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    }
  }
}

import type {
  PulsarClientConfig,
  PulsarClientMessage,
  PulsarClientMessageId,
  PulsarClientModule,
  PulsarClientReader,
  PulsarClientReaderConfig,
} from '../../../src/connectors/pulsar/loadPulsarClient.js';
import { decodeMessageId } from '../../../src/connectors/pulsar/messageId.js';

// A stand-in for the `pulsar-client` package (1.18's index.d.ts shapes: Client, Reader,
// MessageId, Message, AuthenticationToken), for unit tests of the native transport's logic. It
// is NOT libpulsar: the real package cannot be installed here (see nativeTransport.ts). What it
// imitates, and why:
// - MessageId.serialize() re-encodes the protobuf MessageIdData from its fields, as libpulsar's
//   MessageId::serialize does (ledger, entry, partition if >= 0, batch_index if >= 0, batch_size
//   if > 0), so the bytes are the client's, not the ones tributary handed it.
// - A reader started at a message inside a batch entry gets the whole entry again from its first
//   message (what the broker sends; whether the client filters is version-dependent), so the
//   transport must skip up to the start itself.
// - The client keeps at most receiverQueueSize messages fetched ahead (libpulsar's queue, which
//   asks the broker for more only as readNext empties it); `maxQueued` records the most it held.
// - readNext(timeout) rejects with 'Failed to receive message: TimeOut' after `timeout` ms with
//   nothing; readNext() with no timeout (or 0) waits forever; close() makes pending reads reject.

/** One message of a partition's log. */
export interface FakeMessage {
  readonly ledgerId: number;
  readonly entryId: number;
  readonly partition: number;
  /** -1 when the entry holds one message. */
  readonly batchIndex: number;
  readonly batchSize: number;
  readonly data: string;
  readonly key?: string;
  readonly properties?: Record<string, string>;
  readonly publishTime: number;
  readonly eventTime?: number;
}

function varint(out: number[], value: bigint): void {
  let v = value & ((1n << 64n) - 1n);
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

export class FakeMessageId implements PulsarClientMessageId {
  constructor(
    readonly ledgerId: number,
    readonly entryId: number,
    readonly partition: number,
    readonly batchIndex: number,
    readonly batchSize: number,
  ) {}
  static earliest(): FakeMessageId {
    return new FakeMessageId(-1, -1, -1, -1, 0);
  }
  static deserialize(data: Buffer): FakeMessageId {
    if (!Buffer.isBuffer(data)) throw new Error('Expected buffer as first argument');
    const id = decodeMessageId(data.toString('base64'));
    return new FakeMessageId(Number(id.ledgerId), Number(id.entryId), id.partition, id.batchIndex, id.batchSize);
  }
  serialize(): Buffer {
    const out: number[] = [];
    const field = (n: number, v: number): void => {
      out.push(n << 3);
      varint(out, BigInt(v));
    };
    field(1, this.ledgerId);
    field(2, this.entryId);
    if (this.partition >= 0) field(3, this.partition);
    if (this.batchIndex >= 0) field(4, this.batchIndex);
    if (this.batchSize > 0) field(6, this.batchSize);
    return Buffer.from(out);
  }
  toString(): string {
    return `${this.ledgerId}:${this.entryId}:${this.partition}:${this.batchIndex}`;
  }
  get isEarliest(): boolean {
    return this.ledgerId === -1 && this.entryId === -1;
  }
}

class FakeClientMessage implements PulsarClientMessage {
  constructor(readonly m: FakeMessage) {}
  getData(): Buffer {
    return Buffer.from(this.m.data);
  }
  getMessageId(): FakeMessageId {
    return new FakeMessageId(this.m.ledgerId, this.m.entryId, this.m.partition, this.m.batchIndex, this.m.batchSize);
  }
  getPartitionKey(): string {
    return this.m.key ?? '';
  }
  getProperties(): { [key: string]: string } {
    return { ...(this.m.properties ?? {}) };
  }
  getPublishTimestamp(): number {
    return this.m.publishTime;
  }
  getEventTimestamp(): number {
    return this.m.eventTime ?? 0;
  }
}

/** What a test scripts and observes. */
export class FakePulsar {
  /** The topic's messages, by full partition name. */
  readonly logs = new Map<string, FakeMessage[]>();
  readonly clients: FakeClient[] = [];
  readonly readers: FakeReader[] = [];
  /**
   * Readers start at the first message of the start id's entry whatever its batch index (a
   * client that leaves all filtering to the application); default: only for a batch index.
   */
  redeliverStartEntry = false;
  /** Next createReader calls fail with these messages, in order. */
  readonly createFailures: string[] = [];
  readonly module: PulsarClientModule;

  constructor() {
    const pulsar = this;
    this.module = {
      Client: class extends FakeClient {
        constructor(config: PulsarClientConfig) {
          super(pulsar, config);
        }
      },
      MessageId: FakeMessageId,
      AuthenticationToken: FakeAuthenticationToken,
    };
  }

  append(topic: string, ...messages: FakeMessage[]): void {
    const log = this.logs.get(topic) ?? [];
    log.push(...messages);
    this.logs.set(topic, log);
    for (const reader of this.readers) if (reader.config.topic === topic) reader.fill();
  }
}

export class FakeAuthenticationToken {
  constructor(readonly params: { token: string }) {}
}

export class FakeClient {
  closed = false;
  constructor(
    private readonly pulsar: FakePulsar,
    readonly config: PulsarClientConfig,
  ) {
    pulsar.clients.push(this);
  }
  async createReader(config: PulsarClientReaderConfig): Promise<PulsarClientReader> {
    await new Promise((resolve) => setImmediate(resolve));
    const failure = this.pulsar.createFailures.shift();
    if (failure !== undefined) throw new Error(failure);
    if (this.closed) throw new Error('Failed to create reader: AlreadyClosed');
    const reader = new FakeReader(this.pulsar, config);
    this.pulsar.readers.push(reader);
    return reader;
  }
  async close(): Promise<null> {
    this.closed = true;
    return null;
  }
}

export class FakeReader implements PulsarClientReader {
  closed = false;
  /** Index in the log of the next message the client fetches from the broker. */
  private cursor: number;
  private readonly queue: FakeMessage[] = [];
  /** The most messages the client held ahead of readNext. */
  maxQueued = 0;
  /** Messages handed out by readNext. */
  handedOut = 0;
  readNextCalls = 0;
  /** The next readNext calls fail with these messages (the connection broke), in order. */
  readonly readFailures: string[] = [];
  private waiter: (() => void) | undefined;

  constructor(
    private readonly pulsar: FakePulsar,
    readonly config: PulsarClientReaderConfig,
  ) {
    const start = config.startMessageId as FakeMessageId;
    const log = pulsar.logs.get(config.topic) ?? [];
    if (start.isEarliest) this.cursor = 0;
    else {
      // After a single-message entry; from the first message of a batch entry (the whole entry again).
      const i = log.findIndex((m) =>
        start.batchIndex >= 0 || pulsar.redeliverStartEntry ? m.ledgerId > start.ledgerId || (m.ledgerId === start.ledgerId && m.entryId >= start.entryId) : m.ledgerId > start.ledgerId || (m.ledgerId === start.ledgerId && m.entryId > start.entryId),
      );
      this.cursor = i < 0 ? log.length : i;
    }
    this.fill();
  }

  /** The client fetches ahead, up to its receiver queue. */
  fill(): void {
    const log = this.pulsar.logs.get(this.config.topic) ?? [];
    const size = this.config.receiverQueueSize ?? 1000;
    while (!this.closed && this.queue.length < size && this.cursor < log.length) this.queue.push(log[this.cursor++]!);
    this.maxQueued = Math.max(this.maxQueued, this.queue.length);
    if (this.queue.length > 0) this.waiter?.();
  }

  async readNext(timeout?: number): Promise<PulsarClientMessage> {
    this.readNextCalls++;
    const failure = this.readFailures.shift();
    if (failure !== undefined) throw new Error(failure);
    if (this.queue.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = timeout !== undefined && timeout > 0 ? setTimeout(() => done(), timeout) : undefined;
        const done = (): void => {
          if (timer !== undefined) clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        };
        this.waiter = done;
      });
    }
    if (this.closed) throw new Error('Failed to receive message: AlreadyClosed');
    const message = this.queue.shift();
    if (message === undefined) throw new Error('Failed to receive message: TimeOut');
    this.handedOut++;
    this.fill();
    return new FakeClientMessage(message);
  }

  hasNext(): boolean {
    throw new Error('hasNext is synchronous and may block the event loop on a broker round trip: the transport must not call it');
  }
  isConnected(): boolean {
    return !this.closed;
  }
  async close(): Promise<null> {
    this.closed = true;
    this.waiter?.();
    return null;
  }
}

/** `count` JSON messages `{i}` from `from`, in entries of `batch` messages (1: not batched). */
export function fakeMessages(partition: number, count: number, batch: number, from = 0, ledgerId = 7): FakeMessage[] {
  const out: FakeMessage[] = [];
  for (let i = from; i < from + count; i++) {
    const entry = Math.floor(i / batch);
    out.push({
      ledgerId,
      entryId: entry,
      partition,
      batchIndex: batch > 1 ? i % batch : -1,
      batchSize: batch > 1 ? batch : 0,
      data: JSON.stringify({ i }),
      key: `k${i}`,
      properties: { n: String(i) },
      publishTime: 1_700_000_000_000 + i,
      ...(i % 2 === 0 ? { eventTime: 1_600_000_000_000 + i } : {}),
    });
  }
  return out;
}

/*
 * The parts of the `pulsar-client` package the native transport uses, mirrored from the
 * `index.d.ts` of pulsar-client 1.18.0 (the latest 1.x when this was written; read from the
 * `npm pack` tarball, since the package cannot be installed here). Mirrored rather than
 * imported: the package is an optional peer that CI never installs (`npm ci` would try to build
 * the addon), so its own types are not available to the type check.
 */

/** pulsar-client's `MessageId` (an opaque handle over the C++ MessageId). */
export interface PulsarClientMessageId {
  /** The protobuf `MessageIdData` bytes: what the WebSocket API writes as base64. */
  serialize(): Buffer;
  toString(): string;
}

/** pulsar-client's `Message` (the getters the reader uses). */
export interface PulsarClientMessage {
  getData(): Buffer;
  getMessageId(): PulsarClientMessageId;
  /** `''` when the producer set no key. */
  getPartitionKey(): string;
  getProperties(): { [key: string]: string };
  getPublishTimestamp(): number;
  /** 0 when the producer set no event time. */
  getEventTimestamp(): number;
}

/** pulsar-client's `ReaderConfig` (the fields set here). */
export interface PulsarClientReaderConfig {
  topic: string;
  startMessageId: PulsarClientMessageId;
  receiverQueueSize?: number;
  readerName?: string;
  readCompacted?: boolean;
}

/** pulsar-client's `Reader`. */
export interface PulsarClientReader {
  /**
   * The next message. With a timeout (ms, > 0) it rejects with `Failed to receive message:
   * TimeOut` when none came; without one (or with 0: the addon treats 0 as none) it waits forever.
   */
  readNext(timeout?: number): Promise<PulsarClientMessage>;
  /** Synchronous, and may ask the broker (getLastMessageId) on the event loop: not used. */
  hasNext(): boolean;
  isConnected(): boolean;
  close(): Promise<null>;
}

/** pulsar-client's `Client`. */
export interface PulsarClientClient {
  createReader(config: PulsarClientReaderConfig): Promise<PulsarClientReader>;
  close(): Promise<null>;
}

/** pulsar-client's `ClientConfig` (the fields set here). */
export interface PulsarClientConfig {
  serviceUrl: string;
  authentication?: object;
  operationTimeoutSeconds?: number;
  connectionTimeoutMs?: number;
  /** `(level, file, line, message) => void`: set so the addon does not print to stdout. */
  log?: (level: number, file: string, line: number, message: string) => void;
}

/** The module's exports the native transport uses. */
export interface PulsarClientModule {
  Client: new (config: PulsarClientConfig) => PulsarClientClient;
  MessageId: {
    earliest(): PulsarClientMessageId;
    deserialize(data: Buffer): PulsarClientMessageId;
  };
  AuthenticationToken: new (params: { token: string }) => object;
}

let loaded: Promise<PulsarClientModule> | undefined;

/** The module specifier, apart so the type check does not look for the package. */
const PULSAR_CLIENT = 'pulsar-client';

/** How to get the native transport, and that the default needs nothing of it. */
export const PULSAR_CLIENT_MISSING =
  "the Pulsar native transport needs the pulsar-client package (a native addon over libpulsar): npm install pulsar-client (it downloads a prebuilt libpulsar binary, or needs the libpulsar headers to build). The default transport, 'websocket' (pulsar.transport = 'websocket'), needs only the ws package";

/**
 * Imports `pulsar-client`, an optional peer loaded only when the native transport is asked for
 * (or tried, with `auto`). Rejects with {@link PULSAR_CLIENT_MISSING} when it is absent or its
 * addon does not load; a later call tries again.
 */
export function loadPulsarClient(): Promise<PulsarClientModule> {
  loaded ??= importPulsarClient().catch((err: unknown) => {
    loaded = undefined;
    throw err;
  });
  return loaded;
}

async function importPulsarClient(): Promise<PulsarClientModule> {
  let module: { default?: Partial<PulsarClientModule> } & Partial<PulsarClientModule>;
  try {
    module = (await import(PULSAR_CLIENT)) as typeof module;
  } catch (err) {
    throw new Error(`${PULSAR_CLIENT_MISSING} (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  // CommonJS through import(): the exports are `default` (and, for some, named too).
  const exports = module.default ?? module;
  if (typeof exports.Client !== 'function' || typeof exports.MessageId?.deserialize !== 'function' || typeof exports.AuthenticationToken !== 'function') {
    throw new TypeError('pulsar-client loaded, but without Client, MessageId.deserialize or AuthenticationToken: tributary was written against pulsar-client 1.x (1.18)');
  }
  return exports as PulsarClientModule;
}

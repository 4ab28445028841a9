/**
 * How a split's reader reaches the broker. Two transports implement it:
 *
 * - `websocket` (the default): Pulsar's WebSocket reader endpoint through the pure-JS `ws`
 *   package. It installs everywhere and is the one tested against a real broker (test/connectors/pulsar).
 * - `native`: the official `pulsar-client` package (a native addon over the C++ libpulsar),
 *   loaded only when asked for. It speaks the binary protocol, saving the WebSocket service's
 *   JSON and base64 hop, but it cannot be installed on the machines tributary is built on (its
 *   install script downloads a prebuilt binary that is unreachable, and building needs the
 *   libpulsar headers), so it is tested only against a fake shaped like its Reader, never
 *   against a real broker. That is why it is optional and not the default.
 *
 * Both speak the same positions: a message id as the WebSocket API writes it (base64 of the
 * protobuf `MessageIdData`, the bytes `pulsar-client`'s `MessageId.serialize()` returns), so a
 * checkpoint written through one transport resumes on the other.
 * @internal
 */
export type PulsarTransportKind = 'websocket' | 'native' | 'auto';

/** One message, whichever transport brought it. @internal */
export interface PulsarMessage {
  /** Base64 `MessageIdData`: the offset tributary stores. */
  readonly messageId: string;
  readonly payload: Uint8Array;
  readonly properties?: Readonly<Record<string, string>> | undefined;
  /** ms since the epoch; NaN when the transport did not say. */
  readonly publishTime: number;
  /** ms since the epoch, when the producer set one. */
  readonly eventTime?: number | undefined;
  readonly key?: string | undefined;
}

/** What opening a reader session needs. @internal */
export interface ReaderSessionRequest {
  /** The partition's (or non-partitioned topic's) full name: `persistent://t/ns/topic-partition-2`. */
  readonly topic: string;
  /** `'earliest'`, or a base64 message id to start after (exclusive). */
  readonly startMessageId: string;
  /** Messages the transport may hold ahead of what was taken: the bound of one split's buffer. */
  readonly receiverQueueSize: number;
  readonly readerName: string;
  readonly signal: AbortSignal;
}

/**
 * One reader open on one partition. Opening rejects with a `PulsarCallError` saying whether to
 * retry; a session that breaks rejects the pending `take` the same way.
 * @internal
 */
export interface ReaderSession {
  /** The messages received so far, at most `receiverQueueSize`; waits for at least one, the session's end, or `signal`. */
  take(signal: AbortSignal): Promise<PulsarMessage[]>;
  /** The taken messages are consumed: the transport may let as many more through. */
  permit(messages: readonly PulsarMessage[]): void;
  /** Ends the session (and what it holds on the broker); idempotent. */
  close(): void;
}

/** A way to open reader sessions. @internal */
export interface PulsarTransport {
  readonly kind: 'websocket' | 'native';
  /** Where it connects, for error messages (never a token). */
  readonly endpoint: string;
  open(request: ReaderSessionRequest): Promise<ReaderSession>;
}

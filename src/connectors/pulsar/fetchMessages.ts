import type { PulsarWireMessage, ReaderSocket } from './ReaderSocket.js';

/**
 * The fetch step of a Pulsar split: the messages the reader socket holds, waiting for at least
 * one (or the connection's end, which rejects with a transient error, or `signal`: then none).
 * At most `receiverQueueSize` messages, since the endpoint sends no more until they are
 * permitted. Kept apart from the loop around it so that it ports to the shared fetch loop of
 * src/connectors/base as one function.
 * @internal
 */
export function fetchMessages(socket: ReaderSocket, signal: AbortSignal): Promise<PulsarWireMessage[]> {
  return socket.take(signal);
}

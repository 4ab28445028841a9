import type { WsModule } from './loadWs.js';
import { parseTopicName, topicPath } from './pulsarTopic.js';
import type { PulsarTransport, ReaderSession } from './PulsarTransport.js';
import { ReaderSocket } from './ReaderSocket.js';

/** What the WebSocket transport needs. @internal */
export interface WebSocketTransportOptions {
  /** `ws://host:8080`. */
  readonly webSocketUrl: string;
  readonly token?: string | undefined;
  readonly requestTimeoutMs: number;
  readonly ws: () => Promise<WsModule>;
}

/**
 * The default transport: Pulsar's WebSocket reader endpoint (`/ws/v2/reader/...`) through `ws`
 * (see {@link ReaderSocket} for its permits, and loadWs for why `ws`). Pure JS, so it installs
 * everywhere, and the one the tests run against a real broker.
 * @internal
 */
export function webSocketTransport(options: WebSocketTransportOptions): PulsarTransport {
  const { webSocketUrl, token, requestTimeoutMs } = options;
  return {
    kind: 'websocket',
    endpoint: webSocketUrl,
    async open({ topic, startMessageId, receiverQueueSize, readerName, signal }): Promise<ReaderSession> {
      const ws = await options.ws();
      const url =
        `${webSocketUrl}/ws/v2/reader/${topicPath(parseTopicName(topic))}?messageId=${encodeURIComponent(startMessageId)}` +
        `&receiverQueueSize=${receiverQueueSize}&readerName=${encodeURIComponent(readerName)}`;
      return ReaderSocket.open(ws, { url, token, timeoutMs: requestTimeoutMs, signal });
    },
  };
}

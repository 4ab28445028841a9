import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import type { WsModule } from './loadWs.js';
import { PulsarCallError, isNetworkError, scrub } from './pulsarErrors.js';
import type { ReaderSession } from './PulsarTransport.js';
import { WireMessage } from './WireMessage.js';

/** One message as the WebSocket reader endpoint sends it. */
export interface PulsarWireMessage {
  /** Base64 `MessageIdData`. */
  readonly messageId: string;
  /** Base64 payload. */
  readonly payload: string;
  readonly properties?: Readonly<Record<string, string>>;
  /** ISO-8601. */
  readonly publishTime: string;
  /** ISO-8601, when the producer set one. */
  readonly eventTime?: string;
  readonly key?: string;
  readonly redeliveryCount?: number;
}

/** What opening a reader socket needs. */
export interface ReaderSocketOptions {
  /** `ws://host:8080/ws/v2/reader/persistent/t/ns/topic?messageId=...&receiverQueueSize=...`. */
  readonly url: string;
  readonly token?: string | undefined;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/**
 * One connection to Pulsar's WebSocket reader endpoint (the transport of a split), with flow
 * control by permits: the endpoint sends at most `receiverQueueSize` messages beyond those the
 * client answered (any text frame counts as one answer; for a reader it acknowledges nothing on
 * the broker, it only lets the next message through). So the inbox never holds more than
 * `receiverQueueSize` messages, and a reader that stops answering (a paused split) stops the
 * flow at the broker: no unbounded buffer on either side.
 *
 * `take` hands over everything received so far (waiting for at least one message), `permit`
 * answers for messages taken, `close` ends the connection. A connection that drops rejects the
 * pending `take` with a transient {@link PulsarCallError}.
 * @internal
 */
export class ReaderSocket implements ReaderSession {
  private inbox: WireMessage[] = [];
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  private constructor(
    private readonly socket: WebSocket,
    private readonly describe: string,
  ) {
    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      let message: PulsarWireMessage;
      try {
        const text = isBinary ? '' : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString('utf8');
        message = JSON.parse(text) as PulsarWireMessage;
        if (typeof message?.messageId !== 'string' || typeof message.payload !== 'string') throw new TypeError('no messageId or payload');
      } catch (err) {
        this.fail(new PulsarCallError(`${describe}: the WebSocket service sent something that is not a reader message (${err instanceof Error ? err.message : String(err)})`, false));
        return;
      }
      // Wrapped, not decoded: the payload is decoded when the reader reads it, after the permits went back.
      this.inbox.push(new WireMessage(message));
      this.wakeUp();
    });
    socket.on('close', (code: number, reason: Buffer) => {
      this.fail(new PulsarCallError(`${describe}: the connection closed (code ${code}${reason.length > 0 ? `, ${reason.toString('utf8')}` : ''})`, true));
    });
    socket.on('error', (err: Error) => {
      this.fail(new PulsarCallError(`${describe}: ${err.message}`, true, undefined, { cause: err }));
    });
  }

  /** Opens a reader connection; rejects with a {@link PulsarCallError} saying whether to retry. */
  static open(ws: WsModule, options: ReaderSocketOptions): Promise<ReaderSocket> {
    const { url, token, timeoutMs, signal } = options;
    const secrets = token !== undefined ? [token] : [];
    const shown = url.replace(/\?.*$/, '');
    return new Promise<ReaderSocket>((resolve, reject) => {
      const socket = new ws(url, {
        handshakeTimeout: timeoutMs,
        // Payloads are base64 in JSON: 4/3 of Pulsar's 5 MB message limit, plus the envelope.
        maxPayload: 16 * 1024 * 1024,
        perMessageDeflate: false,
        ...(token !== undefined ? { headers: { authorization: `Bearer ${token}` } } : {}),
      });
      let settled = false;
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (err === undefined) {
          socket.off('error', onError);
          resolve(new ReaderSocket(socket, `reader ${shown}`));
        } else {
          socket.removeAllListeners();
          socket.on('error', () => undefined);
          socket.terminate();
          reject(err);
        }
      };
      const onAbort = (): void => settle(new PulsarCallError('aborted', false));
      const onError = (err: Error): void =>
        settle(new PulsarCallError(scrub(`cannot open ${shown}: ${err.message}`, secrets), isNetworkError(err) || /timed out|closed before/i.test(err.message), undefined, { cause: err }));
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('open', () => settle());
      socket.on('error', onError);
      socket.once('unexpected-response', (_request: unknown, response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (part: string) => {
          if (body.length < 500) body += part;
        });
        const done = (): void => {
          const reason = scrub(body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300), secrets);
          const hint =
            status === 404 ? ': the topic does not exist, or the WebSocket service is off (webSocketServiceEnabled)' : status === 401 || status === 403 ? ': authentication or authorization refused (check pulsar.auth.token)' : '';
          // 5xx: the broker is starting, or the topic is being loaded or moved; 404 and 401/403 will not change by waiting.
          settle(new PulsarCallError(`cannot open ${shown}: answered ${status}${hint}${reason ? ` (${reason})` : ''}`, status >= 500 || status === 429, status));
        };
        response.once('end', done);
        response.once('error', done);
        response.once('close', done);
      });
    });
  }

  /** Everything received so far; waits for at least one message, the connection's end, or `signal`. */
  async take(signal: AbortSignal): Promise<WireMessage[]> {
    while (this.inbox.length === 0) {
      if (this.failure !== undefined) throw this.failure;
      if (signal.aborted) return [];
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    const taken = this.inbox;
    this.inbox = [];
    return taken;
  }

  /**
   * Lets the next `messages.length` messages through (one answer frame each: the endpoint counts
   * frames, and the message id in it is what Pulsar's own clients send).
   */
  permit(messages: readonly { readonly messageId: string }[]): void {
    if (this.failure !== undefined) return;
    for (const m of messages) this.socket.send(JSON.stringify({ messageId: m.messageId }));
  }

  /** Closes the connection (the endpoint closes its reader on the broker). */
  close(): void {
    this.failure ??= new PulsarCallError(`${this.describe}: closed`, false);
    this.socket.removeAllListeners();
    this.socket.on('error', () => undefined);
    if (this.socket.readyState === this.socket.OPEN) this.socket.close(1000);
    else this.socket.terminate();
    this.wakeUp();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wakeUp();
  }

  private wakeUp(): void {
    this.wake?.();
  }
}

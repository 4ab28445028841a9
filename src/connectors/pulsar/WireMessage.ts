import type { PulsarMessage } from './PulsarTransport.js';
import type { PulsarWireMessage } from './ReaderSocket.js';

/**
 * A wire message (base64 payload, ISO times) seen as a transport-neutral {@link PulsarMessage}.
 * Decoded on access, not when taken: the reader returns the permits of a take before it decodes
 * the messages, so that the broker sends the next ones meanwhile; decoding them as they arrive
 * would put that work before the permits.
 */
export class WireMessage implements PulsarMessage {
  readonly messageId: string;
  constructor(private readonly wire: PulsarWireMessage) {
    this.messageId = wire.messageId;
  }
  get payload(): Uint8Array {
    return Buffer.from(this.wire.payload, 'base64');
  }
  get properties(): Readonly<Record<string, string>> | undefined {
    return this.wire.properties;
  }
  get publishTime(): number {
    return Date.parse(this.wire.publishTime);
  }
  get eventTime(): number | undefined {
    const eventTime = this.wire.eventTime !== undefined ? Date.parse(this.wire.eventTime) : Number.NaN;
    return Number.isNaN(eventTime) ? undefined : eventTime;
  }
  get key(): string | undefined {
    return this.wire.key;
  }
}

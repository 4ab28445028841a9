/**
 * The `pulsar` connector: an Apache Pulsar topic, one split per partition (a non-partitioned
 * topic is one split), read through Pulsar's WebSocket API with the `ws` package (default), or
 * through the official `pulsar-client` when `pulsar.transport` is `native` (optional, installed by
 * you, and not tested against a real broker by tributary: it cannot be installed where tributary
 * is built; see PulsarTransport.ts).
 *
 * - Offsets are message ids; a restart resumes after the checkpointed one (exclusive start), so
 *   the message at the checkpoint is not delivered twice, inside batches too.
 * - Startup `earliest`, `latest` or `timestamp`; bounded mode `latest` stops at each partition's
 *   last message at the first start.
 * - Partitions added to the topic are discovered while running and read from their beginning.
 * - Flow control: the reader endpoint's `receiverQueueSize` and permits bound what a split
 *   buffers; a paused split stops returning permits, and the broker stops sending.
 * - Token auth (`pulsar.auth.token`), never printed.
 *
 * @packageDocumentation
 */
export { pulsarConnector } from './pulsarConnector.js';
export { createPulsarSource, type PulsarSourceOptions } from './createPulsarSource.js';
export {
  pulsarConfigFromProperties,
  pulsarPropertySpecs,
  pulsarDefaults,
  defaultPulsarColumn,
  type PulsarConfig,
  type PulsarMetadataColumn,
  type PulsarMetadataField,
  type PulsarStartupMode,
} from './pulsarProperties.js';
export type { PulsarSplit, PulsarSplitStart } from './PulsarSplit.js';
export type { PulsarTransportKind } from './PulsarTransport.js';
export type { PulsarReconnectEvent } from './PulsarReconnectEvent.js';
export { decodeMessageId, encodeMessageId, compareMessageIds, type MessageId } from './messageId.js';

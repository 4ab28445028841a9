/**
 * One upstream record as the connector received it, before any format decoded it.
 *
 * Offsets are strings because every upstream has its own notion of position (Kafka's 64-bit
 * offsets, Kinesis sequence numbers, byte offsets in files) and all of them must survive a JSON
 * round trip into the state store without losing precision.
 */
export interface SourceMessage {
  /** The split (partition, shard, file, object) this message came from. */
  readonly splitId: string;
  /** The position of this message within its split. */
  readonly offset: string;
  /** The message key, if the upstream has one. */
  readonly key: Uint8Array | null;
  /** The message payload; `null` for tombstones. */
  readonly payload: Uint8Array | null;
  /** Milliseconds since the epoch, when the upstream records one. */
  readonly timestamp?: number;
  /** Upstream headers, when the upstream has them. */
  readonly headers?: Readonly<Record<string, Uint8Array | string | undefined>>;
}

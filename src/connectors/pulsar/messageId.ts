/**
 * Pulsar message ids as the WebSocket API carries them: base64 of the protobuf `MessageIdData`
 * (`ledgerId` = 1, `entryId` = 2, `partition` = 3, `batch_index` = 4, `ack_set` = 5,
 * `batch_size` = 6, `first_chunk_message_id` = 7). tributary keeps them as they come (opaque
 * offsets in its state) and only decodes them to compare positions (bounded mode) and encodes
 * them for start positions the admin API reports as JSON (latest, timestamp).
 * @internal
 */
export interface MessageId {
  readonly ledgerId: bigint;
  readonly entryId: bigint;
  readonly partition: number;
  /** Index inside a batch entry; -1 when the entry is a single message. */
  readonly batchIndex: number;
  /** Messages in the batch entry; 0 when not batched (or not reported). */
  readonly batchSize: number;
}

const U64 = (1n << 64n) - 1n;

function readVarint(bytes: Uint8Array, at: number): [value: bigint, next: number] {
  let value = 0n;
  let shift = 0n;
  for (let i = at; i < bytes.length; i++) {
    const b = bytes[i]!;
    value |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [value, i + 1];
    shift += 7n;
    if (shift > 63n) break;
  }
  throw new TypeError('truncated or overlong varint');
}

/** uint64 as protobuf reads it, back to the signed value Pulsar meant (-1 sentinels). */
const signed64 = (v: bigint): bigint => (v > (1n << 63n) - 1n ? v - (1n << 64n) : v);

/** Decodes a base64 `MessageIdData`; throws a TypeError naming the id when it is not one. */
export function decodeMessageId(base64: string): MessageId {
  const bytes = Buffer.from(base64, 'base64');
  let ledgerId: bigint | undefined;
  let entryId: bigint | undefined;
  let partition = -1;
  let batchIndex = -1;
  let batchSize = 0;
  try {
    let at = 0;
    while (at < bytes.length) {
      const [tag, afterTag] = readVarint(bytes, at);
      const field = Number(tag >> 3n);
      const wire = Number(tag & 7n);
      at = afterTag;
      if (wire === 0) {
        const [value, next] = readVarint(bytes, at);
        at = next;
        if (field === 1) ledgerId = value;
        else if (field === 2) entryId = signed64(value);
        else if (field === 3) partition = Number(signed64(value));
        else if (field === 4) batchIndex = Number(signed64(value));
        else if (field === 6) batchSize = Number(signed64(value));
      } else if (wire === 2) {
        const [length, next] = readVarint(bytes, at);
        at = next + Number(length);
        if (at > bytes.length) throw new TypeError('truncated field');
      } else if (wire === 1) at += 8;
      else if (wire === 5) at += 4;
      else throw new TypeError(`wire type ${wire}`);
    }
  } catch (err) {
    throw new TypeError(`not a Pulsar message id: '${base64.slice(0, 80)}' (${err instanceof Error ? err.message : String(err)})`);
  }
  if (ledgerId === undefined || entryId === undefined) {
    throw new TypeError(`not a Pulsar message id: '${base64.slice(0, 80)}' (no ledger or entry id)`);
  }
  return { ledgerId: signed64(ledgerId), entryId, partition, batchIndex, batchSize };
}

function writeVarint(out: number[], value: bigint): void {
  let v = value & U64;
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

/** Encodes a message id (the fields a start position needs) as the WebSocket API takes it. */
export function encodeMessageId(id: Pick<MessageId, 'ledgerId' | 'entryId'> & Partial<Pick<MessageId, 'partition' | 'batchIndex'>>): string {
  const out: number[] = [];
  const field = (n: number, value: bigint): void => {
    out.push(n << 3);
    writeVarint(out, value);
  };
  field(1, id.ledgerId);
  field(2, id.entryId);
  if (id.partition !== undefined && id.partition >= 0) field(3, BigInt(id.partition));
  if (id.batchIndex !== undefined && id.batchIndex >= 0) field(4, BigInt(id.batchIndex));
  return Buffer.from(out).toString('base64');
}

/** Orders two positions of one topic partition: by ledger, entry, then batch index. */
export function compareMessageIds(a: MessageId, b: MessageId): number {
  if (a.ledgerId !== b.ledgerId) return a.ledgerId < b.ledgerId ? -1 : 1;
  if (a.entryId !== b.entryId) return a.entryId < b.entryId ? -1 : 1;
  return a.batchIndex - b.batchIndex;
}

/**
 * Whether the message `m` is at or past the bounded-mode end `end` (the last message id the
 * admin API reported at the first start): `'past'` when it lies beyond it (not to be emitted),
 * `'last'` when it is the end itself (the last message of that entry), `'before'` otherwise.
 * An end reported for a batch entry without a batch index covers the whole batch.
 */
export function positionAgainstEnd(m: MessageId, end: MessageId): 'before' | 'last' | 'past' {
  if (m.ledgerId !== end.ledgerId) return m.ledgerId < end.ledgerId ? 'before' : 'past';
  if (m.entryId !== end.entryId) return m.entryId < end.entryId ? 'before' : 'past';
  if (end.batchIndex >= 0 && m.batchIndex >= 0) {
    if (m.batchIndex > end.batchIndex) return 'past';
    if (m.batchIndex === end.batchIndex) return 'last';
  }
  if (m.batchIndex < 0 || m.batchSize <= 0 || m.batchIndex >= m.batchSize - 1) return 'last';
  return 'before';
}

/** The JSON message id the admin REST API returns (lastMessageId, messageid/{timestamp}). */
export interface AdminMessageId {
  readonly ledgerId: number;
  readonly entryId: number;
  readonly partitionIndex?: number;
  readonly batchIndex?: number;
}

/**
 * A stored offset (base64 `MessageIdData`, as the WebSocket API writes it) as the bytes
 * `pulsar-client`'s `MessageId.deserialize` takes: both are the same protobuf message, so the
 * mapping is base64 and nothing else. Checks the id first, so that a corrupt checkpoint fails
 * here, naming it, instead of inside the native addon.
 */
export function messageIdToBytes(offset: string): Buffer {
  decodeMessageId(offset);
  return Buffer.from(offset, 'base64');
}

/** The bytes of `pulsar-client`'s `MessageId.serialize()` as a stored offset (see {@link messageIdToBytes}). */
export function messageIdFromBytes(bytes: Uint8Array): string {
  const offset = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  decodeMessageId(offset);
  return offset;
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPulsarSource } from '../../../src/connectors/pulsar/createPulsarSource.js';
import { loadWs } from '../../../src/connectors/pulsar/loadWs.js';
import { decodeMessageId, messageIdFromBytes, messageIdToBytes } from '../../../src/connectors/pulsar/messageId.js';
import type { PulsarMessage, PulsarTransport } from '../../../src/connectors/pulsar/PulsarTransport.js';
import { webSocketTransport } from '../../../src/connectors/pulsar/webSocketTransport.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { createTopic, jsonMessages, needPulsar, partitionOf, produce, uniqueTopic } from '../../support/pulsar.js';
import { FakeMessageId } from './fakePulsarClient.js';
import { readUntil } from './pulsarHelpers.js';

// Checkpoints move between transports: the offset the WebSocket transport stores (base64 of the
// protobuf MessageIdData) maps to the bytes pulsar-client's MessageId.deserialize takes and
// serialize returns. Here with real message ids from the real broker, read through the
// WebSocket API: to bytes, through a stand-in of libpulsar's MessageId (it re-encodes the
// protobuf from the fields, as libpulsar does: pulsar-client itself cannot be installed here),
// back to an offset, and the WebSocket reader resumed from that offset delivers exactly the next
// message. The native transport itself is not run against a real broker (see nativeTransport.ts).

async function readIds(transport: PulsarTransport, topic: string, start: string, count: number): Promise<PulsarMessage[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 20_000);
  const session = await transport.open({ topic, startMessageId: start, receiverQueueSize: 10, readerName: 'id-mapping', signal: controller.signal });
  try {
    const out: PulsarMessage[] = [];
    while (out.length < count && !controller.signal.aborted) {
      const taken = await session.take(controller.signal);
      session.permit(taken);
      out.push(...taken);
    }
    assert.ok(out.length >= count, `read ${out.length} of ${count} in 20 s`);
    return out.slice(0, count);
  } finally {
    clearTimeout(timer);
    session.close();
  }
}

for (const [partitions, batching] of [[0, true], [2, false], [2, true]] as const) {
  test(`real message ids (${partitions === 0 ? 'non-partitioned' : 'partition 1 of 2'}, ${batching ? 'batched' : 'one message per entry'}) map to pulsar-client's MessageId bytes and back; a checkpoint so mapped resumes the WebSocket reader at the next message`, async (t) => {
    const adminUrl = await needPulsar(t);
    if (adminUrl === undefined) return;
    const topic = uniqueTopic('pclient-ids');
    await createTopic(adminUrl, topic, partitions);
    const partition = partitions === 0 ? -1 : 1;
    await produce(adminUrl, topic, partition, jsonMessages(partition, 20), batching);
    const transport = webSocketTransport({ webSocketUrl: adminUrl.replace(/^http/, 'ws'), requestTimeoutMs: 10_000, ws: loadWs });
    const full = partitionOf(topic, partition);
    const messages = await readIds(transport, full, 'earliest', 20);

    let insideBatch = 0;
    for (const { messageId } of messages) {
      const wsId = decodeMessageId(messageId);
      const native = FakeMessageId.deserialize(messageIdToBytes(messageId));
      const back = messageIdFromBytes(native.serialize());
      const round = decodeMessageId(back);
      assert.deepEqual([round.ledgerId, round.entryId, round.partition, round.batchIndex], [wsId.ledgerId, wsId.entryId, wsId.partition, wsId.batchIndex], messageId);
      assert.equal(round.partition, partition);
      if (wsId.batchIndex >= 0 && wsId.batchIndex < wsId.batchSize - 1) insideBatch++;
    }
    if (batching) assert.ok(insideBatch > 0, 'the producer batched: some ids are inside a batch entry');
    else assert.ok(messages.every((m) => decodeMessageId(m.messageId).batchIndex === -1));

    // Resume on the WebSocket transport from ids that went through the native form: message 6 (inside a batch when batched) and 12.
    for (const at of [6, 12]) {
      const mapped = messageIdFromBytes(FakeMessageId.deserialize(messageIdToBytes(messages[at]!.messageId)).serialize());
      const [next] = await readIds(transport, full, mapped, 1);
      assert.equal(JSON.parse(Buffer.from(next!.payload).toString('utf8'))['i'], at + 1, `resumed after message ${at}`);
      assert.equal(next!.messageId, messages[at + 1]!.messageId);
    }
  });
}

test("transport 'native' on a machine without pulsar-client: the source fails with how to install it, naming the split", async (t) => {
  const adminUrl = await needPulsar(t);
  if (adminUrl === undefined) return;
  const topic = uniqueTopic('pclient-native');
  await createTopic(adminUrl, topic, 0);
  await produce(adminUrl, topic, -1, jsonMessages(-1, 3));
  const source = createPulsarSource({ name: 'native', topic, adminUrl, serviceUrl: 'pulsar://127.0.0.1:6650', transport: 'native', format: createFormat('json'), store: new MemoryStore() });
  await assert.rejects(readUntil(source, () => false, 20_000), (err: Error) => {
    assert.match(err.message, /npm install pulsar-client/);
    assert.match(err.message, /'websocket'/);
    assert.ok(err.message.includes(topic), err.message);
    return true;
  });
  // 'auto' on the same machine reads through the WebSocket API.
  const auto = createPulsarSource({ name: 'auto', topic, adminUrl, serviceUrl: 'pulsar://127.0.0.1:6650', transport: 'auto', format: createFormat('json'), store: new MemoryStore() });
  const rows = await readUntil(auto, (r) => r.length >= 3, 20_000);
  assert.deepEqual(rows.map((r) => r['i']), [0, 1, 2]);
});

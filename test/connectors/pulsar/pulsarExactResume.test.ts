import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Subject } from 'rxjs';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import { createPulsarSource } from '../../../src/connectors/pulsar/createPulsarSource.js';
import { decodeMessageId } from '../../../src/connectors/pulsar/messageId.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { createTopic, jsonMessages, needPulsar, produce, uniqueTopic } from '../../support/pulsar.js';
import { readUntil } from './pulsarHelpers.js';

// RisingWave #22486: after a restart, the Pulsar source delivered the message at the checkpoint
// a second time (the reader's start position was taken as inclusive). Here the checkpoint is
// taken right after a known message, and the first message after the restart must be exactly
// the one after it: inside a batch entry (the hard case: one entry id, several messages) and
// for single-message entries. receiverQueueSize 2 (the smallest) keeps chunks to one or two
// messages, so the checkpoint lands after message 7 or 8, inside the second batch of five.
for (const batching of [true, false]) {
  test(`restart after a checkpoint at message 7 or 8 of 30 (${batching ? 'inside a batch entry' : 'one message per entry'}): the first message read again is the next one`, async (t) => {
    const adminUrl = await needPulsar(t);
    if (adminUrl === undefined) return;
    const topic = uniqueTopic(batching ? 'exact-batch' : 'exact-single');
    await createTopic(adminUrl, topic, 0);
    await produce(adminUrl, topic, -1, jsonMessages(-1, 30), batching);
    const store = new MemoryStore();
    const barriers = new Subject<void>();
    const source = () => createPulsarSource({ name: 'exact', topic, adminUrl, format: createFormat('json'), store, barriers, receiverQueueSize: 2 });

    const first = source();
    const delivered1: Row[] = [];
    let checkpointed: string | undefined;
    await new Promise<void>((resolve, reject) => {
      let pending: Row[] = [];
      const subscription = first.pipe(commitEpochs(first)).subscribe({
        next: (event) => {
          if (event.type === 'chunk') {
            assert.ok(event.records.length <= 2, 'at most receiverQueueSize messages per chunk');
            pending.push(...event.records);
            if (checkpointed === undefined && delivered1.length + pending.length >= 7) {
              checkpointed = event.nextOffset;
              barriers.next();
            }
            return;
          }
          delivered1.push(...pending);
          pending = [];
          subscription.unsubscribe();
          resolve();
        },
        error: reject,
      });
    });
    const n = delivered1.length;
    assert.ok(n === 7 || n === 8, `checkpoint after ${n} messages`);
    assert.deepEqual(delivered1.map((r) => r['i']), Array.from({ length: n }, (_, k) => k));
    const id = decodeMessageId(checkpointed!);
    if (batching) {
      // The checkpoint is in the middle of a batch entry: the case #22486 got wrong.
      assert.ok(id.batchSize > 1 && id.batchIndex >= 0 && id.batchIndex < id.batchSize - 1, `checkpoint at batch index ${id.batchIndex} of ${id.batchSize}`);
    } else {
      assert.equal(id.batchIndex, -1, 'a single-message entry');
    }

    const second = source();
    const delivered2 = await readUntil(second.pipe(commitEpochs(second)), (r) => r.length >= 30 - n);
    assert.equal(delivered2[0]!['i'], n, 'the first message after the restart is the one after the checkpoint');
    assert.deepEqual(delivered2.map((r) => r['i']), Array.from({ length: 30 - n }, (_, k) => k + n));
  });
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import { SourceError } from '../../../src/core/SourceError.js';
import { createPulsarSource } from '../../../src/connectors/pulsar/createPulsarSource.js';
import type { PulsarReconnectEvent } from '../../../src/connectors/pulsar/PulsarReconnectEvent.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Row } from '../../../src/formats/Format.js';
import { createTopic, jsonMessages, produce, uniqueTopic } from '../../support/pulsar.js';
import { needOwnPulsar } from '../../support/pulsarOwnBroker.js';
import { byPartition, concat, expected } from './pulsarHelpers.js';

// A broker of this test's own (ports 6670/8095, bookie 3195), with token authentication on: it
// is stopped and started mid-stream, which the shared broker must never be.

test('token auth against a real broker, and a broker restart mid-stream: reconnects, resumes after the last message, nothing lost or repeated, the token never shown', { timeout: 240_000 }, async (t) => {
  const own = await needOwnPulsar(t, { instance: 'pulsar-restart', port: 6670, httpPort: 8095, bookiePort: 3195, auth: true });
  if (own === undefined) return;
  t.after(() => own.clean());
  const admin = own.token('admin');
  const topic = uniqueTopic('bounce');
  await createTopic(own.adminUrl, topic, 2, admin);
  for (const p of [0, 1]) await produce(own.adminUrl, topic, p, jsonMessages(p, 20), true, admin);

  // A wrong token: refused (401) at once, not retried, and not printed.
  const wrong = 'not-a-valid-token-' + 'x'.repeat(20);
  const refused = createPulsarSource({ name: 'refused', topic, adminUrl: own.adminUrl, token: wrong, format: createFormat('json') });
  const failure = await new Promise<unknown>((resolve) => refused.subscribe({ error: resolve, complete: () => resolve(new Error('completed')) }));
  assert.ok(failure instanceof SourceError, String(failure));
  assert.match(failure.message, /401|authentication/i);
  assert.ok(!failure.message.includes(wrong) && !String((failure as Error).cause).includes(wrong), 'the token is not in the error');

  // Without a token: refused too (the broker really checks).
  const anonymous = createPulsarSource({ name: 'anonymous', topic, adminUrl: own.adminUrl, format: createFormat('json') });
  const anonymousFailure = await new Promise<unknown>((resolve) => anonymous.subscribe({ error: resolve, complete: () => resolve(new Error('completed')) }));
  assert.match(String(anonymousFailure), /401|authentication/i);

  const token = own.token('reader');
  const reconnects: PulsarReconnectEvent[] = [];
  const source = createPulsarSource({
    name: 'bounce', topic, adminUrl: own.adminUrl, token, format: createFormat('json'), receiverQueueSize: 5, retryAttempts: 60,
    onReconnect: (event) => reconnects.push(event),
  });
  const rows: Row[] = [];
  let bounced = false;
  await new Promise<void>((resolve, reject) => {
    const subscription = source.pipe(commitEpochs(source)).subscribe({
      next: (event) => {
        if (event.type !== 'chunk') return;
        rows.push(...event.records);
        if (!bounced && rows.length >= 10) {
          bounced = true;
          // Mid-stream: stop the broker, start it again on the same data, then publish more.
          void (async () => {
            await own.stop();
            await own.start();
            for (const p of [0, 1]) await produce(own.adminUrl, topic, p, jsonMessages(p, 15, 'after'), false, admin);
          })().catch(reject);
        }
        if (rows.length >= 70) {
          subscription.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
  assert.ok(reconnects.length >= 1, 'the readers reconnected');
  for (const event of reconnects) assert.ok(!event.error.includes(token), 'the token is not in reconnect events');
  t.diagnostic(`reconnects: ${reconnects.length}; first: ${reconnects[0]?.error ?? ''}`);
  const seen = rows.map((r) => `${String(r['p'])}/${String(r['tag'])}:${String(r['i'])}`);
  assert.equal(new Set(seen).size, seen.length, 'nothing delivered twice');
  assert.deepEqual(byPartition(rows), concat(expected([0, 1], 20), expected([0, 1], 15, 'after')));
});

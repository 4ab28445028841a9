import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPulsarSource } from '../../../src/connectors/pulsar/createPulsarSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { createTopic, jsonMessages, needPulsar, produce, uniqueTopic } from '../../support/pulsar.js';
import { readUntil } from './pulsarHelpers.js';

test('Pulsar reports payload bytes and rows per partition into the source metrics', async (t) => {
  const adminUrl = await needPulsar(t);
  if (adminUrl === undefined) return;
  const topic = uniqueTopic('metrics');
  await createTopic(adminUrl, topic, 2);
  const messages = [...jsonMessages(0, 12, 'm'), ...jsonMessages(1, 8, 'm')];
  await produce(adminUrl, topic, 0, messages.slice(0, 12));
  await produce(adminUrl, topic, 1, messages.slice(12));
  const source = createPulsarSource({ name: 'metrics', topic, adminUrl, format: createFormat('json') });
  const rows = await readUntil(source, (r) => r.length >= 20);
  assert.equal(rows.length, 20);
  const metrics = source.metrics();
  assert.equal(metrics.rows, 20);
  assert.equal(metrics.bytes, messages.reduce((sum, m) => sum + Buffer.byteLength(m.value), 0));
  assert.deepEqual(metrics.splits.map((s) => s.rows).sort((a, b) => a - b), [8, 12]);
});

test('Pulsar lag is the reader backlog from the topic stats: large while a rate limit holds the reader back, 0 once caught up', async (t) => {
  const adminUrl = await needPulsar(t);
  if (adminUrl === undefined) return;
  const topic = uniqueTopic('metrics-lag');
  await createTopic(adminUrl, topic, 0);
  await produce(adminUrl, topic, -1, jsonMessages(-1, 300, 'm'));
  const source = createPulsarSource({ name: 'metrics-lag', topic, adminUrl, format: createFormat('json'), receiverQueueSize: 10, rateLimit: 20 });
  let rows = 0;
  const subscription = source.subscribe((event) => {
    if (event.type === 'chunk') rows += event.records.length;
  });
  t.after(() => subscription.unsubscribe());
  const lagNow = (): number | undefined => source.metrics().splits[0]?.lag?.value;
  const until = async (what: string, check: () => boolean): Promise<void> => {
    for (const deadline = Date.now() + 20_000; !check(); await new Promise((r) => setTimeout(r, 100))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (rows ${rows}, lag ${lagNow()})`);
    }
  };
  await until('a lag figure while limited', () => (lagNow() ?? 0) > 0 && rows > 0);
  // The backlog is polled once a second, the first time as the reader opens: that figure can
  // predate the first dispatch (300 with rows already out). The figure checked is a later poll's,
  // taken while the limit still holds the reader back.
  const first = lagNow();
  await until('a lag figure polled after rows went out', () => lagNow() !== first);
  const limited = lagNow()!;
  t.diagnostic(`limited: ${rows} rows out, lag ${limited} records`);
  assert.equal(source.metrics().splits[0]?.lag?.unit, 'records');
  // Messages dispatched to the reader are out of the backlog: lag + rows never exceeds what exists.
  assert.ok(limited + rows <= 300 && limited > 150, `lag ${limited} with ${rows} rows out of 300`);
  source.setRateLimit(null);
  await until('every message and a lag of 0', () => rows >= 300 && lagNow() === 0);
  assert.equal(rows, 300);
});

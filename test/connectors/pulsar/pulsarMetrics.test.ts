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

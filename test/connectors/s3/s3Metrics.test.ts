import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createS3Source } from '../../../src/connectors/s3/createS3Source.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { motoCredentials, motoEndpoint, motoHowToStart, s3Admin } from '../../support/aws.js';
import { needPeer } from '../../support/peers.js';
import { runSource } from './s3Helpers.js';

const endpoint = motoEndpoint();

test('S3 reports the body bytes and rows of each object into the source metrics', async (t) => {
  if (!needPeer(t, endpoint !== undefined, motoHowToStart)) return;
  const peer = await s3Admin(endpoint!, `tributary-${randomUUID()}`, motoCredentials);
  t.after(() => peer.client.destroy());
  const bodies = { 'm/a.ndjson': '{"n":1}\n{"n":2}\n', 'm/b.ndjson': '{"n":3}\n' };
  for (const [key, body] of Object.entries(bodies)) await peer.put(key, body);
  const source = createS3Source({ name: 'metrics-s3', bucket: peer.bucket, prefix: 'm/', endpoint: endpoint!, credentials: motoCredentials, format: createFormat('json') });
  const run = await runSource(source);
  assert.equal(run.rows.length, 3);
  const metrics = source.metrics();
  assert.equal(metrics.rows, 3);
  assert.equal(metrics.bytes, Object.values(bodies).reduce((sum, b) => sum + b.length, 0));
  assert.deepEqual(metrics.splits.map((s) => [s.rows, s.bytes]).sort(), [[1, 8], [2, 16]]);
  assert.equal(metrics.lastCheckpoint?.final, true);
});

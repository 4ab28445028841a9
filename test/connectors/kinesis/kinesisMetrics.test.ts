import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createKinesisSource } from '../../../src/connectors/kinesis/createKinesisSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { kinesisAdmin, motoCredentials, motoEndpoint, motoHowToStart } from '../../support/aws.js';
import { needPeer } from '../../support/peers.js';
import { eventually, startRun } from '../s3/s3Helpers.js';

const endpoint = motoEndpoint();

test('Kinesis reports bytes read and MillisBehindLatest as lag in ms, per shard', async (t) => {
  if (!needPeer(t, endpoint !== undefined, motoHowToStart)) return;
  const admin = kinesisAdmin(endpoint!, motoCredentials);
  t.after(() => admin.client.destroy());
  const stream = `metrics-${randomUUID()}`;
  await admin.createStream(stream, 1);
  const records = Array.from({ length: 8 }, (_, i) => ({ key: 'k', data: JSON.stringify({ i }) }));
  // Two puts 1.5 s apart: the first response (4 records) lies ~1.5 s behind the shard's tip.
  await admin.put(stream, records.slice(0, 4));
  await new Promise((r) => setTimeout(r, 1_500));
  await admin.put(stream, records.slice(4));
  const source = createKinesisSource({ name: 'metrics-k', stream, endpoint: endpoint!, credentials: motoCredentials, format: createFormat('json'), pollIntervalMs: 20, recordsPerCall: 4 });
  const lags: number[] = [];
  const live = startRun(source, (run) => {
    const lag = source.metrics().splits[0]?.lag;
    if (lag !== undefined && lags.length < run.rows.length / 4) lags.push(lag.value);
  });
  t.after(() => live.stop());
  await eventually(() => live.run.rows.length >= 8 || live.error !== undefined, 'all 8 records');
  assert.equal(live.error, undefined);
  t.diagnostic(`lag after each chunk: ${lags.join(', ')} ms`);
  assert.ok(lags[0]! >= 1_300 && lags[0]! < 10_000, `the first chunk is ~1.5 s behind the tip (${lags[0]} ms)`);
  assert.equal(lags.at(-1), 0, 'caught up');
  const metrics = source.metrics();
  assert.equal(metrics.rows, 8);
  assert.equal(metrics.bytes, records.reduce((sum, r) => sum + Buffer.byteLength(r.data), 0));
  const [shard] = metrics.splits;
  assert.equal(shard?.rows, 8);
  assert.equal(shard?.lag?.unit, 'ms', 'the shard reports MillisBehindLatest');
  assert.ok((shard?.lag?.value ?? -1) >= 0);
  t.diagnostic(`lag after catching up: ${shard?.lag?.value} ms`);
});

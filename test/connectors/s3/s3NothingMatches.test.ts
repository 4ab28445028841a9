import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createS3Source } from '../../../src/connectors/s3/createS3Source.js';
import type { SourceWarning } from '../../../src/core/SourceWarning.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { motoCredentials, motoEndpoint, motoHowToStart, s3Admin } from '../../support/aws.js';
import { needPeer } from '../../support/peers.js';
import { runSource } from './s3Helpers.js';

const endpoint = motoEndpoint();

test('s3 on moto: a pattern or prefix matching no object is said once on warnings$; one that matches says nothing', async (t) => {
  if (!needPeer(t, endpoint !== undefined, motoHowToStart)) return;
  const peer = await s3Admin(endpoint!, `cli-${randomUUID()}`, motoCredentials);
  t.after(() => peer.client.destroy());
  await peer.put('in/a.ndjson', '{"n":1}\n');
  await peer.put('in/b.csv', 'n\n2\n');
  const scan = async (options: { prefix?: string; matchPattern?: string }): Promise<{ rows: number; warnings: string[] }> => {
    const source = createS3Source({ name: 'empty-s3', bucket: peer.bucket, endpoint: endpoint!, credentials: motoCredentials, format: createFormat('json'), ...options });
    const warnings: SourceWarning[] = [];
    const sub = source.warnings$?.subscribe((w) => warnings.push(w));
    const run = await runSource(source);
    sub?.unsubscribe();
    return { rows: run.rows.length, warnings: warnings.map((w) => `${w.source}: ${w.message}`) };
  };
  assert.deepEqual(await scan({ prefix: 'in/', matchPattern: '*.parquet' }), {
    rows: 0,
    warnings: [`empty-s3: pattern '*.parquet' matches no object under s3://${peer.bucket}/in/`],
  });
  assert.deepEqual(await scan({ prefix: 'nowhere/' }), { rows: 0, warnings: [`empty-s3: no object under s3://${peer.bucket}/nowhere/`] });
  assert.deepEqual(await scan({ prefix: 'in/', matchPattern: '*.ndjson' }), { rows: 1, warnings: [] });
});

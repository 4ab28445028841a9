import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Subject } from 'rxjs';
import { createS3Handle } from '../../../src/connectors/s3/s3Client.js';
import { createS3Source } from '../../../src/connectors/s3/createS3Source.js';
import { ObjectVersionGoneError, S3ObjectInput } from '../../../src/connectors/s3/S3ObjectInput.js';
import { s3ConfigFromProperties } from '../../../src/connectors/s3/s3Properties.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { motoCredentials, motoEndpoint, motoHowToStart, s3Admin, startProxy } from '../../support/aws.js';
import { needPeer } from '../../support/peers.js';
import { runSource } from './s3Helpers.js';

// The same connector scenarios against moto's S3, a second implementation (real If-Match, atomic PUTs).
const endpoint = motoEndpoint();

describe('s3 connector against moto', () => {
  test('paginated bounded scan, then a mid-object resume with a ranged GET', async (t) => {
    if (!needPeer(t, endpoint !== undefined, motoHowToStart)) return;
    const peer = await s3Admin(endpoint!, `tributary-${randomUUID()}`, motoCredentials);
    t.after(() => peer.client.destroy());
    for (let i = 0; i < 7; i++) await peer.put(`p/${i}.ndjson`, `{"n":${i}}\n`);
    const total = 120_000;
    await peer.put('q/big.csv', 'id\n' + Array.from({ length: total }, (_, i) => String(i)).join('\n') + '\n');
    const proxy = await startProxy(t, endpoint!);
    const make = (options: Partial<Parameters<typeof createS3Source>[0]>) =>
      createS3Source({ name: 'moto-s3', bucket: peer.bucket, endpoint: proxy.endpoint, credentials: motoCredentials, format: createFormat('json'), ...options });

    const listed = await runSource(make({ prefix: 'p/', listPageSize: 3, window: 2 }));
    assert.deepEqual(listed.rows.map((r) => r.n).sort(), [0, 1, 2, 3, 4, 5, 6]);
    assert.ok(proxy.requests.filter((r) => r.url.includes('continuation-token=')).length >= 2);

    const store = new MemoryStore();
    const barriers = new Subject<void>();
    const csv = () => make({ prefix: 'q/', format: createFormat('csv'), store, barriers, name: 'moto-csv' });
    let asked = false;
    const first = await runSource(csv(), (run) => {
      if (!asked && run.chunks.length >= 1) {
        asked = true;
        barriers.next();
      }
      return run.barriers > 0 && run.chunks.length >= 3;
    });
    assert.ok(first.committedRows > 0 && first.committedRows < total, `committed ${first.committedRows} of ${total} in ${first.chunks.length} chunks (${first.chunks.map((c) => c.records.length).join(',')})`);
    proxy.requests.length = 0;
    const second = await runSource(csv());
    const ids = [...first.rows.slice(0, first.committedRows), ...second.rows].map((r) => Number(r.id));
    assert.deepEqual(ids, Array.from({ length: total }, (_, i) => i));
    const gets = proxy.requests.filter((r) => r.method === 'GET' && r.url.includes('big.csv'));
    assert.ok(gets.some((r) => /^bytes=[1-9]\d*-$/.test(String(r.headers.range))), gets.map((r) => r.headers.range).join(' '));
    assert.ok(gets.every((r) => typeof r.headers['if-match'] === 'string'), 'every GET pins the ETag');
  });

  test('a replaced object is refused by If-Match, never read as a mix of versions', async (t) => {
    if (!needPeer(t, endpoint !== undefined, motoHowToStart)) return;
    const peer = await s3Admin(endpoint!, `tributary-${randomUUID()}`, motoCredentials);
    t.after(() => peer.client.destroy());
    await peer.put('r.txt', 'version one');
    const handle = await createS3Handle({ ...s3ConfigFromProperties({ 's3.bucket': peer.bucket }), endpoint: endpoint!, credentials: motoCredentials });
    t.after(() => handle.client.destroy());
    const head = await handle.client.send(new handle.sdk.HeadObjectCommand({ Bucket: peer.bucket, Key: 'r.txt' }));
    const split = { id: 'r', bucket: peer.bucket, key: 'r.txt', etag: (head.ETag ?? '').replaceAll('"', ''), size: 11, lastModified: 0 };
    await peer.put('r.txt', 'VERSION TWO, LONGER');
    const input = new S3ObjectInput(handle, split, 'none', new AbortController().signal);
    await assert.rejects(async () => {
      for await (const _ of input.stream(3)) assert.fail('no bytes of another version');
    }, ObjectVersionGoneError);
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { Subject } from 'rxjs';
import { createS3LookupTable } from '../../../src/connectors/s3/createS3LookupTable.js';
import { createS3Source } from '../../../src/connectors/s3/createS3Source.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Format, Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { s3rverCredentials, startProxy, startS3rver, type S3Peer } from '../../support/aws.js';
import { fixture } from '../../support/fixtures.js';
import { eventually, runSource } from './s3Helpers.js';

const source = (peer: S3Peer, format: Format, options: Partial<Parameters<typeof createS3Source>[0]> = {}) =>
  createS3Source({ name: 's3-formats', bucket: peer.bucket, endpoint: peer.endpoint, credentials: s3rverCredentials, format, ...options });

describe('s3 connector with the real formats', () => {
  test('Avro container fixtures (null, deflate, snappy, zstd codecs) read like their JSON twin', async (t) => {
    const dir = fixture(t, 'avro');
    if (dir === undefined) return;
    const peer = await startS3rver(t);
    const codecs = ['weather.avro', 'weather-deflate.avro', 'weather-snappy.avro', 'weather-zstd.avro'];
    for (const name of codecs) await peer.put(`avro/${name}`, readFileSync(`${dir}/${name}`));
    const expected = readFileSync(`${dir}/weather.json`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
    const run = await runSource(source(peer, createFormat('avro'), { prefix: 'avro/' }));
    const byObject = new Map<string, Row[]>();
    for (const c of run.chunks) byObject.set(c.splitId.split('@')[0]!, [...(byObject.get(c.splitId.split('@')[0]!) ?? []), ...c.records]);
    for (const name of codecs) {
      const rows = (byObject.get(`avro/${name}`) ?? []).map((r) => ({ ...r, time: Number(r.time) }));
      assert.deepEqual(rows, expected, name);
    }
  });

  test("RisingWave's NDJSON test topic, gzipped in S3, decodes with the json format", async (t) => {
    const file = fixture(t, 'risingwave', 'kafka_4_partition_topic_with_100_message.4');
    if (file === undefined) return;
    const peer = await startS3rver(t);
    const bytes = readFileSync(file);
    await peer.put('rw/topic.ndjson.gz', gzipSync(bytes));
    const run = await runSource(source(peer, createFormat('json'), { prefix: 'rw/' }));
    const expected = bytes.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
    assert.equal(run.rows.length, 100);
    assert.deepEqual(run.rows, expected);
  });

  test('CSV with a header resumes mid-object: the header from byte 0, the rest from the checkpoint', async (t) => {
    const peer = await startS3rver(t);
    const total = 30_000;
    const csv = 'id,name\n' + Array.from({ length: total }, (_, i) => `${i},name-${i}`).join('\n') + '\n';
    await peer.put('csv/big.csv', csv);
    const proxy = await startProxy(t, peer.endpoint);
    const store = new MemoryStore();
    const barriers = new Subject<void>();
    const make = () => source(peer, createFormat('csv'), { endpoint: proxy.endpoint, prefix: 'csv/', store, barriers });
    let asked = false;
    const first = await runSource(make(), (run) => {
      if (!asked && run.chunks.length >= 2) {
        asked = true;
        barriers.next();
      }
      return run.barriers > 0 && run.chunks.length >= 4;
    });
    assert.ok(first.committedRows > 0 && first.committedRows < total);
    proxy.requests.length = 0;
    const second = await runSource(make());
    const ids = [...first.rows.slice(0, first.committedRows), ...second.rows].map((r) => Number(r.id));
    assert.deepEqual(ids, Array.from({ length: total }, (_, i) => i));
    assert.deepEqual(second.rows[0], { id: String(first.committedRows), name: `name-${first.committedRows}` });
    const gets = proxy.requests.filter((r) => r.method === 'GET' && r.url.includes('big.csv'));
    assert.ok(gets.some((r) => /^bytes=[1-9]\d*-$/.test(String(r.headers.range))), `a ranged GET from the checkpoint: ${gets.map((r) => r.headers.range).join(' ')}`);
  });

  test('an S3 lookup table indexes an object and rebuilds when its ETag changes', async (t) => {
    const peer = await startS3rver(t);
    await peer.put('dims/customers.csv', 'id,name\n1,Ada\n2,Grace\n');
    const table = createS3LookupTable<string>({
      bucket: peer.bucket,
      prefix: 'dims/customers.csv',
      endpoint: peer.endpoint,
      credentials: s3rverCredentials,
      format: createFormat('csv'),
      key: 'id',
      pollIntervalMs: 50,
    });
    t.after(() => table.close());
    assert.deepEqual(await table.lookup('2'), [{ id: '2', name: 'Grace' }]);
    assert.deepEqual(await table.lookup('3'), []);
    const generation = table.generation;
    await peer.put('dims/customers.csv', 'id,name\n1,Ada\n2,Grace Hopper\n3,Barbara\n');
    await eventually(() => table.generation > generation, 'the polled ETag check to notice the change');
    assert.deepEqual(await table.lookup('3'), [{ id: '3', name: 'Barbara' }]);
    assert.deepEqual(await table.lookup('2'), [{ id: '2', name: 'Grace Hopper' }]);
    assert.equal(table.builds, 2);
  });
});

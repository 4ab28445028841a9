import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { Subject } from 'rxjs';
import { createS3Source } from '../../../src/connectors/s3/createS3Source.js';
import { createS3Handle } from '../../../src/connectors/s3/s3Client.js';
import { S3ObjectInput } from '../../../src/connectors/s3/S3ObjectInput.js';
import { s3ConfigFromProperties } from '../../../src/connectors/s3/s3Properties.js';
import { s3Connector } from '../../../src/connectors/s3/s3Connector.js';
import { BadRecordError, SourceError } from '../../../src/core/SourceError.js';
import type { Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { s3rverCredentials, startProxy, startS3rver, type S3Peer } from '../../support/aws.js';
import { testNdjsonFormat } from '../../support/awsTestFormat.js';
import { eventually, runSource, startRun } from './s3Helpers.js';

const lines = (from: number, to: number, tag = 'o'): string =>
  Array.from({ length: to - from }, (_, i) => JSON.stringify({ tag, n: from + i })).join('\n') + '\n';

function source(peer: S3Peer, options: Partial<Parameters<typeof createS3Source>[0]> = {}) {
  return createS3Source({
    name: 's3-test',
    bucket: peer.bucket,
    endpoint: peer.endpoint,
    credentials: s3rverCredentials,
    format: testNdjsonFormat(),
    ...options,
  });
}

const ns = (rows: readonly Row[]): number[] => rows.map((r) => r.n as number);

describe('s3 connector against s3rver', () => {
  test('a bounded scan reads every matching object under the prefix, across listing pages, and completes', async (t) => {
    const peer = await startS3rver(t);
    for (let i = 0; i < 23; i++) await peer.put(`data/part-${String(i).padStart(3, '0')}.ndjson`, lines(i * 10, i * 10 + 10));
    await peer.put('data/readme.txt', 'not json at all');
    await peer.put('data/sub/', '');
    await peer.put('elsewhere/x.ndjson', lines(1000, 1010));
    const proxy = await startProxy(t, peer.endpoint);

    const run = await runSource(source(peer, { endpoint: proxy.endpoint, prefix: 'data/', matchPattern: '*.ndjson', listPageSize: 4, window: 3 }));

    assert.deepEqual(ns(run.rows).sort((a, b) => a - b), Array.from({ length: 230 }, (_, i) => i));
    assert.equal(run.finalBarrier, true, 'a bounded source ends with a final checkpoint');
    const listings = proxy.requests.filter((r) => r.url.includes('list-type=2'));
    assert.ok(listings.length >= 6, `25 keys at 4 per page need >= 6 list requests, saw ${listings.length}`);
    assert.ok(listings.slice(1).every((r) => r.url.includes('continuation-token=')), 'later pages use continuation tokens');
    assert.ok(!proxy.requests.some((r) => r.url.includes('readme.txt') || r.url.includes('elsewhere')), 'non-matching keys are not fetched');
  });

  test('reading starts before a long listing ends, and at most `window` objects are unfinished at once', async (t) => {
    const peer = await startS3rver(t);
    for (let i = 0; i < 60; i++) await peer.put(`big/${String(i).padStart(4, '0')}.ndjson`, lines(i, i + 1));
    const proxy = await startProxy(t, peer.endpoint);
    const store = new MemoryStore();
    const barriers = new Subject<void>();
    let maxPending = 0;
    let chunks = 0;
    const live = startRun(source(peer, { endpoint: proxy.endpoint, prefix: 'big/', listPageSize: 5, window: 4, store, barriers }), (run) => {
      if (run.chunks.length === chunks) return;
      chunks = run.chunks.length;
      barriers.next();
      for (const [key, value] of store.entries()) {
        if (!key.startsWith('s3-test/epoch/')) continue;
        const state = (value as { enumerator?: { window: unknown[] } }).enumerator;
        if (state !== undefined) maxPending = Math.max(maxPending, state.window.length);
      }
    });
    const run = await live.done;
    assert.equal(run.rows.length, 60);
    assert.ok(maxPending > 0 && maxPending <= 4, `checkpointed window holds at most 4 objects, saw ${maxPending}`);
    const firstGet = proxy.requests.findIndex((r) => r.method === 'GET' && r.url.startsWith('/tributary/big/'));
    const lastList = proxy.requests.map((r) => r.url.includes('list-type=2')).lastIndexOf(true);
    assert.ok(firstGet >= 0 && firstGet < lastList, 'the first object was fetched before the last listing page');
  });

  test('S3ObjectInput streams byte ranges with ranged GETs', async (t) => {
    const peer = await startS3rver(t);
    await peer.put('r.txt', '0123456789abcdefghij');
    const proxy = await startProxy(t, peer.endpoint);
    const handle = await createS3Handle({ ...s3ConfigFromProperties({ 's3.bucket': peer.bucket }), endpoint: proxy.endpoint, credentials: s3rverCredentials });
    t.after(() => handle.client.destroy());
    const listed = await handle.client.send(new handle.sdk.HeadObjectCommand({ Bucket: peer.bucket, Key: 'r.txt' }));
    const split = { id: 'r', bucket: peer.bucket, key: 'r.txt', etag: (listed.ETag ?? '').replaceAll('"', ''), size: 20, lastModified: 0 };
    const input = new S3ObjectInput(handle, split, 'none', new AbortController().signal);
    const read = async (start: number, end?: number): Promise<string> => {
      const parts: Buffer[] = [];
      for await (const b of input.stream(start, end)) parts.push(Buffer.from(b));
      return Buffer.concat(parts).toString();
    };
    assert.equal(await read(5, 10), '56789');
    assert.equal(await read(15), 'fghij');
    assert.equal(await read(20), '', "reading at the end is S3's 416, taken as nothing more");
    assert.equal(await input.size(), 20);
    const ranges = proxy.requests.filter((r) => r.method === 'GET').map((r) => r.headers.range);
    assert.deepEqual(ranges, ['bytes=5-9', 'bytes=15-', 'bytes=20-']);
  });

  test('a restart resumes mid-object with a ranged GET: no record lost, none twice', async (t) => {
    const peer = await startS3rver(t);
    const total = 40_000;
    await peer.put('big.ndjson', '#header\n' + lines(0, total));
    const proxy = await startProxy(t, peer.endpoint);
    const store = new MemoryStore();
    const barriers = new Subject<void>();
    const format = testNdjsonFormat({ header: true });
    const make = () => source(peer, { endpoint: proxy.endpoint, store, barriers, format });

    let barrierAsked = false;
    const first = await runSource(make(), (run) => {
      if (!barrierAsked && run.chunks.length >= 2) {
        barrierAsked = true;
        barriers.next();
      }
      return run.barriers > 0 && run.chunks.length >= 4;
    });
    assert.ok(first.committedRows > 0 && first.committedRows < total, `checkpoint mid-object (${first.committedRows} rows)`);
    const resumeAt = Number(first.chunks.find((c) => ns(c.records).at(-1) === first.committedRows - 1)!.nextOffset);

    proxy.requests.length = 0;
    const second = await runSource(make());
    const seen = [...ns(first.rows.slice(0, first.committedRows)), ...ns(second.rows)];
    assert.deepEqual(seen, Array.from({ length: total }, (_, i) => i), 'committed rows then resumed rows are every row once, in order');
    assert.ok(second.rows.every((r) => r.header === '#header'), 'the header was read again (byte 0) on resume');
    const ranges = proxy.requests.filter((r) => r.method === 'GET' && r.url.includes('big.ndjson')).map((r) => r.headers.range);
    assert.deepEqual(ranges, ['bytes=0-63', `bytes=${resumeAt}-`], 'header range, then the rest from the checkpoint');
  });

  test('gzip objects are decompressed by suffix and by Content-Encoding, and resume by skipping', async (t) => {
    const peer = await startS3rver(t);
    await peer.put('z/a.ndjson.gz', gzipSync(lines(0, 500, 'a')));
    await peer.put('z/b.ndjson', gzipSync(lines(0, 300, 'b')), { contentEncoding: 'gzip' });
    const run = await runSource(source(peer, { prefix: 'z/' }));
    assert.equal(run.rows.filter((r) => r.tag === 'a').length, 500);
    assert.deepEqual(ns(run.rows.filter((r) => r.tag === 'b')), Array.from({ length: 300 }, (_, i) => i));

    const handle = await createS3Handle({ ...s3ConfigFromProperties({ 's3.bucket': peer.bucket }), endpoint: peer.endpoint, credentials: s3rverCredentials });
    t.after(() => handle.client.destroy());
    const head = await handle.client.send(new handle.sdk.HeadObjectCommand({ Bucket: peer.bucket, Key: 'z/b.ndjson' }));
    const split = { id: 'b', bucket: peer.bucket, key: 'z/b.ndjson', etag: (head.ETag ?? '').replaceAll('"', ''), size: head.ContentLength ?? 0, lastModified: 0 };
    const input = new S3ObjectInput(handle, split, 'auto', new AbortController().signal);
    const parts: Buffer[] = [];
    for await (const b of input.stream(1000)) parts.push(Buffer.from(b));
    assert.equal(Buffer.concat(parts).toString(), lines(0, 300, 'b').slice(1000), 'offsets are in decompressed bytes');
    assert.equal(await input.size(), undefined, 'a gzip object has no known decompressed size');
  });

  test('an unbounded scan reads objects that arrive later, each once', async (t) => {
    const peer = await startS3rver(t);
    await peer.put('in/1.ndjson', lines(0, 5));
    await peer.put('in/2.ndjson', lines(5, 10));
    const proxy = await startProxy(t, peer.endpoint);
    // window 1: objects are read one at a time, in the order listings hand them out.
    const live = startRun(source(peer, { endpoint: proxy.endpoint, prefix: 'in/', scanMode: 'unbounded', refreshIntervalMs: 50, window: 1 }));
    t.after(() => live.stop());
    await eventually(() => live.run.rows.length >= 10 || live.error !== undefined, 'the first objects');
    await peer.put('in/3.ndjson', lines(10, 15));
    await peer.put('in/0.ndjson', lines(15, 20)); // sorts first: unordered scans still see it
    await eventually(() => live.run.rows.length >= 20 || live.error !== undefined, 'the objects that arrived later');
    const listsAfter = proxy.requests.filter((r) => r.url.includes('list-type=2')).length;
    await eventually(() => proxy.requests.filter((r) => r.url.includes('list-type=2')).length >= listsAfter + 3, 'three more listings');
    // A sentinel that sorts last: an object read twice in the passes up to the sentinel's would be
    // handed out, and with window 1 delivered, before it.
    await peer.put('in/~sentinel.ndjson', lines(99, 100));
    await eventually(() => ns(live.run.rows).includes(99) || live.error !== undefined, 'the sentinel');
    assert.equal(live.error, undefined);
    assert.deepEqual(ns(live.run.rows).sort((a, b) => a - b), [...Array.from({ length: 20 }, (_, i) => i), 99], 'every row once, nothing read twice');
  });

  test('a replaced object (new ETag) is read again as a new split, never mixed with the old version', async (t) => {
    const peer = await startS3rver(t);
    await peer.put('rep/a.ndjson', lines(0, 3, 'v1'));
    const live = startRun(source(peer, { prefix: 'rep/', scanMode: 'unbounded', refreshIntervalMs: 50 }));
    t.after(() => live.stop());
    await eventually(() => live.run.rows.length >= 3 || live.error !== undefined, 'version 1');
    await peer.put('rep/a.ndjson', lines(100, 104, 'v2'));
    await eventually(() => live.run.rows.length >= 7 || live.error !== undefined, 'version 2');
    assert.equal(live.error, undefined);
    const splits = [...new Set(live.run.chunks.map((c) => c.splitId))];
    assert.equal(splits.length, 2, 'two versions, two splits');
    assert.ok(splits.every((id) => id.startsWith('rep/a.ndjson@')));
    for (const c of live.run.chunks) {
      const tags = new Set(c.records.map((r) => r.tag));
      assert.equal(tags.size, 1, 'a split holds rows of one version');
    }
    assert.deepEqual(ns(live.run.rows.filter((r) => r.tag === 'v2')), [100, 101, 102, 103]);
  });

  test('keys declared ordered: later passes list after the last key only', async (t) => {
    const peer = await startS3rver(t);
    await peer.put('ord/2024-01-01.ndjson', lines(0, 2));
    const proxy = await startProxy(t, peer.endpoint);
    const live = startRun(
      source(peer, { endpoint: proxy.endpoint, prefix: 'ord/', scanMode: 'unbounded', refreshIntervalMs: 50, keysOrdered: true, window: 1 }),
    );
    t.after(() => live.stop());
    await eventually(() => live.run.rows.length >= 2 || live.error !== undefined, 'the first object');
    await peer.put('ord/2024-01-02.ndjson', lines(2, 4));
    await eventually(() => live.run.rows.length >= 4 || live.error !== undefined, 'the next object');
    await peer.put('ord/2023-12-31.ndjson', lines(50, 52)); // "in the past": skipped by design
    const lists = proxy.requests.filter((r) => r.url.includes('list-type=2')).length;
    await eventually(() => proxy.requests.filter((r) => r.url.includes('list-type=2')).length >= lists + 3, 'more listings');
    // A later key as sentinel: had the past object been listed, it would be handed out (key
    // order) and, with window 1, delivered before it.
    await peer.put('ord/2024-01-03.ndjson', lines(4, 6));
    await eventually(() => live.run.rows.length >= 6 || live.error !== undefined, 'the sentinel');
    assert.equal(live.error, undefined);
    assert.deepEqual(ns(live.run.rows), [0, 1, 2, 3, 4, 5]);
    const later = proxy.requests.filter((r) => r.url.includes('list-type=2')).slice(lists, lists + 2);
    assert.ok(later.every((r) => r.url.includes('start-after=ord%2F2024-01-02.ndjson')), later.map((r) => r.url).join(' '));
  });

  test('bad records: `fail` names the object and offset, `skip` counts them and goes on', async (t) => {
    const peer = await startS3rver(t);
    await peer.put('bad/a.ndjson', '{"n":0}\n{"n":1}\n{broken\n{"n":3}\n');
    await assert.rejects(runSource(source(peer, { prefix: 'bad/' })), (err: unknown) => {
      assert.ok(err instanceof BadRecordError, String(err));
      assert.match(err.split ?? '', /^bad\/a\.ndjson@/);
      assert.equal(err.offset, '16');
      return true;
    });
    const skipping = source(peer, { prefix: 'bad/', badRecords: 'skip' });
    const run = await runSource(skipping);
    assert.deepEqual(ns(run.rows), [0, 1, 3]);
    assert.equal(skipping.badRecordStats.skipped, 1);
  });

  test('credentials never appear in errors', async (t) => {
    const peer = await startS3rver(t);
    const secret = 'wJalrXUtnFEMI-very-secret-KEY';
    const access = 'AKIAUNKNOWNKEY123';
    const failing = source(peer, { credentials: { accessKeyId: access, secretAccessKey: secret } });
    const err = await runSource(failing).then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SourceError);
    assert.match(err.message, /InvalidAccessKeyId|does not exist/);
    const everything = JSON.stringify(err, Object.getOwnPropertyNames(err)) + String(err.stack) + String((err.cause as Error | undefined)?.stack);
    assert.ok(!everything.includes(secret), 'secret in error');
    assert.ok(!everything.includes(access), 'access key id in error');

    assert.throws(
      () => s3Connector.create({ name: 'x', properties: { 's3.bucket': 'b', 's3.credentials.secret': secret }, format: testNdjsonFormat() }),
      (e: Error) => !e.message.includes(secret) && /s3\.credentials\.access/.test(e.message),
    );
  });
});

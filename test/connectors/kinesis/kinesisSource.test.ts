import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Subject } from 'rxjs';
import { createKinesisSource, type KinesisSourceOptions } from '../../../src/connectors/kinesis/createKinesisSource.js';
import { kinesisConnector } from '../../../src/connectors/kinesis/kinesisConnector.js';
import { checkpointKeys } from '../../../src/core/Checkpoint.js';
import { SourceError } from '../../../src/core/SourceError.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { kinesaliteCredentials, startKinesalite, startProxy, type KinesisPeer, type Proxy } from '../../support/aws.js';
import { eventually, runSource, startRun } from '../s3/s3Helpers.js';

const target = (r: { headers: Readonly<Record<string, unknown>> }): string => String(r.headers['x-amz-target'] ?? '').replace('Kinesis_20131202.', '');

function source(peer: KinesisPeer | Proxy, stream: string, options: Partial<KinesisSourceOptions> = {}) {
  return createKinesisSource({
    name: 'kinesis-test',
    stream,
    endpoint: peer.endpoint,
    credentials: kinesaliteCredentials,
    format: createFormat('json'),
    shardDiscoveryIntervalMs: 100,
    pollIntervalMs: 20,
    ...options,
  });
}

/** Records `{k, i}` for keys k0..k<keys-1>, values from..to-1 each, interleaved by value. */
function batch(keys: number, from: number, to: number): Array<{ key: string; data: string }> {
  const out: Array<{ key: string; data: string }> = [];
  for (let i = from; i < to; i++) for (let k = 0; k < keys; k++) out.push({ key: `k${k}`, data: JSON.stringify({ k: `k${k}`, i }) });
  return out;
}

/** Checks every key's values arrived exactly once, in order, 0..count-1. */
function assertPerKeyOrder(rows: readonly Row[], keys: number, count: number): void {
  const byKey = new Map<string, number[]>();
  for (const row of rows) {
    const list = byKey.get(row.k as string) ?? [];
    list.push(row.i as number);
    byKey.set(row.k as string, list);
  }
  for (let k = 0; k < keys; k++) {
    assert.deepEqual(byKey.get(`k${k}`), Array.from({ length: count }, (_, i) => i), `key k${k} in order, each once`);
  }
}

describe('kinesis connector against kinesalite', () => {
  test('reads every shard; records carry partition key, sequence number and arrival time when asked', async (t) => {
    const peer = await startKinesalite(t);
    await peer.createStream('s1', 3);
    const shardsUsed = new Set(await peer.put('s1', batch(12, 0, 10)));
    assert.ok(shardsUsed.size >= 2, 'the keys spread over several shards');
    const live = startRun(source(peer, 's1', { metadata: { partitionKey: 'pk', sequenceNumber: 'seq', arrivalTimestamp: 'at', shardId: 'shard' } }));
    t.after(() => live.stop());
    await eventually(() => live.run.rows.length >= 120 || live.error !== undefined, '120 records');
    assert.equal(live.error, undefined);
    assertPerKeyOrder(live.run.rows, 12, 10);
    const row = live.run.rows[0]!;
    assert.equal(row.pk, row.k);
    assert.match(String(row.seq), /^\d{20,}$/);
    assert.equal(typeof row.at, 'number');
    assert.match(String(row.shard), /^shardId-\d{12}$/);
    for (const c of live.run.chunks) assert.equal(c.nextOffset, c.records.at(-1)!.seq, "a chunk's nextOffset is its last sequence number");
  });

  test('a restart resumes every shard after its checkpointed sequence number: no loss, no duplicates', async (t) => {
    const peer = await startKinesalite(t);
    await peer.createStream('s2', 3);
    await peer.put('s2', batch(9, 0, 40));
    const store = new MemoryStore();
    const barriers = new Subject<void>();
    const make = () => source(peer, 's2', { store, barriers, recordsPerCall: 25 });
    let asked = false;
    const first = await runSource(make(), (run) => {
      if (!asked && run.rows.length >= 60) {
        asked = true;
        barriers.next();
      }
      return run.barriers > 0 && run.chunks.length >= 8;
    });
    assert.ok(first.committedRows >= 60 && first.committedRows < 360, `checkpoint mid-stream (${first.committedRows})`);
    await peer.put('s2', batch(9, 40, 50));
    const second = startRun(make());
    t.after(() => second.stop());
    await eventually(() => first.committedRows + second.run.rows.length >= 450 || second.error !== undefined, 'the rest');
    assert.equal(second.error, undefined);
    assertPerKeyOrder([...first.rows.slice(0, first.committedRows), ...second.run.rows], 9, 50);
  });

  test('a split and a merge during the read: children after parents, every key in order', async (t) => {
    const peer = await startKinesalite(t);
    await peer.createStream('s3', 2);
    const proxy = await startProxy(t, peer.endpoint);
    // Two records per GetRecords call: parents still hold unread records when their children appear.
    const live = startRun(source(proxy, 's3', { recordsPerCall: 2 }));
    t.after(() => live.stop());
    await peer.put('s3', batch(8, 0, 10));
    await eventually(() => live.run.rows.length >= 4 || live.error !== undefined, 'reading started');
    await peer.splitShard('s3', 'shardId-000000000000');
    await peer.put('s3', batch(8, 10, 20));
    const children = (await peer.shards('s3')).filter((s) => s.ParentShardId === 'shardId-000000000000').map((s) => s.ShardId!);
    assert.equal(children.length, 2);
    await peer.mergeShards('s3', children[0]!, children[1]!);
    await peer.put('s3', batch(8, 20, 30));
    await eventually(() => live.run.rows.length >= 240 || live.error !== undefined, 'all 240 records');
    assert.equal(live.error, undefined);
    assertPerKeyOrder(live.run.rows, 8, 30);

    const shards = await peer.shards('s3');
    const merged = shards.find((s) => s.AdjacentParentShardId !== undefined)!;
    const chunkIndex = (shard: string, which: 'first' | 'last'): number => {
      const indexes = live.run.chunks.map((c, i) => (c.splitId === shard ? i : -1)).filter((i) => i >= 0);
      return which === 'first' ? indexes[0]! : indexes.at(-1)!;
    };
    for (const child of children) assert.ok(chunkIndex(child, 'first') > chunkIndex('shardId-000000000000', 'last'), `${child} after its parent`);
    for (const parent of children) assert.ok(chunkIndex(merged.ShardId!, 'first') > chunkIndex(parent, 'last'), 'merged shard after both parents');
    const childIterators = proxy.requests.filter((r) => target(r) === 'GetShardIterator' && children.some((c) => r.body.includes(c)));
    assert.ok(childIterators.every((r) => r.body.includes('TRIM_HORIZON')), 'children start at TRIM_HORIZON');
  });

  test('a finished parent leaves the split set and is never read again: not on later discoveries, not after a restart', async (t) => {
    const peer = await startKinesalite(t);
    await peer.createStream('s8', 1);
    const parent = 'shardId-000000000000';
    await peer.put('s8', batch(4, 0, 5));
    const proxy = await startProxy(t, peer.endpoint);
    const store = new MemoryStore();
    const barriers = new Subject<void>();
    const make = () => source(proxy, 's8', { store, barriers });
    const count = (what: string, shard?: string): number =>
      proxy.requests.filter((r) => target(r) === what && (shard === undefined || r.body.includes(`"${shard}"`))).length;

    const first = startRun(make());
    t.after(() => first.stop());
    await eventually(() => first.run.rows.length >= 20 || first.error !== undefined, 'the parent read');
    await peer.splitShard('s8', parent);
    await peer.put('s8', batch(4, 5, 10));
    await eventually(() => first.run.rows.length >= 40 || first.error !== undefined, 'the children read');
    // The parent is closed and finished, and ListShards keeps listing it: let discovery see it again.
    const lists = count('ListShards');
    await eventually(() => count('ListShards') >= lists + 3, 'three more discoveries');
    barriers.next();
    await eventually(() => first.run.barriers >= 1 || first.error !== undefined, 'a checkpoint');
    first.stop();
    assert.equal(first.error, undefined);
    assert.equal(count('GetShardIterator', parent), 1, 'the parent was read once');
    assert.ok((await peer.shards('s8')).some((s) => s.ShardId === parent), 'the closed parent is still listed');

    const committed = store.get(checkpointKeys.committed('kinesis-test')) as number;
    const snapshot = store.get(checkpointKeys.snapshot('kinesis-test', committed)) as { splits: Record<string, unknown>; enumerator: { finished: string[] } };
    assert.ok(!(parent in snapshot.splits), 'the finished parent left the split set (and the source forgot its position)');
    assert.deepEqual(snapshot.enumerator.finished, [parent], 'the enumerator remembers it instead');

    proxy.requests.length = 0;
    const second = startRun(make());
    t.after(() => second.stop());
    await eventually(() => count('ListShards') >= 3 || second.error !== undefined, 'discoveries after the restart');
    await peer.put('s8', batch(4, 10, 12));
    await eventually(() => second.run.rows.length >= 8 || second.error !== undefined, 'the new records');
    assert.equal(second.error, undefined);
    assert.equal(count('GetShardIterator', parent), 0, 'the parent is not read again after the restart');
    assertPerKeyOrder([...first.run.rows.slice(0, first.run.committedRows), ...second.run.rows], 4, 12);
  });

  test("with startup mode 'latest', shards found after the start are still read from their beginning", async (t) => {
    const peer = await startKinesalite(t);
    await peer.createStream('s4', 1);
    await peer.put('s4', batch(4, 0, 5)); // before the start: not read under 'latest'
    const proxy = await startProxy(t, peer.endpoint);
    const live = startRun(source(proxy, 's4', { startupMode: 'latest' }));
    t.after(() => live.stop());
    await eventually(() => proxy.requests.some((r) => target(r) === 'GetRecords'), 'the first poll');
    await peer.put('s4', batch(4, 100, 103));
    await peer.splitShard('s4', 'shardId-000000000000');
    await peer.put('s4', batch(4, 103, 110));
    await eventually(() => live.run.rows.length >= 40 || live.error !== undefined, '40 records');
    assert.equal(live.error, undefined);
    const is = live.run.rows.map((r) => r.i as number);
    assert.ok(is.every((i) => i >= 100), 'nothing from before the start');
    assert.equal(is.length, 40);
    const first = proxy.requests.find((r) => target(r) === 'GetShardIterator')!;
    assert.match(first.body, /"LATEST"/);
  });

  test('throttling and expired iterators are retried, never lost', async (t) => {
    const peer = await startKinesalite(t);
    await peer.createStream('s5', 2);
    await peer.put('s5', batch(6, 0, 20));
    const proxy = await startProxy(t, peer.endpoint);
    let getRecords = 0;
    let listShards = 0;
    const fault = (type: string, message: string) => ({
      status: 400,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'injected' },
      body: JSON.stringify({ __type: type, message }),
    });
    // Once both shards delivered records, the next GetRecords answers "expired": the reader must
    // resume after the last sequence number it delivered (no loss, no duplicate).
    let expire: 'not yet' | 'next' | 'done' = 'not yet';
    proxy.intercept = (r) => {
      if (target(r) === 'ListShards' && ++listShards === 1) return fault('LimitExceededException', 'Rate exceeded for stream s5');
      if (target(r) !== 'GetRecords') return undefined;
      getRecords++;
      if (expire === 'next') {
        expire = 'done';
        return fault('ExpiredIteratorException', 'Iterator expired');
      }
      if (getRecords <= 12 && getRecords % 2 === 0) return fault('ProvisionedThroughputExceededException', 'Rate exceeded for shard');
      return undefined;
    };
    const retries: string[] = [];
    const live = startRun(source(proxy, 's5', { recordsPerCall: 10, maxBackoffMs: 50, onRetry: (e) => retries.push(e.kind) }), (run) => {
      if (expire === 'not yet' && new Set(run.chunks.map((c) => c.splitId)).size === 2) expire = 'next';
    });
    t.after(() => live.stop());
    await eventually(() => live.run.rows.length >= 120 || live.error !== undefined, '120 records');
    await eventually(() => retries.includes('expired') || live.error !== undefined, 'the expired iterator');
    await eventually(
      () => proxy.requests.some((r) => target(r) === 'GetShardIterator' && r.body.includes('AFTER_SEQUENCE_NUMBER')) || live.error !== undefined,
      'a new iterator',
    );
    const polls = proxy.requests.filter((r) => target(r) === 'GetRecords').length;
    await eventually(() => proxy.requests.filter((r) => target(r) === 'GetRecords').length >= polls + 4, 'polls with the new iterator');
    assert.equal(live.error, undefined);
    assertPerKeyOrder(live.run.rows, 6, 20);
    assert.ok(retries.filter((k) => k === 'throttled').length >= 5, retries.join());
    assert.ok(retries.includes('expired'));
    const afterSeq = proxy.requests.filter((r) => target(r) === 'GetShardIterator' && r.body.includes('AFTER_SEQUENCE_NUMBER'));
    assert.ok(afterSeq.length >= 1, 'an expired iterator is replaced after the last delivered sequence number');
  });

  test('bad records follow the policy; errors never show credentials', async (t) => {
    const peer = await startKinesalite(t);
    await peer.createStream('s6', 1);
    await peer.put('s6', [
      { key: 'a', data: '{"k":"a","i":0}' },
      { key: 'a', data: '{not json' },
      { key: 'a', data: '{"k":"a","i":1}' },
    ]);
    const skipping = source(peer, 's6', { badRecords: 'skip' });
    const live = startRun(skipping);
    t.after(() => live.stop());
    await eventually(() => live.run.rows.length >= 2 || live.error !== undefined, 'the good records');
    assert.deepEqual(live.run.rows.map((r) => r.i), [0, 1]);
    assert.equal(skipping.badRecordStats.skipped, 1);

    const failing = await runSource(source(peer, 's6')).then(
      () => assert.fail('expected a bad record error'),
      (e: unknown) => e,
    );
    assert.ok(failing instanceof SourceError);
    assert.equal(failing.split, 'shardId-000000000000');
    assert.match(failing.offset ?? '', /^\d+$/);

    const secret = 'kinesis-very-secret-value';
    const missing = await runSource(
      source(peer, 'no-such-stream', { credentials: { accessKeyId: 'AKIAKINESISKEY', secretAccessKey: secret } }),
    ).then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(missing instanceof SourceError);
    assert.match(missing.message, /no-such-stream/);
    const text = String(missing.stack) + JSON.stringify(missing, Object.getOwnPropertyNames(missing)) + String((missing.cause as Error).stack);
    assert.ok(!text.includes(secret) && !text.includes('AKIAKINESISKEY'));
  });

  test('the connector factory reads RisingWave property names', async (t) => {
    const peer = await startKinesalite(t);
    await peer.createStream('s7', 1);
    await peer.put('s7', batch(2, 0, 3));
    const created = kinesisConnector.create({
      name: 'kinesis-sql',
      properties: {
        stream: 's7',
        'aws.region': 'us-east-1',
        endpoint: peer.endpoint,
        'aws.credentials.access_key_id': kinesaliteCredentials.accessKeyId,
        'aws.credentials.secret_access_key': kinesaliteCredentials.secretAccessKey,
        'scan.startup.mode': 'earliest',
        'kinesis.shard.discovery.interval.ms': '100',
        'kinesis.poll.interval.ms': '20',
        'kinesis.include.partition_key': '_pk',
      },
      format: createFormat('json'),
    });
    const live = startRun(created);
    t.after(() => live.stop());
    await eventually(() => live.run.rows.length >= 6 || live.error !== undefined, 'six records');
    assert.equal(live.error, undefined);
    assert.deepEqual(new Set(live.run.rows.map((r) => r._pk)), new Set(['k0', 'k1']));
  });
});

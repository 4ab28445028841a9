import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createKinesisSource } from '../../../src/connectors/kinesis/createKinesisSource.js';
import { kinesisConnector } from '../../../src/connectors/kinesis/kinesisConnector.js';
import type { DeadLetter } from '../../../src/core/BadRecordHandler.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { kinesaliteCredentials, startKinesalite, startProxy } from '../../support/aws.js';
import { eventually, startRun } from '../s3/s3Helpers.js';

const target = (r: { headers: Readonly<Record<string, unknown>> }): string => String(r.headers['x-amz-target'] ?? '').replace('Kinesis_20131202.', '');

describe('kinesis: timestamp startup and dead letters (kinesalite)', { timeout: 60_000 }, () => {
  test("scan.startup.mode 'timestamp': records that arrived before the timestamp are not read, those after are", async (t) => {
    const peer = await startKinesalite(t);
    await peer.createStream('ts', 1);
    await peer.put('ts', Array.from({ length: 10 }, (_, i) => ({ key: 'k', data: JSON.stringify({ i }) })));
    // Kinesalite stamps arrival with its clock in ms: everything put so far arrived at or before
    // `before`, and everything put once the clock has passed `at` arrives at or after it.
    const before = Date.now();
    const at = before + 1;
    await eventually(() => Date.now() > at, 'the clock to pass the start timestamp');
    await peer.put('ts', Array.from({ length: 10 }, (_, i) => ({ key: 'k', data: JSON.stringify({ i: 10 + i }) })));
    const proxy = await startProxy(t, peer.endpoint);
    const created = kinesisConnector.create({
      name: 'kinesis-ts',
      properties: {
        stream: 'ts',
        endpoint: proxy.endpoint,
        'aws.credentials.access_key_id': kinesaliteCredentials.accessKeyId,
        'aws.credentials.secret_access_key': kinesaliteCredentials.secretAccessKey,
        'scan.startup.mode': 'timestamp',
        'scan.startup.timestamp.millis': String(at),
        'kinesis.shard.discovery.interval.ms': '100',
        'kinesis.poll.interval.ms': '20',
      },
      format: createFormat('json'),
    });
    const live = startRun(created);
    t.after(() => live.stop());
    // A sentinel put after the start: one shard is read in order, so once it arrives, anything
    // from before the timestamp would have arrived before it.
    await eventually(() => live.run.rows.length >= 1 || live.error !== undefined, 'the first records');
    await peer.put('ts', [{ key: 'k', data: JSON.stringify({ i: 99 }) }]);
    await eventually(() => live.run.rows.some((r) => r.i === 99) || live.error !== undefined, 'the sentinel');
    assert.equal(live.error, undefined);
    assert.deepEqual(
      live.run.rows.map((r) => r.i),
      [...Array.from({ length: 10 }, (_, i) => 10 + i), 99],
    );
    const iterators = proxy.requests.filter((r) => target(r) === 'GetShardIterator');
    assert.match(iterators[0]!.body, /"ShardIteratorType":"AT_TIMESTAMP"/);
  });

  test("dead-letter: bad records arrive on deadLetters$ with raw bytes, shard and sequence number, counted; every good record arrives", async (t) => {
    const peer = await startKinesalite(t);
    await peer.createStream('dl', 1);
    const payloads = ['{"i":0}', '{not json', '{"i":1}', '{"i":2}', '[1,', '{"i":3}'];
    await peer.put('dl', payloads.map((data) => ({ key: 'k', data })));
    const source = createKinesisSource({
      name: 'kinesis-dl',
      stream: 'dl',
      endpoint: peer.endpoint,
      credentials: kinesaliteCredentials,
      format: createFormat('json'),
      badRecords: 'dead-letter',
      shardDiscoveryIntervalMs: 100,
      pollIntervalMs: 20,
      metadata: { sequenceNumber: 'seq' },
    });
    const letters: DeadLetter[] = [];
    const subscription = source.deadLetters$.subscribe((l) => letters.push(l));
    t.after(() => subscription.unsubscribe());
    const live = startRun(source);
    t.after(() => live.stop());
    await eventually(() => live.run.rows.some((r) => r.i === 3) || live.error !== undefined, 'the last good record');
    assert.equal(live.error, undefined);
    assert.deepEqual(live.run.rows.map((r) => r.i), [0, 1, 2, 3]);
    assert.equal(source.badRecordStats.deadLettered, 2);
    assert.equal(source.badRecordStats.skipped, 0);
    assert.deepEqual(letters.map((l) => Buffer.from(l.raw ?? new Uint8Array()).toString('utf8')), ['{not json', '[1,']);
    const seq = live.run.rows.map((r) => BigInt(String(r.seq)));
    for (const [n, letter] of letters.entries()) {
      assert.equal(letter.error.source, 'kinesis-dl');
      assert.equal(letter.error.split, 'shardId-000000000000');
      const offset = BigInt(letter.error.offset ?? '0');
      // The letters' sequence numbers lie between their good neighbours'.
      const [lo, hi] = n === 0 ? [seq[0]!, seq[1]!] : [seq[2]!, seq[3]!];
      assert.ok(offset > lo && offset < hi, `dead letter ${n} at ${offset}, between ${lo} and ${hi}`);
    }
  });
});

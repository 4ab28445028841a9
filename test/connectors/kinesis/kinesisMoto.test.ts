import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { Subject } from 'rxjs';
import { createKinesisSource } from '../../../src/connectors/kinesis/createKinesisSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { kinesisAdmin, motoCredentials, motoEndpoint, motoHowToStart } from '../../support/aws.js';
import { needPeer } from '../../support/peers.js';
import { eventually, runSource, startRun } from '../s3/s3Helpers.js';

// The reshard and restart scenarios against moto's Kinesis, a second implementation of the API.
const endpoint = motoEndpoint();

const batch = (keys: number, from: number, to: number) => {
  const out: Array<{ key: string; data: string }> = [];
  for (let i = from; i < to; i++) for (let k = 0; k < keys; k++) out.push({ key: `k${k}`, data: JSON.stringify({ k: `k${k}`, i }) });
  return out;
};

function assertPerKeyOrder(rows: readonly Row[], keys: number, count: number): void {
  const byKey = new Map<string, number[]>();
  for (const row of rows) byKey.set(row.k as string, [...(byKey.get(row.k as string) ?? []), row.i as number]);
  for (let k = 0; k < keys; k++) assert.deepEqual(byKey.get(`k${k}`), Array.from({ length: count }, (_, i) => i), `key k${k}`);
}

describe('kinesis connector against moto', () => {
  test('a split and a merge during the read keep every key in order', async (t) => {
    if (!needPeer(t, endpoint !== undefined, motoHowToStart)) return;
    const admin = kinesisAdmin(endpoint!, motoCredentials);
    t.after(() => admin.client.destroy());
    const stream = `s-${randomUUID()}`;
    await admin.createStream(stream, 2);
    const live = startRun(
      createKinesisSource({ name: 'moto-k', stream, endpoint: endpoint!, credentials: motoCredentials, format: createFormat('json'), shardDiscoveryIntervalMs: 100, pollIntervalMs: 20, recordsPerCall: 3 }),
    );
    t.after(() => live.stop());
    await admin.put(stream, batch(8, 0, 10));
    await eventually(() => live.run.rows.length >= 4 || live.error !== undefined, 'reading started');
    const [first] = await admin.shards(stream);
    await admin.splitShard(stream, first!.ShardId!);
    await admin.put(stream, batch(8, 10, 20));
    const children = (await admin.shards(stream)).filter((s) => s.ParentShardId === first!.ShardId && s.SequenceNumberRange?.EndingSequenceNumber === undefined);
    assert.equal(children.length, 2);
    const ordered = children.sort((a, b) => (BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1));
    await admin.mergeShards(stream, ordered[0]!.ShardId!, ordered[1]!.ShardId!);
    await admin.put(stream, batch(8, 20, 30));
    await eventually(() => live.run.rows.length >= 240 || live.error !== undefined, 'all 240 records');
    assert.equal(live.error, undefined);
    assertPerKeyOrder(live.run.rows, 8, 30);
  });

  test('a restart resumes after the checkpointed sequence numbers: no loss, no duplicates', async (t) => {
    if (!needPeer(t, endpoint !== undefined, motoHowToStart)) return;
    const admin = kinesisAdmin(endpoint!, motoCredentials);
    t.after(() => admin.client.destroy());
    const stream = `s-${randomUUID()}`;
    await admin.createStream(stream, 3);
    await admin.put(stream, batch(9, 0, 30));
    const store = new MemoryStore();
    const barriers = new Subject<void>();
    const make = () =>
      createKinesisSource({ name: 'moto-k2', stream, endpoint: endpoint!, credentials: motoCredentials, format: createFormat('json'), store, barriers, shardDiscoveryIntervalMs: 100, pollIntervalMs: 20, recordsPerCall: 20 });
    let asked = false;
    const first = await runSource(make(), (run) => {
      if (!asked && run.rows.length >= 40) {
        asked = true;
        barriers.next();
      }
      return run.barriers > 0 && run.chunks.length >= 6;
    });
    assert.ok(first.committedRows >= 40 && first.committedRows < 270);
    await admin.put(stream, batch(9, 30, 40));
    const second = startRun(make());
    t.after(() => second.stop());
    await eventually(() => first.committedRows + second.run.rows.length >= 360 || second.error !== undefined, 'the rest');
    assert.equal(second.error, undefined);
    assertPerKeyOrder([...first.rows.slice(0, first.committedRows), ...second.run.rows], 9, 40);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as sdk from '@aws-sdk/client-kinesis';
import { Subject } from 'rxjs';
import { SharedClient } from '../src/connectors/aws/SharedClient.js';
import type { KinesisHandle } from '../src/connectors/kinesis/kinesisClient.js';
import { KinesisEnumerator } from '../src/connectors/kinesis/KinesisEnumerator.js';
import { kinesisConfigFromProperties } from '../src/connectors/kinesis/kinesisProperties.js';
import type { KinesisShardSplit } from '../src/connectors/kinesis/KinesisShardSplit.js';
import type { EnumeratorContext } from '../src/core/Enumerator.js';
import { expectMarbles, VirtualClock } from './support/virtualTime.js';

// The Kinesis enumerator's discovery timing in virtual time, over a scripted ListShards (a unit
// test of the timing logic; the connector itself is tested against kinesalite and moto).

type Shard = { ShardId: string; ParentShardId?: string };

function enumerate(clock: VirtualClock, listing: () => Shard[], intervalMs: number) {
  const listedAt: number[] = [];
  const client = {
    send: async (command: unknown) => {
      assert.ok(command instanceof sdk.ListShardsCommand);
      listedAt.push(clock.now());
      return { Shards: listing() };
    },
    destroy: () => undefined,
  } as unknown as sdk.KinesisClient;
  const handle: KinesisHandle = { sdk, client };
  const config = kinesisConfigFromProperties({ 'kinesis.stream': 's', 'kinesis.shard.discovery.interval.ms': String(intervalMs) });
  assert.equal(config.shardDiscoveryIntervalMs, intervalMs);
  const enumerator = new KinesisEnumerator(config, { clients: new SharedClient(async () => handle, () => undefined), secrets: [], scheduler: clock.scheduler });
  const finished$ = new Subject<string>();
  const context: EnumeratorContext<KinesisShardSplit> = {
    source: 'k',
    restoredState: undefined,
    restoredSplits: new Map(),
    saveState: () => undefined,
    finished$,
  };
  return { recording: clock.record(enumerator.splits(context)), listedAt, finished$ };
}

const ids = (splits: unknown): string[] => (splits as KinesisShardSplit[]).map((s) => s.id);

describe('kinesis enumerator discovery (virtual time, scripted ListShards)', () => {
  test('lists every discovery interval; a shard added between listings is found at the next one', async () => {
    const clock = new VirtualClock();
    const shards: Shard[] = [{ ShardId: 'shard-0' }];
    const { recording, listedAt } = enumerate(clock, () => shards, 1_000);
    await clock.advanceTo(500);
    shards.push({ ShardId: 'shard-1' });
    await clock.advanceTo(2_500);
    recording.unsubscribe();
    assert.deepEqual(listedAt, [0, 1_000, 2_000]);
    assert.deepEqual(recording.messages.map((m) => [m.frame, m.notification.kind === 'N' ? ids(m.notification.value) : m.notification.kind]), [
      [0, ['shard-0']],
      [1_000, ['shard-0', 'shard-1']],
    ]);
    assert.equal(clock.scheduler.actions.length, 0, 'unsubscribing cancelled the next listing');
  });

  test('a finished parent releases its child at once and cuts the wait short: children are looked for now', async () => {
    const clock = new VirtualClock();
    const shards: Shard[] = [{ ShardId: 'parent' }, { ShardId: 'child', ParentShardId: 'parent' }];
    const { recording, listedAt, finished$ } = enumerate(clock, () => shards, 10_000);
    await clock.advanceTo(300);
    finished$.next('parent');
    await clock.advanceTo(300);
    await clock.advanceTo(10_300);
    recording.unsubscribe();
    // The listing at 300 (woken), then the next one a whole interval later, not at 10 000.
    assert.deepEqual(listedAt, [0, 300, 10_300]);
    const toIds = (value: unknown): string => ids(value).join(',');
    expectMarbles(
      { messages: recording.messages.map((m) => ({ frame: m.frame, notification: m.notification.kind === 'N' ? { kind: 'N' as const, value: toIds(m.notification.value) } : m.notification })), unsubscribe: () => undefined },
      'a 299ms b',
      { a: 'parent', b: 'child' },
    );
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NEVER } from 'rxjs';
import { SharedClient } from '../src/connectors/aws/SharedClient.js';
import type { S3Handle } from '../src/connectors/s3/s3Client.js';
import { S3Enumerator } from '../src/connectors/s3/S3Enumerator.js';
import type { S3ObjectSplit } from '../src/connectors/s3/S3ObjectSplit.js';
import { s3ConfigFromProperties } from '../src/connectors/s3/s3Properties.js';
import type { EnumeratorContext } from '../src/core/Enumerator.js';
import { VirtualClock } from './support/virtualTime.js';

// The S3 enumerator's refresh timing in virtual time, over a scripted ListObjectsV2 (a unit test
// of the timing logic; the connector is tested against s3rver and moto). Its wall clock (pass
// starts are compared with LastModified and stored) is pinned to the virtual one here.

class ListObjectsV2Command {
  constructor(readonly input: unknown) {}
}

function enumerate(clock: VirtualClock, objects: { Key: string; ETag: string }[], refreshMs: number, listingTakesMs = 0) {
  const listedAt: number[] = [];
  const client = {
    send: async (command: unknown) => {
      assert.ok(command instanceof ListObjectsV2Command);
      listedAt.push(clock.now());
      if (listingTakesMs > 0) await new Promise<void>((resolve) => clock.scheduler.schedule(() => resolve(), listingTakesMs));
      return { Contents: objects.map((o) => ({ ...o, Size: 1, LastModified: new Date(0) })), IsTruncated: false };
    },
    destroy: () => undefined,
  };
  const handle = { sdk: { ListObjectsV2Command }, client } as unknown as S3Handle;
  const config = s3ConfigFromProperties({ 's3.bucket': 'b', 's3.scan.mode': 'unbounded', 's3.refresh.interval.ms': String(refreshMs) });
  const enumerator = new S3Enumerator(config, {
    clients: new SharedClient(async () => handle, () => undefined),
    secrets: [],
    scheduler: clock.scheduler,
    now: () => clock.now(),
  });
  const context: EnumeratorContext<S3ObjectSplit> = {
    source: 's3',
    restoredState: undefined,
    restoredSplits: new Map(),
    saveState: () => undefined,
    finished$: NEVER,
  };
  return { recording: clock.record(enumerator.splits(context)), listedAt };
}

const keysAt = (messages: { frame: number; notification: { kind: string; value?: unknown } }[]): [number, string[]][] =>
  messages.map((m) => [m.frame, ((m.notification.value ?? []) as S3ObjectSplit[]).map((s) => s.key)]);

describe('s3 enumerator refresh (virtual time, scripted listing)', () => {
  test('a pass starts every refresh interval after the previous one started; an object added between passes is found by the next', async () => {
    const clock = new VirtualClock();
    const objects = [{ Key: 'a.json', ETag: '"1"' }];
    const { recording, listedAt } = enumerate(clock, objects, 1_000);
    await clock.advanceTo(400);
    objects.push({ Key: 'b.json', ETag: '"2"' });
    await clock.advanceTo(2_500);
    recording.unsubscribe();
    assert.deepEqual(listedAt, [0, 1_000, 2_000]);
    const withB = keysAt(recording.messages).find(([, keys]) => keys.includes('b.json'));
    assert.equal(withB?.[0], 1_000, 'b.json handed out by the pass at 1000, not before');
    assert.equal(clock.scheduler.actions.length, 0, 'unsubscribing cancelled the next pass');
  });

  test('a pass that takes longer than the interval is followed at once by the next', async () => {
    const clock = new VirtualClock();
    const { recording, listedAt } = enumerate(clock, [{ Key: 'a.json', ETag: '"1"' }], 1_000, 1_500);
    await clock.advanceTo(4_600);
    recording.unsubscribe();
    // Each listing takes 1500: passes start at 0, 1500, 3000, 4500 (no wait once overdue).
    assert.deepEqual(listedAt, [0, 1_500, 3_000, 4_500]);
  });
});

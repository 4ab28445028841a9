import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as sdk from '@aws-sdk/client-kinesis';
import { BehaviorSubject } from 'rxjs';
import { SharedClient } from '../../../src/connectors/aws/SharedClient.js';
import type { KinesisHandle } from '../../../src/connectors/kinesis/kinesisClient.js';
import { kinesisConfigFromProperties } from '../../../src/connectors/kinesis/kinesisProperties.js';
import { backoffMs, classifyKinesisError } from '../../../src/connectors/kinesis/kinesisRetry.js';
import { KinesisShardReader } from '../../../src/connectors/kinesis/KinesisShardReader.js';
import type { KinesisShardSplit } from '../../../src/connectors/kinesis/KinesisShardSplit.js';
import { BadRecordTracker } from '../../../src/core/BadRecordTracker.js';
import { SourceError } from '../../../src/core/SourceError.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { VirtualClock } from '../../../marble-tests/support/virtualTime.js';

const awsError = (name: string, status: number): Error => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('kinesis retry logic (unit, fake client)', () => {
  test('errors are classified by code and status', () => {
    assert.equal(classifyKinesisError(awsError('ProvisionedThroughputExceededException', 400)), 'throttled');
    assert.equal(classifyKinesisError(awsError('LimitExceededException', 400)), 'throttled');
    assert.equal(classifyKinesisError(awsError('ExpiredIteratorException', 400)), 'expired');
    assert.equal(classifyKinesisError(awsError('InternalFailure', 500)), 'transient');
    assert.equal(classifyKinesisError(awsError('Whatever', 503)), 'transient');
    assert.equal(classifyKinesisError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), 'transient');
    assert.equal(classifyKinesisError(awsError('ResourceNotFoundException', 400)), 'fatal');
    assert.equal(classifyKinesisError(awsError('AccessDeniedException', 400)), 'fatal');
  });

  test('backoff doubles with jitter and is capped', () => {
    assert.equal(backoffMs(1, 100, 10_000, () => 0), 50);
    assert.equal(backoffMs(1, 100, 10_000, () => 1), 100);
    assert.equal(backoffMs(4, 100, 10_000, () => 1), 800);
    assert.equal(backoffMs(30, 100, 10_000, () => 1), 10_000);
  });

  test('transient errors fail the split after the configured attempts, naming shard and position', async () => {
    const config = kinesisConfigFromProperties({ 'kinesis.stream': 's', 'kinesis.retry.transient.attempts': '3', 'kinesis.poll.interval.ms': '0' });
    let getRecords = 0;
    const client = {
      send: async (command: unknown) => {
        if (command instanceof sdk.GetShardIteratorCommand) return { ShardIterator: 'it-1' };
        getRecords++;
        if (getRecords === 1) return { Records: [{ SequenceNumber: '7', PartitionKey: 'a', Data: Buffer.from('{"x":1}') }], NextShardIterator: 'it-2' };
        throw awsError('InternalFailure', 500);
      },
      destroy: () => undefined,
    } as unknown as sdk.KinesisClient;
    const handle: KinesisHandle = { sdk, client };
    const retries: string[] = [];
    const clock = new VirtualClock();
    const reader = new KinesisShardReader(config, {
      clients: new SharedClient(async () => handle, () => undefined),
      secrets: [],
      format: createFormat('json'),
      scheduler: clock.scheduler,
      onRetry: (e) => retries.push(`${e.kind}#${e.attempt}`),
    });
    const split: KinesisShardSplit = { id: 'shardId-000000000001', stream: 's', parents: [], start: 'TRIM_HORIZON', startTimestamp: null };
    const recording = clock.record(reader.read(split, null, { source: 'src', badRecords: new BadRecordTracker('fail'), paused$: new BehaviorSubject(false) }));
    await clock.advanceTo(10_000);
    const last = recording.messages.at(-1);
    assert.equal(last?.notification.kind, 'E', 'expected an error');
    const err = last.notification.kind === 'E' ? last.notification.error : undefined;
    // Backoffs of 100, 200 and 400 ms with equal jitter (half of each, plus up to the other half),
    // waited in virtual time on the source's scheduler.
    assert.ok(last.frame >= 350 && last.frame <= 700, `failed at virtual ${last.frame} ms`);
    assert.deepEqual(retries, ['transient#1', 'transient#2', 'transient#3']);
    assert.equal(getRecords, 5);
    assert.ok(err instanceof SourceError);
    assert.equal(err.split, 'shardId-000000000001');
    assert.equal(err.offset, '7');
  });
});

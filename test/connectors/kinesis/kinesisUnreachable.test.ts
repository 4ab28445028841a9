import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createKinesisSource, type KinesisSourceOptions } from '../../../src/connectors/kinesis/createKinesisSource.js';
import { SourceError } from '../../../src/core/SourceError.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { closedEndpoint, kinesaliteCredentials, silentEndpoint, startKinesalite, startProxy } from '../../support/aws.js';
import { eventually, runSource, startRun } from '../s3/s3Helpers.js';

// Every connector must fail with a clear error within its retry budget when its endpoint is
// unreachable: before this, a failed first ListShards page ended the listing with no shards, so a
// source on a dead endpoint ran forever, committing empty epochs, and never said a word.

const attempts = 3;
const maxBackoffMs = 200;

/** The longest the backoff of `retries` retries may take (each wait is at most its exponential step). */
function budgetMs(retries: number, baseMs: number): number {
  let total = 0;
  for (let n = 1; n <= retries; n++) total += Math.min(maxBackoffMs, baseMs * 2 ** (n - 1));
  return total;
}

/** The options of a source on `endpoint` with a small retry budget. */
function options(endpoint: string, stream: string): KinesisSourceOptions {
  return {
    name: 'kinesis-down',
    stream,
    endpoint,
    credentials: kinesaliteCredentials,
    format: createFormat('json'),
    pollIntervalMs: 20,
    transientRetries: attempts,
    maxBackoffMs,
    checkpointIntervalMs: 50,
  };
}

function source(endpoint: string, stream: string, overrides: Partial<KinesisSourceOptions> = {}) {
  return createKinesisSource({ ...options(endpoint, stream), ...overrides });
}

describe('kinesis: an unreachable endpoint fails the source within its retry budget', { timeout: 30_000 }, () => {
  test('a closed port: ListShards is retried the configured times, then the source fails naming stream and endpoint', async () => {
    const endpoint = await closedEndpoint();
    const retries: string[] = [];
    const started = Date.now();
    const err = await runSource(source(endpoint, 'nowhere', { onRetry: (e) => retries.push(`${e.operation}:${e.kind}#${e.attempt}`) })).then(
      (run) => assert.fail(`expected an error, got completion with ${run.rows.length} rows`),
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    assert.ok(err instanceof SourceError, String(err));
    assert.equal(err.source, 'kinesis-down');
    assert.match(err.message, /stream 'nowhere'/);
    assert.ok(err.message.includes(endpoint), err.message);
    assert.match(err.message, new RegExp(`after ${attempts + 1} attempts`));
    assert.match(err.message, /ECONNREFUSED/);
    assert.deepEqual(retries, ['ListShards:transient#1', 'ListShards:transient#2', 'ListShards:transient#3']);
    // The enumerator's base backoff is 500 ms, capped at maxBackoffMs; allow 2 s for the calls.
    const budget = budgetMs(attempts, 500);
    assert.ok(elapsed < budget + 2000, `failed after ${elapsed} ms; backoff budget ${budget} ms`);
    console.log(`# kinesis, closed port: failed after ${elapsed} ms (backoff budget ${budget} ms, ${attempts} retries)`);
  });

  test('a ListShards page that fails once is retried, not taken for a stream without shards', async (t) => {
    const peer = await startKinesalite(t);
    await peer.createStream('blip', 1);
    await peer.put('blip', [{ key: 'k', data: '{"i":0}' }]);
    const proxy = await startProxy(t, peer.endpoint);
    let listShards = 0;
    proxy.intercept = (r) =>
      String(r.headers['x-amz-target']).endsWith('ListShards') && ++listShards === 1
        ? { status: 500, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify({ __type: 'InternalFailure', message: 'blip' }) }
        : undefined;
    const retries: string[] = [];
    // Discovery 10 minutes apart: only a retry of the failed page can find the shard in time.
    const live = startRun(source(proxy.endpoint, 'blip', { shardDiscoveryIntervalMs: 600_000, onRetry: (e) => retries.push(`${e.operation}:${e.kind}#${e.attempt}`) }));
    t.after(() => live.stop());
    await eventually(() => live.run.rows.length >= 1 || live.error !== undefined, 'the record', 10_000);
    assert.equal(live.error, undefined);
    assert.deepEqual(live.run.rows, [{ i: 0 }]);
    assert.deepEqual(retries, ['ListShards:transient#1']);
  });

  test('an endpoint that throttles every GetRecords fails the source after kinesis.retry.throttled.attempts', async (t) => {
    const peer = await startKinesalite(t);
    await peer.createStream('hot', 1);
    const proxy = await startProxy(t, peer.endpoint);
    proxy.intercept = (r) =>
      String(r.headers['x-amz-target']).endsWith('GetRecords')
        ? {
            status: 400,
            headers: { 'content-type': 'application/x-amz-json-1.1' },
            body: JSON.stringify({ __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for shard' }),
          }
        : undefined;
    const retries: string[] = [];
    const started = Date.now();
    const err = await runSource(source(proxy.endpoint, 'hot', { throttledRetries: 4, onRetry: (e) => retries.push(`${e.operation}:${e.kind}`) })).then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    assert.ok(err instanceof SourceError, String(err));
    assert.equal(err.split, 'shardId-000000000000');
    assert.ok(err.message.includes(`GetRecords on stream 'hot' at ${proxy.endpoint} failed after 5 attempts: throttled: Rate exceeded`), err.message);
    assert.deepEqual(retries, Array.from({ length: 4 }, () => 'GetRecords:throttled'));
    const budget = budgetMs(4, 100);
    assert.ok(elapsed < budget + 2000, `failed after ${elapsed} ms; backoff budget ${budget} ms`);
  });

  test('a server that accepts and never answers: each call times out after kinesis.request.timeout.ms, then the source fails', async (t) => {
    const endpoint = await silentEndpoint(t);
    const started = Date.now();
    const err = await runSource(source(endpoint, 'nowhere', { requestTimeoutMs: 300, transientRetries: 1 })).then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    assert.ok(err instanceof SourceError, String(err));
    assert.ok(err.message.includes(`listing the shards of stream 'nowhere' at ${endpoint} failed after 2 attempts`), err.message);
    assert.match(err.message, /timed? ?out/i);
    assert.ok(elapsed >= 600 && elapsed < 800 + 2000, `failed after ${elapsed} ms`);
    console.log(`# kinesis, silent server: failed after ${elapsed} ms (2 attempts x 300 ms timeout)`);
  });

  test('kinesalite dies mid-run: the shard reader retries, then fails naming source, shard, position and endpoint', async (t) => {
    const peer = await startKinesalite(t);
    await peer.createStream('dies', 1);
    await peer.put('dies', Array.from({ length: 10 }, (_, i) => ({ key: 'k', data: JSON.stringify({ i }) })));
    const retries: string[] = [];
    // Discovery far apart: the reader, polling every 20 ms, is the one that meets the dead server.
    const live = startRun(
      source(peer.endpoint, 'dies', { shardDiscoveryIntervalMs: 600_000, onRetry: (e) => retries.push(`${e.operation}:${e.kind}`) }),
    );
    t.after(() => live.stop());
    await eventually(() => live.run.rows.length >= 10 || live.error !== undefined, 'the ten records');
    assert.equal(live.error, undefined);
    const lastSequence = live.run.chunks.at(-1)!.nextOffset;
    const killed = Date.now();
    await peer.kill();
    const err = await live.done.then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    const elapsed = Date.now() - killed;
    assert.ok(err instanceof SourceError, String(err));
    assert.equal(err.source, 'kinesis-down');
    assert.equal(err.split, 'shardId-000000000000');
    assert.equal(err.offset, lastSequence, 'the error names the last delivered sequence number');
    assert.ok(err.message.includes(peer.endpoint), err.message);
    assert.match(err.message, /GetRecords on stream 'dies'/);
    assert.match(err.message, new RegExp(`after ${attempts + 1} attempts`));
    assert.deepEqual(retries, Array.from({ length: attempts }, () => 'GetRecords:transient'));
    assert.deepEqual(live.run.rows.map((r) => r.i), Array.from({ length: 10 }, (_, i) => i), 'every record before the death arrived once');
    const budget = budgetMs(attempts, 100);
    assert.ok(elapsed < budget + 2000, `failed ${elapsed} ms after the kill; backoff budget ${budget} ms`);
    console.log(`# kinesis, server killed mid-run: failed ${elapsed} ms after the kill (backoff budget ${budget} ms, ${attempts} retries)`);
  });

  test('the default budget (10 retries, 10 s cap) ends too: a closed port fails the source, never runs on silently', async () => {
    const endpoint = await closedEndpoint();
    const started = Date.now();
    const { transientRetries: _omitted, ...defaults } = { ...options(endpoint, 'nowhere'), maxBackoffMs: 300 };
    const err = await runSource(createKinesisSource(defaults)).then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    assert.ok(err instanceof SourceError, String(err));
    assert.match(err.message, /after 11 attempts/);
    console.log(`# kinesis, closed port, 10 retries with a 300 ms cap: failed after ${elapsed} ms`);
  });
});

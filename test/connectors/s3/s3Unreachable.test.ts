import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createS3Source, type S3SourceOptions } from '../../../src/connectors/s3/createS3Source.js';
import { s3ConfigFromProperties } from '../../../src/connectors/s3/s3Properties.js';
import { SourceError } from '../../../src/core/SourceError.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { closedEndpoint, s3rverCredentials, startProxy, startS3rver } from '../../support/aws.js';
import { eventually, runSource, startRun } from './s3Helpers.js';

// Every connector must fail with a clear error within its retry budget when its endpoint is
// unreachable or dies: S3 calls go through the SDK's standard retry strategy, with
// `s3.retry.attempts` attempts in all, and the error names the source, the listing or object,
// the position reached and the endpoint.

function source(endpoint: string, options: Partial<S3SourceOptions> = {}) {
  return createS3Source({
    name: 's3-down',
    bucket: 'tributary',
    prefix: 'in/',
    endpoint,
    credentials: s3rverCredentials,
    format: createFormat('json'),
    checkpointIntervalMs: 50,
    ...options,
  });
}

const lines = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => JSON.stringify({ i: from + i })).join('\n') + '\n';

describe('s3: an unreachable endpoint fails the source within its retry budget', { timeout: 60_000 }, () => {
  test('s3.retry.attempts is read, defaults to 3, and must be at least 1', () => {
    assert.equal(s3ConfigFromProperties({ 's3.bucket': 'b' }).retryAttempts, 3);
    assert.equal(s3ConfigFromProperties({ 's3.bucket': 'b', 's3.retry.attempts': '7' }).retryAttempts, 7);
    assert.throws(() => s3ConfigFromProperties({ 's3.bucket': 'b', 's3.retry.attempts': '0' }), /s3\.retry\.attempts/);
  });

  test('a closed port: the listing is tried s3.retry.attempts times, then the source fails naming the prefix and endpoint', async () => {
    const endpoint = await closedEndpoint();
    const started = Date.now();
    const err = await runSource(source(endpoint, { retryAttempts: 4 })).then(
      (run) => assert.fail(`expected an error, got completion with ${run.rows.length} rows`),
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    assert.ok(err instanceof SourceError, String(err));
    assert.equal(err.source, 's3-down');
    assert.ok(err.message.includes(`listing s3://tributary/in/ at ${endpoint} failed after 4 attempts`), err.message);
    assert.match(err.message, /ECONNREFUSED/);
    // The SDK's standard backoff: a random wait up to 100 ms × 2^n per retry (0.1 + 0.2 + 0.4 s).
    assert.ok(elapsed < 700 + 2000, `failed after ${elapsed} ms`);
    console.log(`# s3, closed port: failed after ${elapsed} ms (4 attempts, SDK backoff budget 700 ms)`);
  });

  test('s3rver dies during an unbounded scan: the next listing fails the source, after everything before arrived', async (t) => {
    const peer = await startS3rver(t);
    await peer.put('in/a.ndjson', lines(0, 5));
    const live = startRun(source(peer.endpoint, { scanMode: 'unbounded', refreshIntervalMs: 50 }));
    t.after(() => live.stop());
    await eventually(() => live.run.rows.length >= 5 || live.error !== undefined, 'the five rows');
    const killed = Date.now();
    await peer.kill();
    const err = await live.done.then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    const elapsed = Date.now() - killed;
    assert.ok(err instanceof SourceError, String(err));
    assert.ok(err.message.includes(`listing s3://tributary/in/ at ${peer.endpoint} failed after 3 attempts`), err.message);
    assert.deepEqual(live.run.rows.map((r) => r.i), [0, 1, 2, 3, 4]);
    assert.ok(elapsed < 50 + 300 + 2000, `failed ${elapsed} ms after the kill`);
    console.log(`# s3, server killed mid-run: failed ${elapsed} ms after the kill (3 attempts)`);
  });

  test('an endpoint that starts answering 503 to GetObject: the reader fails naming the object and endpoint, nothing of it committed', async (t) => {
    const peer = await startS3rver(t);
    await peer.put('in/a.ndjson', lines(0, 5));
    await peer.put('in/b.ndjson', lines(5, 10));
    const proxy = await startProxy(t, peer.endpoint);
    let refused = 0;
    proxy.intercept = (r) => {
      if (r.method !== 'GET' || !r.url.includes('b.ndjson')) return undefined;
      refused++;
      return { status: 503, headers: { 'content-type': 'application/xml' }, body: '<Error><Code>ServiceUnavailable</Code><Message>down</Message></Error>' };
    };
    // window 1: a is read to its end before b is handed out.
    const live = startRun(source(proxy.endpoint, { window: 1 }));
    const err = await live.done.then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SourceError, String(err));
    assert.match(err.split ?? '', /^in\/b\.ndjson@/);
    assert.ok(err.message.includes(`reading s3://tributary/in/b.ndjson at ${proxy.endpoint} failed after 3 attempts`), err.message);
    assert.match(err.message, /HTTP 503/);
    assert.equal(refused, 3);
    assert.deepEqual(live.run.rows.map((r) => r.i), [0, 1, 2, 3, 4], 'the first object arrived whole, nothing of the second');
    assert.ok(live.run.committedRows <= 5);
  });
});

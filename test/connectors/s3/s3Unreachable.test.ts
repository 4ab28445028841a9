import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createS3Source, type S3SourceOptions } from '../../../src/connectors/s3/createS3Source.js';
import { s3ConfigFromProperties } from '../../../src/connectors/s3/s3Properties.js';
import { SourceError } from '../../../src/core/SourceError.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { closedEndpoint, s3rverCredentials, silentEndpoint, startProxy, startS3rver } from '../../support/aws.js';
import { testNdjsonFormat } from '../../support/awsTestFormat.js';
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

  test('a server that accepts and never answers: each attempt times out after s3.request.timeout.ms, then the source fails', async (t) => {
    const endpoint = await silentEndpoint(t);
    const started = Date.now();
    const err = await runSource(source(endpoint, { retryAttempts: 2, requestTimeoutMs: 300 })).then(
      (run) => assert.fail(`expected an error, got completion with ${run.rows.length} rows`),
      (e: unknown) => e,
    );
    const elapsed = Date.now() - started;
    assert.ok(err instanceof SourceError, String(err));
    assert.ok(err.message.includes(`listing s3://tributary/in/ at ${endpoint} failed after 2 attempts`), err.message);
    assert.match(err.message, /timed? ?out/i);
    // Two attempts of 300 ms and one SDK backoff of at most 200 ms.
    assert.ok(elapsed >= 600 && elapsed < 800 + 2000, `failed after ${elapsed} ms`);
    console.log(`# s3, silent server: failed after ${elapsed} ms (2 attempts x 300 ms timeout)`);
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

  test('s3rver dies while an object body streams: the reader fails naming the object, the offset delivered and the endpoint', async (t) => {
    const peer = await startS3rver(t);
    const total = 400_000;
    await peer.put('in/big.ndjson', lines(0, total));
    let killed: Promise<void> | undefined;
    const live = startRun(source(peer.endpoint, { window: 1 }), (run) => {
      if (killed === undefined && run.chunks.length >= 1) killed = peer.kill();
    });
    const err = await live.done.then(
      (run) => assert.fail(`expected an error, got completion with ${run.rows.length} rows`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SourceError, String(err));
    assert.match(err.split ?? '', /^in\/big\.ndjson@/);
    assert.ok(err.message.includes(`reading s3://tributary/in/big.ndjson at ${peer.endpoint} failed`), err.message);
    const delivered = live.run.chunks.at(-1)!.nextOffset;
    assert.equal(err.offset, delivered, 'the error names the offset after the last delivered row');
    assert.ok(live.run.rows.length < total);
    console.log(`# s3, server killed mid-body: ${err.message}`);
    assert.deepEqual(live.run.rows.map((r) => r.i), Array.from({ length: live.run.rows.length }, (_, i) => i), 'a prefix, in order');
  });

  test('a body cut mid-stream is read on from the position delivered, with a ranged GET: every row once, in order', async (t) => {
    const peer = await startS3rver(t);
    const total = 50_000;
    const body = lines(0, total);
    await peer.put('in/cut.ndjson', body);
    const proxy = await startProxy(t, peer.endpoint);
    let gets = 0;
    // The first two GETs break off after 100 000 bytes each; the third is whole.
    proxy.cutBody = (r) => (r.method === 'GET' && r.url.includes('cut.ndjson') && ++gets <= 2 ? 100_000 : undefined);
    // The test format asks for exactly one byte stream per open (the json format first sniffs the
    // object with a GET of its own), so every GET below is a read of the body.
    const run = await runSource(source(proxy.endpoint, { format: testNdjsonFormat() }));
    assert.deepEqual(run.rows.map((r) => r.i), Array.from({ length: total }, (_, i) => i));
    const ranges = proxy.requests.filter((r) => r.method === 'GET' && r.url.includes('cut.ndjson')).map((r) => String(r.headers.range ?? 'whole'));
    assert.equal(ranges.length, 3, ranges.join(' '));
    assert.equal(ranges[0], 'whole');
    for (const range of ranges.slice(1)) assert.match(range, /^bytes=[1-9]\d*-$/, 'resumed from a delivered position');
    // Each resume starts at a line boundary at or before the cut: nothing skipped, nothing twice.
    const starts = ranges.slice(1).map((r) => Number(/\d+/.exec(r)![0]));
    assert.ok(starts[0]! <= 100_000 && starts[1]! <= starts[0]! + 100_000, starts.join());
    for (const start of starts) assert.equal(body[start - 1], '\n');
  });

  test('a body cut again and again with no progress fails the reader after s3.retry.attempts, naming the object', async (t) => {
    const peer = await startS3rver(t);
    await peer.put('in/cut.ndjson', lines(0, 10));
    const proxy = await startProxy(t, peer.endpoint);
    proxy.cutBody = (r) => (r.method === 'GET' && r.url.includes('cut.ndjson') ? 0 : undefined);
    const err = await runSource(source(proxy.endpoint, { retryAttempts: 3 })).then(
      (run) => assert.fail(`expected an error, got ${run.rows.length} rows`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SourceError, String(err));
    assert.ok(err.message.includes(`reading s3://tributary/in/cut.ndjson at ${proxy.endpoint} failed after 3 attempts`), err.message);
    assert.equal(proxy.requests.filter((r) => r.method === 'GET' && r.url.includes('cut.ndjson')).length, 3);
  });
});

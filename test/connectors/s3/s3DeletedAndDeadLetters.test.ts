import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Subject } from 'rxjs';
import { createS3Source, type S3SourceOptions } from '../../../src/connectors/s3/createS3Source.js';
import type { DeadLetter } from '../../../src/core/BadRecordHandler.js';
import { BadRecordError } from '../../../src/core/SourceError.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { s3rverCredentials, startS3rver, type S3Peer } from '../../support/aws.js';
import { testNdjsonFormat } from '../../support/awsTestFormat.js';
import { runSource } from './s3Helpers.js';

const lines = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => JSON.stringify({ n: from + i })).join('\n') + '\n';
const ns = (rows: readonly Row[]): number[] => rows.map((r) => r.n as number);

function source(peer: S3Peer, options: Partial<S3SourceOptions> = {}) {
  return createS3Source({
    name: 's3-gone',
    bucket: peer.bucket,
    endpoint: peer.endpoint,
    credentials: s3rverCredentials,
    format: testNdjsonFormat(),
    window: 1,
    ...options,
  });
}

describe('s3: an object deleted mid-read, and dead letters (s3rver)', { timeout: 60_000 }, () => {
  test('an object deleted after a mid-object checkpoint: the resume fails naming the object and offset, under `skip` it is counted and the scan goes on', async (t) => {
    const peer = await startS3rver(t);
    const total = 40_000;
    await peer.put('a.ndjson', lines(0, total));
    await peer.put('b.ndjson', lines(total, total + 3));
    const store = new MemoryStore();
    const barriers = new Subject<void>();
    let asked = false;
    const first = await runSource(source(peer, { store, barriers }), (run) => {
      if (!asked && run.chunks.length >= 2) {
        asked = true;
        barriers.next();
      }
      return run.barriers > 0 && run.chunks.length >= 4;
    });
    assert.ok(first.committedRows > 0 && first.committedRows < total, `checkpoint mid-object (${first.committedRows} rows)`);
    const committedOffset = first.chunks.find((c) => ns(c.records).at(-1) === first.committedRows - 1)!.nextOffset;
    await peer.delete('a.ndjson');

    // Default policy `fail`: the rest of a.ndjson is lost upstream, and the source says so.
    const failed = source(peer, { store, barriers });
    const err = await runSource(failed).then(
      (run) => assert.fail(`expected an error, got ${run.rows.length} rows`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BadRecordError, String(err));
    assert.match(err.split ?? '', /^a\.ndjson@/);
    assert.equal(err.offset, committedOffset, 'the error names the offset reached');
    assert.match(err.message, /object 'a\.ndjson' was deleted before it was read to its end/);

    // `skip`: counted, the split ends, the next object is read, the scan completes.
    const skipping = source(peer, { store, barriers, badRecords: 'skip' });
    const second = await runSource(skipping);
    assert.deepEqual(ns(second.rows), [total, total + 1, total + 2]);
    assert.equal(second.finalBarrier, true);
    assert.equal(skipping.badRecordStats.skipped, 1);
    assert.match(skipping.badRecordStats.samples[0]!.message, /a\.ndjson/);
  });

  test('dead-letter: bad lines arrive on deadLetters$ with raw bytes, object and byte offset, counted; the good lines around them all arrive', async (t) => {
    const peer = await startS3rver(t);
    const body = '{"n":0}\n{broken\n{"n":1}\n{"n":2}\n[1,\n{"n":3}\n';
    await peer.put('dl/a.ndjson', body);
    await peer.put('dl/b.ndjson', '{"n":4}\n');
    const dead = source(peer, { prefix: 'dl/', badRecords: 'dead-letter', format: createFormat('json') });
    const letters: DeadLetter[] = [];
    const subscription = dead.deadLetters$.subscribe((l) => letters.push(l));
    t.after(() => subscription.unsubscribe());
    const run = await runSource(dead);
    assert.deepEqual(ns(run.rows), [0, 1, 2, 3, 4]);
    assert.equal(run.finalBarrier, true);
    assert.equal(dead.badRecordStats.deadLettered, 2);
    assert.deepEqual(letters.map((l) => Buffer.from(l.raw ?? new Uint8Array()).toString('utf8').trim()), ['{broken', '[1,']);
    for (const l of letters) {
      assert.equal(l.error.source, 's3-gone');
      assert.match(l.error.split ?? '', /^dl\/a\.ndjson@/);
    }
    assert.deepEqual(
      letters.map((l) => l.error.offset),
      [String(body.indexOf('{broken')), String(body.indexOf('[1,'))],
      'each letter names the byte offset of its line',
    );
  });
});

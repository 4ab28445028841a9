import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Observable, Subject } from 'rxjs';
import { SharedClient } from '../../../src/connectors/aws/SharedClient.js';
import { createS3Source } from '../../../src/connectors/s3/createS3Source.js';
import { createS3Handle, type S3Handle } from '../../../src/connectors/s3/s3Client.js';
import { S3Enumerator } from '../../../src/connectors/s3/S3Enumerator.js';
import type { S3ObjectSplit } from '../../../src/connectors/s3/S3ObjectSplit.js';
import { s3ConfigFromProperties } from '../../../src/connectors/s3/s3Properties.js';
import { checkpointKeys } from '../../../src/core/Checkpoint.js';
import type { EnumeratorContext } from '../../../src/core/Enumerator.js';
import type { JsonValue } from '../../../src/core/Json.js';
import type { SplitPosition } from '../../../src/core/SourceSplit.js';
import type { Format, Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import type { StateStore } from '../../../src/state/StateStore.js';
import { s3rverCredentials, startS3rver } from '../../support/aws.js';
import { testNdjsonFormat } from '../../support/awsTestFormat.js';
import { eventually, runSource, startRun } from './s3Helpers.js';

const lines = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => JSON.stringify({ n: from + i })).join('\n') + '\n';
const ns = (rows: readonly Row[]): number[] => rows.map((r) => r.n as number).sort((a, b) => a - b);

/** A store whose snapshot writes (`setMany`) each wait until the test lets them through. */
function gatedStore(inner: MemoryStore): StateStore & { readonly waiting: number; releaseNext(): void } {
  const queue: Array<() => void> = [];
  return {
    get: (key) => inner.get(key),
    set: (key, value) => inner.set(key, value),
    del: (key) => inner.del(key),
    entries: () => inner.entries(),
    delMany: (keys) => inner.delMany(keys),
    setMany: (entries) => new Promise<void>((resolve) => queue.push(() => resolve(inner.setMany(entries)))),
    get waiting() {
      return queue.length;
    },
    releaseNext() {
      const next = queue.shift();
      assert.ok(next !== undefined, 'a snapshot write is waiting');
      next();
    },
  };
}

/** `testNdjsonFormat`, counting the objects read to their end and the rows it decoded. */
function countingFormat(): Format & { ended: number; decoded: number } {
  const base = testNdjsonFormat();
  const format: Format & { ended: number; decoded: number } = {
    name: base.name,
    ended: 0,
    decoded: 0,
    async openStream(input, offset, context) {
      const decoder = await base.openStream!(input, offset, context);
      return {
        startByte: decoder.startByte,
        push: (bytes) => {
          const batch = decoder.push(bytes);
          format.decoded += batch.rows.length;
          return batch;
        },
        end: () => {
          format.ended++;
          const batch = decoder.end();
          format.decoded += batch.rows.length;
          return batch;
        },
      };
    },
  };
  return format;
}

describe('s3: an object counts as read only once its last records went downstream (finished$)', () => {
  // The window this closes: a reader completes while its last chunks are held back behind a
  // checkpoint write. An enumerator that folded the object into its scan state on the reader's
  // completion would save "read" with the next checkpoint, whose barrier comes *before* those
  // chunks; a crash after that checkpoint lost them. This reproduces exactly that interleaving
  // against s3rver and crashes at the worst moment.
  test('a crash right after the checkpoint that follows a held-back finish loses no record', async (t) => {
    const peer = await startS3rver(t);
    await peer.put('w/a.ndjson', lines(0, 40));
    await peer.put('w/b.ndjson', lines(40, 80));
    const memory = new MemoryStore();
    const gated = gatedStore(memory);
    const format = countingFormat();
    // Two barrier requests at once: the first one's write is held open, the second is queued
    // behind it, *before* the chunks a's reader is about to produce.
    const barriers = new Observable<void>((subscriber) => {
      subscriber.next();
      subscriber.next();
    });
    const options = { name: 's3-finished', bucket: peer.bucket, endpoint: peer.endpoint, credentials: s3rverCredentials, prefix: 'w/', window: 1 };
    const live = startRun(createS3Source({ ...options, format, store: gated, barriers }));
    t.after(() => live.stop());

    // a is read to its end and its reader completes while epoch 1's write is still open, so all
    // of a's chunks are held; window 1 keeps b waiting for a to leave the window.
    await eventually(() => format.ended >= 1 || live.error !== undefined, "a's reader to reach the end");
    // The reader hands each decoded batch to the source synchronously, the last one right after
    // `end()` returns, and the source forwards a chunk synchronously unless it holds it: so by
    // the time the poll above sees the end, all 40 rows were offered, and what is not downstream
    // now is held, not late. No wait is needed before the negative check.
    assert.equal(format.decoded, 40, 'the reader produced all of a');
    assert.equal(live.run.chunks.length, 0, 'nothing went downstream yet');
    gated.releaseNext(); // epoch 1 done; epoch 2's snapshot is taken now, ahead of a's chunks
    await eventually(() => gated.waiting === 1 || live.error !== undefined, "epoch 2's write");
    const epoch2 = memory.get(checkpointKeys.snapshot('s3-finished', 2));
    assert.equal(epoch2, undefined, 'not written yet');
    gated.releaseNext();
    await eventually(() => live.run.barriers >= 2 || live.error !== undefined, 'barrier 2');
    live.stop(); // the crash: epoch 2 is the last committed checkpoint
    assert.equal(live.error, undefined);
    assert.equal(live.run.committedRows, 0, "a's rows all came after barrier 2");

    // Read before the restart, which collects it once it commits a later epoch.
    const snapshot = memory.get(checkpointKeys.snapshot('s3-finished', 2)) as { splits: Record<string, { finished: boolean }>; enumerator: { window: Array<{ key: string }> } };
    const second = await runSource(createS3Source({ ...options, format: testNdjsonFormat(), store: memory }));
    assert.deepEqual(ns(second.rows), Array.from({ length: 80 }, (_, i) => i), 'a is read again from its checkpointed position, then b');
    // Verified against the previous design without its workaround (fold on the reader's own
    // completion): the assertion above fails there, with all of a's rows lost.
    assert.deepEqual(snapshot.enumerator.window.map((s) => s.key), ['w/a.ndjson'], 'and why: epoch 2 still has a in its window, unfinished');
    assert.deepEqual(Object.values(snapshot.splits).map((p) => p.finished), [false]);
  });

  test('the enumerator folds a split into its state, and drops it from the set, only on finished$', async (t) => {
    const peer = await startS3rver(t);
    for (const key of ['f/a', 'f/b', 'f/c']) await peer.put(key, lines(0, 1));
    const config = { ...s3ConfigFromProperties({ 's3.bucket': peer.bucket, 's3.prefix': 'f/', 's3.scan.window': '2' }), endpoint: peer.endpoint, credentials: s3rverCredentials };
    const clients = new SharedClient<S3Handle>(() => createS3Handle(config), (h) => h.client.destroy());
    const finished$ = new Subject<string>();
    const saved: JsonValue[] = [];
    const context: EnumeratorContext<S3ObjectSplit> = {
      source: 'unit',
      restoredState: undefined,
      restoredSplits: new Map<string, SplitPosition<S3ObjectSplit>>(),
      saveState: (state) => saved.push(state),
      finished$,
    };
    const sets: S3ObjectSplit[][] = [];
    const mismatches: string[] = [];
    let completed = false;
    const subscription = new S3Enumerator(config, { clients, secrets: [] }).splits(context).subscribe({
      next: (set) => {
        sets.push([...set]);
        // Every set goes with the state saved just before it: the window *is* the set.
        const window = (saved.at(-1) as { window: Array<{ id: string }> }).window.map((s) => s.id).join();
        if (window !== set.map((s) => s.id).join()) mismatches.push(`state ${window} vs set ${set.map((s) => s.id).join()}`);
      },
      complete: () => (completed = true),
    });
    t.after(() => subscription.unsubscribe());
    const keys = (): string[] => (sets.at(-1) ?? []).map((s) => s.key);

    await eventually(() => keys().join() === 'f/a,f/b', 'the first window');
    const a = sets.at(-1)![0]!;
    // Nothing but finished$ moves the window. The set a,b is emitted only when the listing has
    // reached c and found the window full (a and b are handed out without an emission of their
    // own), so the enumerator is now parked until finished$ frees a slot: the checks below need
    // no wait. The page that held c was listed: the saved cursor says so.
    const parked = saved.at(-1) as { after: string | null; window: Array<{ key: string }> };
    assert.equal(parked.after, 'f/b', 'the cursor stopped after b, with c listed and waiting for room');
    const setsWhenParked = sets.length;
    assert.deepEqual(keys(), ['f/a', 'f/b']);
    finished$.next('f/zzz@unknown'); // not in the window: ignored
    assert.deepEqual(keys(), ['f/a', 'f/b']);

    assert.equal(sets.length, setsWhenParked, 'an unknown id emits nothing');
    const before = sets.length;
    finished$.next(a.id);
    assert.equal(sets.length, before + 1, 'the set changes synchronously, in step with the source');
    assert.deepEqual(keys(), ['f/b'], 'a left the set as soon as finished$ named it');
    const state = saved.at(-1) as { recent: Record<string, unknown>; after: string };
    assert.ok('f/a' in state.recent || state.after >= 'f/a', 'and was recorded as read');
    await eventually(() => keys().join() === 'f/b,f/c', 'c handed out in the freed slot');
    // A bounded scan completes after its last page; the source finishes what is still in the set.
    await eventually(() => completed, 'the bounded scan to complete');
    assert.deepEqual(keys(), ['f/b', 'f/c']);
    assert.ok(!sets.slice(before).some((set) => set.some((s) => s.key === 'f/a')), 'a never came back');
    assert.deepEqual(mismatches, []);
  });
});

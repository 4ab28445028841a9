import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lastValueFrom, Subject, takeWhile, tap, toArray } from 'rxjs';
import { createLineFileSource } from '../../../examples/lineFiles.js';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import { SourceError } from '../../../src/core/SourceError.js';
import type { SourceEvent } from '../../../src/core/SourceEvent.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';

// The README's smallest connector (examples/lineFiles.ts), run for real: it must read, checkpoint,
// survive a crash and resume without losing or repeating a line, and fail naming where.

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tributary-linefiles-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const recordsOf = (events: readonly SourceEvent<string>[]): string[] => events.flatMap((e) => (e.type === 'chunk' ? [...e.records] : []));

async function directory(name: string, files: Record<string, string[]>): Promise<string> {
  const dir = join(root, name);
  await rm(dir, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(dir));
  for (const [file, content] of Object.entries(files)) await writeFile(join(dir, file), content.map((l) => `${l}\n`).join(''));
  return dir;
}

describe('examples/lineFiles.ts: the smallest complete connector', () => {
  test('reads every line of every file once, in file order, and completes with a final checkpoint', async () => {
    const dir = await directory('all', { 'a.txt': lines('a', 250), 'b.txt': lines('b', 3), 'empty.txt': [] });
    const source = createLineFileSource({ name: 'lines', dir });
    const events = await lastValueFrom(source.pipe(commitEpochs(source), toArray()));
    const records = recordsOf(events);
    assert.deepEqual(records.filter((r) => r.startsWith('a')), lines('a', 250));
    assert.deepEqual(records.filter((r) => r.startsWith('b')), lines('b', 3));
    assert.equal(records.length, 253);
    assert.deepEqual(events.at(-1), { type: 'barrier', epoch: 1, final: true });
  });

  test('a crash after the first checkpoint resumes mid-file: every line delivered exactly once', async () => {
    const dir = await directory('crash', { 'a.txt': lines('a', 9), 'b.txt': lines('b', 5) });
    const store = new MemoryStore();
    const barriers = new Subject<void>();
    const first = createLineFileSource({ name: 'lines', dir, store, barriers, batchLines: 2 });
    let asked = false;
    // Run 1: ask for a checkpoint after the first chunk, and "crash" (unsubscribe) at its barrier:
    // what came before the barrier is delivered, what the readers fetched after it is lost.
    const run1 = await lastValueFrom(
      first.pipe(
        tap((e) => {
          if (e.type === 'chunk' && !asked) {
            asked = true;
            queueMicrotask(() => barriers.next());
          }
        }),
        commitEpochs(first),
        takeWhile((e) => e.type !== 'barrier', true),
        toArray(),
      ),
    );
    assert.equal(run1.at(-1)?.type, 'barrier');
    const delivered = recordsOf(run1);
    assert.ok(delivered.length > 0 && delivered.length < 14, `run 1 delivered ${delivered.length} lines before its checkpoint`);
    // Run 2 on the same store: resumes from the committed positions.
    const second = createLineFileSource({ name: 'lines', dir, store, batchLines: 2 });
    const run2 = recordsOf(await lastValueFrom(second.pipe(commitEpochs(second), toArray())));
    assert.deepEqual([...delivered, ...run2].sort(), [...lines('a', 9), ...lines('b', 5)].sort(), 'no line lost, none repeated');
    // And a third run has nothing left to read.
    const third = createLineFileSource({ name: 'lines', dir, store });
    assert.deepEqual(recordsOf(await lastValueFrom(third.pipe(commitEpochs(third), toArray()))), []);
  });

  test('a file deleted mid-read fails the source naming source, split and the position delivered', async () => {
    const dir = await directory('vanish', { 'a.txt': lines('a', 10) });
    const source = createLineFileSource({ name: 'lines', dir, batchLines: 4, highWaterMark: 1 });
    let deleted = false;
    const err = await lastValueFrom(
      source.pipe(
        tap((e) => {
          if (e.type === 'chunk' && !deleted) {
            deleted = true;
            // The reader is paused (4 records unacknowledged, high-water mark 1): it fetches
            // again only once the file is gone and the records are acknowledged.
            void unlink(join(dir, 'a.txt')).then(() => source.acknowledge(e.records.length));
          }
        }),
        toArray(),
      ),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof SourceError, `expected a SourceError, got ${String(err)}`);
    assert.equal(err.source, 'lines');
    assert.equal(err.split, 'a.txt');
    assert.equal(err.offset, '4');
    assert.match(err.message, /ENOENT/);
  });
});

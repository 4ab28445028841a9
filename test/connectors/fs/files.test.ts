import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { NEVER, take, toArray, lastValueFrom } from 'rxjs';
import { createFsSource } from '../../../src/connectors/fs/createFsSource.js';
import { fileChanges } from '../../../src/connectors/fs/fileChanges.js';
import { globMatcher } from '../../../src/connectors/fs/globMatcher.js';
import { listFiles } from '../../../src/connectors/fs/listFiles.js';
import { Semaphore } from '../../../src/connectors/fs/Semaphore.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Format } from '../../../src/formats/Format.js';
import { ndjson, readAll, tempDir } from './helpers.js';

test('listFiles follows links to files, not links to directories, and sorts by id', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'b'));
  await writeFile(join(dir, 'b', 'real.json'), '{}\n');
  await writeFile(join(dir, 'a.json'), '{}\n');
  await symlink(join(dir, 'b', 'real.json'), join(dir, 'link.json'));
  await symlink(join(dir, 'b'), join(dir, 'dirlink'));
  await symlink(join(dir, 'missing.json'), join(dir, 'dangling.json'));
  const ids = (await listFiles(dir, globMatcher('*.json'))).map((f) => f.id);
  assert.deepEqual(ids, ['a.json', 'b/real.json', 'link.json']);
});

test('listFiles stats many files at once and still lists every one, sorted, each with its own size and inode', async (t) => {
  const dir = await tempDir(t);
  const written = new Map<string, number>();
  // More files than stat calls in flight, in nested folders, written in an order unlike the sorted one.
  for (let i = 149; i >= 0; i--) {
    const folder = `d${i % 3}`;
    await mkdir(join(dir, folder), { recursive: true });
    const id = `${folder}/f${String(i).padStart(3, '0')}.csv`;
    await writeFile(join(dir, id), 'x'.repeat(i + 1));
    written.set(id, i + 1);
  }
  await writeFile(join(dir, 'd1', 'other.txt'), 'not matched');
  const listed = await listFiles(dir, globMatcher('**/*.csv'));
  assert.deepEqual(
    listed.map((f) => f.id),
    [...written.keys()].sort(),
  );
  for (const f of listed) assert.equal(f.size, written.get(f.id), f.id);
  assert.equal(new Set(listed.map((f) => `${f.dev}:${f.ino}`)).size, listed.length, 'every file has its own inode');
});

/**
 * 40 NDJSON files of 30 rows, and a json format that records the most files decoded at once
 * (from their first bytes to end()) and the most open at once (from openStream to end(): those
 * decoded, and those opened ahead of their turn).
 */
async function countingFolder(t: Parameters<typeof tempDir>[0]): Promise<{ dir: string; expected: { id: number }[]; counting: Format; most: () => number; mostOpen: () => number }> {
  const dir = await tempDir(t);
  const expected: { id: number }[] = [];
  for (let i = 0; i < 40; i++) {
    const rows = Array.from({ length: 30 }, (_, j) => ({ id: i * 100 + j }));
    expected.push(...rows);
    await writeFile(join(dir, `f${String(i).padStart(2, '0')}.json`), ndjson(rows));
  }
  const json = createFormat('json');
  let open = 0;
  let mostOpen = 0;
  let decoding = 0;
  let most = 0;
  const counting: Format = {
    ...json,
    async openStream(input, offset, context) {
      open++;
      mostOpen = Math.max(mostOpen, open);
      const decoder = await json.openStream!(input, offset, context);
      let started = false;
      return {
        startByte: decoder.startByte,
        push: (bytes) => {
          if (!started) {
            started = true;
            decoding++;
            most = Math.max(most, decoding);
          }
          return decoder.push(bytes);
        },
        end: () => {
          open--;
          if (started) decoding--;
          return decoder.end();
        },
      };
    },
  };
  return { dir, expected, counting, most: () => most, mostOpen: () => mostOpen };
}

test('by default a source decodes one file at a time (files side by side only cost memory and GC), opens the next one ahead, and reads all of them', async (t) => {
  const { dir, expected, counting, most, mostOpen } = await countingFolder(t);
  const records = await readAll(createFsSource({ name: 'default', path: dir, format: counting, barriers: NEVER, readBufferBytes: 64 }));
  assert.equal(most(), 1);
  assert.equal(mostOpen(), 2, 'the next file is opened while one is decoded, and no more');
  assert.deepEqual(records, expected, 'one at a time: rows in file order');
});

test('files opened ahead take their turns in file order, however long each takes to open', async (t) => {
  const dir = await tempDir(t);
  const expected: { id: number }[] = [];
  for (let i = 0; i < 12; i++) {
    const rows = Array.from({ length: 20 }, (_, j) => ({ id: i * 100 + j }));
    expected.push(...rows);
    await writeFile(join(dir, `f${String(i).padStart(2, '0')}.json`), ndjson(rows));
  }
  const json = createFormat('json');
  let opened = 0;
  // Every other file is slow to open: a file opened after it must not be read before it.
  const uneven: Format = {
    ...json,
    async openStream(input, offset, context) {
      if (opened++ % 2 === 0) await delay(30);
      return json.openStream!(input, offset, context);
    },
  };
  const records = await readAll(createFsSource({ name: 'uneven', path: dir, format: uneven, barriers: NEVER, readBufferBytes: 64 }));
  assert.deepEqual(records, expected);
});

test('a source reads at most fs.max.open.files files at a time (and opens one more ahead), and all of them', async (t) => {
  const { dir, expected, counting, most, mostOpen } = await countingFolder(t);
  const records = await readAll(createFsSource({ name: 'many', path: dir, format: counting, barriers: NEVER, maxOpenFiles: 3, readBufferBytes: 64 }));
  assert.equal(most(), 3);
  assert.equal(mostOpen(), 4);
  assert.deepEqual(
    [...records].sort((a, b) => (a.id as number) - (b.id as number)),
    expected,
  );
});

test('Semaphore hands out permits in arrival order and skips waiters that gave up', async () => {
  const s = new Semaphore(1);
  const order: string[] = [];
  const first = await s.acquire();
  const gaveUp = { aborted: false };
  const b = s.acquire(gaveUp).then((release) => {
    order.push('b');
    release();
  });
  const c = s.acquire().then((release) => {
    order.push('c');
    return release;
  });
  gaveUp.aborted = true;
  first();
  first(); // idempotent
  const releaseC = await c;
  assert.deepEqual(order, ['c']);
  assert.equal(s.free, 0);
  releaseC();
  assert.equal(s.free, 1);
  void b;
});

test('fileChanges falls back to polling when fs.watch cannot watch', async (t) => {
  const dir = await tempDir(t);
  const errors: unknown[] = [];
  const hints = await lastValueFrom(
    fileChanges(join(dir, 'not-there'), { watch: true, pollIntervalMs: 0, onWatchError: (e) => errors.push(e) }).pipe(take(2), toArray()),
  );
  assert.equal(errors.length, 1);
  assert.deepEqual(hints, [
    { kind: 'poll', path: null },
    { kind: 'poll', path: null },
  ]);
});

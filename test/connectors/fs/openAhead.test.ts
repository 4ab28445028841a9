import assert from 'node:assert/strict';
import { readdirSync, readlinkSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { NEVER, retry, tap, type Subscription } from 'rxjs';
import { createFsSource } from '../../../src/connectors/fs/createFsSource.js';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Format } from '../../../src/formats/Format.js';
import { FileStore } from '../../../src/state/FileStore.js';
import { barrierTrigger, crashAfterCheckpoint, ndjson, readAll, run, tempDir, waitFor } from './helpers.js';

// A bounded reader opens its file (position check, fingerprint, first read) ahead of its turn
// to read it (see FsSplitReaderOptions.openAhead). These are what that must not change.

/** Descriptors of this process open on files under `dir` (Linux: /proc/self/fd). */
function openUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((path) => path.startsWith(dir));
}

test('open-ahead: a resume in the middle of the first file reads its rest before the next file (which opens faster)', async (t) => {
  // The resumed file's opening verifies the stored head and tail (two more reads than a fresh
  // file's): its turn must still come first. Before turns were taken in opening order, 29 of 30
  // such restarts put the next file's rows first.
  for (let round = 0; round < 8; round++) {
    const data = await tempDir(t);
    const state = await tempDir(t);
    for (let i = 0; i < 3; i++) await writeFile(join(data, `f${i}.json`), ndjson(Array.from({ length: 200 }, (_, j) => ({ id: i * 1000 + j }))));
    const store = await FileStore.open(state);
    try {
      const barriers = barrierTrigger();
      const make = () => createFsSource({ name: 'order', path: data, format: createFormat('json'), store, barriers, readBufferBytes: 512 });
      await crashAfterCheckpoint(make(), barriers, 2);
      const ids = (await readAll(make())).map((r) => r.id as number);
      assert.ok(ids.length > 0 && ids.length < 600, `a resume, not a full read (${ids.length} rows)`);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b), `round ${round}: rows in file order`);
    } finally {
      await store.close();
    }
  }
});

test('open-ahead: a source that fails is failed again by every retry (no permit kept by a reader that opened ahead)', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'f0.json'), '{"id":0}\nnot json\n');
  await writeFile(join(dir, 'f1.json'), '{"id":1}\n');
  await writeFile(join(dir, 'f2.json'), '{"id":2}\n');
  const source = createFsSource({ name: 'retry', path: dir, format: createFormat('json'), barriers: NEVER });
  let attempts = 0;
  const r = run(source, (events) => events.pipe(tap({ subscribe: () => attempts++ }), retry({ count: 3 })));
  const outcome = await Promise.race([r.done.then(() => 'done'), delay(5_000, 'hung')]);
  r.subscription.unsubscribe();
  assert.equal(outcome, 'done', `hung after ${attempts} attempts`);
  assert.equal(attempts, 4);
  assert.match(String(r.error()), /malformed JSON line/);
});

test('open-ahead: unsubscribing while a file is opened ahead leaves the source readable by the next subscriber', async (t) => {
  const dir = await tempDir(t);
  for (let i = 0; i < 3; i++) await writeFile(join(dir, `f${i}.json`), ndjson([{ id: i }]));
  const json = createFormat('json');
  let opened = 0;
  let stopAt = -1;
  let stop: Subscription | undefined;
  const format: Format = {
    ...json,
    async openStream(input, offset, context) {
      // The consumer goes away (a crash, take(n), a lost lease) while this file is opened:
      // the first file of a round, or the second (opened ahead while the first is read).
      if (++opened === stopAt) stop?.unsubscribe();
      return json.openStream!(input, offset, context);
    },
  };
  const source = createFsSource({ name: 'leak', path: dir, format, barriers: NEVER });
  // Each of these once kept a permit to open ahead (two: as many as there are).
  for (const nth of [1, 2, 2]) {
    const round = run(source);
    stop = round.subscription;
    stopAt = opened + nth;
    await delay(200);
    assert.ok(round.subscription.closed, `unsubscribed while opening file ${nth}`);
  }
  const last = run(source);
  const outcome = await Promise.race([last.done.then(() => 'done'), delay(5_000, 'hung')]);
  last.subscription.unsubscribe();
  assert.equal(outcome, 'done', `the last subscription read ${last.records.length} records and never completed`);
  assert.equal(last.records.length, 3);
});

for (const how of ['unsubscribe', 'error'] as const) {
  test(`open-ahead: after ${how === 'error' ? 'an error' : 'an unsubscribe'} while the next file is opened ahead, no file stays open, and never more than two were`, async (t) => {
    const dir = await tempDir(t);
    const lines = Array.from({ length: 2000 }, (_, j) => `{"id":${j}}\n`).join('');
    await writeFile(join(dir, 'f0.json'), how === 'error' ? `${lines}not json\n${lines}` : lines);
    for (let i = 1; i < 4; i++) await writeFile(join(dir, `f${i}.json`), lines);
    const source = createFsSource({ name: 'fds', path: dir, format: createFormat('json'), barriers: NEVER, readBufferBytes: 256 });
    let mostDescriptors = 0;
    let mostFiles = 0;
    const sample = setInterval(() => {
      const open = openUnder(dir);
      mostDescriptors = Math.max(mostDescriptors, open.length);
      mostFiles = Math.max(mostFiles, new Set(open).size);
    }, 1);
    t.after(() => clearInterval(sample));
    let chunks = 0;
    await new Promise<void>((resolve) => {
      const sub = source.pipe(commitEpochs(source)).subscribe({
        next: () => {
          if (how === 'unsubscribe' && ++chunks === 20) {
            sub.unsubscribe();
            resolve();
          }
        },
        error: () => resolve(),
        complete: () => resolve(),
      });
    });
    await delay(300);
    clearInterval(sample);
    assert.deepEqual(openUnder(dir), []);
    // One file read and one opened ahead (each through the read stream and the guard's handle,
    // and a stream being closed while the next one opens).
    assert.ok(mostFiles <= 2, `${mostDescriptors} descriptors on ${mostFiles} files at once`);
  });
}

for (const how of ['rotated (renamed away, a new file in its place)', 'copytruncated (cut and written again)'] as const) {
  test(`open-ahead: the next file ${how} while it waits for its turn is read as it is at its turn`, async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, 'old'));
    await writeFile(join(dir, 'a0.ndjson'), ndjson(Array.from({ length: 3000 }, (_, j) => ({ id: j }))));
    await writeFile(join(dir, 'a1.ndjson'), ndjson(Array.from({ length: 5 }, (_, j) => ({ old: j }))));
    const source = createFsSource({ name: 'rotate', path: dir, pattern: '*.ndjson', format: createFormat('json'), barriers: NEVER, readBufferBytes: 256 });
    let rotated = false;
    const r = run(source, (events) =>
      events.pipe(
        tap((e) => {
          // a1 was opened ahead long ago; nothing of it has been read yet.
          if (e.type !== 'chunk' || rotated || e.records.length === 0) return;
          rotated = true;
          const a1 = join(dir, 'a1.ndjson');
          if (how.startsWith('rotated')) renameSync(a1, join(dir, 'old', 'a1.ndjson'));
          else truncateSync(a1);
          writeFileSync(a1, ndjson([{ now: 1 }]));
        }),
      ),
    );
    await r.done;
    assert.equal(r.error(), undefined);
    assert.ok(rotated);
    assert.equal(r.records.filter((row) => 'old' in row).length, 0, 'nothing of the file as it was when opened ahead');
    assert.deepEqual(r.records.filter((row) => 'now' in row), [{ now: 1 }]);
    assert.equal(r.records.length, 3001);
  });
}

test('tail: a file waiting for appends holds no descriptor (only while it is read)', async (t) => {
  const dir = await tempDir(t);
  for (let i = 0; i < 5; i++) await writeFile(join(dir, `f${i}.ndjson`), ndjson([{ id: i }]));
  const source = createFsSource({ name: 'idle', path: dir, scanMode: 'unbounded', format: createFormat('json'), barriers: NEVER, pollIntervalMs: 50, maxOpenFiles: 1 });
  const r = run(source);
  t.after(() => r.subscription.unsubscribe());
  await waitFor(() => r.records.length === 5, 'the records');
  // Several polls, each checking every file.
  await delay(400);
  assert.deepEqual(openUnder(dir), []);
});

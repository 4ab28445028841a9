import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { CorruptStateError } from '../../src/core/SourceError.js';
import { FileStore } from '../../src/state/FileStore.js';
import { readFileStoreState } from './readFileStoreState.js';
import { stateStoreContract } from './stateStoreContract.js';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-filestore-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** What a reopen would see in `dir`, read without opening a store (a store holds its directory). */
function onDisk(dir: string): Array<[string, unknown]> {
  return [...(readFileStoreState(dir) ?? [])];
}

/** The directory's files, sorted, with the log's generation as `N`. */
async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).map((name) => name.replace(/^state\.json\.log-\d+$/, 'state.json.log-N')).sort();
}

stateStoreContract('FileStore', async (t) => FileStore.open(await tempDir(t)));
stateStoreContract('FileStore (blockingWrites: false)', async (t) =>
  FileStore.open(await tempDir(t), { blockingWrites: false }),
);

test('FileStore: a reopened store sees what was written before close', async (t) => {
  const dir = join(await tempDir(t), 'nested', 'checkpoints');
  const first = await FileStore.open(dir);
  await first.setMany([
    ['orders/split/a', { nextOffset: '42' }],
    ['orders/split/b', { nextOffset: null }],
    ['orders/epoch', 7],
  ]);
  await first.set('gone', true);
  await first.del('gone');
  await first.delMany(['orders/split/b']);
  await first.close();

  const second = await FileStore.open(dir);
  t.after(() => second.close());
  assert.deepStrictEqual(await second.entries(), [
    ['orders/split/a', { nextOffset: '42' }],
    ['orders/epoch', 7],
  ]);
  assert.equal(second.file, join(second.dir, 'state.json'));
});

test('FileStore: a closed store’s file is readable JSON with a format, a version, its log and a checksum', async (t) => {
  const store = await FileStore.open(await tempDir(t));
  await store.set('a', 0);
  await store.setMany([
    ['a', { offset: '1' }],
    ['b', [1, 2]],
  ]);
  await store.close();
  const text = await readFile(store.file, 'utf8');
  const parsed = JSON.parse(text) as Record<string, unknown>;
  assert.equal(parsed['format'], 'tributary-state');
  assert.equal(parsed['version'], 2);
  // close folded the log into the file and named a new, empty one.
  const log = parsed['log'];
  assert.ok(typeof log === 'number' && log >= 2, String(log));
  assert.deepStrictEqual(await readdir(store.dir), ['state.json', `state.json.log-${log}`].sort());
  assert.equal((await readFile(join(store.dir, `state.json.log-${log}`))).length, 0);
  assert.match(String(parsed['sha256']), /^[0-9a-f]{64}$/);
  assert.deepStrictEqual(parsed['entries'], [
    ['a', { offset: '1' }],
    ['b', [1, 2]],
  ]);
  // One entry a line, so that the file diffs and greps well.
  assert.ok(text.includes('\n["a",{"offset":"1"}],\n["b",[1,2]]\n'), text);
});

test('FileStore: a hand-edited file without its sha256 is trusted, and the next write adds it back', async (t) => {
  const dir = await tempDir(t);
  await writeFile(
    join(dir, 'state.json'),
    JSON.stringify({ format: 'tributary-state', version: 1, entries: [['s/a', { nextOffset: '100' }]] }, null, 2),
  );
  const store = await FileStore.open(dir);
  t.after(() => store.close());
  assert.deepStrictEqual(await store.get('s/a'), { nextOffset: '100' });
  await store.set('s/b', 1);
  const parsed = JSON.parse(await readFile(store.file, 'utf8')) as Record<string, unknown>;
  assert.match(String(parsed['sha256']), /^[0-9a-f]{64}$/);
});

/** A valid state file's text, to corrupt in the tests below. */
async function validStateText(t: TestContext): Promise<string> {
  const store = await FileStore.open(await tempDir(t));
  await store.setMany([
    ['s/a', { nextOffset: '12345' }],
    ['s/b', { nextOffset: '7' }],
  ]);
  await store.close();
  return readFile(store.file, 'utf8');
}

const corruptions: ReadonlyArray<readonly [string, (valid: string) => string | Buffer, RegExp]> = [
  ['an empty file', () => '', /is not valid JSON/],
  ['a torn file', (valid) => valid.slice(0, Math.floor(valid.length / 2)), /is not valid JSON/],
  ['bad JSON', () => '{"format": "tributary-state", version: 1}', /is not valid JSON/],
  ['invalid UTF-8', (valid) => Buffer.concat([Buffer.from(valid.slice(0, -3)), Buffer.from([0xff, 0xfe]), Buffer.from(']}\n')]), /is not valid UTF-8/],
  ['a JSON array', () => '[]', /is not a JSON object/],
  ['another format', () => '{"format":"something-else","version":1,"entries":[]}', /is not a tributary state file/],
  ['a newer version', () => '{"format":"tributary-state","version":3,"entries":[]}', /format version 3, written by a newer tributary/],
  ['a version 2 file without its log', (valid) => valid.replace(/"log":\d+,/, ''), /has no valid "log"/],
  ['a changed log generation (checksum)', (valid) => valid.replace(/"log":(\d+)/, (_, n: string) => `"log":${Number(n) + 1}`), /fails its SHA-256 check/],
  ['a missing version', () => '{"format":"tributary-state","entries":[]}', /unknown format version undefined/],
  ['entries that are not an array', () => '{"format":"tributary-state","version":1,"entries":{}}', /has no "entries" array/],
  ['a malformed entry', () => '{"format":"tributary-state","version":1,"entries":[["a",1],["b"]]}', /malformed entry at index 1/],
  ['a non-string key', () => '{"format":"tributary-state","version":1,"entries":[[1,1]]}', /malformed entry at index 0/],
  ['a key twice', () => '{"format":"tributary-state","version":1,"entries":[["a",1],["a",2]]}', /has the key "a" twice/],
  ['a number JSON cannot hold', () => '{"format":"tributary-state","version":1,"entries":[["a",1e999]]}', /value for "a" that is not JSON: \$ is Infinity/],
  ['a changed offset (checksum)', (valid) => valid.replace('"12345"', '"12845"'), /fails its SHA-256 check/],
  ['a removed entry (checksum)', (valid) => valid.replace(/,\n\["s\/b".*\]/, ''), /fails its SHA-256 check/],
];

for (const [label, corrupt, expected] of corruptions) {
  test(`FileStore: ${label} is a CorruptStateError naming the file, and the file is left alone`, async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'state.json');
    const content = corrupt(await validStateText(t));
    await writeFile(file, content);
    await assert.rejects(FileStore.open(dir), (err: unknown) => {
      assert.ok(err instanceof CorruptStateError, String(err));
      assert.ok(err.message.includes(file), err.message);
      assert.match(err.message, expected);
      assert.match(err.message, /delete it to start from the configured start/);
      return true;
    });
    assert.deepStrictEqual(await readFile(file), Buffer.from(content));
    // A failed open does not hold the directory: once fixed, it opens.
    await rm(file);
    const store = await FileStore.open(dir);
    await store.close();
  });
}

test('FileStore: an unreadable state file is a CorruptStateError naming it, with the cause', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'state.json');
  // A directory where the file should be: unreadable even for root, unlike chmod 000.
  await mkdir(file);
  await assert.rejects(FileStore.open(dir), (err: unknown) => {
    assert.ok(err instanceof CorruptStateError, String(err));
    assert.ok(err.message.includes(`${file} cannot be read`), err.message);
    assert.equal((err.cause as NodeJS.ErrnoException).code, 'EISDIR');
    return true;
  });
});

test('FileStore: temporary files left by a crash are deleted and never read', async (t) => {
  const dir = await tempDir(t);
  const first = await FileStore.open(dir);
  await first.set('k', 'committed');
  await first.close();
  await writeFile(join(dir, 'state.json.tmp-999-1'), '{"format":"tributary-state","version":1,"entries":[["k","torn');
  await writeFile(join(dir, 'state.json.tmp-999-2'), '');
  // A log state.json does not name: one a crashed rewrite created and never renamed into use.
  await writeFile(join(dir, 'state.json.log-999'), 'not a log\n');
  await writeFile(join(dir, 'unrelated.txt'), 'not ours');

  const store = await FileStore.open(dir);
  t.after(() => store.close());
  assert.equal(await store.get('k'), 'committed');
  assert.deepStrictEqual(await filesIn(dir), ['state.json', 'state.json.log-N', 'unrelated.txt']);
});

test('FileStore: only temporary files in a directory without state.json means no state yet', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'state.json.tmp-1-1'), '{"format":"tributary-state"');
  const store = await FileStore.open(dir);
  t.after(() => store.close());
  assert.deepEqual(await store.entries(), []);
  assert.deepEqual(await readdir(dir), []);
});

test('FileStore: one directory cannot be open twice in a process', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir);
  await assert.rejects(FileStore.open(join(dir, '.')), /is already open in this process/);
  await store.close();
  const again = await FileStore.open(dir);
  await again.close();
});

test('FileStore: a closed store rejects calls; closing twice is fine', async (t) => {
  const store = await FileStore.open(await tempDir(t));
  const pending = store.set('k', 1);
  await store.close();
  await pending;
  await store.close();
  for (const call of [
    () => store.get('k'),
    () => store.set('k', 2),
    () => store.del('k'),
    () => store.entries(),
    () => store.setMany([['k', 2]]),
    () => store.delMany(['k']),
  ]) {
    await assert.rejects(call, /FileStore: .* is closed/);
  }
});

test('FileStore: close waits for writes already called', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir);
  const writes = Array.from({ length: 20 }, (_, i) => store.set(`k${i}`, i));
  await store.close();
  await Promise.all(writes);
  const reopened = await FileStore.open(dir);
  t.after(() => reopened.close());
  assert.equal((await reopened.entries()).length, 20);
});

test('FileStore: concurrent writes all succeed, resolve in call order and land on disk', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir);
  const resolved: number[] = [];
  const writes = Array.from({ length: 200 }, (_, i) =>
    store.setMany([[`split/${i % 17}`, { offset: String(i) }], ['epoch', i]]).then(() => resolved.push(i)),
  );
  await Promise.all(writes);
  assert.deepEqual(resolved, Array.from({ length: 200 }, (_, i) => i));
  await store.close();
  const reopened = await FileStore.open(dir);
  t.after(() => reopened.close());
  assert.equal(await reopened.get('epoch'), 199);
  // The last write to split/3 was the last i with i % 17 === 3.
  const lastForSplit3 = 199 - ((199 - 3) % 17);
  assert.deepStrictEqual(await reopened.get('split/3'), { offset: String(lastForSplit3) });
});

test('FileStore: a failed write rejects naming the file and leaves the committed state in place', async (t) => {
  const dir = join(await tempDir(t), 'store');
  const store = await FileStore.open(dir);
  t.after(() => store.close());
  await store.setMany([['s/a', 1]]);
  // Pull the directory away: the temporary file cannot be created.
  await rm(dir, { recursive: true });
  await assert.rejects(store.setMany([['s/a', 2], ['s/b', 2]]), (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.ok(err.message.includes(join(store.dir, 'state.json')), err.message);
    assert.equal((err.cause as NodeJS.ErrnoException).code, 'ENOENT');
    return true;
  });
  assert.deepStrictEqual(await store.entries(), [['s/a', 1]]);
  // Once the directory is back, the next write holds the committed state plus itself only.
  await mkdir(dir);
  await store.set('s/c', 3);
  const onDisk = JSON.parse(await readFile(store.file, 'utf8')) as { entries: unknown };
  assert.deepStrictEqual(onDisk.entries, [
    ['s/a', 1],
    ['s/c', 3],
  ]);
});

test('FileStore: a blocking write (the default) is on disk before the event loop turns', async (t) => {
  const store = await FileStore.open(await tempDir(t));
  t.after(() => store.close());
  // The first write of a new store writes state.json; the one measured is appended to its log.
  await store.set('s/first', true);
  let loopTurned = false;
  setImmediate(() => (loopTurned = true));
  await store.setMany([
    ['s/split/a', { nextOffset: '42' }],
    ['s/last-epoch', 1],
  ]);
  // No step of the write waited for an I/O callback: this is what keeps a write's latency
  // independent of how long the loop's other callbacks (decoding a large read) take.
  assert.equal(loopTurned, false);
  assert.deepStrictEqual(onDisk(store.dir), [
    ['s/first', true],
    ['s/split/a', { nextOffset: '42' }],
    ['s/last-epoch', 1],
  ]);
  assert.deepStrictEqual(await filesIn(store.dir), ['state.json', 'state.json.log-N']);
});

for (const blockingWrites of [true, false]) {
  const mode = `blockingWrites: ${blockingWrites}`;

  test(`FileStore (${mode}): writes land on disk, grouped writes resolve in call order, a reopen sees them`, async (t) => {
    const dir = await tempDir(t);
    const store = await FileStore.open(dir, { blockingWrites });
    const resolved: number[] = [];
    const writes = Array.from({ length: 50 }, (_, i) =>
      store.setMany([[`split/${i % 7}`, { offset: String(i) }], ['epoch', i]]).then(() => resolved.push(i)),
    );
    writes.push(store.delMany(['split/0']).then(() => resolved.push(50)));
    await Promise.all(writes);
    assert.deepEqual(resolved, Array.from({ length: 51 }, (_, i) => i));
    assert.equal(onDisk(dir).length, 7);
    assert.deepStrictEqual(await filesIn(dir), ['state.json', 'state.json.log-N']);
    await store.close();
    const reopened = await FileStore.open(dir, { blockingWrites: !blockingWrites });
    t.after(() => reopened.close());
    assert.equal(await reopened.get('epoch'), 49);
    assert.equal(await reopened.get('split/0'), undefined);
    assert.deepStrictEqual(await reopened.get('split/6'), { offset: '48' });
  });

  test(`FileStore (${mode}): a failed write rejects naming the file, leaves no temporary file and the state in place`, async (t) => {
    const dir = await tempDir(t);
    const store = await FileStore.open(dir, { blockingWrites });
    t.after(() => store.close());
    await store.setMany([['s/a', 1]]);
    // A directory where state.json should be: the temporary file is written, the rename fails.
    await rm(store.file);
    await mkdir(join(store.file, 'occupied'), { recursive: true });
    await assert.rejects(store.setMany([['s/a', 2], ['s/b', 2]]), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.ok(err.message.includes(store.file), err.message);
      assert.match(String((err.cause as NodeJS.ErrnoException).code), /^(EISDIR|ENOTEMPTY|EEXIST)$/);
      return true;
    });
    // No temporary file; the new log stays (a rename that failed may still have happened).
    assert.deepStrictEqual((await readdir(dir)).filter((name) => name.includes('.tmp-')), []);
    assert.deepStrictEqual(await store.entries(), [['s/a', 1]]);
    await rm(store.file, { recursive: true });
    await store.set('s/c', 3);
    const onDisk = JSON.parse(await readFile(store.file, 'utf8')) as { entries: unknown };
    assert.deepStrictEqual(onDisk.entries, [
      ['s/a', 1],
      ['s/c', 3],
    ]);
  });
}

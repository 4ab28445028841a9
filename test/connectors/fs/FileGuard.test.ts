import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { open, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { FileGuard, unchangedSince } from '../../../src/connectors/fs/FileGuard.js';
import { tempDir } from './helpers.js';

// The check skips the head read when the stat has not changed since a file that had been still;
// these make sure that what it skips on is a stat a write must change.

test('FileGuard: a still file rewritten in place (same size, same mtime set back) is caught by its ctime', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'a.ndjson');
  await writeFile(path, `${'{"a":1}\n'.repeat(500)}`);
  // A whole second, so that setting it again restores it to the nanosecond.
  await utimes(path, 1_000, 1_000);
  // Every file counts as still: the skip is taken whenever the stat is the same.
  const guard = new FileGuard(path, 0);
  t.after(() => guard.release());
  assert.equal(await guard.open({ at: null }), undefined);
  assert.equal(await guard.check(100), undefined);
  assert.equal(await guard.check(200), undefined);
  // A later tick of the file system's clock (coarse: a few ms).
  await delay(30);
  const handle = await open(path, 'r+');
  await handle.write('{"b":2}\n', 0);
  await handle.close();
  // Size and mtime as before: only the ctime (which cannot be set back) tells.
  await utimes(path, 1_000, 1_000);
  assert.equal((await readFile(path)).length, 4000);
  assert.match(String(await guard.check(300)), /its first 1024 bytes changed while being read/);
});

test('unchangedSince: only an identical stat of a file still for longer than stillMs before the first stat', () => {
  const ms = (n: number): bigint => BigInt(n) * 1_000_000n;
  const before = { dev: '1', ino: '2', size: 100, mtimeNs: ms(10_000), ctimeNs: ms(10_000) };
  // Still for 5 s when asked: trusted.
  assert.equal(unchangedSince(before, 15_000, { ...before }, 2_000), true);
  // Written 1 s before the stat: a write in the same tick would leave the same stat.
  assert.equal(unchangedSince(before, 11_000, { ...before }, 2_000), false);
  // A ctime in the future (another clock): never trusted.
  assert.equal(unchangedSince(before, 5_000, { ...before }, 2_000), false);
  // A metadata change after the content's (chmod, link, utimes) counts from the ctime.
  assert.equal(unchangedSince({ ...before, ctimeNs: ms(14_000) }, 15_000, { ...before, ctimeNs: ms(14_000) }, 2_000), false);
  // Anything that differs.
  for (const change of [{ size: 99 }, { mtimeNs: ms(10_001) }, { ctimeNs: ms(10_001) }, { ino: '3' }, { dev: '4' }]) {
    assert.equal(unchangedSince(before, 15_000, { ...before, ...change }, 2_000), false, JSON.stringify(change, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  }
});

test('FileGuard: a rewrite that leaves the stat as it was (through a shared memory map) is seen within a second of reading', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'a.ndjson');
  await writeFile(path, '{"a":10}\n'.repeat(400));
  // A writer holding the file mapped: its first write dirties the page (and stamps the ctime),
  // a second one to the same page sets no new ctime or mtime on Linux.
  const writer = spawn('python3', ['-c', MMAP_WRITER, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => writer.kill());
  const lines = createInterface({ input: writer.stdout })[Symbol.asyncIterator]();
  assert.equal((await lines.next()).value, 'ready');
  await delay(20);
  const guard = new FileGuard(path, 0);
  t.after(() => guard.release());
  assert.equal(await guard.open({ at: null }), undefined);
  assert.equal(await guard.check(100), undefined);
  writer.stdin.write('\n');
  assert.equal((await lines.next()).value, 'written');
  // Right away the unchanged stat may stand for the head; a second on, it no longer does.
  await guard.check(200);
  await delay(1_100);
  assert.match(String(await guard.check(300)), /its first 1024 bytes changed while being read/);
  writer.stdin.write('\n');
});

const MMAP_WRITER = `
import mmap, sys
f = open(sys.argv[1], 'r+b')
m = mmap.mmap(f.fileno(), 0)
m[0:8] = b'{"a":11}'
print('ready', flush=True)
sys.stdin.readline()
m[0:8] = b'{"z":99}'
print('written', flush=True)
sys.stdin.readline()
m.close()
f.close()
`;

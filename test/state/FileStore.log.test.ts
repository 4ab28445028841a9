// The FileStore's log: writes append one record each, a torn last record is dropped, a damaged
// one with records after it is corruption, and the log is folded into state.json when it grows,
// on close, and whenever appending could put a write where no restart reads it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs, { readFileSync } from 'node:fs';
import fsPromises, { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CorruptStateError } from '../../src/core/SourceError.js';
import { FileStore } from '../../src/state/FileStore.js';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-filestore-log-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The log `state.json` names, and its path. */
function namedLog(dir: string): { generation: number; path: string } {
  const { log } = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { log: number };
  return { generation: log, path: join(dir, `state.json.log-${log}`) };
}

/** A log line as FileStore writes it, for records the tests forge. */
function logLine(record: string): string {
  return `${createHash('sha256').update(record).digest('hex')} ${record}\n`;
}

/**
 * `dir` as a process killed now would leave it, in a directory of its own: a copy (the store in
 * `dir` stays open, and closing it would fold its log).
 */
async function crashCopy(t: TestContext, dir: string): Promise<string> {
  const copy = await tempDir(t);
  for (const name of await readdir(dir)) await writeFile(join(copy, name), await readFile(join(dir, name)));
  return copy;
}

async function logs(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith('state.json.log-'));
}

for (const blockingWrites of [true, false]) {
  const mode = `blockingWrites: ${blockingWrites}`;

  test(`FileStore (${mode}): after the first write, each write is one line appended to the log; state.json is not rewritten`, async (t) => {
    const dir = await tempDir(t);
    const store = await FileStore.open(dir, { blockingWrites });
    await store.setMany([['s/split/a', { offset: '0' }]]);
    const state = await readFile(join(dir, 'state.json'));
    const { path } = namedLog(dir);
    for (let epoch = 1; epoch <= 5; epoch++) {
      await store.update([['s/split/a', { offset: String(epoch * 10) }], ['s/committed', epoch]], [`s/snapshot/${epoch - 1}`]);
    }
    assert.deepStrictEqual(await readFile(join(dir, 'state.json')), state);
    const lines = (await readFile(path, 'utf8')).split('\n');
    assert.equal(lines.length, 6, 'five records, each ending in a line feed');
    assert.match(lines[0]!, /^[0-9a-f]{64} \[\["s\/snapshot\/0"\],\["s\/split\/a",\{"offset":"10"\}\],\["s\/committed",1\]\]$/);
    // Killed here (no close): a reopen replays the log.
    const reopened = await reopenWithoutClose(t, store, dir, blockingWrites);
    assert.deepStrictEqual(await reopened.entries(), [
      ['s/split/a', { offset: '50' }],
      ['s/committed', 5],
    ]);
  });

  test(`FileStore (${mode}): a torn last record is left out, and the first write after it rewrites state.json`, async (t) => {
    const dir = await tempDir(t);
    const store = await FileStore.open(dir, { blockingWrites });
    await store.set('k', 1);
    await store.set('k', 2);
    const { path, generation } = namedLog(dir);
    await store.close();
    // close folded the log into state.json and named an empty one. A crash during an append
    // would leave it holding whole records, then one cut short:
    const torn = logLine('[["k",3]]') + logLine('[["k",4]]').slice(0, 40);
    const { path: current } = namedLog(dir);
    await writeFile(current, torn);
    assert.notEqual(current, path);

    const reopened = await FileStore.open(dir, { blockingWrites });
    t.after(() => reopened.close());
    assert.equal(await reopened.get('k'), 3, 'the whole record is replayed, the torn one is not');
    await reopened.set('j', true);
    // Not appended after the torn bytes: state.json names a new log and the torn one is gone.
    const after = namedLog(dir);
    assert.ok(after.generation > generation + 1, `generation ${after.generation}`);
    assert.deepStrictEqual(await logs(dir), [`state.json.log-${after.generation}`]);
    assert.deepStrictEqual(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).entries, [
      ['k', 3],
      ['j', true],
    ]);
  });
}

/**
 * Opens a copy of `dir` as it is now, as if `store`'s process had been killed here (closing it
 * would fold its log, and a directory cannot be open twice in a process), then closes `store`.
 */
async function reopenWithoutClose(t: TestContext, store: FileStore, dir: string, blockingWrites: boolean): Promise<FileStore> {
  const copy = await crashCopy(t, dir);
  await store.close();
  const reopened = await FileStore.open(copy, { blockingWrites });
  t.after(() => reopened.close());
  return reopened;
}

test('FileStore: a damaged record with records after it is a CorruptStateError naming the log and the byte', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir);
  await store.set('k', 1);
  await store.close();
  // A record whose content changed after its checksum was written, then a whole one.
  const damaged = logLine('[["k",2]]').replace('"k",2', '"k",7');
  const content = damaged + logLine('[["k",3]]');
  const current = namedLog(dir).path;
  await writeFile(current, content);
  await assert.rejects(FileStore.open(dir), (err: unknown) => {
    assert.ok(err instanceof CorruptStateError, String(err));
    assert.ok(err.message.includes(`checkpoint log ${current} has a damaged record at byte 0 with records after it`), err.message);
    assert.match(err.message, /delete both \(state\.json and its log\)/);
    return true;
  });
  assert.equal(await readFile(current, 'utf8'), content, 'the log is left alone');
});

test('FileStore: a record whose checksum holds but is not a list of operations is corruption', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir);
  await store.set('k', 1);
  await store.close();
  await writeFile(namedLog(dir).path, logLine('{"k":2}'));
  await assert.rejects(FileStore.open(dir), /has a record at byte 0 that is not a list of \[key\] and \[key, value\] operations/);
});

test('FileStore: the log is folded into state.json once it would pass maxLogBytes; one log file at a time', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir, { maxLogBytes: 400 });
  const generations = new Set<number>();
  for (let i = 0; i < 40; i++) {
    await store.setMany([[`split/${i % 3}`, { offset: String(i) }], ['epoch', i]]);
    generations.add(namedLog(dir).generation);
    assert.equal((await logs(dir)).length, 1, `write ${i}`);
    assert.ok(readFileSync(namedLog(dir).path).length <= 400, `write ${i}: the log passed maxLogBytes`);
  }
  // Each record is ~130 bytes: three appends, then a rewrite.
  assert.ok(generations.size >= 8 && generations.size <= 14, `generations: ${generations.size}`);
  await store.close();
  const reopened = await FileStore.open(dir);
  t.after(() => reopened.close());
  assert.deepStrictEqual(await reopened.entries(), [
    ['split/0', { offset: '39' }],
    ['epoch', 39],
    ['split/1', { offset: '37' }],
    ['split/2', { offset: '38' }],
  ]);
});

test('FileStore: maxLogBytes 0 rewrites state.json on every write and never appends', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir, { maxLogBytes: 0 });
  t.after(() => store.close());
  for (let i = 1; i <= 3; i++) {
    await store.set('k', i);
    assert.equal(namedLog(dir).generation, i);
    assert.equal(readFileSync(namedLog(dir).path).length, 0);
  }
  await assert.rejects(FileStore.open(join(dir, 'other'), { maxLogBytes: -1 }), /maxLogBytes must be a whole number of bytes from 0 to 1073741824/);
  await assert.rejects(FileStore.open(join(dir, 'other'), { maxLogBytes: 2 ** 31 }), /maxLogBytes must be a whole number of bytes/);
});

test('FileStore: a log deleted behind the store’s back, or a replaced state.json, makes the next write a rewrite', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir);
  t.after(() => store.close());
  await store.set('a', 1);
  await store.set('b', 2);
  await rm(namedLog(dir).path);
  await store.set('c', 3);
  assert.deepStrictEqual(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).entries, [
    ['a', 1],
    ['b', 2],
    ['c', 3],
  ]);
  // Replaced by hand (same content, a new file): appending would go to a log it does not name.
  const text = readFileSync(join(dir, 'state.json'), 'utf8');
  await rm(join(dir, 'state.json'));
  await writeFile(join(dir, 'state.json'), text);
  await store.set('d', 4);
  assert.deepStrictEqual(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).entries.at(-1), ['d', 4]);
});

test('FileStore: a version 1 file (no log) is read, and the first write rewrites it as version 2', async (t) => {
  const dir = await tempDir(t);
  const body = '[\n["s/a",{"nextOffset":"7"}]\n]';
  const sha256 = createHash('sha256').update(body).digest('hex');
  await writeFile(join(dir, 'state.json'), `{"format":"tributary-state","version":1,"sha256":"${sha256}","entries":${body}}\n`);
  const store = await FileStore.open(dir);
  t.after(() => store.close());
  assert.deepStrictEqual(await store.get('s/a'), { nextOffset: '7' });
  await store.set('s/b', 1);
  const parsed = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(parsed['version'], 2);
  assert.equal(parsed['log'], 1);
});

for (const [failure, blockingWrites] of [
  ['fdatasync', true],
  ['a short write', true],
  ['fdatasync', false],
  ['a short write', false],
] as const) {
  test(`FileStore (blockingWrites: ${blockingWrites}): a failed append (${failure}) rejects, and nothing is appended after it: the next write rewrites state.json`, async (t) => {
    const dir = await tempDir(t);
    const store = await FileStore.open(dir, { blockingWrites });
    t.after(() => store.close());
    await store.set('k', 1);
    await store.set('k', 2);
    const broken = namedLog(dir);
    const restore = failNextAppend(failure);
    t.after(restore);
    await assert.rejects(store.set('k', 3), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.ok(err.message.startsWith(`FileStore: cannot write ${store.file}: injected ${failure}`), err.message);
      return true;
    });
    restore();
    assert.equal(await store.get('k'), 2);
    // What the failed append left (a whole record, or half of one) stays in the old log, which
    // the next write replaces.
    await store.set('j', true);
    assert.ok(namedLog(dir).generation > broken.generation);
    assert.deepStrictEqual(await logs(dir), [`state.json.log-${namedLog(dir).generation}`]);
    await store.set('i', 0);
    await store.close();
    const reopened = await FileStore.open(dir);
    t.after(() => reopened.close());
    assert.deepStrictEqual(await reopened.entries(), [
      ['k', 2],
      ['j', true],
      ['i', 0],
    ]);
  });
}

test('FileStore: killed after a failed short append, the half record is a torn tail, not corruption', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir);
  await store.set('k', 1);
  await store.set('k', 2);
  const restore = failNextAppend('a short write');
  try {
    await assert.rejects(store.set('k', 3), /injected a short write/);
  } finally {
    restore();
  }
  const copy = await crashCopy(t, dir);
  await store.close();
  assert.notEqual(readFileSync(namedLog(copy).path).at(-1), 0x0a, 'the copy ends in half a record');
  const reopened = await FileStore.open(copy);
  t.after(() => reopened.close());
  assert.equal(await reopened.get('k'), 2);
});

test('FileStore: a log opened at start is appended to where its records end', async (t) => {
  const dir = await tempDir(t);
  const first = await FileStore.open(dir);
  await first.set('k', 1);
  await first.close();
  // A crash leaves records in the log; opening replays them and appends after them.
  await appendFile(namedLog(dir).path, logLine('[["k",2]]'));
  const second = await FileStore.open(dir);
  await second.set('j', 1);
  assert.equal((await readFile(namedLog(dir).path, 'utf8')).split('\n').length, 3);
  await second.close();
  const third = await FileStore.open(dir);
  t.after(() => third.close());
  assert.deepStrictEqual(await third.entries(), [
    ['k', 2],
    ['j', 1],
  ]);
});

test('FileStore: a whole last line that fails its checksum is corruption, not a torn write', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir);
  await store.set('k', 1);
  await store.close();
  // One flipped character in an acknowledged record: a crash cannot leave that (its line is whole).
  const content = logLine('[["k",2]]') + logLine('[["k",3]]').replace('"k",3', '"k",8');
  await writeFile(namedLog(dir).path, content);
  await assert.rejects(FileStore.open(dir), (err: unknown) => {
    assert.ok(err instanceof CorruptStateError, String(err));
    assert.match(err.message, /has a damaged last record at byte \d+: a whole line that fails its checksum/);
    return true;
  });
});

test('FileStore: a last record with zeros in it (the file extended before its data was written) is a torn write', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir);
  await store.set('k', 1);
  await store.close();
  const last = Buffer.from(logLine('[["k",3]]'));
  last.fill(0, 10, 40);
  await writeFile(namedLog(dir).path, Buffer.concat([Buffer.from(logLine('[["k",2]]')), last]));
  const reopened = await FileStore.open(dir);
  t.after(() => reopened.close());
  assert.equal(await reopened.get('k'), 2);
});

test('FileStore: a log state.json names that is missing is a CorruptStateError, not a silent step back', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir);
  await store.set('k', 1);
  await store.set('k', 2);
  const copy = await crashCopy(t, dir);
  await store.close();
  const log = namedLog(copy).path;
  await rm(log);
  await assert.rejects(FileStore.open(copy), (err: unknown) => {
    assert.ok(err instanceof CorruptStateError, String(err));
    assert.ok(err.message.includes(`checkpoint log ${log} is missing, though state.json names it`), err.message);
    return true;
  });
});

test('FileStore: close folds a log the store stopped appending to (a torn end), so a hand edit after it holds', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir);
  await store.set('s/a', { offset: '1' });
  await store.close();
  // A crash: one acknowledged record, then a torn one.
  await writeFile(namedLog(dir).path, logLine('[["s/a",{"offset":"2"}]]') + logLine('[["s/a",{"offset":"3"}]]').slice(0, 50));
  // The documented way to edit by hand after a crash: open and close once, then edit.
  const once = await FileStore.open(dir);
  assert.deepStrictEqual(await once.get('s/a'), { offset: '2' });
  await once.close();
  assert.equal(readFileSync(namedLog(dir).path).length, 0, 'close left the log empty');
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as Record<string, unknown>;
  delete state['sha256'];
  state['entries'] = [['s/a', { offset: '100' }]];
  await writeFile(join(dir, 'state.json'), JSON.stringify(state));
  const edited = await FileStore.open(dir);
  assert.deepStrictEqual(await edited.get('s/a'), { offset: '100' });
  // The next write rewrites the hand-edited file (adding its checksum back) rather than append to it.
  await edited.set('s/b', 1);
  const after = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as Record<string, unknown>;
  assert.match(String(after['sha256']), /^[0-9a-f]{64}$/);
  assert.deepStrictEqual(after['entries'], [
    ['s/a', { offset: '100' }],
    ['s/b', 1],
  ]);
  await edited.close();
});

test('FileStore: a write whose append failed does not come back after a clean close', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir);
  await store.set('k', 1);
  await store.set('k', 2);
  // The record is written whole; only its fdatasync fails.
  const restore = failNextAppend('fdatasync');
  try {
    await assert.rejects(store.set('k', 3), /injected fdatasync/);
  } finally {
    restore();
  }
  assert.equal(await store.get('k'), 2);
  await store.close();
  const reopened = await FileStore.open(dir);
  t.after(() => reopened.close());
  assert.equal(await reopened.get('k'), 2);
});

test('FileStore: zeros in a record with records after it are corruption, not a torn write', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir);
  await store.set('k', 1);
  await store.close();
  const zeroed = Buffer.from(logLine('[["k",2]]'));
  zeroed.fill(0, 10, 40);
  await writeFile(namedLog(dir).path, Buffer.concat([zeroed, Buffer.from(logLine('[["k",3]]'))]));
  await assert.rejects(FileStore.open(dir), /has a damaged record at byte 0 with records after it/);
});

test('FileStore: a hand-edited state.json whose log holds records is refused: the log would override the edit', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir);
  await store.set('s/a', 1);
  await store.set('s/a', 2);
  // Edited without the clean close that folds the log: a copy stands for the directory.
  const copy = await crashCopy(t, dir);
  await store.close();
  const state = JSON.parse(readFileSync(join(copy, 'state.json'), 'utf8')) as Record<string, unknown>;
  delete state['sha256'];
  state['entries'] = [['s/a', 100]];
  await writeFile(join(copy, 'state.json'), JSON.stringify(state));
  await assert.rejects(FileStore.open(copy), (err: unknown) => {
    assert.ok(err instanceof CorruptStateError, String(err));
    assert.match(err.message, /has no "sha256" \(edited by hand\), but its log .* holds writes made after it/);
    return true;
  });
});

test('FileStore: a rewrite makes the new log durable before the rename naming it, and deletes the old log only once the rename is', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir);
  await store.set('k', 1);
  await store.set('k', 2);
  const trace = traceFs(dir);
  t.after(trace.restore);
  await store.close(); // folds: a rewrite
  trace.restore();
  const calls = trace.calls;
  const at = (call: string, from = 0): number => {
    const i = calls.indexOf(call, from);
    assert.ok(i >= 0, `${call} not in ${calls.join(', ')}`);
    return i;
  };
  const create = at('open state.json.log-2');
  const rename = at('rename state.json');
  const dirSyncBefore = calls.lastIndexOf('fsync .', rename);
  assert.ok(dirSyncBefore > create, `a directory fsync between creating the log and the rename: ${calls.join(', ')}`);
  const dirSyncAfter = at('fsync .', rename);
  assert.ok(at('rm state.json.log-1') > dirSyncAfter, `the old log deleted after the rename's directory fsync: ${calls.join(', ')}`);
});

for (const blockingWrites of [true, false]) {
  test(`FileStore (blockingWrites: ${blockingWrites}): when the directory fsync after a rename fails, nothing is appended until a rewrite made the rename durable`, async (t) => {
    const dir = await tempDir(t);
    const store = await FileStore.open(dir, { blockingWrites, maxLogBytes: 200 });
    await store.set('k', 1);
    const trace = traceFs(dir, { failDirSyncAfterRename: true });
    t.after(trace.restore);
    // Fills the log past 200 bytes: the write that does not fit rewrites, and its directory fsync after the rename fails.
    let failedAt: number | undefined;
    for (let i = 2; failedAt === undefined && i < 10; i++) await store.set('k', i).catch(() => (failedAt = i));
    trace.restore();
    assert.notEqual(failedAt, undefined, trace.calls.join(', '));
    // The rename happened: state.json names the failed rewrite's log, which must stay empty.
    const generation = namedLog(dir).generation;
    await store.set('j', true);
    assert.ok(namedLog(dir).generation > generation, 'the write after the failure rewrote state.json');
    assert.equal(readFileSync(namedLog(dir).path).length, 0);
    await store.close();
    const reopened = await FileStore.open(dir);
    t.after(() => reopened.close());
    assert.equal(await reopened.get('j'), true);
  });
}

test('FileStore: a failure after the rename (its stat) leaves the new log in place: a crash then still opens', async (t) => {
  const dir = await tempDir(t);
  const store = await FileStore.open(dir, { maxLogBytes: 0 });
  await store.set('k', 1);
  const trace = traceFs(dir, { failStatAfterRename: true });
  t.after(trace.restore);
  await store.set('k', 2).catch(() => undefined);
  trace.restore();
  const copy = await crashCopy(t, dir);
  await store.close();
  const reopened = await FileStore.open(copy);
  t.after(() => reopened.close());
  assert.equal(await reopened.get('k'), 2);
});

/**
 * Records the store's blocking file calls in `dir` as `open <name>`, `fsync <name>` (`.` for the
 * directory), `rename <name>`, `rm <name>`, and can fail, once, the directory fsync or the stat
 * of state.json that follow a rename (with `blockingWrites: false` too). Patches `node:fs` and
 * `node:fs/promises` through `syncBuiltinESMExports`, and the prototype of their file handles.
 */
function traceFs(dir: string, failOnce: { failDirSyncAfterRename?: boolean; failStatAfterRename?: boolean } = {}): { calls: string[]; restore: () => void } {
  const fail = { ...failOnce };
  const original = { openSync: fs.openSync, fsyncSync: fs.fsyncSync, renameSync: fs.renameSync, rmSync: fs.rmSync, statSync: fs.statSync, rename: fs.rename };
  const promisesOpen = fsPromises.open;
  const handleSync = fileHandlePrototype.sync;
  const dirHandles = new WeakSet<object>();
  const calls: string[] = [];
  const names = new Map<number, string>();
  const name = (path: fs.PathLike): string => (String(path) === dir ? '.' : String(path).slice(dir.length + 1).replace(/^state\.json\.tmp-.*/, 'tmp'));
  let renamed = false;
  const failDirSync = (isDir: boolean): void => {
    if (fail.failDirSyncAfterRename === true && renamed && isDir) {
      fail.failDirSyncAfterRename = false;
      throw Object.assign(new Error('injected directory fsync'), { code: 'EIO' });
    }
  };
  Object.assign(fs, {
    openSync: (path: fs.PathLike, ...rest: unknown[]) => {
      const fd = (original.openSync as (...a: unknown[]) => number)(path, ...rest);
      if (String(path).startsWith(dir)) {
        names.set(fd, name(path));
        calls.push(`open ${name(path)}`);
      }
      return fd;
    },
    fsyncSync: (fd: number) => {
      if (names.has(fd)) calls.push(`fsync ${names.get(fd)!}`);
      failDirSync(names.get(fd) === '.');
      original.fsyncSync(fd);
    },
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      original.renameSync(from, to);
      calls.push(`rename ${name(to)}`);
      renamed = true;
    },
    rmSync: (path: fs.PathLike, options?: fs.RmOptions) => {
      calls.push(`rm ${name(path)}`);
      original.rmSync(path, options);
    },
    statSync: (path: fs.PathLike, options?: fs.StatSyncOptions) => {
      if (fail.failStatAfterRename === true && renamed && name(path) === 'state.json') {
        fail.failStatAfterRename = false;
        throw Object.assign(new Error('injected stat'), { code: 'EIO' });
      }
      return original.statSync(path, options);
    },
  });
  // blockingWrites: false renames and syncs the directory through fs/promises.
  Object.assign(fsPromises, {
    open: async (path: fs.PathLike, ...rest: unknown[]) => {
      const handle = await (promisesOpen as (...a: unknown[]) => Promise<object>)(path, ...rest);
      if (String(path) === dir) dirHandles.add(handle);
      return handle;
    },
    rename: async (from: fs.PathLike, to: fs.PathLike) => {
      await promisesRename(from, to);
      renamed = true;
    },
  });
  fileHandlePrototype.sync = async function (this: object): Promise<void> {
    failDirSync(dirHandles.has(this));
    return handleSync.call(this);
  };
  syncBuiltinESMExports();
  return {
    calls,
    restore: () => {
      Object.assign(fs, original);
      Object.assign(fsPromises, { open: promisesOpen, rename: promisesRename });
      fileHandlePrototype.sync = handleSync;
      syncBuiltinESMExports();
    },
  };
}

const promisesRename = fsPromises.rename;
/** The prototype of fs/promises' file handles, whose `sync` the async mode's fsyncs call. */
const fileHandlePrototype = await (async () => {
  const handle = await fsPromises.open(fileURLToPath(import.meta.url), 'r');
  await handle.close();
  return Object.getPrototypeOf(handle) as { sync: () => Promise<void> };
})();

/**
 * Makes appends fail until undone: their fdatasync fails, or their write puts down half the
 * record and fails (a disk that filled up mid-write); both the blocking calls and the callback
 * ones (`blockingWrites: false`). Patches `node:fs`, whose named exports the store uses, through
 * `syncBuiltinESMExports`. Returns the undo.
 */
function failNextAppend(failure: 'fdatasync' | 'a short write'): () => void {
  const { fdatasyncSync, writeSync, fdatasync, write } = fs;
  const restore = (): void => {
    Object.assign(fs, { fdatasyncSync, writeSync, fdatasync, write });
    syncBuiltinESMExports();
  };
  const error = new Error(`injected ${failure}`);
  if (failure === 'fdatasync') {
    Object.assign(fs, {
      fdatasyncSync: () => {
        throw error;
      },
      fdatasync: (_fd: number, callback: (err: Error | null) => void) => setImmediate(() => callback(error)),
    });
  } else {
    Object.assign(fs, {
      writeSync: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => {
        writeSync(fd, buffer, offset, Math.floor(length / 2), position);
        throw error;
      },
      write: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number, callback: (err: Error | null, written?: number) => void) => {
        writeSync(fd, buffer, offset, Math.floor(length / 2), position);
        setImmediate(() => callback(error));
      },
    });
  }
  syncBuiltinESMExports();
  return restore;
}

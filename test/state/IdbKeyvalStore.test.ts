import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as idbKeyval from 'idb-keyval';
import { CorruptStateError } from '../../src/core/SourceError.js';
import { IdbKeyvalStore } from '../../src/state/IdbKeyvalStore.js';
import { stateStoreContract } from './stateStoreContract.js';

let databases = 0;
/** A database name no other test uses: fake-indexeddb keeps every database for the process. */
const freshDbName = (): string => `tributary-test-${process.pid}-${++databases}`;

stateStoreContract('IdbKeyvalStore', () => IdbKeyvalStore.open({ dbName: freshDbName() }));

test('IdbKeyvalStore: a reopened database sees what was written before close', async () => {
  const dbName = freshDbName();
  const first = await IdbKeyvalStore.open({ dbName, storeName: 'state' });
  await first.setMany([
    ['orders/split/a', { nextOffset: '42' }],
    ['orders/epoch', 7],
  ]);
  await first.close();
  await assert.rejects(first.get('orders/epoch'), /IndexedDB database '.*', object store 'state' is closed/);

  const second = await IdbKeyvalStore.open({ dbName, storeName: 'state' });
  try {
    assert.deepStrictEqual(await second.entries(), [
      ['orders/epoch', 7],
      ['orders/split/a', { nextOffset: '42' }],
    ]);
  } finally {
    await second.close();
  }
});

test('IdbKeyvalStore: writes go through idb-keyval, so other idb-keyval users see them', async () => {
  const dbName = freshDbName();
  const store = await IdbKeyvalStore.open({ dbName });
  try {
    await store.setMany([['k', { offset: '1' }]]);
    assert.deepStrictEqual(await idbKeyval.get('k', idbKeyval.createStore(dbName, 'checkpoints')), { offset: '1' });
  } finally {
    await store.close();
  }
});

test('IdbKeyvalStore: an injected idb-keyval store is used, and close leaves it open', async () => {
  const injected = idbKeyval.createStore(freshDbName(), 'mine');
  await idbKeyval.set('already', 'there', injected);
  const store = await IdbKeyvalStore.open({ store: injected });
  assert.equal(store.description, 'the given idb-keyval store');
  assert.equal(await store.get('already'), 'there');
  await store.set('k', 1);
  await store.close();
  // The connection belongs to the caller and still works.
  assert.equal(await idbKeyval.get('k', injected), 1);
});

test('IdbKeyvalStore: a database without the object store fails at open, naming both', async () => {
  const dbName = freshDbName();
  const other = await IdbKeyvalStore.open({ dbName, storeName: 'first' });
  await other.close();
  await assert.rejects(IdbKeyvalStore.open({ dbName, storeName: 'second' }), (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.match(err.message, new RegExp(`cannot open IndexedDB database '${dbName}', object store 'second'`));
    return true;
  });
});

test('IdbKeyvalStore: a value that is not JSON in the object store is a CorruptStateError naming it', async () => {
  const dbName = freshDbName();
  const store = await IdbKeyvalStore.open({ dbName });
  try {
    const raw = idbKeyval.createStore(dbName, 'checkpoints');
    await idbKeyval.set('s/a', { nextOffset: new Date(0) }, raw);
    for (const read of [() => store.get('s/a'), () => store.entries()]) {
      await assert.rejects(read, (err: unknown) => {
        assert.ok(err instanceof CorruptStateError, String(err));
        assert.match(err.message, new RegExp(`IndexedDB database '${dbName}', object store 'checkpoints'`));
        assert.match(err.message, /key "s\/a" that is not JSON \(\$\.nextOffset is a Date\)/);
        return true;
      });
    }
    await idbKeyval.del('s/a', raw);
    await idbKeyval.set(42, 'number key', raw);
    await assert.rejects(store.entries(), (err: unknown) => {
      assert.ok(err instanceof CorruptStateError, String(err));
      assert.match(err.message, /holds a key that is not a string \(number\)/);
      return true;
    });
  } finally {
    await store.close();
  }
});

const here = dirname(fileURLToPath(import.meta.url));

/** Runs stateImportChild.ts in a fresh process with `hide` (see hideModules.register.mjs). */
function runChild(
  t: TestContext,
  hide: { modules: string; from?: string },
): { status: number | null; stdout: string; stderr: string } {
  const dir = join(tmpdir(), `tributary-import-${process.pid}-${++databases}`);
  t.after(() => rm(dir, { recursive: true, force: true }));
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', join(here, 'hideModules.register.mjs'), join(here, 'stateImportChild.ts'), dir],
    {
      cwd: join(here, '..', '..'),
      encoding: 'utf8',
      env: { ...process.env, HIDE_MODULES: hide.modules, HIDE_FROM: hide.from ?? '' },
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('importing the state stores does not load idb-keyval; IdbKeyvalStore.open says how to install it', (t) => {
  const { status, stdout, stderr } = runChild(t, { modules: 'idb-keyval' });
  assert.equal(status, 0, stderr);
  assert.match(stdout, /^imported: MemoryStore works$/m);
  assert.match(
    stdout,
    /^idb open failed: IdbKeyvalStore needs the optional peer dependency 'idb-keyval': run `npm install idb-keyval`$/m,
  );
  assert.match(stdout, /^idb cause: Cannot find package 'idb-keyval' \(hidden/m);
  assert.match(stdout, /^file open succeeded$/m);
});

test('IdbKeyvalStore.open without an IndexedDB says what to do', (t) => {
  const { status, stdout, stderr } = runChild(t, { modules: '' });
  assert.equal(status, 0, stderr);
  assert.match(stdout, /^idb open failed: IdbKeyvalStore: there is no IndexedDB here .*fake-indexeddb\/auto.*FileStore$/m);
});

test('the state stores import without Node built-ins (a browser bundle can use them)', (t) => {
  // Refused only for imports made by tributary's own modules: tsx and node itself still load.
  const { status, stdout, stderr } = runChild(t, {
    modules: 'fs,path,crypto,os,child_process,stream,url,util,buffer,events',
    from: '/src/',
  });
  assert.equal(status, 0, stderr);
  assert.match(stdout, /^imported: MemoryStore works$/m);
  // FileStore loads node:fs when opened, so it is the one that fails here.
  assert.match(stdout, /^file open failed: Cannot find package 'node:fs\/promises' \(hidden/m);
});

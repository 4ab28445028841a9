import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isThenable } from '../../src/core/MaybePromise.js';
import type { JsonValue } from '../../src/core/Json.js';
import { MemoryStore } from '../../src/state/MemoryStore.js';
import { stateStoreContract } from './stateStoreContract.js';

stateStoreContract('MemoryStore', () => new MemoryStore());

test('MemoryStore answers synchronously, never with a Promise', () => {
  const store = new MemoryStore();
  const answers = [
    store.set('a', { offset: '1' }),
    store.setMany([['b', 2]]),
    store.get('a'),
    store.entries(),
    store.del('a'),
    store.delMany(['b']),
  ];
  for (const answer of answers) assert.equal(isThenable(answer), false);
  // Nothing was deferred: the deletes above already happened.
  assert.deepEqual(store.entries(), []);
});

test('MemoryStore starts from a copy of the given entries', () => {
  const initial: Array<[string, { offset: string }]> = [['s/1', { offset: '5' }]];
  const store = new MemoryStore(initial);
  initial[0]![1].offset = 'changed';
  assert.deepStrictEqual(store.get('s/1'), { offset: '5' });
  assert.equal(store.size, 1);
});

test('MemoryStore refuses a non-JSON value synchronously, so a sync caller sees the throw', () => {
  const store = new MemoryStore();
  assert.throws(() => store.set('k', Number.NaN), /key "k" is not JSON: \$ is NaN/);
  assert.throws(() => store.setMany([['k', { at: new Date(0) } as unknown as JsonValue]]), /key "k" is not JSON: \$\.at is a Date/);
});

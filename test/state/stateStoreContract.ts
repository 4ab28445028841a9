// The behaviour every StateStore shares, run by each store's test file against that store.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { JsonValue } from '../../src/core/Json.js';
import type { StateStore } from '../../src/state/StateStore.js';

/** Opens a fresh, empty store for one test; the contract closes it at the end of the test. */
export type OpenStore = (t: TestContext) => Promise<StateStore> | StateStore;

/** Keys a checkpoint may use: split ids come from file paths, topics, shard ids... */
export const awkwardKeys: readonly string[] = [
  '',
  ' ',
  '__proto__',
  'constructor',
  'toString',
  'orders/split/s3://bucket/2024/01/part-0001.csv.gz',
  'ключ',
  '🙂 emoji',
  'line\nbreak\ttab',
  '"quoted" \\ backslash',
  '\u0000nul',
  '\ud800 lone surrogate',
  'k'.repeat(2_000),
];

export const jsonValues: ReadonlyArray<readonly [string, JsonValue]> = [
  ['string', 'hello'],
  ['empty string', ''],
  ['zero', 0],
  ['negative fraction', -1.5],
  ['big number', 1e300],
  ['max safe integer', Number.MAX_SAFE_INTEGER],
  ['true', true],
  ['false', false],
  ['null', null],
  ['empty array', []],
  ['empty object', {}],
  ['nested', { offset: '12345', finished: false, parts: [1, [2, { deep: null }]], 'odd key': 'é' }],
  ['integer-like keys', { b: 1, '10': 2, '2': 3, a: [] }],
  ['__proto__ as own key', JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as JsonValue],
];

/** Values that JSON would change or refuse, with what each store must refuse them as. */
function nonJsonValues(): Array<readonly [string, unknown]> {
  const cycle: Record<string, unknown> = { a: 1 };
  cycle['self'] = cycle;
  // eslint-disable-next-line no-sparse-arrays
  const sparse = [1, , 3];
  return [
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['undefined', undefined],
    ['undefined array element', [1, undefined]],
    ['nested NaN', { a: [1, { b: Number.NaN }] }],
    ['Date', new Date(0)],
    ['Map', new Map([['a', 1]])],
    ['class instance', new (class Offset {})()],
    ['cycle', cycle],
    ['sparse array', sparse],
    ['function', () => 1],
    ['bigint', 10n],
  ];
}

async function withStore(t: TestContext, open: OpenStore, body: (store: StateStore) => Promise<void>): Promise<void> {
  const store = await open(t);
  try {
    await body(store);
  } finally {
    await store.close?.();
  }
}

function sorted(entries: ReadonlyArray<readonly [string, JsonValue]>): Array<readonly [string, JsonValue]> {
  return [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Registers the StateStore contract tests for one store. */
export function stateStoreContract(name: string, open: OpenStore): void {
  describe(`${name}: StateStore contract`, () => {
    test('a missing key is undefined and an empty store has no entries', async (t) => {
      await withStore(t, open, async (store) => {
        assert.equal(await store.get('nothing here'), undefined);
        assert.deepEqual(await store.entries(), []);
      });
    });

    test('JSON values round-trip through set and get', async (t) => {
      await withStore(t, open, async (store) => {
        for (const [key, value] of jsonValues) await store.set(key, value);
        for (const [key, value] of jsonValues) {
          assert.deepStrictEqual(await store.get(key), value, key);
        }
        assert.deepStrictEqual(sorted(await store.entries()), sorted(jsonValues));
      });
    });

    test('set overwrites, del removes, and deleting a missing key is fine', async (t) => {
      await withStore(t, open, async (store) => {
        await store.set('a', 1);
        await store.set('a', { v: 2 });
        assert.deepStrictEqual(await store.get('a'), { v: 2 });
        await store.set('b', 'kept');
        await store.del('a');
        await store.del('never there');
        assert.equal(await store.get('a'), undefined);
        assert.deepStrictEqual(await store.entries(), [['b', 'kept']]);
      });
    });

    test('setMany stores every entry; a key given twice keeps its last value', async (t) => {
      await withStore(t, open, async (store) => {
        await store.set('untouched', 0);
        await store.setMany([
          ['s/1', { offset: '10' }],
          ['s/2', { offset: '20' }],
          ['s/1', { offset: '11' }],
          ['epoch', 3],
        ]);
        assert.deepStrictEqual(
          sorted(await store.entries()),
          sorted([
            ['untouched', 0],
            ['s/1', { offset: '11' }],
            ['s/2', { offset: '20' }],
            ['epoch', 3],
          ]),
        );
        await store.setMany([]);
        assert.equal((await store.entries()).length, 4);
      });
    });

    test('delMany removes the listed keys only, missing ones included', async (t) => {
      await withStore(t, open, async (store) => {
        await store.setMany([
          ['a', 1],
          ['b', 2],
          ['c', 3],
        ]);
        await store.delMany(['a', 'c', 'missing']);
        await store.delMany([]);
        assert.deepStrictEqual(await store.entries(), [['b', 2]]);
      });
    });

    test('keys are arbitrary strings', async (t) => {
      await withStore(t, open, async (store) => {
        await store.setMany(awkwardKeys.map((key, i) => [key, { i }] as const));
        for (const [i, key] of awkwardKeys.entries()) {
          assert.deepStrictEqual(await store.get(key), { i }, JSON.stringify(key).slice(0, 40));
        }
        assert.deepStrictEqual(
          sorted(await store.entries()),
          sorted(awkwardKeys.map((key, i) => [key, { i }] as const)),
        );
        await store.delMany(awkwardKeys.slice(0, 5));
        assert.equal((await store.entries()).length, awkwardKeys.length - 5);
        assert.equal(await store.get('__proto__'), undefined);
      });
    });

    test('mutating a value after set, or after reading it, does not change the store', async (t) => {
      await withStore(t, open, async (store) => {
        const written = { offset: '1', parts: [1, 2] };
        const setting = store.set('k', written);
        // Before the write has even finished: a caller reusing its object must not race the store.
        written.offset = 'changed';
        written.parts.push(3);
        await setting;
        const listed = { list: ['x'] };
        const settingMany = store.setMany([['m', listed]]);
        listed.list.push('changed');
        await settingMany;

        const expected = { offset: '1', parts: [1, 2] };
        assert.deepStrictEqual(await store.get('k'), expected);
        const read = (await store.get('k')) as { offset: string; parts: number[] };
        read.offset = 'changed';
        read.parts.length = 0;
        assert.deepStrictEqual(await store.get('k'), expected);
        for (const [, value] of await store.entries()) {
          if (typeof value === 'object' && value !== null && !Array.isArray(value)) value['extra'] = 1;
        }
        assert.deepStrictEqual(
          sorted(await store.entries()),
          sorted([
            ['k', expected],
            ['m', { list: ['x'] }],
          ]),
        );
      });
    });

    test('writes called without waiting apply in call order', async (t) => {
      await withStore(t, open, async (store) => {
        const writes = [];
        for (let i = 0; i < 50; i++) {
          writes.push(store.setMany([['counter', i], [`n/${i}`, i]]));
          if (i % 10 === 9) writes.push(store.delMany([`n/${i - 1}`]));
        }
        writes.push(store.del('n/0'));
        await Promise.all(writes);
        assert.equal(await store.get('counter'), 49);
        const keys = (await store.entries()).map(([key]) => key);
        assert.equal(keys.length, 1 + 50 - 5 - 1);
        assert.ok(!keys.includes('n/0') && !keys.includes('n/8') && keys.includes('n/9'));
      });
    });

    test('update removes keys and stores entries in one call (a key in both ends up stored), in call order with other writes; a non-JSON value changes nothing', async (t) => {
      await withStore(t, open, async (store) => {
        const update = store.update?.bind(store);
        if (update === undefined) return t.skip(`${name} has no update (optional): checkpoints use setMany and delMany`);
        await store.setMany([
          ['committed', 1],
          ['epoch/1', { at: '1' }],
          ['epoch/2', { at: '2' }],
          ['both', 'old'],
        ]);
        // Not awaited one by one: each applies after the call before it.
        await Promise.all([
          update([['committed', 2], ['both', 'new']], ['epoch/1', 'both', 'missing']),
          store.setMany([['epoch/3', { at: '3' }]]),
          update([['committed', 3]], ['epoch/2']),
        ]);
        assert.deepStrictEqual(
          sorted(await store.entries()),
          sorted([
            ['committed', 3],
            ['epoch/3', { at: '3' }],
            ['both', 'new'],
          ]),
        );
        await assert.rejects(async () => update([['committed', 4], ['bad', Number.NaN as JsonValue]], ['epoch/3']), TypeError);
        assert.equal(await store.get('committed'), 3);
        assert.deepStrictEqual(await store.get('epoch/3'), { at: '3' });
        await update([], []);
        assert.equal((await store.entries()).length, 3);
      });
    });

    test('an object property set to undefined is dropped, as JSON drops it', async (t) => {
      await withStore(t, open, async (store) => {
        const split = { id: 'a.csv', size: undefined, nested: { x: undefined, y: 1 } };
        await store.set('k', split as unknown as JsonValue);
        await store.setMany([['m', split as unknown as JsonValue]]);
        for (const value of [await store.get('k'), await store.get('m')]) {
          assert.deepStrictEqual(value, { id: 'a.csv', nested: { y: 1 } });
          assert.ok(!Object.hasOwn(value as object, 'size'));
        }
      });
    });

    test('values that are not JSON are refused with a TypeError naming the key, and change nothing', async (t) => {
      await withStore(t, open, async (store) => {
        await store.set('before', 1);
        for (const [label, value] of nonJsonValues()) {
          await assert.rejects(
            async () => store.set(`key ${label}`, value as JsonValue),
            (err: unknown) =>
              err instanceof TypeError && err.message.includes(JSON.stringify(`key ${label}`)) && /\$/.test(err.message),
            label,
          );
          await assert.rejects(
            async () =>
              store.setMany([
                ['fine', 2],
                [`bad ${label}`, value as JsonValue],
              ]),
            TypeError,
            label,
          );
        }
        // setMany checks every value before storing any: 'fine' must not be there.
        assert.deepStrictEqual(await store.entries(), [['before', 1]]);
      });
    });
  });
}

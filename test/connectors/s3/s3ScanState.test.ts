import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { keyPattern } from '../../../src/connectors/s3/keyPattern.js';
import type { ListedObject, S3ObjectSplit } from '../../../src/connectors/s3/S3ObjectSplit.js';
import { s3ConfigFromProperties } from '../../../src/connectors/s3/s3Properties.js';
import { S3ScanState, type S3ScanSettings } from '../../../src/connectors/s3/S3ScanState.js';
import type { SplitPosition } from '../../../src/core/SourceSplit.js';

const settings = (over: Partial<S3ScanSettings> = {}): S3ScanSettings => ({
  bucket: 'b',
  keysOrdered: false,
  latenessMs: 1000,
  window: 4,
  matches: () => true,
  ...over,
});
const obj = (key: string, lastModified: number, etag = 'e1'): ListedObject => ({ key, etag, size: 10, lastModified });
const none = new Map<string, SplitPosition<S3ObjectSplit>>();
const key = (n: number): string => `k/${String(n).padStart(7, '0')}`;

/** Drives one listing pass over `objects` like the enumerator does; finishes each split at once. */
function pass(state: S3ScanState, objects: ListedObject[], now: number, bounded = false): string[] {
  const handed: string[] = [];
  state.beginPass(now);
  for (const o of objects) {
    if (!state.isNew(o)) {
      state.passed(o.key);
      continue;
    }
    const split = state.handOut(o);
    handed.push(o.key);
    state.finish(split.id);
  }
  state.endPass(bounded);
  return handed;
}

describe('S3ScanState', () => {
  test('a first pass over a huge prefix of old objects keeps the state small', () => {
    const state = new S3ScanState(settings(), undefined, none);
    const objects = Array.from({ length: 100_000 }, (_, i) => obj(key(i), 1_000 + i));
    const handed = pass(state, objects, 10_000_000);
    assert.equal(handed.length, 100_000);
    assert.equal(state.recentSize, 0, 'old objects are covered by cursor and horizon, not remembered one by one');
    assert.ok(JSON.stringify(state.toJson()).length < 500);
    assert.deepEqual(pass(state, objects, 10_100_000), [], 'nothing is read twice');
  });

  test('recent objects are remembered until the horizon covers them; new and replaced ones are read', () => {
    const state = new S3ScanState(settings({ latenessMs: 1000 }), undefined, none);
    assert.deepEqual(pass(state, [obj('a', 9_500), obj('b', 9_800)], 10_000), ['a', 'b']);
    assert.equal(state.recentSize, 2, 'modified within the lateness of the pass: remembered');
    assert.deepEqual(pass(state, [obj('a', 9_500), obj('b', 9_800), obj('c', 10_500)], 10_100), ['c']);
    assert.deepEqual(pass(state, [obj('a', 9_500), obj('b', 9_800, 'e2'), obj('c', 10_500)], 20_000), ['b'], 'a new ETag is a new object');
    pass(state, [], 30_000);
    assert.equal(state.recentSize, 0, 'the horizon moved past every remembered object');
  });

  test('an object that shows up later than the lateness is taken as read (the documented trade-off)', () => {
    const state = new S3ScanState(settings({ latenessMs: 1000 }), undefined, none);
    pass(state, [obj('a', 100)], 10_000);
    assert.deepEqual(pass(state, [obj('a', 100), obj('late', 5_000)], 20_000), []);
  });

  test('the window bounds the objects handed out; a finished split leaves the set at once', () => {
    const state = new S3ScanState(settings({ window: 2 }), undefined, none);
    state.beginPass(0);
    const a = state.handOut(obj('a', 0));
    state.handOut(obj('b', 0));
    assert.equal(state.windowFull, true);
    assert.equal(state.finish(a.id), true);
    assert.equal(state.windowFull, false);
    assert.deepEqual(state.splits().map((s) => s.key), ['b']);
    assert.equal(state.finish(a.id), false, 'finishing twice changes nothing');
  });

  test('a folded object never comes back as a split: later in the pass, in later passes, after a restore', () => {
    for (const keysOrdered of [false, true]) {
      // Objects modified within the lateness (remembered in `recent`) and long before it (horizon).
      const objects = [obj('a', 9_900), obj('b', 100), obj('c', 9_950)];
      const state = new S3ScanState(settings({ keysOrdered, latenessMs: 1000 }), undefined, none);
      state.beginPass(10_000);
      const splits = objects.map((o) => state.handOut(o));
      // Finished out of order, one mid-pass (the listing is past it: a pass never lists a key
      // twice) and the rest after the pass ended.
      state.finish(splits[1]!.id);
      state.endPass(false);
      state.finish(splits[0]!.id);
      state.finish(splits[2]!.id);
      assert.deepEqual(state.splits(), []);
      const restored = new S3ScanState(settings({ keysOrdered, latenessMs: 1000 }), JSON.parse(JSON.stringify(state.toJson())), none);
      for (const s of [state, restored]) {
        assert.deepEqual(pass(s, objects, 10_500), [], `keysOrdered=${keysOrdered}: next pass`);
        assert.deepEqual(pass(s, objects, 50_000), [], `keysOrdered=${keysOrdered}: a pass after the horizon moved`);
      }
    }
  });

  test('restore: positions win over the state, finished positions leave the window', () => {
    const first = new S3ScanState(settings(), undefined, none);
    first.beginPass(0);
    const a = first.handOut(obj('a', 0));
    const b = first.handOut(obj('b', 0));
    first.finish(a.id);
    const saved = first.toJson();
    const positions = new Map<string, SplitPosition<S3ObjectSplit>>([
      [a.id, { split: a, offset: '5', finished: false }],
      [b.id, { split: b, offset: null, finished: true }],
    ]);
    const restored = new S3ScanState(settings(), saved, positions);
    assert.equal(restored.pending, 1);
    assert.deepEqual(restored.splits().map((s) => s.key), ['a'], 'a is read on from its position; b is folded in');
    assert.equal(restored.isNew(obj('b', 0)), false);
  });

  test('ordered keys: the cursor survives passes and nothing below it is read', () => {
    const state = new S3ScanState(settings({ keysOrdered: true }), undefined, none);
    assert.deepEqual(pass(state, [obj('2024-01', 0), obj('2024-02', 0)], 0), ['2024-01', '2024-02']);
    assert.equal(state.after, '2024-02');
    assert.deepEqual(pass(state, [obj('2023-12', 0), obj('2024-03', 0)], 1), ['2024-03']);
  });

  test('corrupt state is an error, not a fresh start', () => {
    assert.throws(() => new S3ScanState(settings(), { v: 2 }, none), /version 1/);
  });
});

describe('keyPattern', () => {
  test('a pattern without a slash matches the last segment at any depth', () => {
    const m = keyPattern('*.csv');
    assert.equal(m('a.csv'), true);
    assert.equal(m('2024/01/b.csv'), true);
    assert.equal(m('a.csv.gz'), false);
  });
  test('anchored patterns, **, classes, braces, escapes', () => {
    assert.equal(keyPattern('logs/*.json')('logs/a.json'), true);
    assert.equal(keyPattern('logs/*.json')('logs/x/a.json'), false);
    assert.equal(keyPattern('logs/**/*.json')('logs/x/y/a.json'), true);
    assert.equal(keyPattern('logs/**/*.json')('logs/a.json'), true);
    assert.equal(keyPattern('part-[0-9].{csv,tsv}')('d/part-3.tsv'), true);
    assert.equal(keyPattern('part-[!0-9].csv')('part-3.csv'), false);
    assert.equal(keyPattern('a\\*b')('a*b'), true);
    assert.equal(keyPattern('a\\*b')('axb'), false);
    assert.equal(keyPattern('a+b(1).csv')('a+b(1).csv'), true);
  });
  test('malformed patterns are rejected', () => {
    assert.throws(() => keyPattern('a{b'), /unclosed/);
    assert.throws(() => keyPattern('a[b'), /unclosed/);
  });
});

describe('s3 properties', () => {
  test('RisingWave spellings map to the canonical ones; refresh.interval.sec is seconds', () => {
    const config = s3ConfigFromProperties({
      's3.bucket_name': 'logs',
      's3.region_name': 'eu-west-1',
      match_pattern: '*.json',
      's3.endpoint_url': 'http://127.0.0.1:9000',
      'refresh.interval.sec': '30',
      's3.credentials.access': 'AK',
      's3.credentials.secret': 'SK',
    });
    assert.equal(config.bucket, 'logs');
    assert.equal(config.region, 'eu-west-1');
    assert.equal(config.matchPattern, '*.json');
    assert.equal(config.endpoint, 'http://127.0.0.1:9000');
    assert.equal(config.refreshIntervalMs, 30_000);
    assert.deepEqual(config.credentials, { accessKeyId: 'AK', secretAccessKey: 'SK' });
    assert.equal(config.scanMode, 'bounded');
  });
  test('bad values name the property', () => {
    assert.throws(() => s3ConfigFromProperties({}), /s3\.bucket/);
    assert.throws(() => s3ConfigFromProperties({ 's3.bucket': 'b', 's3.scan.window': '0' }), /s3\.scan\.window/);
    assert.throws(() => s3ConfigFromProperties({ 's3.bucket': 'b', 's3.scan.mode': 'sometimes' }), /s3\.scan\.mode/);
    assert.throws(() => s3ConfigFromProperties({ 's3.bucket': 'b', 's3.list.page.size': '5000' }), /s3\.list\.page\.size/);
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NEVER } from 'rxjs';
import { fileChanges } from '../src/connectors/fs/fileChanges.js';
import { FsEnumerator } from '../src/connectors/fs/FsEnumerator.js';
import type { FileSplit } from '../src/connectors/fs/FileSplit.js';
import { globMatcher } from '../src/connectors/fs/globMatcher.js';
import type { EnumeratorContext } from '../src/core/Enumerator.js';
import { expectMarbles, VirtualClock } from './support/virtualTime.js';

// The fs enumerator's discovery timing over a real directory, with the polling timer in virtual
// time. Only the polling path can be virtual: `fs.watch` events come from the kernel (inotify) as
// they happen, on no scheduler, so these tests turn it off (`watch: false`) and a file's arrival
// is noticed at the next poll. The clock stands still while the real listing runs, so each
// emission carries the exact frame of the poll that found it.

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tributary-fs-discovery-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const context: EnumeratorContext<FileSplit> = {
  source: 'discovery',
  restoredState: undefined,
  restoredSplits: new Map(),
  saveState: () => undefined,
  finished$: NEVER,
};

function discover(dir: string, clock: VirtualClock, pollIntervalMs: number) {
  const changes = fileChanges(dir, { watch: false, pollIntervalMs, scheduler: clock.scheduler });
  const enumerator = new FsEnumerator({ root: dir, matcher: globMatcher('*.json'), scanMode: 'unbounded', changes });
  return clock.record(enumerator.splits(context));
}

const ids = (...names: string[]): FileSplit[] => names.map((id) => ({ id }));

describe('fs enumerator discovery (polling, virtual time, real directory)', () => {
  test('lists at subscription, then finds a file written between polls at the next poll, not before', async () => {
    const dir = await mkdtemp(join(root, 'a-'));
    await writeFile(join(dir, 'a.json'), '{}\n');
    const clock = new VirtualClock(20);
    const recording = discover(dir, clock, 100);
    await clock.until(() => recording.messages.length === 1, 'the first listing');
    await clock.advanceTo(150);
    await writeFile(join(dir, 'b.json'), '{}\n');
    await writeFile(join(dir, 'ignored.txt'), 'not matched\n');
    await clock.advanceTo(199);
    assert.equal(recording.messages.length, 1, 'nothing between polls');
    await clock.advanceTo(200);
    await clock.until(() => recording.messages.length === 2, 'the poll at 200 to find b.json');
    // Polls at 300 and 400 find the same set: no emission.
    await clock.advanceTo(450);
    await unlink(join(dir, 'a.json'));
    await clock.advanceTo(500);
    await clock.until(() => recording.messages.length === 3, 'the poll at 500 to miss a.json');
    recording.unsubscribe();
    expectMarbles(recording, 'a 199ms b 299ms c', { a: ids('a.json'), b: ids('a.json', 'b.json'), c: ids('b.json') });
    assert.equal(clock.scheduler.actions.length, 0, 'unsubscribing stopped the polling timer');
  });

  test('the poll interval is the option: with 250 ms, a file written at 10 is found at 250', async () => {
    const dir = await mkdtemp(join(root, 'b-'));
    const clock = new VirtualClock(20);
    const recording = discover(dir, clock, 250);
    await clock.until(() => recording.messages.length === 1, 'the first (empty) listing');
    await clock.advanceTo(10);
    await writeFile(join(dir, 'late.json'), '{}\n');
    await clock.advanceTo(249);
    assert.equal(recording.messages.length, 1);
    await clock.advanceTo(250);
    await clock.until(() => recording.messages.length === 2, 'the poll at 250');
    recording.unsubscribe();
    expectMarbles(recording, 'a 249ms b', { a: [], b: ids('late.json') });
  });
});

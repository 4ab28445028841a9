import assert from 'node:assert/strict';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { NEVER } from 'rxjs';
import type { DeadLetter } from '../../../src/core/BadRecordHandler.js';
import { BadRecordError } from '../../../src/core/SourceError.js';
import { createFsSource } from '../../../src/connectors/fs/createFsSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { barrierTrigger, crashAfterCheckpoint, readAll, run, tempDir, waitFor } from './helpers.js';

const lines = ['{"id":1}', '{oops', '{"id":2}', '[1,2]', '{"id":3}'];
const text = lines.map((l) => `${l}\n`).join('');
/** Byte offset of line `i`. */
const at = (i: number) => String(lines.slice(0, i).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0));

test('bad records, policy fail: the source fails at the first one, naming source, file and offset; again on a retry', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'in'));
  await writeFile(join(dir, 'in', 'events.ndjson'), text);
  const store = new MemoryStore();
  const make = () => createFsSource({ name: 'strict', path: dir, format: createFormat('json'), store, barriers: NEVER, badRecords: 'fail' });
  for (let attempt = 0; attempt < 2; attempt++) {
    const err = await readAll(make()).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof BadRecordError, `attempt ${attempt}: ${String(err)}`);
    assert.equal(err.source, 'strict');
    assert.equal(err.split, 'in/events.ndjson');
    assert.equal(err.offset, at(1));
    assert.match(err.message, /source 'strict', split 'in\/events\.ndjson', offset 9/);
  }
});

test('bad records, policy skip: good records flow, bad ones are counted with their locations', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'events.ndjson'), text);
  const source = createFsSource({ name: 'lenient', path: dir, format: createFormat('json'), barriers: NEVER, badRecords: 'skip' });
  assert.deepEqual(await readAll(source), [{ id: 1 }, { id: 2 }, { id: 3 }]);
  const stats = source.badRecordStats;
  assert.equal(stats.skipped, 2);
  assert.deepEqual(
    stats.samples.map((e) => [e.split, e.offset]),
    [
      ['events.ndjson', at(1)],
      ['events.ndjson', at(3)],
    ],
  );
});

test('bad records, policy dead-letter: bad records go to deadLetters$ with their bytes and locations', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'events.ndjson'), text);
  await writeFile(join(dir, 'table.csv'), 'a,b\n1,2\n3\n4,5\n');
  const source = createFsSource({ name: 'dlq', path: dir, pattern: '*.ndjson', format: createFormat('json'), barriers: NEVER, badRecords: 'dead-letter' });
  const letters: DeadLetter[] = [];
  const sub = source.deadLetters$.subscribe((l) => letters.push(l));
  t.after(() => sub.unsubscribe());
  assert.deepEqual(await readAll(source), [{ id: 1 }, { id: 2 }, { id: 3 }]);
  assert.equal(source.badRecordStats.deadLettered, 2);
  assert.deepEqual(
    letters.map((l) => [l.error.split, l.error.offset, l.raw === null ? null : Buffer.from(l.raw).toString('utf8').trim()]),
    [
      ['events.ndjson', at(1), '{oops'],
      ['events.ndjson', at(3), '[1,2]'],
    ],
  );

  const csv = createFsSource({ name: 'dlq-csv', path: dir, pattern: '*.csv', format: createFormat('csv'), barriers: NEVER, badRecords: 'dead-letter' });
  const csvLetters: DeadLetter[] = [];
  const csvSub = csv.deadLetters$.subscribe((l) => csvLetters.push(l));
  t.after(() => csvSub.unsubscribe());
  assert.deepEqual(await readAll(csv), [
    { a: '1', b: '2' },
    { a: '4', b: '5' },
  ]);
  assert.deepEqual(
    csvLetters.map((l) => [l.error.split, l.error.offset]),
    [['table.csv', '8']],
  );
});

test('a checkpoint taken after bad records only moves past them: a restart does not dead-letter them again', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'events.ndjson');
  await writeFile(path, '{"id":1}\n');
  const store = new MemoryStore();
  const barriers = barrierTrigger();
  const make = () =>
    createFsSource({ name: 'moving-on', path: dir, scanMode: 'unbounded', format: createFormat('json'), store, barriers, pollIntervalMs: 20, badRecords: 'dead-letter' });
  const first = make();
  const r1 = run(first);
  await waitFor(() => r1.records.length === 1, 'the good record');
  await appendFile(path, 'not json\n');
  await waitFor(() => first.badRecordStats.deadLettered === 1, 'the bad record');
  barriers.next();
  await waitFor(() => r1.events.some((e) => e.type === 'barrier'), 'the checkpoint');
  r1.subscription.unsubscribe();

  await appendFile(path, '{"id":2}\n');
  const second = make();
  const r2 = run(second);
  t.after(() => r2.subscription.unsubscribe());
  await waitFor(() => r2.records.length === 1, 'the record after the bad one');
  assert.deepEqual(r2.records, [{ id: 2 }]);
  assert.equal(second.badRecordStats.deadLettered, 0);
});

test('bad records before a resume offset are not reported again when opening decodes them (CSV reads its header from byte 0 a whole buffer at a time)', async (t) => {
  const dir = await tempDir(t);
  let text = 'id,name\n1,a\n2\n';
  for (let i = 3; i < 40_000; i++) text += i === 39_000 ? `${i}\n` : `${i},name ${i}\n`;
  await writeFile(join(dir, 'people.csv'), text);
  const store = new MemoryStore();
  const make = (barriers = barrierTrigger()) => createFsSource({ name: 'resume', path: dir, format: createFormat('csv'), store, barriers, badRecords: 'dead-letter', readBufferBytes: 64 * 1024 });
  const barriers = barrierTrigger();
  const first = make(barriers);
  const firstLetters: DeadLetter[] = [];
  const sub1 = first.deadLetters$.subscribe((l) => firstLetters.push(l));
  await crashAfterCheckpoint(first, barriers, 2);
  sub1.unsubscribe();
  assert.deepEqual(firstLetters.map((l) => l.error.offset), ['12']);
  const second = make();
  const letters: DeadLetter[] = [];
  const sub2 = second.deadLetters$.subscribe((l) => letters.push(l));
  t.after(() => sub2.unsubscribe());
  const r = run(second);
  await r.done;
  assert.equal(r.error(), undefined);
  // Only the bad record after the checkpoint: the one at line 3 was dead-lettered by the first run.
  assert.deepEqual(letters.map((l) => l.error.message.replace(/^.*: /, '')), ['expected 2 fields, found 1']);
  assert.equal(letters.length, 1);
  assert.match(letters[0]?.error.message ?? '', /offset [0-9]{6}/);
});

for (const policy of ['dead-letter', 'skip'] as const) {
  test(`bad records, ${policy}: a crash right after the checkpoint past a bad record reports it once across the restart`, async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'a.ndjson'), '{"id":1}\n{oops\n{"id":2}\n');
    const store = new MemoryStore();
    const make = (barriers = barrierTrigger()) => createFsSource({ name: 'once', path: dir, format: createFormat('json'), store, barriers, badRecords: policy });
    const count = (source: ReturnType<typeof make>): number => (policy === 'skip' ? source.badRecordStats.skipped : source.badRecordStats.deadLettered);
    const barriers = barrierTrigger();
    const first = make(barriers);
    // The barrier comes with the first chunk (the whole file, the bad record's position
    // included), and the process dies right after its checkpoint.
    await crashAfterCheckpoint(first, barriers, 1);
    const second = make();
    const r = run(second);
    await r.done;
    assert.equal(count(first) + count(second), 1, `reported ${count(first)} time(s) before the crash and ${count(second)} after`);
  });
}

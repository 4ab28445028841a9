import assert from 'node:assert/strict';
import { appendFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { createFormat } from '../../../src/formats/createFormat.js';
import { NEVER } from 'rxjs';
import { SourceError } from '../../../src/core/SourceError.js';
import { createFsSource, type FsSourceOptions } from '../../../src/connectors/fs/createFsSource.js';
import type { Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { barrierTrigger, bySplit, crashAfterCheckpoint, ndjson, run, tempDir, waitFor } from './helpers.js';

const rows = (prefix: string, n: number, from = 0): Row[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${from + i}` }));

/** The three ways of noticing changes: both (default), polling alone, fs.watch alone. */
const modes: ReadonlyArray<readonly [string, Partial<FsSourceOptions>]> = [
  ['watch and polling', { pollIntervalMs: 100 }],
  ['polling alone', { watch: false, pollIntervalMs: 25 }],
  ['fs.watch alone', { watch: true, pollIntervalMs: 0 }],
];

for (const [mode, options] of modes) {
  test(`unbounded (${mode}): new files are picked up and appended lines are read`, async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'a.ndjson'), ndjson(rows('a', 2)));
    const source = createFsSource({ name: 'tail', path: dir, pattern: '*.ndjson', scanMode: 'unbounded', format: createFormat('json'), barriers: NEVER, ...options });
    const r = run(source);
    t.after(() => r.subscription.unsubscribe());
    const of = (id: string) => bySplit(r.events).get(id) ?? [];
    await waitFor(() => of('a.ndjson').length === 2, 'the first file');

    await appendFile(join(dir, 'a.ndjson'), ndjson(rows('a', 3, 2)));
    await waitFor(() => of('a.ndjson').length === 5, 'the appended lines');

    // A new file in a new subdirectory, written elsewhere and renamed in.
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', '.b.tmp'), ndjson(rows('b', 4)));
    await rename(join(dir, 'sub', '.b.tmp'), join(dir, 'sub', 'b.ndjson'));
    await waitFor(() => of('sub/b.ndjson').length === 4, 'the new file');

    await appendFile(join(dir, 'sub', 'b.ndjson'), ndjson(rows('b', 1, 4)));
    await waitFor(() => of('sub/b.ndjson').length === 5, 'lines appended to the new file');

    assert.equal(r.error(), undefined);
    assert.equal(r.completed(), false);
    assert.deepEqual(of('a.ndjson'), rows('a', 5));
    assert.deepEqual(of('sub/b.ndjson'), rows('b', 5));
  });
}

test('unbounded: a line being written is emitted only once its newline arrives', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'a.ndjson');
  await writeFile(path, '{"id":1}\n{"id":');
  const source = createFsSource({ name: 'partial', path: dir, scanMode: 'unbounded', format: createFormat('json'), barriers: NEVER, pollIntervalMs: 20 });
  const r = run(source);
  t.after(() => r.subscription.unsubscribe());
  await waitFor(() => r.records.length === 1, 'the complete line');
  await appendFile(path, '2');
  await appendFile(path, '}');
  // Several polls pass without a newline: still one record, and no bad record.
  let polls = 0;
  const sub = setInterval(() => polls++, 20);
  await waitFor(() => polls >= 5, 'a few polling rounds');
  clearInterval(sub);
  assert.deepEqual(r.records, [{ id: 1 }]);
  await appendFile(path, '\n{"id":3}\n');
  await waitFor(() => r.records.length === 3, 'the completed lines');
  assert.deepEqual(r.records, [{ id: 1 }, { id: 2 }, { id: 3 }]);
  assert.equal(r.error(), undefined);
});

test('unbounded: a file read while it is being appended to yields every record exactly once', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'log.ndjson');
  await writeFile(path, '');
  const source = createFsSource({ name: 'growing', path: dir, scanMode: 'unbounded', format: createFormat('json'), barriers: NEVER, pollIntervalMs: 10, readBufferBytes: 64 });
  const r = run(source);
  t.after(() => r.subscription.unsubscribe());
  const all = rows('g', 500);
  // Appends in uneven pieces that split lines anywhere, while the reader is reading.
  const text = ndjson(all);
  for (let at = 0, step = 1; at < text.length; at += step, step = (step * 7) % 97 + 1) {
    await appendFile(path, text.slice(at, at + step));
  }
  await waitFor(() => r.records.length >= all.length, 'every appended record');
  assert.deepEqual(r.records, all);
});

test('unbounded: a deleted file stops being read, without an error', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'a.ndjson'), ndjson(rows('a', 1)));
  await writeFile(join(dir, 'b.ndjson'), ndjson(rows('b', 1)));
  const source = createFsSource({ name: 'delete', path: dir, scanMode: 'unbounded', format: createFormat('json'), barriers: NEVER, pollIntervalMs: 20 });
  const r = run(source);
  t.after(() => r.subscription.unsubscribe());
  await waitFor(() => r.records.length === 2, 'both files');
  await rm(join(dir, 'a.ndjson'));
  await writeFile(join(dir, 'c.ndjson'), ndjson(rows('c', 1)));
  await waitFor(() => r.records.length === 3, 'the file written after the deletion');
  await appendFile(join(dir, 'b.ndjson'), ndjson(rows('b', 1, 1)));
  await waitFor(() => r.records.length === 4, 'an append to a remaining file');
  assert.equal(r.error(), undefined);
});

test('unbounded: a file truncated below the read position fails the source, naming the file', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'a.ndjson');
  await writeFile(path, ndjson(rows('a', 10)));
  const source = createFsSource({ name: 'truncate', path: dir, scanMode: 'unbounded', format: createFormat('json'), barriers: NEVER, pollIntervalMs: 20 });
  const r = run(source);
  t.after(() => r.subscription.unsubscribe());
  await waitFor(() => r.records.length === 10, 'the file');
  await writeFile(path, ndjson(rows('x', 1)));
  await r.done;
  const err = r.error();
  assert.ok(err instanceof SourceError);
  assert.equal(err.split, 'a.ndjson');
  assert.match(err.message, /a\.ndjson' shrank to \d+ bytes, below the \d+ bytes already read/);
});

test('unbounded: a restart mid-file resumes at the checkpoint and goes on tailing', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'a.ndjson');
  const before = rows('a', 300);
  await writeFile(path, ndjson(before));
  const store = new MemoryStore();
  const barriers = barrierTrigger();
  const make = () =>
    createFsSource({ name: 'tail-restart', path: dir, scanMode: 'unbounded', format: createFormat('json'), store, barriers, pollIntervalMs: 20, readBufferBytes: 200 });
  const committed = (await crashAfterCheckpoint(make(), barriers, 4)).get('a.ndjson') ?? [];
  assert.ok(committed.length > 0 && committed.length < before.length, `checkpoint mid-file (${committed.length})`);

  const after = rows('a', 50, 300);
  await appendFile(path, ndjson(after));
  const second = run(make());
  t.after(() => second.subscription.unsubscribe());
  await waitFor(() => committed.length + second.records.length >= 350, 'the rest of the file');
  assert.deepEqual([...committed, ...second.records], [...before, ...after]);
});

for (const [mode, watch, poll] of [
  ['polling alone', false, 20],
  ['fs.watch alone', true, 0],
] as const) {
  test(`unbounded (${mode}): a running source keeps the process alive`, async (t) => {
    const dir = await tempDir(t);
    const src = (p: string) => JSON.stringify(pathToFileURL(join(process.cwd(), 'src', p)).href);
    const script = join(dir, 'child.mts');
    await writeFile(
      script,
      `import { createFsSource } from ${src('connectors/fs/createFsSource.ts')};
import { createFormat } from ${src('formats/createFormat.ts')};
import { commitEpochs } from ${src('core/commitEpochs.ts')};
import { toRecords } from ${src('core/toRecords.ts')};
import { NEVER } from ${JSON.stringify(import.meta.resolve('rxjs'))};
const source = createFsSource({ name: 'alive', path: ${JSON.stringify(join(dir, 'data'))}, scanMode: 'unbounded', format: createFormat('json'),
  watch: ${watch}, pollIntervalMs: ${poll}, barriers: NEVER });
source.warnings$?.subscribe((w) => console.log('listed: ' + w.message));
source.pipe(commitEpochs(source), toRecords()).subscribe((row) => { console.log(JSON.stringify(row)); process.exit(0); });
`,
    );
    await mkdir(join(dir, 'data'));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => child.kill());
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let exitCode: number | null | undefined;
    void exited.then((c) => (exitCode = c));
    // The first listing found nothing (its warning is the positive event); only a live source
    // can then see the file written afterwards and print its row: a child kept alive by nothing
    // would exit 0 without it.
    await waitFor(() => out.includes('listed: ') || exitCode !== undefined, 'the first listing');
    assert.match(out, /listed: pattern '\*' matches no file/);
    await writeFile(join(dir, 'data', 'a.json'), '{"id":1}\n');
    assert.equal(await exited, 0);
    assert.match(out, /\{"id":1\}/);
  });
}

test('unbounded CSV: a quoted field spanning appends is held until it closes; a restart re-reads the header and resumes', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'a.csv');
  await writeFile(path, 'id,text\r\n1,"first\n');
  const store = new MemoryStore();
  const barriers = barrierTrigger();
  const make = () => createFsSource({ name: 'csv-tail', path: dir, scanMode: 'unbounded', format: createFormat('csv'), store, barriers, pollIntervalMs: 20 });
  const first = run(make());
  await appendFile(path, 'still first"\r\n2,second\r\n');
  await waitFor(() => first.records.length === 2, 'the first two records');
  assert.deepEqual(first.records, [
    { id: '1', text: 'first\nstill first' },
    { id: '2', text: 'second' },
  ]);
  barriers.next();
  await waitFor(() => first.events.some((e) => e.type === 'barrier'), 'the checkpoint');
  first.subscription.unsubscribe();

  await appendFile(path, '3,"a, b"\r\n');
  const second = run(make());
  t.after(() => second.subscription.unsubscribe());
  await waitFor(() => second.records.length === 1, 'the record appended after the checkpoint');
  await appendFile(path, '4,four\r\n');
  await waitFor(() => second.records.length === 2, 'a record appended to the resumed tail');
  assert.deepEqual(second.records, [
    { id: '3', text: 'a, b' },
    { id: '4', text: 'four' },
  ]);
});

import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { createFormat } from '../../../src/formats/createFormat.js';
import { BehaviorSubject, NEVER } from 'rxjs';
import { BadRecordTracker } from '../../../src/core/BadRecordTracker.js';
import { mapRecords } from '../../../src/core/mapRecords.js';
import { runWithCheckpoints } from '../../../src/core/runWithCheckpoints.js';
import { SourceError } from '../../../src/core/SourceError.js';
import type { Chunk } from '../../../src/core/SourceEvent.js';
import { createFsSource } from '../../../src/connectors/fs/createFsSource.js';
import { FsSplitReader } from '../../../src/connectors/fs/FsSplitReader.js';
import type { Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { barrierTrigger, bySplit, crashAfterCheckpoint, ndjson, readAll, run, tempDir, waitFor } from './helpers.js';

const rows = (prefix: string, n: number): Row[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, n: i }));

test('a bounded scan reads every matching file at any depth, then completes with a final checkpoint', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, '2024', '01'), { recursive: true });
  await mkdir(join(dir, '.cache'));
  await writeFile(join(dir, 'a.ndjson'), ndjson(rows('a', 3)));
  await writeFile(join(dir, '2024', '01', 'b.ndjson'), ndjson(rows('b', 2)));
  await writeFile(join(dir, 'notes.txt'), 'not data\n');
  await writeFile(join(dir, '.c.ndjson.tmp'), 'half written');
  await writeFile(join(dir, '.cache', 'd.ndjson'), ndjson(rows('d', 1)));
  const store = new MemoryStore();
  const source = createFsSource({ name: 'files', path: dir, pattern: '*.ndjson', format: createFormat('json'), store, barriers: NEVER });
  const r = run(source);
  await r.done;
  assert.equal(r.error(), undefined);
  assert.ok(r.completed());
  const split = bySplit(r.events);
  assert.deepEqual([...split.keys()].sort(), ['2024/01/b.ndjson', 'a.ndjson']);
  assert.deepEqual(split.get('a.ndjson'), rows('a', 3));
  assert.deepEqual(split.get('2024/01/b.ndjson'), rows('b', 2));
  const last = r.events.at(-1);
  assert.equal(last?.type, 'barrier');
  assert.equal(last?.type === 'barrier' && last.final, true);

  // Finished files are not read again by a later run on the same store.
  const again = await readAll(source);
  assert.deepEqual(again, []);
});

test('an anchored pattern reads one directory level only', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'in', 'deeper'), { recursive: true });
  await writeFile(join(dir, 'in', 'x.ndjson'), ndjson(rows('x', 1)));
  await writeFile(join(dir, 'in', 'deeper', 'y.ndjson'), ndjson(rows('y', 1)));
  await writeFile(join(dir, 'z.ndjson'), ndjson(rows('z', 1)));
  const source = createFsSource({ name: 'anchored', path: dir, pattern: 'in/*.ndjson', format: createFormat('json'), barriers: NEVER });
  assert.deepEqual(await readAll(source), rows('x', 1));
});

test('a last line without a newline is read by a bounded scan; empty files yield nothing', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'a.ndjson'), '{"id":1}\n{"id":2}');
  await writeFile(join(dir, 'empty.ndjson'), '');
  const source = createFsSource({ name: 'tail-line', path: dir, format: createFormat('json'), barriers: NEVER });
  assert.deepEqual(await readAll(source), [{ id: 1 }, { id: 2 }]);
});

test('a restart from a mid-file checkpoint repeats nothing and loses nothing', async (t) => {
  const dir = await tempDir(t);
  const a = rows('a', 400);
  const b = rows('b', 300);
  await writeFile(join(dir, 'a.ndjson'), ndjson(a));
  await writeFile(join(dir, 'b.ndjson'), ndjson(b));
  const store = new MemoryStore();
  const barriers = barrierTrigger();
  // Small reads: many chunks per file, so the checkpoint falls mid-file.
  const make = () => createFsSource({ name: 'restart', path: dir, format: createFormat('json'), store, barriers, readBufferBytes: 256 });

  const committed = await crashAfterCheckpoint(make(), barriers, 6);
  const committedCount = [...committed.values()].reduce((n, l) => n + l.length, 0);
  assert.ok(committedCount > 0 && committedCount < a.length + b.length, `checkpoint mid-way (${committedCount} records)`);
  assert.ok(
    [...committed.entries()].some(([id, l]) => l.length > 0 && l.length < (id === 'a.ndjson' ? a : b).length),
    'the checkpoint lies inside a file',
  );

  const second = run(make());
  await second.done;
  assert.equal(second.error(), undefined);
  const resumed = bySplit(second.events);
  for (const [id, all] of [
    ['a.ndjson', a],
    ['b.ndjson', b],
  ] as const) {
    assert.deepEqual([...(committed.get(id) ?? []), ...(resumed.get(id) ?? [])], all, `${id}: first run up to the checkpoint, then the second run`);
  }
});

test('a missing directory fails the source with an error naming it', async (t) => {
  const dir = await tempDir(t);
  const source = createFsSource({ name: 'missing', path: join(dir, 'nope'), format: createFormat('json'), barriers: NEVER });
  const err = await readAll(source).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof SourceError);
  assert.match(err.message, /source 'missing'/);
  assert.match(err.message, /nope' does not exist/);
});

test('a file deleted after listing fails its split with an error naming the file and the split', async (t) => {
  const dir = await tempDir(t);
  const reader = new FsSplitReader({ root: dir, format: createFormat('json'), scanMode: 'bounded' });
  const context = { source: 'gone', badRecords: new BadRecordTracker('fail'), paused$: new BehaviorSubject(false) };
  const err = await new Promise<unknown>((resolve) => reader.read({ id: 'x/gone.ndjson' }, null, context).subscribe({ error: resolve, complete: () => resolve(undefined) }));
  assert.ok(err instanceof SourceError);
  assert.equal(err.split, 'x/gone.ndjson');
  assert.match(err.message, /source 'gone', split 'x\/gone\.ndjson'/);
  assert.match(err.message, new RegExp(`file '${join(dir, 'x', 'gone.ndjson').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}' does not exist`));
});

test('an unreadable file fails the source with an error naming the file', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'secret.ndjson'), ndjson(rows('s', 1)));
  await chmod(join(dir, 'secret.ndjson'), 0o000);
  if (process.getuid?.() !== 0) {
    const source = createFsSource({ name: 'perm', path: dir, format: createFormat('json'), barriers: NEVER });
    const err = await readAll(source).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof SourceError);
    assert.equal(err.split, 'secret.ndjson');
    assert.match(err.message, /source 'perm', split 'secret\.ndjson'/);
    assert.match(err.message, /secret\.ndjson' is not readable \(permission denied\)/);
    return;
  }
  // Root reads anything: run the source in a child process as an unprivileged user.
  await chmod(dir, 0o755);
  const src = (p: string) => JSON.stringify(pathToFileURL(join(process.cwd(), 'src', p)).href);
  const script = join(dir, 'child.mts');
  await writeFile(
    script,
    `import { createFsSource } from ${src('connectors/fs/createFsSource.ts')};
import { createFormat } from ${src('formats/createFormat.ts')};
import { NEVER } from ${JSON.stringify(import.meta.resolve('rxjs'))};
createFsSource({ name: 'perm', path: ${JSON.stringify(dir)}, pattern: '*.ndjson', format: createFormat('json'), barriers: NEVER }).subscribe({
  error: (e) => console.log(JSON.stringify({ name: e.name, split: e.split, message: e.message })),
  complete: () => console.log(JSON.stringify({ completed: true })),
});
`,
  );
  await chmod(script, 0o644);
  const child = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), uid: 65534, gid: 65534, encoding: 'utf8', env: { ...process.env, HOME: dir } });
  const result = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? 'null') as { name: string; split: string; message: string } | null;
  assert.ok(result !== null, `child output: ${child.stdout} ${child.stderr}`);
  assert.equal(result.name, 'SourceError');
  assert.equal(result.split, 'secret.ndjson');
  assert.match(result.message, /source 'perm', split 'secret\.ndjson'/);
  assert.match(result.message, /secret\.ndjson' is not readable \(permission denied\)/);
});

test('a reader pauses while paused$ is true and resumes when it clears', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'big.ndjson'), ndjson(rows('p', 2000)));
  const reader = new FsSplitReader({ root: dir, format: createFormat('json'), scanMode: 'bounded', readBufferBytes: 1024 });
  const paused$ = new BehaviorSubject(true);
  const chunks: Chunk<Row>[] = [];
  let complete = false;
  const sub = reader.read({ id: 'big.ndjson' }, null, { source: 'p', badRecords: new BadRecordTracker('fail'), paused$ }).subscribe({
    next: (c) => chunks.push(c),
    complete: () => (complete = true),
  });
  t.after(() => sub.unsubscribe());
  await waitFor(() => chunks.length >= 1, 'the first chunk');
  // The sentinel: an unpaused reader of the same file, started now, reading it all (many read
  // cycles) to completion. A paused reader that ran away would have had as many turns.
  let sentinelChunks = 0;
  await new Promise<void>((resolve, reject) =>
    reader.read({ id: 'big.ndjson' }, null, { source: 'p', badRecords: new BadRecordTracker('fail'), paused$: new BehaviorSubject(false) }).subscribe({
      next: () => sentinelChunks++,
      error: reject,
      complete: resolve,
    }),
  );
  assert.ok(sentinelChunks > 10);
  assert.equal(chunks.length, 1, 'one chunk, then paused');
  paused$.next(false);
  await waitFor(() => complete, 'the read to complete');
  assert.deepEqual(
    chunks.flatMap((c) => c.records),
    rows('p', 2000),
  );
  assert.ok(chunks.length > 10);
});

test('invalid options are refused up front, naming the source', () => {
  assert.throws(() => createFsSource({ name: 'x', path: '', format: createFormat('json') }), /fs source 'x': a directory path is required/);
  assert.throws(() => createFsSource({ name: 'x', path: '.', pattern: '', format: createFormat('json') }), /fs source 'x': empty glob pattern/);
  assert.throws(() => createFsSource({ name: 'x', path: '.', format: { name: 'msg-only' } }), /format 'msg-only' cannot decode files/);
  assert.throws(
    () => createFsSource({ name: 'x', path: '.', format: createFormat('json'), scanMode: 'unbounded', watch: false, pollIntervalMs: 0 }),
    /must watch or poll/,
  );
});

test('runWithCheckpoints: a failure mid-file rolls back to the last checkpoint and the file is read to the end', async (t) => {
  const dir = await tempDir(t);
  const all = rows('r', 600);
  await writeFile(join(dir, 'a.ndjson'), ndjson(all));
  const barriers = barrierTrigger();
  const source = createFsSource({ name: 'rollback', path: dir, format: createFormat('json'), store: new MemoryStore(), barriers, readBufferBytes: 300 });
  let failed = false;
  let seen = 0;
  const out: Row[] = [];
  const committedAt: number[] = [];
  let deliveredAtFailure = -1;
  await new Promise<void>((resolve, reject) =>
    runWithCheckpoints(
      source,
      (events) =>
        events.pipe(
          mapRecords((row: Row) => {
            seen++;
            if (seen === 100) barriers.next(); // a checkpoint request mid-file
            if (seen === 250 && !failed) {
              failed = true;
              deliveredAtFailure = out.length;
              throw new Error('transient failure');
            }
            return row;
          }),
        ),
      { retries: 2, backoffMs: 1 },
    ).subscribe({
      next: (e) => {
        if (e.type === 'chunk') out.push(...e.records);
        else committedAt.push(out.length);
      },
      error: reject,
      complete: resolve,
    }),
  );
  assert.ok(failed);
  // Exactly: the file up to where the failure struck (what was delivered before it), then, after
  // the rollback, the file again from the committed checkpoint to its end. Built from the file's
  // content and the two positions, never from the output's own tail.
  const checkpoint = committedAt[0] ?? 0;
  assert.ok(checkpoint > 0 && checkpoint <= deliveredAtFailure && deliveredAtFailure < 250, `a mid-file checkpoint (${checkpoint}) before the failure (${deliveredAtFailure})`);
  assert.deepEqual(out, [...all.slice(0, deliveredAtFailure), ...all.slice(checkpoint)]);
});

import assert from 'node:assert/strict';
import { appendFile, copyFile, link, mkdir, rename, symlink, truncate, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { NEVER, tap } from 'rxjs';
import { SourceError } from '../../../src/core/SourceError.js';
import type { SourceWarning } from '../../../src/core/SourceWarning.js';
import { createFsSource, type FsSourceOptions } from '../../../src/connectors/fs/createFsSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Format, Row } from '../../../src/formats/Format.js';
import { FileStore } from '../../../src/state/FileStore.js';
import { bySplit, ndjson, run, tempDir, waitFor } from './helpers.js';

const rows = (prefix: string, n: number, from = 0): Row[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${from + i}`, n: from + i }));

/**
 * One run of a bounded source over `dir` with a fresh FileStore on `stateDir`, closed afterwards:
 * what a process restart does. Returns records per split, warnings and the error (if any).
 */
async function restartRun(
  dir: string,
  stateDir: string,
  extra: Partial<FsSourceOptions> = {},
): Promise<{ bySplit: Map<string, Row[]>; records: Row[]; warnings: SourceWarning[]; error: unknown }> {
  const store = await FileStore.open(stateDir);
  try {
    const source = createFsSource({ name: 'files', path: dir, format: createFormat('json'), store, barriers: NEVER, ...extra });
    const warnings: SourceWarning[] = [];
    const w = source.warnings$?.subscribe((x) => warnings.push(x));
    const r = run(source);
    await r.done;
    w?.unsubscribe();
    return { bySplit: bySplit(r.events), records: r.records, warnings, error: r.error() };
  } finally {
    await store.close();
  }
}

async function dirs(t: TestContext): Promise<{ data: string; state: string }> {
  const base = await tempDir(t);
  const data = join(base, 'data');
  const state = join(base, 'state');
  await mkdir(data);
  return { data, state };
}

test('bounded, between runs: a finished file that grew is read on from where it stopped', async (t) => {
  const { data, state } = await dirs(t);
  await writeFile(join(data, 'a.ndjson'), ndjson(rows('a', 5)));
  await writeFile(join(data, 'b.ndjson'), ndjson(rows('b', 2)));
  const first = await restartRun(data, state);
  assert.equal(first.error, undefined);
  assert.deepEqual(first.bySplit.get('a.ndjson'), rows('a', 5));
  await appendFile(join(data, 'a.ndjson'), ndjson(rows('a', 3, 5)));
  const second = await restartRun(data, state);
  assert.equal(second.error, undefined);
  assert.deepEqual(second.records, rows('a', 3, 5), 'exactly the appended lines; b unchanged is not read again');
  // And a third run, nothing changed: nothing.
  assert.deepEqual((await restartRun(data, state)).records, []);
});

test('bounded, between runs: a last line without newline, then completed by an append, is not lost', async (t) => {
  const { data, state } = await dirs(t);
  await writeFile(join(data, 'a.ndjson'), '{"id":1}\n{"id":2}');
  assert.deepEqual((await restartRun(data, state)).records, [{ id: 1 }, { id: 2 }]);
  await appendFile(join(data, 'a.ndjson'), '\n{"id":3}\n');
  assert.deepEqual((await restartRun(data, state)).records, [{ id: 3 }]);
});

test('between runs: a file truncated below its stored offset fails, naming source, file and offset', async (t) => {
  const { data, state } = await dirs(t);
  await writeFile(join(data, 'a.ndjson'), ndjson(rows('a', 10)));
  await restartRun(data, state);
  await truncate(join(data, 'a.ndjson'), 20);
  const second = await restartRun(data, state);
  const err = second.error;
  assert.ok(err instanceof SourceError, String(err));
  assert.equal(err.split, 'a.ndjson');
  const size = Buffer.byteLength(ndjson(rows('a', 10)));
  assert.equal(err.offset, String(size));
  assert.match(err.message, new RegExp(`^source 'files', split 'a\\.ndjson', offset ${size}: file '.*a\\.ndjson' shrank to 20 bytes, below the stored position`));
  assert.match(err.message, /fs\.file\.changed/);
  assert.deepEqual(second.records, []);
});

test('between runs: a file rewritten longer with the same first 1024 bytes is caught by the bytes before the offset', async (t) => {
  const { data, state } = await dirs(t);
  // A preamble longer than the head fingerprint, identical in both versions.
  const preamble = `${JSON.stringify({ id: 'preamble', pad: 'x'.repeat(1100) })}\n`;
  await writeFile(join(data, 'a.ndjson'), preamble + ndjson(rows('old', 3)));
  await restartRun(data, state);
  await writeFile(join(data, 'a.ndjson'), preamble + ndjson(rows('new', 30)));
  const second = await restartRun(data, state);
  assert.ok(second.error instanceof SourceError, String(second.error));
  assert.match(second.error.message, /the 64 bytes before the stored position changed/);
  assert.deepEqual(second.records, [], 'no row read from a guessed position');
});

test('between runs: a rewritten file with other first bytes fails; under reread it is read again from the start, with a warning', async (t) => {
  const { data, state } = await dirs(t);
  await writeFile(join(data, 'a.ndjson'), ndjson(rows('old', 3)));
  await restartRun(data, state);
  await writeFile(join(data, 'a.ndjson'), ndjson(rows('new', 5)));
  const failed = await restartRun(data, state);
  assert.ok(failed.error instanceof SourceError);
  assert.match(failed.error.message, /first \d+ bytes changed \(fingerprint mismatch/);
  const reread = await restartRun(data, state, { onFileChanged: 'reread' });
  assert.equal(reread.error, undefined);
  assert.deepEqual(reread.records, rows('new', 5));
  assert.equal(reread.warnings.length, 1);
  assert.match(reread.warnings[0]!.message, /split 'a\.ndjson'.*first \d+ bytes changed.*reading it again from the start/);
  // The re-read position was stored: a later append resumes after it.
  await appendFile(join(data, 'a.ndjson'), ndjson(rows('new', 1, 5)));
  assert.deepEqual((await restartRun(data, state)).records, rows('new', 1, 5));
});

test('between runs: a truncated and rewritten file under reread is read from byte 0 even when shorter and empty', async (t) => {
  const { data, state } = await dirs(t);
  await writeFile(join(data, 'a.ndjson'), ndjson(rows('a', 10)));
  await restartRun(data, state, { onFileChanged: 'reread' });
  await truncate(join(data, 'a.ndjson'), 0);
  const second = await restartRun(data, state, { onFileChanged: 'reread' });
  assert.equal(second.error, undefined);
  assert.deepEqual(second.records, []);
  assert.equal(second.warnings.length, 1);
  // Its position is now the empty file's start: new lines are read, nothing is skipped.
  await writeFile(join(data, 'a.ndjson'), ndjson(rows('b', 2)));
  const third = await restartRun(data, state);
  assert.equal(third.error, undefined);
  assert.deepEqual(third.records, rows('b', 2));
});

test('rotation while the job is down: the renamed file keeps its position, the new file under the old name starts at 0', async (t) => {
  const { data, state } = await dirs(t);
  const log = join(data, 'app.log');
  await writeFile(log, ndjson(rows('old', 4)));
  assert.deepEqual((await restartRun(data, state, { pattern: 'app.log*' })).records, rows('old', 4));
  // The writer appends two more lines, then logrotate renames and a new file starts.
  await appendFile(log, ndjson(rows('old', 2, 4)));
  await rename(log, `${log}.1`);
  await writeFile(log, ndjson(rows('new', 3)));
  const second = await restartRun(data, state, { pattern: 'app.log*' });
  assert.equal(second.error, undefined);
  assert.deepEqual(second.bySplit.get('app.log.1'), rows('old', 2, 4), 'only the lines written after the last run');
  assert.deepEqual(second.bySplit.get('app.log'), rows('new', 3), 'the new file from its first line');
  // A second rotation: app.log.1 -> app.log.2, app.log -> app.log.1, a new app.log.
  await appendFile(log, ndjson(rows('new', 1, 3)));
  await rename(`${log}.1`, `${log}.2`);
  await rename(log, `${log}.1`);
  await writeFile(log, ndjson(rows('newer', 1)));
  const third = await restartRun(data, state, { pattern: 'app.log*' });
  assert.equal(third.error, undefined);
  assert.deepEqual(third.bySplit.get('app.log.2') ?? [], []);
  assert.deepEqual(third.bySplit.get('app.log.1'), rows('new', 1, 3));
  assert.deepEqual(third.bySplit.get('app.log'), rows('newer', 1));
});

test('state restored onto another machine (other inodes): the same bytes resume by fingerprint, other bytes fail', async (t) => {
  const { data, state } = await dirs(t);
  const a = join(data, 'a.ndjson');
  await writeFile(a, ndjson(rows('a', 4)));
  await writeFile(join(data, 'b.ndjson'), ndjson(rows('b', 4)));
  await restartRun(data, state);
  // A copy is a new inode, as on another machine; then the copy grows.
  await copyFile(a, `${a}.copy`);
  await rename(`${a}.copy`, a);
  await appendFile(a, ndjson(rows('a', 2, 4)));
  const b = join(data, 'b.ndjson');
  await writeFile(`${b}.copy`, ndjson(rows('c', 6)));
  await rename(`${b}.copy`, b);
  const second = await restartRun(data, state);
  assert.ok(second.error instanceof SourceError, String(second.error));
  assert.equal(second.error.split, 'b.ndjson');
  // b failed the run; a's copy, alone, resumes after its first 4 lines.
  await writeFile(b, ndjson(rows('b', 4)));
  const third = await restartRun(data, state, { pattern: 'a.ndjson' });
  assert.equal(third.error, undefined);
  assert.deepEqual(third.records, rows('a', 2, 4));
});

test('bounded: a file truncated while it is read fails the scan instead of splicing old and new bytes', async (t) => {
  const { data, state } = await dirs(t);
  const path = join(data, 'a.ndjson');
  const all = rows('a', 2000);
  await writeFile(path, ndjson(all));
  const store = await FileStore.open(state);
  t.after(() => store.close());
  const source = createFsSource({ name: 'files', path: data, format: createFormat('json'), store, barriers: NEVER, readBufferBytes: 1024 });
  let rewritten = false;
  // On the first chunk, synchronously (before the reader's next read): truncate and write other,
  // longer data in place, as `>` in a shell does.
  const r = run(source, (events) =>
    events.pipe(
      tap((e) => {
        if (e.type === 'chunk' && e.records.length > 0 && !rewritten) {
          rewritten = true;
          writeFileSync(path, ndjson(rows('z', 5000)));
        }
      }),
    ),
  );
  await r.done;
  assert.ok(r.error() instanceof SourceError, `an error, not ${r.completed() ? 'completion' : String(r.error())}`);
  assert.match(String((r.error() as Error).message), /file '.*a\.ndjson' (its first \d+ bytes changed while being read|shrank to)/);
  // Every row delivered is a row of the original file, in order: nothing spliced.
  assert.deepEqual(r.records, all.slice(0, r.records.length));
});

test('bounded: bytes rewritten into bad records while read: the change is the error, not the bad records', async (t) => {
  const { data, state } = await dirs(t);
  const path = join(data, 'a.ndjson');
  const all = rows('a', 2000);
  await writeFile(path, ndjson(all));
  const store = await FileStore.open(state);
  t.after(() => store.close());
  const source = createFsSource({ name: 'files', path: data, format: createFormat('json'), store, barriers: NEVER, readBufferBytes: 1024, badRecords: 'fail' });
  let rewritten = false;
  const r = run(source, (events) =>
    events.pipe(
      tap((e) => {
        if (e.type === 'chunk' && e.records.length > 0 && !rewritten) {
          rewritten = true;
          // Longer than before, so only the head tells: every line is a bad record under `fail`.
          // Whether the read that sees the change is the one holding new lines depends on the
          // stream's read-ahead; either way the error must be the change.
          writeFileSync(path, 'not json at all\n'.repeat(20_000));
        }
      }),
    ),
  );
  await r.done;
  assert.ok(r.error() instanceof SourceError, `an error, not ${r.completed() ? 'completion' : String(r.error())}`);
  assert.match(String((r.error() as Error).message), /file '.*a\.ndjson' its first \d+ bytes changed while being read/);
  assert.deepEqual(r.records, all.slice(0, r.records.length));
});

test('bounded, dead-letter: bytes rewritten into bad records before they are read are not dead-lettered: the change is the error', async (t) => {
  const { data, state } = await dirs(t);
  const path = join(data, 'a.ndjson');
  await writeFile(path, ndjson(rows('a', 2000)));
  const store = await FileStore.open(state);
  t.after(() => store.close());
  const json = createFormat('json');
  // Rewritten after the reader fingerprinted the file and before it reads it: every line it
  // reads is a bad record, and the check that runs while they are decoded sees the new head.
  const rewriting: Format = {
    ...json,
    openStream: (input, at, context) => {
      writeFileSync(path, 'not json at all\n'.repeat(20_000));
      return json.openStream!(input, at, context);
    },
  };
  const source = createFsSource({ name: 'files', path: data, format: rewriting, store, barriers: NEVER, readBufferBytes: 1024, badRecords: 'dead-letter' });
  const letters: unknown[] = [];
  const sub = source.deadLetters$.subscribe((l) => letters.push(l));
  t.after(() => sub.unsubscribe());
  const r = run(source);
  await r.done;
  assert.ok(r.error() instanceof SourceError, `an error, not ${r.completed() ? 'completion' : String(r.error())}`);
  assert.match(String((r.error() as Error).message), /file '.*a\.ndjson' its first \d+ bytes changed while being read/);
  assert.equal(r.records.length, 0);
  // The bad records of those bytes were held while the check ran, and dropped when it failed.
  assert.equal(letters.length, 0, 'no line of the rewritten file is dead-lettered');
  assert.equal(source.badRecordStats.deadLettered, 0);
});

test('warnings: a pattern matching nothing, dangling links, link loops and directories named like files are reported', async (t) => {
  const { data, state } = await dirs(t);
  await mkdir(join(data, 'dir.ndjson'));
  await writeFile(join(data, 'dir.ndjson', 'inner.txt'), 'x');
  await symlink(join(data, 'missing.ndjson'), join(data, 'dangling.ndjson'));
  await symlink(join(data, 'loop.ndjson'), join(data, 'loop.ndjson'));
  await writeFile(join(data, 'ok.ndjson'), ndjson(rows('ok', 1)));
  const first = await restartRun(data, state, { pattern: '*.ndjson' });
  assert.equal(first.error, undefined);
  assert.deepEqual(first.records, rows('ok', 1));
  assert.deepEqual(first.warnings.map((w) => [w.source, w.message]).sort(), [
    ['files', "'dangling.ndjson' is a dangling symbolic link (its target does not exist): skipped"],
    ['files', "'dir.ndjson' matches the pattern but is a directory: not read as a file"],
    ['files', "'loop.ndjson' is a symbolic link loop: skipped"],
  ]);
  const none = await restartRun(data, join(state, 'other'), { pattern: '*.csv' });
  assert.equal(none.error, undefined);
  assert.deepEqual(
    none.warnings.map((w) => w.message),
    [`pattern '*.csv' matches no file in '${data}'`],
  );
});

test('unbounded, reread: a tailed file truncated and rewritten (copytruncate) is read again from its start, with a warning', async (t) => {
  const { data } = await dirs(t);
  const path = join(data, 'app.log');
  await writeFile(path, ndjson(rows('old', 10)));
  const source = createFsSource({ name: 'tail', path: data, scanMode: 'unbounded', format: createFormat('json'), barriers: NEVER, pollIntervalMs: 20, onFileChanged: 'reread' });
  const warnings: SourceWarning[] = [];
  const w = source.warnings$?.subscribe((x) => warnings.push(x));
  t.after(() => w?.unsubscribe());
  const r = run(source);
  t.after(() => r.subscription.unsubscribe());
  await waitFor(() => r.records.length === 10, 'the file');
  // copytruncate: the content was copied away, the file truncated, and the writer goes on.
  await truncate(path, 0);
  await appendFile(path, ndjson(rows('new', 3)));
  await waitFor(() => r.records.length === 13 || r.error() !== undefined, 'the new lines');
  assert.equal(r.error(), undefined);
  assert.deepEqual(r.records, [...rows('old', 10), ...rows('new', 3)]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!.message, /app\.log.*(shrank|first \d+ bytes changed).*reading it again from the start/);
});

test('unbounded, fail: a tailed file replaced by another (rotation while running) fails the source, naming file and offset', async (t) => {
  const { data } = await dirs(t);
  const path = join(data, 'app.log');
  await writeFile(path, ndjson(rows('old', 10)));
  const r = run(createFsSource({ name: 'tail', path: data, pattern: 'app.log', scanMode: 'unbounded', format: createFormat('json'), barriers: NEVER, pollIntervalMs: 20 }));
  t.after(() => r.subscription.unsubscribe());
  await waitFor(() => r.records.length === 10, 'the file');
  // Rotated with no moment where app.log is absent (hard link, then rename over it): the listing
  // always sees the split, so only the reader's identity check can notice the new inode. (A
  // rotation with a gap makes the split leave the set and come back as a new file, read from its
  // start: see the README.)
  await writeFile(join(data, '.app.log.tmp'), ndjson(rows('new', 30)));
  await link(path, `${path}.1`);
  await rename(join(data, '.app.log.tmp'), path);
  await r.done;
  const err = r.error();
  assert.ok(err instanceof SourceError, String(err));
  assert.equal(err.split, 'app.log');
  assert.equal(err.offset, String(Buffer.byteLength(ndjson(rows('old', 10)))));
  assert.match(err.message, /app\.log' was replaced by another file \(inode \d+ became \d+\) while being read/);
  assert.deepEqual(r.records, rows('old', 10), 'nothing read from the new file at the old offset');
});

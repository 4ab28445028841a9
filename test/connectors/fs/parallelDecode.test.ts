// Decoding on worker threads (fs.decode.threads >= 2): the rows, their order, bad records and
// every stored offset must be exactly those of a one-thread read, whatever falls on a range
// boundary; a crashed or throwing worker, or a file changed under the scan, fails the source
// naming source, split and position. Ranges and read buffers are made tiny so that a small file
// crosses many boundaries.
import assert from 'node:assert/strict';
import { truncateSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { NEVER, tap } from 'rxjs';
import type { DeadLetter } from '../../../src/core/BadRecordHandler.js';
import { SourceError } from '../../../src/core/SourceError.js';
import type { SourceEvent } from '../../../src/core/SourceEvent.js';
import { createFsSource, type FsSourceOptions } from '../../../src/connectors/fs/createFsSource.js';
import { decodePosition } from '../../../src/connectors/fs/FilePosition.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Row, RowConverter } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { packRows, unpackRows } from '../../../src/parallel/packedRows.js';
import type { FormatSpec } from '../../../src/parallel/FormatSpec.js';
import { barrierTrigger, bySplit, crashAfterCheckpoint, run, tempDir } from './helpers.js';

interface Outcome {
  readonly records: Row[];
  readonly letters: { offset: string | undefined; message: string; raw: string | null }[];
  readonly events: SourceEvent<Row>[];
  readonly error: unknown;
}

async function scan(dir: string, spec: FormatSpec, threads: number, extra: Partial<FsSourceOptions> = {}): Promise<Outcome> {
  const source = createFsSource({
    name: 'par',
    path: dir,
    format: createFormat(spec.name, spec.options, spec.columns),
    formatSpec: spec,
    decodeThreads: threads,
    decodeRangeBytes: 301,
    readBufferBytes: 97,
    barriers: NEVER,
    badRecords: 'dead-letter',
    ...extra,
  });
  const letters: DeadLetter[] = [];
  const sub = source.deadLetters$.subscribe((l) => letters.push(l));
  const r = run(source);
  await r.done;
  sub.unsubscribe();
  return {
    records: r.records,
    letters: letters.map((l) => ({ offset: l.error.offset, message: l.error.message, raw: l.raw === null ? null : Buffer.from(l.raw).toString('utf8') })),
    events: r.events,
    error: r.error(),
  };
}

/** Byte positions where each line of `text` starts. */
function lineStarts(text: string): number[] {
  const bytes = Buffer.from(text);
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10 && i + 1 < bytes.length) starts.push(i + 1);
  return starts;
}

/** The stored byte position of every chunk's next offset. */
function positions(events: readonly SourceEvent<Row>[]): number[] {
  return events.flatMap((e) => (e.type === 'chunk' ? [Number(decodePosition(e.nextOffset).at ?? 0)] : []));
}

test('NDJSON on 2 worker threads: the same rows in the same order, the same bad records, every stored offset a line start', async (t) => {
  const dir = await tempDir(t);
  const lines: string[] = [];
  for (let i = 0; i < 1500; i++) {
    if (i % 97 === 5) lines.push('{broken');
    else if (i % 89 === 3) lines.push('');
    else lines.push(JSON.stringify({ id: i, text: 'é€'.repeat(i % 13), nested: { n: i % 5 } }) + (i % 7 === 0 ? '\r' : ''));
  }
  const text = lines.map((l) => `${l}\n`).join('');
  await writeFile(join(dir, 'events.ndjson'), text);
  const spec = { name: 'json', options: {} };
  const one = await scan(dir, spec, 1);
  const two = await scan(dir, spec, 2);
  assert.equal(one.error, undefined);
  assert.equal(two.error, undefined, String(two.error));
  assert.ok(one.records.length > 1400);
  assert.deepEqual(two.records, one.records);
  assert.deepEqual(two.letters, one.letters);
  assert.ok(two.letters.length >= 10);
  const starts = new Set([...lineStarts(text), Buffer.byteLength(text)]);
  for (const at of positions(two.events)) assert.ok(starts.has(at), `stored offset ${at} is not a line start`);
  // Many more chunks than one range: the file really was cut.
  assert.ok(positions(two.events).length > Buffer.byteLength(text) / 301);
});

/** A CSV file whose quoted fields hold line breaks, so that many range boundaries fall inside one. */
function quotedCsv(records: number): { text: string; starts: number[] } {
  let text = 'id,note,n\n';
  const starts: number[] = [];
  for (let i = 0; i < records; i++) {
    starts.push(Buffer.byteLength(text));
    const note = i % 3 === 0 ? `"first line ${i}\nsecond, with ""quotes""\n\nfourth ü"` : i % 3 === 1 ? `plain ${i}` : `"one line, quoted"`;
    text += `${i},${note},${i % 11}${i % 5 === 0 ? '\r\n' : '\n'}`;
  }
  return { text, starts };
}

test('CSV with quoted line breaks across range boundaries: a wrong guess is decoded again from the true record end; rows identical to one thread', async (t) => {
  const dir = await tempDir(t);
  const { text, starts } = quotedCsv(900);
  await writeFile(join(dir, 'notes.csv'), text);
  // The test is only worth something if some boundaries do fall inside a quoted field: the
  // first line start at or after such a nominal boundary is not a record start.
  const bytes = Buffer.from(text);
  const recordStarts = new Set(starts);
  let wrongGuesses = 0;
  for (let b = 301; b < bytes.length; b += 301) {
    const nl = bytes.indexOf(10, b - 1);
    if (nl !== -1 && nl + 1 < bytes.length && !recordStarts.has(nl + 1)) wrongGuesses++;
  }
  assert.ok(wrongGuesses >= 20, `only ${wrongGuesses} boundaries fall inside quoted fields`);
  const spec = { name: 'csv', options: {} };
  const one = await scan(dir, spec, 1);
  const two = await scan(dir, spec, 2);
  assert.equal(two.error, undefined, String(two.error));
  assert.equal(one.records.length, 900);
  assert.deepEqual(two.records, one.records);
  assert.deepEqual(two.letters, []);
  const allowed = new Set([...starts, bytes.length]);
  for (const at of positions(two.events)) assert.ok(allowed.has(at), `stored offset ${at} is not a record start`);
});

test('CSV with stray quotes and wrong field counts (skip-to-next-line resynchronisation): the same rows and bad records as one thread', async (t) => {
  const dir = await tempDir(t);
  let text = 'a,b,c\n';
  for (let i = 0; i < 700; i++) {
    if (i % 50 === 7) text += `${i},"stray quote never closed,x\n`;
    else if (i % 50 === 20) text += `${i},"quoted\nacross",x,too,many\n`;
    else if (i % 50 === 33) text += `${i},only two\n`;
    else text += `${i},"v ${i}\n${i}",${i % 4 === 0 ? '' : 'z'}\n`;
  }
  await writeFile(join(dir, 'messy.csv'), text);
  const spec = { name: 'csv', options: {} };
  const one = await scan(dir, spec, 1, { badRecords: 'dead-letter' });
  const two = await scan(dir, spec, 2, { badRecords: 'dead-letter' });
  assert.equal(one.error, undefined, String(one.error));
  assert.equal(two.error, undefined, String(two.error));
  assert.ok(one.letters.length >= 28, `${one.letters.length} bad records`);
  assert.deepEqual(two.records, one.records);
  assert.deepEqual(two.letters, one.letters);
});

test('rows the schema rejects (convert runs on the main thread): the same bad records, in the same order, at the same offsets', async (t) => {
  const dir = await tempDir(t);
  let text = 'id,v\n';
  for (let i = 0; i < 800; i++) text += i % 9 === 4 ? `${i},"bad\n${i}"\n` : i % 31 === 0 ? `${i},"x""\n` : `${i},${i * 2}\n`;
  await writeFile(join(dir, 'typed.csv'), text);
  const convert: RowConverter = (row) => {
    if (typeof row['v'] !== 'string' || !/^[0-9]+$/.test(row['v'])) throw new Error(`column v: not a number: ${JSON.stringify(row['v'])}`);
    return { id: Number(row['id']), v: Number(row['v']) };
  };
  const spec = { name: 'csv', options: {} };
  const one = await scan(dir, spec, 1, { convert });
  const two = await scan(dir, spec, 2, { convert });
  assert.equal(two.error, undefined, String(two.error));
  assert.ok(one.letters.some((l) => /not a number/.test(l.message)));
  assert.ok(one.letters.some((l) => /malformed CSV/.test(l.message)));
  assert.deepEqual(two.records, one.records);
  assert.deepEqual(two.letters, one.letters);
  assert.equal(typeof two.records[0]?.['v'], 'number');
});

test('bad-record policy fail on worker threads: the source fails at the first bad record, naming source, split and offset', async (t) => {
  const dir = await tempDir(t);
  const lines = Array.from({ length: 400 }, (_, i) => (i === 333 ? '{nope' : JSON.stringify({ i })));
  await writeFile(join(dir, 'a.ndjson'), lines.map((l) => `${l}\n`).join(''));
  const one = await scan(dir, { name: 'json', options: {} }, 1, { badRecords: 'fail' });
  const two = await scan(dir, { name: 'json', options: {} }, 2, { badRecords: 'fail' });
  assert.ok(two.error instanceof SourceError, String(two.error));
  assert.equal(two.error.split, 'a.ndjson');
  assert.equal(two.error.offset, String(lines.slice(0, 333).reduce((n, l) => n + l.length + 1, 0)));
  assert.equal(two.error.message, (one.error as Error).message);
  // The rows of the failing batch before the bad record are not delivered (as on one thread): a prefix.
  assert.ok(two.records.length <= 333 && two.records.length > 300, `${two.records.length} rows`);
  assert.deepEqual(two.records, lines.slice(0, two.records.length).map((l) => JSON.parse(l)));
});

for (const kind of ['throw', 'exit'] as const) {
  test(`a worker that ${kind === 'throw' ? 'throws' : 'dies (process.exit in the thread)'} mid-file fails the source naming source, split and position; rows before it are intact`, async (t) => {
    const dir = await tempDir(t);
    const rows = Array.from({ length: 2000 }, (_, i) => ({ i }));
    await writeFile(join(dir, 'big.ndjson'), rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const out = await scan(dir, { name: 'json', options: {} }, 2, { decodeFault: { kind, afterBatches: 4 } });
    assert.ok(out.error instanceof SourceError, String(out.error));
    assert.equal(out.error.source, 'par');
    assert.equal(out.error.split, 'big.ndjson');
    assert.match(out.error.message, kind === 'throw' ? /injected fault after 4 batches/ : /decode worker thread died \(exit code 70\)/);
    assert.match(out.error.message, /decoding on a worker thread failed at byte [0-9]+/);
    assert.ok(out.records.length > 0);
    assert.deepEqual(out.records, rows.slice(0, out.records.length));
    // The position named is where delivered rows end.
    const delivered = positions(out.events).at(-1) ?? 0;
    assert.equal(out.error.offset, String(delivered));
  });
}

test('a file rewritten during a worker-thread scan fails the source naming the file, and no row of the new content is delivered', async (t) => {
  const dir = await tempDir(t);
  const rows = Array.from({ length: 3000 }, (_, i) => ({ i, pad: 'x'.repeat(i % 17) }));
  const path = join(dir, 'moving.ndjson');
  writeFileSync(path, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  const source = createFsSource({
    name: 'par',
    path: dir,
    format: createFormat('json'),
    formatSpec: { name: 'json', options: {} },
    decodeThreads: 2,
    decodeRangeBytes: 4096,
    readBufferBytes: 512,
    barriers: NEVER,
  });
  let rewritten = false;
  // Rewritten synchronously as the first rows arrive: other content, shorter than what the
  // workers have already read ahead.
  const r = run(source, (events) =>
    events.pipe(
      tap((event) => {
        if (rewritten || event.type !== 'chunk' || event.records.length === 0) return;
        rewritten = true;
        truncateSync(path, 0);
        writeFileSync(path, Array.from({ length: 50 }, (_, i) => `${JSON.stringify({ other: i })}\n`).join(''));
      }),
    ),
  );
  await r.done;
  assert.ok(rewritten);
  const err = r.error();
  assert.ok(err instanceof SourceError, `expected a failure, got ${String(err)} after ${r.records.length} rows`);
  assert.equal(err.split, 'moving.ndjson');
  assert.match(err.message, /moving\.ndjson' (shrank|was replaced|its first)/);
  assert.ok(r.records.length < rows.length);
  assert.deepEqual(r.records, rows.slice(0, r.records.length));
});

test('a checkpoint mid-file on worker threads resumes exactly: committed rows are not read again and none is lost', async (t) => {
  const dir = await tempDir(t);
  const { text } = quotedCsv(1200);
  await writeFile(join(dir, 'notes.csv'), text);
  const store = new MemoryStore();
  const make = (barriers = barrierTrigger()) =>
    createFsSource({ name: 'par', path: dir, format: createFormat('csv'), formatSpec: { name: 'csv', options: {} }, decodeThreads: 2, decodeRangeBytes: 1000, readBufferBytes: 200, barriers, store });
  const all = (await scan(dir, { name: 'csv', options: {} }, 1)).records;
  const barriers = barrierTrigger();
  const committed = (await crashAfterCheckpoint(make(barriers), barriers, 25)).get('notes.csv') ?? [];
  assert.ok(committed.length > 0 && committed.length < all.length, `${committed.length} of ${all.length} committed`);
  const rest = run(make());
  await rest.done;
  assert.equal(rest.error(), undefined, String(rest.error()));
  assert.deepEqual([...committed, ...rest.records], all);
});

test('packRows/unpackRows: strings, empty strings, nulls and non-ASCII text survive; other values are not packed', () => {
  const rows = [
    { a: 'x', b: null, c: '' },
    { a: 'ü€😀', b: 'y', c: null },
  ];
  const packed = packRows(rows, ['a', 'b', 'c']);
  assert.ok(packed !== undefined);
  assert.deepEqual(unpackRows(packed), rows);
  assert.equal(packRows([{ a: 1 }], ['a']), undefined);
  assert.equal(packRows([{ a: 'x', b: 'y' }], ['a']), undefined);
  assert.equal(packRows([], ['a']), undefined);
});

test('many files on worker threads: each file keeps its own order, every file complete, the same rows per file as one thread', async (t) => {
  const dir = await tempDir(t);
  for (let f = 0; f < 24; f++) await writeFile(join(dir, `part-${String(f).padStart(2, '0')}.csv`), quotedCsv(40 + f * 7).text);
  const spec = { name: 'csv', options: {} };
  const one = await scan(dir, spec, 1);
  const two = await scan(dir, spec, 2, { maxOpenFiles: 3 });
  assert.equal(two.error, undefined, String(two.error));
  assert.deepEqual(bySplit(two.events), bySplit(one.events));
  assert.equal(bySplit(two.events).size, 24);
});

test('JSON files that cannot be cut (an array, pretty-printed objects) are decoded whole on a worker, with the same rows as one thread', async (t) => {
  const dir = await tempDir(t);
  const rows = Array.from({ length: 300 }, (_, i) => ({ i, s: 'ü'.repeat(i % 5) }));
  await writeFile(join(dir, 'a-array.json'), JSON.stringify(rows, null, 1));
  await writeFile(join(dir, 'b-pretty.json'), rows.map((r) => JSON.stringify(r, null, 2)).join('\n'));
  const spec = { name: 'json', options: {} };
  const one = await scan(dir, spec, 1);
  const two = await scan(dir, spec, 2);
  assert.equal(two.error, undefined, String(two.error));
  assert.equal(one.records.length, 600);
  assert.deepEqual(bySplit(two.events), bySplit(one.events));
});

test("a file rewritten during a worker-thread scan under fs.file.changed = 'reread' is read again from its start: every row of the new content, after a warning", async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'moving.ndjson');
  writeFileSync(path, Array.from({ length: 3000 }, (_, i) => `${JSON.stringify({ old: i })}\n`).join(''));
  const fresh = Array.from({ length: 40 }, (_, i) => ({ fresh: i }));
  const source = createFsSource({
    name: 'par',
    path: dir,
    format: createFormat('json'),
    formatSpec: { name: 'json', options: {} },
    decodeThreads: 2,
    decodeRangeBytes: 4096,
    readBufferBytes: 512,
    barriers: NEVER,
    onFileChanged: 'reread',
  });
  const warnings: string[] = [];
  const sub = source.warnings$?.subscribe((w) => warnings.push(w.message));
  t.after(() => sub?.unsubscribe());
  let rewritten = false;
  const r = run(source, (events) =>
    events.pipe(
      tap((event) => {
        if (rewritten || event.type !== 'chunk' || event.records.length === 0) return;
        rewritten = true;
        truncateSync(path, 0);
        writeFileSync(path, fresh.map((row) => `${JSON.stringify(row)}\n`).join(''));
      }),
    ),
  );
  await r.done;
  assert.equal(r.error(), undefined, String(r.error()));
  const old = r.records.filter((row) => 'old' in row);
  assert.deepEqual(old, old.map((_, i) => ({ old: i })));
  assert.deepEqual(r.records.slice(old.length), fresh);
  assert.ok(warnings.some((w) => /reading it again from the start/.test(w)), warnings.join('\n'));
});

test('a JSON array with trailing text (its decoder reads the bad-record policy, which the worker is given): same outcome as one thread under fail and dead-letter', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'a.json'), `${JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ i })))} trailing junk\n`);
  const spec = { name: 'json', options: {} };
  for (const badRecords of ['fail', 'dead-letter'] as const) {
    const one = await scan(dir, spec, 1, { badRecords });
    const two = await scan(dir, spec, 2, { badRecords });
    if (badRecords === 'fail') assert.ok(one.error instanceof SourceError && /after the end of the JSON array/.test(one.error.message), String(one.error));
    else assert.equal(one.error, undefined);
    assert.equal(String(two.error), String(one.error), badRecords);
    assert.deepEqual(two.letters, one.letters, badRecords);
    assert.deepEqual(two.records, one.records, badRecords);
  }
});

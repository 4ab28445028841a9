import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { NEVER } from 'rxjs';
import { createFsSource } from '../../../src/connectors/fs/createFsSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Row } from '../../../src/formats/Format.js';
import { MemoryStore } from '../../../src/state/MemoryStore.js';
import { fixture } from '../../support/fixtures.js';
import { barrierTrigger, crashAfterCheckpoint, ndjson, readAll, run, tempDir, waitFor } from './helpers.js';

// Every csv-spectrum file, read through the connector from the (read-only) fixture directory. The
// list is written out, not read from the directory: with the fixtures absent, each test skips (or
// fails under TRIBUTARY_REQUIRE_PEERS=1) visibly instead of vanishing; a file added upstream fails
// the completeness test below until it is listed.
const spectrum = [
  'comma_in_quotes.csv',
  'empty.csv',
  'empty_crlf.csv',
  'escaped_quotes.csv',
  'json.csv',
  'location_coordinates.csv',
  'newlines.csv',
  'newlines_crlf.csv',
  'quotes_and_newlines.csv',
  'simple.csv',
  'simple_crlf.csv',
  'utf8.csv',
];
test('csv-spectrum: every file of the fixture is in the list above', (t) => {
  const dir = fixture(t, 'csv-spectrum', 'csvs');
  if (dir === undefined) return;
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.csv')).sort(), spectrum);
});
for (const file of spectrum) {
  test(`csv-spectrum ${file} through the fs connector`, async (t) => {
    const dir = fixture(t, 'csv-spectrum', 'csvs');
    const expectedPath = fixture(t, 'csv-spectrum', 'json', file.replace(/\.csv$/, '.json'));
    if (dir === undefined || expectedPath === undefined) return;
    const parsed = JSON.parse(readFileSync(expectedPath, 'utf8')) as Row[] | Row;
    let expected = Array.isArray(parsed) ? parsed : [parsed];
    if (file === 'location_coordinates.csv') {
      // Known upstream error (csv-spectrum issue 20, noted in SOURCES.md): the JSON rendering is a
      // single object with a different phone number than the CSV holds. The CSV is the truth.
      expected = expected.map((row) => ({ ...row, 'Contact Phone Number': '2095257564' }));
    }
    // csv-spectrum renders every empty field as "", so read them as empty strings.
    const source = createFsSource({ name: 'spectrum', path: dir, pattern: file, format: createFormat('csv', { empty: 'empty' }), barriers: NEVER });
    assert.deepEqual(await readAll(source), expected);
  });
}

const weather = (t: Parameters<typeof fixture>[0]): Row[] | undefined => {
  const path = fixture(t, 'avro', 'weather.json');
  if (path === undefined) return undefined;
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row);
};

for (const file of ['weather.avro', 'weather-deflate.avro', 'weather-snappy.avro', 'weather-zstd.avro']) {
  test(`avro ${file} through the fs connector, bounded and unbounded`, async (t) => {
    const dir = fixture(t, 'avro');
    const expected = weather(t);
    if (dir === undefined || expected === undefined) return;
    const bounded = await readAll(createFsSource({ name: 'weather', path: dir, pattern: file, format: createFormat('avro'), barriers: NEVER }));
    assert.deepEqual(bounded.map(plain), expected);
    // Unbounded: an Avro file is read once it is stable (these are old files: at once), and the split finishes.
    const r = run(createFsSource({ name: 'weather-live', path: dir, pattern: file, scanMode: 'unbounded', format: createFormat('avro'), barriers: NEVER, stableMs: 50 }));
    t.after(() => r.subscription.unsubscribe());
    await waitFor(() => r.records.length >= expected.length, 'the avro records');
    assert.deepEqual(r.records.map(plain), expected);
  });
}

/** Avro longs may decode as bigint; the JSON rendering has numbers. */
function plain(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
}

test('NDJSON (the json format) restarts mid-file without loss or duplicates', async (t) => {
  const dir = await tempDir(t);
  const all: Row[] = Array.from({ length: 500 }, (_, i) => ({ id: i, text: `line ${i} ${'x'.repeat(i % 17)}`, nested: { ok: i % 2 === 0 } }));
  await writeFile(join(dir, 'a.ndjson'), ndjson(all));
  await restartCheck(dir, 'json', {}, all);
});

test('CSV with quoted newlines, quotes and delimiters restarts mid-file without loss or duplicates', async (t) => {
  const dir = await tempDir(t);
  const all: Row[] = Array.from({ length: 400 }, (_, i) => ({
    id: String(i),
    text: i % 3 === 0 ? `multi\nline "${i}"\r\nend` : i % 3 === 1 ? `comma, ${i}` : `plain ${i}`,
  }));
  const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const text = `id,text\r\n${all.map((r) => `${quote(r.id as string)},${quote(r.text as string)}\r\n`).join('')}`;
  await writeFile(join(dir, 'a.csv'), text);
  await restartCheck(dir, 'csv', {}, all);
});

test('Avro with many blocks restarts mid-file without loss or duplicates', async (t) => {
  const dir = await tempDir(t);
  const avsc = await import('avsc');
  const schema: import('avsc').Schema = { type: 'record', name: 'Reading', fields: [{ name: 'id', type: 'int' }, { name: 'label', type: 'string' }] };
  const all: Row[] = Array.from({ length: 600 }, (_, i) => ({ id: i, label: `reading ${i}` }));
  await new Promise<void>((resolve, reject) => {
    // Small blocks: many per file, so the checkpoint falls between blocks.
    const encoder = new avsc.default.streams.BlockEncoder(avsc.default.Type.forSchema(schema), { blockSize: 256, codec: 'null' });
    const chunks: Buffer[] = [];
    encoder.on('data', (b: Buffer) => chunks.push(b));
    encoder.on('end', () => writeFile(join(dir, 'a.avro'), Buffer.concat(chunks)).then(resolve, reject));
    encoder.on('error', reject);
    for (const row of all) encoder.write(row);
    encoder.end();
  });
  await restartCheck(dir, 'avro', {}, all);
});

/** Reads `dir` until a checkpoint mid-file, crashes, resumes, and checks the union is the file exactly. */
async function restartCheck(dir: string, format: string, options: Record<string, string>, all: readonly Row[]): Promise<void> {
  const store = new MemoryStore();
  const barriers = barrierTrigger();
  const make = () => createFsSource({ name: `restart-${format}`, path: dir, format: createFormat(format, options), store, barriers, readBufferBytes: 512 });
  const split = readdirSync(dir)[0] as string;
  const committed = (await crashAfterCheckpoint(make(), barriers, 3)).get(basename(split)) ?? [];
  assert.ok(committed.length > 0 && committed.length < all.length, `the checkpoint lies inside the file (${committed.length} of ${all.length})`);
  const rest = await readAll(make());
  assert.deepEqual([...committed, ...rest].map(plain), all);
}

test('unbounded Avro: a file still changing is not read until it has been stable for fs.stable.ms', async (t) => {
  const source = fixture(t, 'avro', 'weather.avro');
  const expected = weather(t);
  if (source === undefined || expected === undefined) return;
  const dir = await tempDir(t);
  const path = join(dir, 'w.avro');
  await writeFile(path, readFileSync(source));
  // Modified "in the future": as far as the reader can tell, still being written.
  const future = new Date(Date.now() + 3_600_000);
  await utimes(path, future, future);
  // The sentinel: the same data, written now. Read once it has been stable for fs.stable.ms, it
  // proves the readers have been checking for at least that long (a positive event, not a wait).
  await writeFile(join(dir, 'sentinel.avro'), readFileSync(source));
  const r = run(createFsSource({ name: 'stable', path: dir, scanMode: 'unbounded', format: createFormat('avro'), barriers: NEVER, stableMs: 50, pollIntervalMs: 20 }));
  t.after(() => r.subscription.unsubscribe());
  const recordsOf = (id: string): number => r.events.reduce((n, e) => n + (e.type === 'chunk' && e.splitId === id ? e.records.length : 0), 0);
  await waitFor(() => recordsOf('sentinel.avro') === expected.length, 'the sentinel file');
  assert.equal(recordsOf('w.avro'), 0, 'the file still changing was not read');
  const past = new Date(Date.now() - 60_000);
  await utimes(path, past, past);
  await waitFor(() => recordsOf('w.avro') === expected.length, 'the stable file');
  assert.deepEqual(r.events.flatMap((e) => (e.type === 'chunk' && e.splitId === 'w.avro' ? e.records : [])).map(plain), expected);
  assert.equal(r.error(), undefined);
});

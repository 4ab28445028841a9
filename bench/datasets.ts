import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finished } from 'node:stream/promises';
import type { LineItem } from './lineitem.js';
import { prng } from './prng.js';
import { LINEITEM_AVRO_SCHEMA, LINEITEM_CSV_HEADER, lineItemCsv, lineItemJson, lineItems } from './lineitem.js';

/** Bumped whenever the generator's output changes, so cached files are regenerated. */
export const GENERATOR_VERSION = 1;

/** Where generated data lives (git-ignored). */
export const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'data');

/** What a cached file or folder must match to be reused. */
interface Manifest {
  readonly generator: number;
  readonly spec: string;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
}

/** A generated data set: where it is and how many rows it holds. */
export interface Dataset {
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
  /** True when it was generated in this run, false when a matching cached copy was reused. */
  readonly generated: boolean;
}

const SEED = 0x7219_2026;
const FLUSH_CHARS = 1 << 20;

/**
 * The 9-column lineitem CSV with `rows` rows (header included), generated once and reused while
 * its size and SHA-256 match the manifest written beside it.
 */
export function lineitemCsv(rows: number): Promise<Dataset> {
  return cached(`lineitem-${rows}.csv`, `csv rows=${rows}`, (tmp) => writeLines(tmp, rows, LINEITEM_CSV_HEADER, lineItemCsv));
}

/**
 * TPC-H `part` as CSV, `rows` rows with a header, written by `examples/generate-part.ts` (the
 * example's own generator): the table of issue 16's CLI comparison.
 */
export function partCsv(rows: number): Promise<Dataset> {
  return cached(`part-${rows}.csv`, `part csv rows=${rows}`, async (tmp) => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const done = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'examples', 'generate-part.ts'), String(rows), tmp], { cwd: root, encoding: 'utf8' });
    if (done.status !== 0) throw new Error(`examples/generate-part.ts failed: ${done.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return rows;
  });
}

/** The same rows as NDJSON. */
export function lineitemNdjson(rows: number): Promise<Dataset> {
  return cached(`lineitem-${rows}.ndjson`, `ndjson rows=${rows}`, (tmp) => writeLines(tmp, rows, '', lineItemJson));
}

/**
 * `rows` Debezium JSON change events (bare envelopes, one a line, with a `source` block like a
 * MySQL connector's) over lineitem rows keyed by `id`, a quarter as many keys as events: the
 * first event of a key creates it (`c`), later ones update it (`u`, both images) or, one in ten,
 * delete it (`d`), after which the next one creates it again.
 */
export function debeziumEvents(rows: number): Promise<Dataset> {
  return cached(`debezium-${rows}.ndjson`, `debezium rows=${rows}`, async (tmp) => {
    const fd = openSync(tmp, 'w');
    try {
      const items = lineItems(SEED);
      const pick = prng(SEED ^ 0x5eed);
      const keys = Math.max(1, Math.floor(rows / 4));
      const stored = new Map<number, Record<string, unknown>>();
      let text = '';
      for (let i = 0; i < rows; i++) {
        const id = Math.floor(pick() * keys);
        const before = stored.get(id) ?? null;
        const after = { id, ...items() };
        const op: 'c' | 'u' | 'd' = before === null ? 'c' : pick() < 0.1 ? 'd' : 'u';
        if (op === 'd') stored.delete(id);
        else stored.set(id, after);
        const source = { version: '2.0.0.Final', connector: 'mysql', name: 'bench', ts_ms: 1_700_000_000_000 + i, snapshot: 'false', db: 'tpch', table: 'lineitem', server_id: 1, file: 'mysql-bin.000001', pos: 4 + i * 300, row: 0 };
        text += JSON.stringify({ before: op === 'c' ? null : before, after: op === 'd' ? null : after, source, op, ts_ms: 1_700_000_000_000 + i, transaction: null }) + '\n';
        if (text.length >= FLUSH_CHARS) {
          writeSync(fd, text);
          text = '';
        }
      }
      writeSync(fd, text);
      return rows;
    } finally {
      closeSync(fd);
    }
  });
}

/** A lineitem CSV of at least `bytes` bytes (rows are whole). */
export function lineitemCsvOfSize(bytes: number): Promise<Dataset> {
  return cached(`lineitem-${bytes}B.csv`, `csv bytes=${bytes}`, (tmp) =>
    writeLines(tmp, Number.POSITIVE_INFINITY, LINEITEM_CSV_HEADER, lineItemCsv, bytes),
  );
}

/** The same rows as an Avro object container file (null codec, fixed sync marker). */
export function lineitemAvro(rows: number): Promise<Dataset> {
  return cached(`lineitem-${rows}.avro`, `avro rows=${rows}`, async (tmp) => {
    const { default: avro } = await import('avsc');
    const type = avro.Type.forSchema(LINEITEM_AVRO_SCHEMA as unknown as Parameters<typeof avro.Type.forSchema>[0]);
    // A fixed sync marker: avsc picks a random one otherwise, and the file would differ per run.
    const syncMarker = Buffer.from('tributary-bench!', 'latin1');
    const encoder = new avro.streams.BlockEncoder(type, { syncMarker, codec: 'null' });
    const out = createWriteStream(tmp);
    encoder.pipe(out);
    const next = lineItems(SEED);
    for (let i = 0; i < rows; i++) {
      if (!encoder.write(next())) await new Promise((resolve) => encoder.once('drain', resolve));
    }
    encoder.end();
    await finished(out);
    return rows;
  });
}

/**
 * A folder of `files` small lineitem CSVs of `rowsEach` rows: a source with that many splits.
 */
export function lineitemCsvFolder(files: number, rowsEach: number): Promise<Dataset> {
  return cached(`splits-${files}x${rowsEach}`, `csv folder files=${files} rows=${rowsEach}`, async (tmp) => {
    mkdirSync(tmp, { recursive: true });
    const next = lineItems(SEED);
    for (let f = 0; f < files; f++) {
      let text = LINEITEM_CSV_HEADER;
      for (let i = 0; i < rowsEach; i++) text += lineItemCsv(next());
      writeFileSync(join(tmp, `part-${String(f).padStart(5, '0')}.csv`), text);
    }
    return files * rowsEach;
  }, true);
}

/**
 * Single files live in `data/files/`, apart from the folders, the state directories and the
 * profiles: the fs source lists its directory before reading, and should not list thousands of
 * unrelated files while a case is timed.
 */
const FILES_DIR = join(DATA_DIR, 'files');

async function cached(name: string, spec: string, generate: (tmp: string) => Promise<number>, folder = false): Promise<Dataset> {
  const dir = folder ? DATA_DIR : FILES_DIR;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  const manifestPath = `${path}.manifest.json`;
  if (existsSync(path) && existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (manifest.generator === GENERATOR_VERSION && manifest.spec === spec) {
      const { bytes, sha256 } = await digest(path);
      if (bytes === manifest.bytes && sha256 === manifest.sha256) {
        return { path, rows: manifest.rows, bytes, generated: false };
      }
      process.stderr.write(`bench: ${name} does not match its manifest; regenerating\n`);
    }
  }
  rmSync(path, { recursive: true, force: true });
  const tmp = `${path}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`bench: generating ${name} ...\n`);
  const rows = await generate(tmp);
  renameSync(tmp, path);
  const { bytes, sha256 } = await digest(path);
  const manifest: Manifest = { generator: GENERATOR_VERSION, spec, rows, bytes, sha256 };
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return { path, rows, bytes, generated: true };
}

/** Size and SHA-256 of a file, or of a folder's files in name order. */
async function digest(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const files = statSync(path).isDirectory()
    ? readdirSync(path).sort().map((f) => join(path, f))
    : [path];
  for (const file of files) {
    for await (const block of createReadStream(file, { highWaterMark: 1 << 20 })) {
      const buf = block as Buffer;
      bytes += buf.length;
      hash.update(buf);
    }
  }
  return { bytes, sha256: hash.digest('hex') };
}

async function writeLines(
  tmp: string,
  rows: number,
  header: string,
  encode: (row: LineItem) => string,
  minBytes = 0,
): Promise<number> {
  // Generated text is ASCII, so string length is byte length.
  const fd = openSync(tmp, 'w');
  try {
    const next = lineItems(SEED);
    let text = header;
    let written = 0;
    let count = 0;
    while (count < rows && (minBytes === 0 || written + text.length < minBytes)) {
      text += encode(next());
      count++;
      if (text.length >= FLUSH_CHARS) {
        written += writeSync(fd, text);
        text = '';
      }
    }
    written += writeSync(fd, text);
    return count;
  } finally {
    closeSync(fd);
  }
}

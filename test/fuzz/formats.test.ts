import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { intBetween, prng } from '../../bench/prng.js';
import type { BadRecordPolicy, DeadLetter } from '../../src/core/BadRecordHandler.js';
import { BadRecordTracker } from '../../src/core/BadRecordTracker.js';
import { BadRecordError, SourceError } from '../../src/core/SourceError.js';
import { avroFormat } from '../../src/formats/avroFormat.js';
import { csvFormat } from '../../src/formats/csvFormat.js';
import type { Format, Row } from '../../src/formats/Format.js';
import { jsonFormat } from '../../src/formats/jsonFormat.js';
import { fixture, fixturesDir } from '../support/fixtures.js';
import { cut, memoryInput } from '../formats/support.js';

/**
 * A seeded fuzzer over the CSV, NDJSON/JSON-array and Avro stream decoders, fed mutated bytes
 * of the real-world fixtures in ../shared/fixtures. For every input and policy it checks:
 * - nothing escapes but a `SourceError` naming the source and split (a `BadRecordError` also its
 *   offset): no TypeError, RangeError or stack overflow from inside a decoder;
 * - bounded time per input (no hang, no quadratic blow-up);
 * - the policies agree: `skip` and `dead-letter` yield the same rows and counts, the dead
 *   letters emitted are the errors counted, and `fail` throws at the first bad record `skip`
 *   reported (or yields the same rows when there was none);
 * - decoding is independent of how the bytes are cut into pushes;
 * - the loss counted is sane: each error counts at least one record, bytes within the input.
 *
 * `FUZZ_ITERATIONS` (default a small fixed slice) and `FUZZ_SEED` (default 1) choose the loop;
 * `npm run test:fuzz` runs 20 000 iterations. A failure names the iteration and seed, and
 * `FUZZ_ONLY=<iteration>` replays just that input.
 */

const ITERATIONS = Number(process.env['FUZZ_ITERATIONS'] ?? 150);
const SEED = Number(process.env['FUZZ_SEED'] ?? 1);
const ONLY = process.env['FUZZ_ONLY'] === undefined ? undefined : Number(process.env['FUZZ_ONLY']);
/** Generous for two shared cores: every seed input is a few KiB, decoding one takes milliseconds. */
const MAX_MS_PER_INPUT = 3000;

interface Seed {
  readonly name: string;
  readonly bytes: Buffer;
  readonly formats: readonly { readonly label: string; readonly format: Format }[];
}

const csvFormats = [
  { label: 'csv', format: csvFormat() },
  { label: 'csv-noheader', format: csvFormat({ header: false, maxRecordBytes: 512 }) },
];
const jsonFormats = [
  { label: 'json-auto', format: jsonFormat() },
  { label: 'ndjson', format: jsonFormat({ array: 'false' }) },
];
const avroFormats = [{ label: 'avro', format: avroFormat() }];

function loadSeeds(): Seed[] {
  const seeds: Seed[] = [];
  const csvDir = join(fixturesDir, 'csv-spectrum', 'csvs');
  for (const name of readdirSync(csvDir).sort()) seeds.push({ name: `csv-spectrum/${name}`, bytes: readFileSync(join(csvDir, name)), formats: csvFormats });
  const avroDir = join(fixturesDir, 'avro');
  for (const name of readdirSync(avroDir).sort().filter((n) => n.endsWith('.avro'))) {
    seeds.push({ name: `avro/${name}`, bytes: readFileSync(join(avroDir, name)), formats: avroFormats });
  }
  const rwDir = join(fixturesDir, 'risingwave');
  for (const name of readdirSync(rwDir).sort()) {
    const path = join(rwDir, name);
    if (name.endsWith('.md') || !statSync(path).isFile()) continue;
    const bytes = readFileSync(path);
    seeds.push({ name: `risingwave/${name}`, bytes, formats: name.includes('csv') ? csvFormats : [...jsonFormats, ...csvFormats] });
  }
  seeds.push({
    name: 'generated/array.json',
    bytes: Buffer.from(`[${Array.from({ length: 30 }, (_, i) => `{"id":${i},"n":"Zoë ${i}","a":[${i},{"b":null}],"big":${9007199254740993 + i}0}`).join(',\n')}]\n`),
    formats: jsonFormats,
  });
  return seeds;
}

/** Pieces worth splicing in: structure characters, invalid UTF-8, deep nesting, big numbers, huge Avro varints. */
const SPLICES: readonly Buffer[] = [
  Buffer.from('"'),
  Buffer.from('""'),
  Buffer.from('{'),
  Buffer.from('}'),
  Buffer.from('['),
  Buffer.from(']'),
  Buffer.from(','),
  Buffer.from('\n'),
  Buffer.from('\r\n'),
  Buffer.from('\\'),
  Buffer.from([0xff]),
  Buffer.from([0xc3]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from('['.repeat(1500)),
  Buffer.from('{"a":'.repeat(1200)),
  Buffer.from('123456789012345678901234567890'),
  Buffer.from('-9007199254740993'),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
  Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]),
  Buffer.from([0x00]),
];

/** One to four mutations of `bytes`, chosen by `next`; `other` is a second seed to splice from. */
function mutate(bytes: Buffer, other: Buffer, next: () => number): Buffer {
  let out = Buffer.from(bytes);
  const rounds = intBetween(next, 1, 4);
  for (let r = 0; r < rounds; r++) {
    const at = out.length === 0 ? 0 : intBetween(next, 0, out.length - 1);
    switch (intBetween(next, 0, 8)) {
      case 0: {
        // Bit flips.
        const flips = intBetween(next, 1, 8);
        for (let i = 0; i < flips && out.length > 0; i++) {
          const p = intBetween(next, 0, out.length - 1);
          out[p] = (out[p] as number) ^ (1 << intBetween(next, 0, 7));
        }
        break;
      }
      case 1:
        // Truncation.
        out = out.subarray(0, at);
        break;
      case 2: {
        // Delete a range.
        const len = intBetween(next, 1, 64);
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + len)]);
        break;
      }
      case 3: {
        // Duplicate a range in place.
        const len = intBetween(next, 1, 200);
        out = Buffer.concat([out.subarray(0, at), out.subarray(at, at + len), out.subarray(at)]);
        break;
      }
      case 4: {
        // Splice a piece of another seed.
        const from = other.length === 0 ? 0 : intBetween(next, 0, other.length - 1);
        const len = intBetween(next, 1, 300);
        out = Buffer.concat([out.subarray(0, at), other.subarray(from, from + len), out.subarray(at)]);
        break;
      }
      case 5:
      case 6: {
        const piece = SPLICES[intBetween(next, 0, SPLICES.length - 1)] as Buffer;
        out = Buffer.concat([out.subarray(0, at), piece, out.subarray(at)]);
        break;
      }
      case 7: {
        // Overwrite bytes with a structure piece (keeps lengths: hits Avro headers and sizes).
        const piece = SPLICES[intBetween(next, 0, SPLICES.length - 1)] as Buffer;
        out = Buffer.from(out);
        piece.copy(out, at, 0, Math.min(piece.length, out.length - at));
        break;
      }
      default: {
        // A random byte.
        if (out.length > 0) {
          out = Buffer.from(out);
          out[at] = intBetween(next, 0, 255);
        }
      }
    }
  }
  return out;
}

interface Outcome {
  readonly rows: Row[];
  readonly error: unknown;
  readonly errors: readonly BadRecordError[];
  readonly deadLetters: number;
  readonly stats: BadRecordTracker['stats'];
  readonly ms: number;
}

async function run(format: Format, bytes: Buffer, policy: BadRecordPolicy, chunkSeed: number): Promise<Outcome> {
  const tracker = new BadRecordTracker(policy);
  const errors: BadRecordError[] = [];
  const handler = {
    policy,
    handle(error: BadRecordError, raw: Uint8Array | null): void {
      errors.push(error);
      tracker.handle(error, raw);
    },
  };
  const letters: DeadLetter[] = [];
  const sub = tracker.deadLetters$.subscribe((l) => letters.push(l));
  const rows: Row[] = [];
  const started = performance.now();
  let error: unknown;
  try {
    const open = format.openStream as NonNullable<Format['openStream']>;
    const decoder = await open(memoryInput(bytes, 4096), null, { source: 'fuzz', splitId: 'split-1', badRecords: handler });
    for (const piece of cut(bytes.subarray(decoder.startByte), chunkSeed === 0 ? 'whole' : { seed: chunkSeed })) rows.push(...decoder.push(piece).rows);
    rows.push(...decoder.end().rows);
  } catch (err) {
    error = err;
  } finally {
    sub.unsubscribe();
  }
  return { rows, error, errors, deadLetters: letters.length, stats: tracker.stats, ms: performance.now() - started };
}

/** Row equality that tells bigints and Buffers apart and treats NaN as equal to itself. */
function same(a: unknown, b: unknown): boolean {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

function checkError(err: unknown, where: string): void {
  if (err === undefined) return;
  if (!(err instanceof SourceError)) {
    const stack = err instanceof Error ? err.stack : String(err);
    assert.fail(`${where}: a ${err instanceof Error ? err.name : typeof err} escaped the decoder, not a SourceError:\n${stack}`);
  }
  assert.equal(err.source, 'fuzz', where);
  assert.equal(err.split, 'split-1', where);
  if (err instanceof BadRecordError) assert.ok(err.offset !== undefined, `${where}: a bad record without an offset`);
}

test(`formats fuzzer: ${ITERATIONS} mutated fixture inputs (seed ${SEED}) under every policy`, async (t) => {
  // Skips without ../shared, fails then under TRIBUTARY_REQUIRE_PEERS=1.
  if (['csv-spectrum', 'avro', 'risingwave'].some((name) => fixture(t, name) === undefined)) return;
  const seeds = loadSeeds();
  assert.ok(seeds.length >= 30, `${seeds.length} seed inputs`);
  const next = prng(SEED);
  let badInputs = 0;
  let slowest = 0;
  let slowestWhere = '';
  for (let iteration = 0; iteration < ITERATIONS; iteration++) {
    const seed = seeds[intBetween(next, 0, seeds.length - 1)] as Seed;
    const other = (seeds[intBetween(next, 0, seeds.length - 1)] as Seed).bytes;
    const { label, format } = seed.formats[intBetween(next, 0, seed.formats.length - 1)] as Seed['formats'][number];
    const input = mutate(seed.bytes, other, next);
    const chunkSeed = intBetween(next, 1, 1 << 30);
    if (ONLY !== undefined && iteration !== ONLY) continue;
    const where = `iteration ${iteration} (FUZZ_SEED=${SEED} FUZZ_ONLY=${iteration}), ${seed.name} as ${label}, ${input.length} bytes`;

    if (process.env['FUZZ_TRACE'] === '1') process.stderr.write(`${where}\n`);
    if (process.env['FUZZ_DUMP'] !== undefined) writeFileSync(process.env['FUZZ_DUMP'], input);
    const skip = await run(format, input, 'skip', 0);
    const letter = await run(format, input, 'dead-letter', chunkSeed);
    const fail = await run(format, input, 'fail', chunkSeed);
    for (const [policy, outcome] of [['skip', skip], ['dead-letter', letter], ['fail', fail]] as const) {
      checkError(outcome.error, `${where}, ${policy}`);
      for (const e of outcome.errors) checkError(e, `${where}, ${policy} (handled)`);
      if (outcome.ms > slowest) {
        slowest = outcome.ms;
        slowestWhere = `${where}, ${policy}`;
      }
      assert.ok(outcome.ms < MAX_MS_PER_INPUT, `${where}, ${policy}: ${outcome.ms.toFixed(0)} ms`);
    }
    // A SourceError that is not a bad record (a CSV header, not a JSON array, not Avro) ends every policy alike.
    const fatal = skip.error !== undefined;
    assert.equal(letter.error !== undefined, fatal, `${where}: skip and dead-letter disagree on a fatal error`);
    if (!fatal) {
      assert.ok(same(letter.rows, skip.rows), `${where}: dead-letter (cut in pieces) and skip (whole) yield different rows`);
      assert.equal(letter.stats.deadLettered, skip.stats.skipped, `${where}: records dead-lettered vs skipped`);
      assert.equal(letter.stats.bytes, skip.stats.bytes, `${where}: bytes dead-lettered vs skipped`);
      assert.equal(letter.deadLetters, letter.errors.length, `${where}: dead letters emitted vs errors`);
      assert.equal(skip.stats.errors, skip.errors.length, `${where}: errors counted`);
      let records = 0;
      let bytes = 0;
      for (const e of skip.errors) {
        assert.ok(Number.isSafeInteger(e.records) && e.records >= 1, `${where}: records ${e.records}`);
        assert.ok(e.bytes === undefined || (Number.isSafeInteger(e.bytes) && e.bytes >= 0), `${where}: bytes ${String(e.bytes)}`);
        records += e.records;
        bytes += e.bytes ?? 0;
      }
      assert.equal(skip.stats.skipped, records, `${where}: records skipped`);
      assert.ok(bytes <= input.length, `${where}: ${bytes} bytes lost of ${input.length}`);
      if (skip.errors.length === 0) {
        assert.equal(fail.error, undefined, `${where}: fail threw where skip found nothing bad`);
        assert.ok(same(fail.rows, skip.rows), `${where}: fail and skip yield different rows on good input`);
      } else {
        assert.ok(fail.error instanceof BadRecordError, `${where}: fail did not throw a BadRecordError`);
        assert.equal(fail.error.offset, skip.errors[0]?.offset, `${where}: fail stopped elsewhere than the first bad record`);
        badInputs++;
      }
    }
  }
  // The mutations must actually reach the error paths (a fuzzer whose inputs all decode proves nothing).
  if (ONLY === undefined && ITERATIONS >= 50) assert.ok(badInputs > ITERATIONS / 10, `only ${badInputs} of ${ITERATIONS} inputs had bad records`);
  t.diagnostic(`${ITERATIONS} iterations, ${badInputs} inputs with bad records, slowest decode ${slowest.toFixed(1)} ms (${slowestWhere})`);
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { intBetween, prng } from '../../bench/prng.js';
import { OP, opOf, type ChangeRow } from '../../src/core/Changelog.js';
import { TableState } from '../../src/core/TableState.js';
import { createFormat } from '../../src/formats/createFormat.js';
import type { Row } from '../../src/formats/Format.js';
import { fixture } from '../support/fixtures.js';

/**
 * A seeded fuzzer over the change-data formats' `decodeMessages`, fed mutated messages of the
 * real-world fixtures (byte flips, truncations, spliced JSON fragments, swapped ops and types),
 * and over `TableState.apply` with what they decode. For every input it checks that the format
 * either answers plain row objects carrying a valid operation, or throws an ordinary `Error`
 * with a message (no TypeError or RangeError from inside, no hang), and that the table either
 * applies the rows keeping its invariants (one row per key, retractions of stored rows only) or
 * throws an `Error` naming what was wrong.
 *
 * `FUZZ_ITERATIONS` (default 400) and `FUZZ_SEED` (default 1) choose the loop.
 */
const ITERATIONS = Number(process.env['FUZZ_ITERATIONS'] ?? 400);
const SEED = Number(process.env['FUZZ_SEED'] ?? 1);

const fragments = ['null', '[]', '{}', '"__debezium_unavailable_value"', '1e400', '-0', '123456789012345678901234567890', '"op":"d"', '"type":"DELETE"', '"data":[{}]', '"isDdl":true', '{"a":[[[[[]]]]]}', '"\\ud800"', 'true'];
const ops = ['c', 'r', 'u', 'd', 't', 'm', 'x', 'INSERT', 'UPDATE', 'DELETE', 'insert', 'update', 'delete', 'bootstrap-insert'];

function mutate(text: string, next: () => number): Buffer {
  let bytes = Buffer.from(text);
  const n = intBetween(next, 1, 4);
  for (let i = 0; i < n; i++) {
    const at = intBetween(next, 0, Math.max(0, bytes.length - 1));
    switch (intBetween(next, 0, 4)) {
      case 0:
        bytes[at] = intBetween(next, 0, 255);
        break;
      case 1:
        bytes = bytes.subarray(0, at);
        break;
      case 2:
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(fragments[intBetween(next, 0, fragments.length - 1)]!), bytes.subarray(at)]);
        break;
      case 3: {
        const swapped = bytes.toString('latin1').replace(/"(op|type)":\s*"[^"]*"/, `"$1":"${ops[intBetween(next, 0, ops.length - 1)]}"`);
        bytes = Buffer.from(swapped, 'latin1');
        break;
      }
      default:
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + intBetween(next, 1, 8))]);
    }
  }
  return bytes;
}

test('change-data formats and the table on mutated fixture messages: rows with operations or plain errors, never a crash', (t) => {
  const files = [
    ['debezium_json', 'debezium_log_schemaless.1', 'id'],
    ['debezium_json', 'debezium_timestamp.1', 'id'],
    ['debezium_json', 'debezium_mess_key.1', 'order_id'],
    ['maxwell', 'maxwell_json.1', 'id'],
    ['canal_json', 'canal_json_double_field.1', 'v1'],
    ['upsert_json', 'upsert_json.1', 'ID'],
  ] as const;
  const seeds: { format: string; key: string; lines: string[] }[] = [];
  for (const [format, file, key] of files) {
    const path = fixture(t, 'risingwave', file);
    if (path === undefined) return;
    seeds.push({ format, key, lines: readFileSync(join(path), 'utf8').split('\n').filter((l) => l.trim() !== '') });
  }
  const next = prng(SEED);
  let rowsSeen = 0;
  let errors = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const seed = seeds[intBetween(next, 0, seeds.length - 1)]!;
    const format = createFormat(seed.format);
    const table = new TableState<Row>([seed.key]);
    const started = performance.now();
    for (const line of seed.lines) {
      const caret = line.indexOf('^');
      const key = caret === -1 ? null : Buffer.from(line.slice(0, caret));
      const value = caret === -1 ? line : line.slice(caret + 1);
      const bytes = next() < 0.3 ? Buffer.from(value) : mutate(value, next);
      let rows: Row[];
      try {
        rows = format.decodeMessages!(bytes.length === 0 && next() < 0.5 ? null : bytes, key);
      } catch (err) {
        assert.ok(err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError), `iteration ${i} (${seed.format}): ${String(err)}`);
        assert.ok(err.message.length > 0);
        errors++;
        continue;
      }
      for (const row of rows) {
        assert.equal(Object.getPrototypeOf(row), Object.prototype, `iteration ${i}: a plain object`);
        assert.ok(['insert', 'delete', 'update_before', 'update_after', 'truncate'].includes(opOf(row)), `iteration ${i}: op ${String((row as ChangeRow)[OP])}`);
      }
      rowsSeen += rows.length;
      const out: ChangeRow<Row>[] = [];
      const before = new Map(table.rows);
      try {
        table.apply(rows, out);
      } catch (err) {
        assert.ok(err instanceof Error && /primary-key column/.test(err.message), `iteration ${i}: ${String(err)}`);
        errors++;
        continue;
      }
      // Every retraction retracts what was stored; the table has one row per key.
      for (const change of out) {
        if (opOf(change) === 'delete' || opOf(change) === 'update_before') {
          const stored = before.get(table.keyOf(change)) ?? [...table.rows.values()].find((r) => table.keyOf(r) === table.keyOf(change));
          assert.ok(stored !== undefined, `iteration ${i}: a retraction of a key never stored`);
        }
      }
    }
    assert.ok(performance.now() - started < 3000, `iteration ${i} took ${performance.now() - started} ms`);
  }
  assert.ok(rowsSeen > 0 && errors > 0, `${rowsSeen} rows, ${errors} errors: the mutations reach both paths`);
});

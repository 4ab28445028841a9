import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prng } from '../../bench/prng.js';
import { numberText } from '../../src/cli/numberText.js';
import { rowLineWriter } from '../../src/cli/rowLineWriter.js';

// numberText must be String() exactly: it only avoids V8's number-to-string cache.

test('numberText is String() at every boundary of its three-digit pieces and outside its range', () => {
  const edges = [
    0, -0, 1, 9, 10, 99, 100, 999, 1000, 1001, 1010, 1100, 9999, 10_000, 99_999, 100_000, 100_001, 999_999, 1_000_000, 1_000_001, 1_001_000,
    1_000_999, 10_000_000, 123_456_789, 999_999_999, 1e9, 1e9 + 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 1e21, 1e300,
    -1, -999, -1000, -1e9, -(2 ** 31), 0.5, 999.5, 1e-7, 123.456, Number.MIN_VALUE, Number.MAX_VALUE, Number.EPSILON, NaN, Infinity, -Infinity,
  ];
  for (const value of edges) assert.equal(numberText(value), String(value), `numberText(${String(value)})`);
});

test('numberText is String() over a sweep of integers and fractions (seeded)', () => {
  const random = prng(0x2545f491);
  for (let i = 0; i < 200_000; i++) {
    const digits = 1 + Math.floor(random() * 10);
    const integer = Math.floor(random() * 10 ** digits);
    assert.equal(numberText(integer), String(integer));
    const other = i % 4 === 0 ? -integer : i % 4 === 1 ? integer + random() : integer;
    assert.equal(numberText(other), String(other));
  }
});

test("the CLI's line writer prints INTEGER and DOUBLE columns as JSON.stringify does", () => {
  const line = rowLineWriter(['k', 'd'], ['integer', 'double precision'], [(r) => r['k'], (r) => r['d']], ['k', 'd']);
  for (const [k, d] of [
    [0, 0.1],
    [7, -0],
    [1000, 1e21],
    [1_234_567, 12.5],
    [999_999_999, -3],
    [2_147_483_647, 5e-324],
    [-2_147_483_648, 1_000_000],
  ] as const) {
    assert.equal(line({ k, d }), `${JSON.stringify({ k, d })}\n`);
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prng } from '../../bench/prng.js';
import { likeRegex } from '../../src/sql/compileExpression.js';
import { likeMatcher } from '../../src/sql/likeMatcher.js';

test('LIKE: %, _, escapes, code points, ILIKE', () => {
  assert.equal(likeMatcher('%BRASS')('LARGE BRUSHED BRASS'), true);
  assert.equal(likeMatcher('%brass')('LARGE BRUSHED BRASS'), false);
  assert.equal(likeMatcher('%brass', true)('LARGE BRUSHED BRASS'), true);
  assert.equal(likeMatcher('a_c')('a😀c'), true); // one character, two UTF-16 units
  assert.equal(likeMatcher('100\\%')('100%'), true);
  assert.equal(likeMatcher('100\\%')('1000'), false);
  assert.equal(likeMatcher('a\\')('a\\'), true); // a trailing backslash is itself
  assert.equal(likeMatcher('%')(''), true);
  assert.equal(likeMatcher('_')(''), false);
  assert.equal(likeMatcher('a%b%c')('a\nb\nc'), true);
});

test('LIKE agrees with the regular-expression translation on 20,000 random cases', () => {
  const next = prng(1);
  const alphabet = ['a', 'b', '%', '_', '\\', 'A'];
  const draw = (max: number): string => Array.from({ length: Math.floor(next() * max) }, () => alphabet[Math.floor(next() * alphabet.length)]!).join('');
  for (let i = 0; i < 20_000; i++) {
    const pattern = draw(8);
    const text = draw(10).replace(/[%_\\]/g, 'b');
    const insensitive = next() < 0.5;
    assert.equal(likeMatcher(pattern, insensitive)(text), likeRegex(pattern, insensitive ? 'is' : 's').test(text), `${JSON.stringify(text)} LIKE ${JSON.stringify(pattern)}`);
  }
});

test('a pattern with many % is rejected in linear-ish time, where the regular expression backtracks exponentially', () => {
  const matches = likeMatcher(`${'%a'.repeat(30)}%c`);
  const started = performance.now();
  assert.equal(matches('a'.repeat(10_000)), false);
  // The regex takes ~150 ms for 5 %s on 40 characters and does not finish for 10; this is ~10^6 steps.
  assert.ok(performance.now() - started < 2_000);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globMatcher } from '../../../src/connectors/fs/globMatcher.js';

const cases: ReadonlyArray<readonly [pattern: string, path: string, matches: boolean]> = [
  // A pattern without '/' matches file names at any depth.
  ['*', 'a.csv', true],
  ['*', 'x/y/a.csv', true],
  ['*.csv', 'x/y/z.csv', true],
  ['*.csv', 'x/y/z.json', false],
  ['*.csv', 'a.csv.gz', false],
  // Wildcards never match a leading dot, in files or directories.
  ['*', '.hidden', false],
  ['*', '.git/config', false],
  ['*.csv', 'x/.tmp.csv', false],
  ['.*.csv', '.tmp.csv', true],
  // A pattern with '/' is anchored at the root; '*' stays within a segment.
  ['2024/*.csv', '2024/a.csv', true],
  ['2024/*.csv', '2024/01/a.csv', false],
  ['2024/*.csv', 'x/2024/a.csv', false],
  ['./2024/*.csv', '2024/a.csv', true],
  ['/2024/*.csv', '2024/a.csv', true],
  ['.hidden/*.csv', '.hidden/a.csv', true],
  // '**' spans zero or more directories.
  ['**/*.csv', 'a.csv', true],
  ['**/*.csv', 'a/b/c.csv', true],
  ['logs/**/*.json', 'logs/x.json', true],
  ['logs/**/*.json', 'logs/2024/01/x.json', true],
  ['logs/**/*.json', 'logs/.old/x.json', false],
  ['logs/**', 'logs/a/b', true],
  ['logs/**', 'logs', false],
  ['a**b', 'axxb', true],
  ['a**b', 'ax/xb', false],
  // ?, classes, braces, escapes.
  ['?.csv', 'a.csv', true],
  ['?.csv', 'ab.csv', false],
  ['[a-c]?.txt', 'b1.txt', true],
  ['[a-c]?.txt', 'd1.txt', false],
  ['[!a-c]?.txt', 'b1.txt', false],
  ['[^a-c]?.txt', 'd1.txt', true],
  ['[]]x', ']x', true],
  ['[a-]x', '-x', true],
  ['*.{csv,tsv}', 'a.tsv', true],
  ['*.{csv,tsv}', 'a.json', false],
  ['{a,b{c,d}}.x', 'bd.x', true],
  ['{a,b{c,d}}.x', 'b.x', false],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'axb', false],
  // Unterminated classes and braces are literal; regex characters are literal.
  ['x[y', 'x[y', true],
  ['x{y', 'x{y', true],
  ['a+b(1).csv', 'a+b(1).csv', true],
  ['a.csv', 'abcsv', false],
  ['a-b$.csv', 'a-b$.csv', true],
];

for (const [pattern, path, matches] of cases) {
  test(`glob '${pattern}' ${matches ? 'matches' : 'does not match'} '${path}'`, () => {
    assert.equal(globMatcher(pattern)(path), matches);
  });
}

test('globMatcher tells the lister how deep to walk', () => {
  assert.equal(globMatcher('*.csv').maxDepth, Infinity);
  assert.equal(globMatcher('a.csv').maxDepth, Infinity);
  assert.equal(globMatcher('in/*.csv').maxDepth, 1);
  assert.equal(globMatcher('a/b/*.csv').maxDepth, 2);
  assert.equal(globMatcher('a/**/*.csv').maxDepth, Infinity);
  assert.equal(globMatcher('*.csv').matchesHiddenDirectories, false);
  assert.equal(globMatcher('.in/*.csv').matchesHiddenDirectories, true);
});

test('globMatcher refuses patterns that cannot name files', () => {
  assert.throws(() => globMatcher(''), /empty glob pattern/);
  assert.throws(() => globMatcher('/'), /names the directory itself/);
  assert.throws(() => globMatcher('a\\'), /ends with a lone/);
  assert.throws(() => globMatcher('{a/b,c}'), /'\/' inside \{\.\.\.\} is not supported/);
});

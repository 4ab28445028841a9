import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Packages a fresh process loads when it imports `entry` (the AWS SDK must wait for first use). */
function packagesLoadedBy(entry: string): string[] {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', pathToFileURL(join(root, 'test/support/importTrace.mjs')).href, '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(root, entry)).href)});`],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(result.status, 0, result.stderr);
  const line = result.stderr.split('\n').find((l) => l.startsWith('IMPORT-TRACE '));
  assert.ok(line, 'the trace was printed');
  const urls = JSON.parse(line.slice('IMPORT-TRACE '.length)) as string[];
  const tooling = new Set(['tsx', 'get-tsconfig', 'resolve-pkg-maps', 'esbuild']);
  return [...new Set(urls.map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]).filter((n): n is string => n !== undefined && !tooling.has(n)))];
}

test('importing the s3 and kinesis connectors does not load the AWS SDK', () => {
  assert.deepEqual(packagesLoadedBy('src/connectors/s3/index.ts'), ['rxjs']);
  assert.deepEqual(packagesLoadedBy('src/connectors/kinesis/index.ts'), ['rxjs']);
});

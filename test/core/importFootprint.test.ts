import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The modules a fresh process resolves when it imports `entry`. */
function modulesLoadedBy(entry: string): string[] {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', pathToFileURL(join(root, 'test/support/importTrace.mjs')).href, '--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(root, entry)).href)});`],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(result.status, 0, result.stderr);
  const line = result.stderr.split('\n').find((l) => l.startsWith('IMPORT-TRACE '));
  assert.ok(line, 'the trace was printed');
  return JSON.parse(line.slice('IMPORT-TRACE '.length)) as string[];
}

test('importing the core loads rxjs and the project own modules, nothing else', () => {
  const urls = modulesLoadedBy('src/index.ts');
  const packages = new Set(
    urls
      .filter((url) => url.includes('/node_modules/'))
      .map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1])
      .filter((name) => name !== undefined && name !== 'tsx' && name !== 'get-tsconfig' && name !== 'resolve-pkg-maps' && name !== 'esbuild'),
  );
  assert.deepEqual([...packages], ['rxjs']);
  const own = urls.filter((url) => url.startsWith(pathToFileURL(join(root, 'src')).href));
  assert.ok(own.length > 5, 'the project own modules were traced');
  const foreign = urls.filter((url) => !url.startsWith('node:') && !url.includes('/node_modules/') && !url.startsWith(pathToFileURL(root).href) && !url.startsWith('data:'));
  assert.deepEqual(foreign, []);
});

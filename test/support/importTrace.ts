import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The project root. */
export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Packages of the TypeScript loader the tests run under, not of the code under test. */
const tooling = new Set(['tsx', 'get-tsconfig', 'resolve-pkg-maps', 'esbuild']);

/** Every module URL a fresh process resolves when it imports `entry` (a path from the project root). */
export function modulesLoadedBy(entry: string): string[] {
  const result = spawnSync(
    process.execPath,
    [
      '--import', 'tsx',
      '--import', pathToFileURL(join(projectRoot, 'test/support/importTrace.mjs')).href,
      '--input-type=module',
      '-e', `await import(${JSON.stringify(pathToFileURL(join(projectRoot, entry)).href)});`,
    ],
    { cwd: projectRoot, encoding: 'utf8' },
  );
  assert.equal(result.status, 0, result.stderr);
  const line = result.stderr.split('\n').find((l) => l.startsWith('IMPORT-TRACE '));
  assert.ok(line, 'the trace was printed');
  return JSON.parse(line.slice('IMPORT-TRACE '.length)) as string[];
}

/** The npm packages (other than the test loader's) a fresh process loads when it imports `entry`. */
export function packagesLoadedBy(entry: string): string[] {
  const names = modulesLoadedBy(entry)
    .map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1])
    .filter((name): name is string => name !== undefined && !tooling.has(name));
  return [...new Set(names)];
}

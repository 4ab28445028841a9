import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { modulesLoadedBy, packagesLoadedBy, projectRoot } from '../support/importTrace.js';

test('importing the core loads rxjs and the project own modules, nothing else', () => {
  assert.deepEqual(packagesLoadedBy('src/index.ts'), ['rxjs']);
  const urls = modulesLoadedBy('src/index.ts');
  const own = urls.filter((url) => url.startsWith(pathToFileURL(join(projectRoot, 'src')).href));
  assert.ok(own.length > 5, 'the project own modules were traced');
  const foreign = urls.filter(
    (url) => !url.startsWith('node:') && !url.includes('/node_modules/') && !url.startsWith(pathToFileURL(projectRoot).href) && !url.startsWith('data:'),
  );
  assert.deepEqual(foreign, []);
});

test('importing the metrics entry point loads rxjs only: prom-client waits until metrics are asked for', () => {
  const loaded = packagesLoadedBy('src/metrics/index.ts');
  assert.ok(loaded.every((name) => name === 'rxjs'), `loaded: ${loaded.join(', ')}`);
});

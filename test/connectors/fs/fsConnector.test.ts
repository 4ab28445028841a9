import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { NEVER } from 'rxjs';
import type { ConnectorContext } from '../../../src/connectors/ConnectorFactory.js';
import { fsConnector } from '../../../src/connectors/fs/index.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import { ndjson, readAll, run, tempDir, waitFor } from './helpers.js';

const context = (properties: Record<string, string>, name = 'orders'): ConnectorContext => ({
  name,
  properties,
  format: createFormat('json'),
  barriers: NEVER,
});

test('fsConnector is selected by fs and posix_fs, and declares RisingWave aliases', () => {
  assert.deepEqual(fsConnector.connectorNames, ['fs', 'posix_fs']);
  const spec = (name: string) => fsConnector.properties.find((p) => p.name === name);
  assert.deepEqual(spec('fs.path')?.aliases, ['posix_fs.root']);
  assert.equal(spec('fs.path')?.required, true);
  assert.deepEqual(spec('fs.match_pattern')?.aliases, ['match_pattern']);
  assert.equal(spec('fs.match_pattern')?.default, '*');
  assert.deepEqual(spec('fs.scan.mode')?.values, ['bounded', 'unbounded']);
  for (const p of fsConnector.properties) {
    assert.ok(p.description.length > 20, `${p.name} is documented`);
    if (p.default !== undefined && p.type === 'integer') assert.match(p.default, /^\d+$/);
  }
});

test('fsConnector builds a bounded source from canonical properties', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'x'));
  await writeFile(join(dir, 'x', 'a.json'), ndjson([{ id: 1 }]));
  await writeFile(join(dir, 'b.txt'), 'ignored\n');
  const source = fsConnector.create(context({ 'fs.path': dir, 'fs.match_pattern': '*.json', 'fs.scan.mode': 'bounded' }));
  assert.equal(source.name, 'orders');
  assert.deepEqual(await readAll(source), [{ id: 1 }]);
});

test('fsConnector accepts RisingWave property names and runs unbounded', async (t) => {
  const dir = await tempDir(t);
  const source = fsConnector.create(
    context({ 'posix_fs.root': dir, match_pattern: '*.json', 'fs.scan.mode': 'unbounded', 'fs.poll.interval.ms': '20', 'fs.watch': 'false' }),
  );
  const r = run(source);
  t.after(() => r.subscription.unsubscribe());
  await writeFile(join(dir, 'late.json'), ndjson([{ id: 7 }]));
  await waitFor(() => r.records.length === 1, 'the file written after the start');
  assert.deepEqual(r.records, [{ id: 7 }]);
});

test('fsConnector refuses bad property values, naming the property (and the source where SQL did not check first)', () => {
  assert.throws(() => fsConnector.create(context({})), /fs source 'orders': property fs.path \(the directory\) is required/);
  assert.throws(() => fsConnector.create(context({ 'fs.path': '.', 'fs.scan.mode': 'sometimes' })), /fs connector: property 'fs.scan.mode' must be one of 'bounded', 'unbounded', got 'sometimes'/);
  assert.throws(() => fsConnector.create(context({ 'fs.path': '.', 'fs.watch': 'yes' })), /fs connector: property 'fs.watch' must be true or false, got 'yes'/);
  assert.throws(() => fsConnector.create(context({ 'fs.path': '.', 'fs.poll.interval.ms': '-1' })), /fs connector: property 'fs.poll.interval.ms' must be an integer between 0 and 2147483647 \(milliseconds, a timer delay\), got '-1'/);
  assert.throws(() => fsConnector.create(context({ 'fs.path': '.', 'fs.read.buffer.bytes': '0' })), /fs connector: property 'fs.read.buffer.bytes' must be an integer between 1 and 1073741824, got '0'/);
  assert.throws(() => fsConnector.create(context({ 'fs.path': '.', 'fs.max.open.files': '0' })), /fs connector: property 'fs.max.open.files' must be an integer between 1 and 65536, got '0'/);
  assert.throws(() => fsConnector.create(context({ 'fs.path': '.', 'fs.file.changed': 'ignore' })), /fs connector: property 'fs.file.changed' must be one of 'fail', 'reread', got 'ignore'/);
  assert.throws(() => fsConnector.create(context({ 'fs.path': '.', 'fs.match_pattern': 'a\\' })), /fs source 'orders': glob pattern 'a\\' ends with a lone/);
});

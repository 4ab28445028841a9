import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { hideKnownWarnings } from '../../src/cli/hideKnownWarnings.js';

const dir = mkdtempSync(join(tmpdir(), 'tributary-warnings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A module at `<dir>/<path>` whose `warn(target, ...args)` calls `target.emitWarning(...args)`: its frame is in the stack. */
function moduleAt(path: string): { warn: (target: Pick<NodeJS.Process, 'emitWarning'>, ...args: unknown[]) => void } {
  const file = join(dir, path);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, 'exports.warn = function warn(target, ...args) { target.emitWarning(...args); };\n');
  return createRequire(import.meta.url)(file) as ReturnType<typeof moduleAt>;
}

function fakeProcess(): { emitWarning: NodeJS.Process['emitWarning']; readonly seen: unknown[][] } {
  const seen: unknown[][] = [];
  return { seen, emitWarning: ((...args: unknown[]) => void seen.push(args)) as NodeJS.Process['emitWarning'] };
}

test("kafkajs' TimeoutNegativeWarning (Node 24, kafkajs#1751) is hidden; the same warning from anywhere else, and other warnings from kafkajs, are not", () => {
  const kafkajs = moduleAt('node_modules/kafkajs/src/network/requestQueue/index.js');
  const ours = moduleAt('src/connectors/kafka/somewhere.js');
  const target = fakeProcess();
  hideKnownWarnings(target);
  const message = '-1796437862760 is a negative number.\nTimeout duration was set to 1.';
  kafkajs.warn(target, message, 'TimeoutNegativeWarning');
  kafkajs.warn(target, Object.assign(new Error(message), { name: 'TimeoutNegativeWarning' }));
  kafkajs.warn(target, message, { type: 'TimeoutNegativeWarning' });
  assert.deepEqual(target.seen, []);
  ours.warn(target, message, 'TimeoutNegativeWarning');
  kafkajs.warn(target, 'something else', 'DeprecationWarning');
  assert.deepEqual(target.seen, [
    [message, 'TimeoutNegativeWarning'],
    ['something else', 'DeprecationWarning'],
  ]);
});

#!/usr/bin/env node
// Runs node's built-in test runner over every *.test.ts below the given folders, with tsx as the
// TypeScript loader. Node 20's --test does not expand globs itself, hence this script.
//
// Files named *.long.test.ts stop and restart a server of their own mid-stream (a Kafka or Pulsar
// broker: minutes each, mostly JVM start-up). Folders given here skip them unless
// TRIBUTARY_LONG_TESTS=include (with the rest) or =only (`npm run test:long`); a file named on
// the command line always runs. Every connector keeps its real-server tests in the default run;
// CI runs the long ones too (.ci/run).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2);
if (roots.length === 0) roots.push('test', 'marble-tests');
const long = process.env.TRIBUTARY_LONG_TESTS ?? 'skip';
if (!['skip', 'include', 'only'].includes(long)) {
  console.error(`TRIBUTARY_LONG_TESTS must be skip, include or only, got '${long}'`);
  process.exit(2);
}
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.ts') && (long === 'include' || name.endsWith('.long.test.ts') === (long === 'only'))) files.push(path);
  }
};
for (const root of roots) {
  if (statSync(root).isDirectory()) walk(root);
  else files.push(root);
}
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
const filter = process.env.TEST_FILTER;
const selected = filter ? files.filter((f) => f.includes(filter)) : files;
// An empty list would make `node --test` look for tests everywhere on its own.
if (selected.length === 0) {
  console.error(`no test file under ${roots.join(', ')} contains '${filter}'`);
  process.exit(1);
}
if (process.env.TRIBUTARY_LIST_TESTS === '1') {
  console.log(selected.join('\n'));
  process.exit(0);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...selected],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);

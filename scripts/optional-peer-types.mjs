#!/usr/bin/env node
// Runs after `tsc -p tsconfig.build.json`: makes the published declarations compile in an app that
// type-checks with `skipLibCheck: false` and has none of the optional peer dependencies installed.
//
// A connector's declarations name its client's types (kafkajs' Kafka, avsc's Schema, the AWS SDK's
// clients). An app without that client gets TS2307 "Cannot find module" from our .d.ts files, though
// it never uses the connector. tsc drops comments such as `// @ts-ignore` from the source's imports
// when it writes declarations, so this marks them afterwards: each line of a .d.ts that names an
// optional peer as a module (`from 'x'`, `import('x')`) gets a `// @ts-ignore` line before it.
// With the peer installed the types are the peer's own; without it they are `any`, and only code
// that uses that connector (which needs the peer anyway) would see them. The list of peers is
// package.json's optional peerDependencies, so a peer added there is covered without editing this.
// `.ci/run` checks the result: it packs the package, installs it into a scratch app with no peers
// and runs tsc with skipLibCheck false.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MARK = '// @ts-ignore optional peer dependency: its own types when installed, any when not';
const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const peers = Object.entries(pkg.peerDependenciesMeta ?? {})
  .filter(([, meta]) => meta.optional === true)
  .map(([name]) => name);
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
// The peer itself or a subpath of it (`avsc/lib/...`).
const specifier = new RegExp(`(?:from\\s+|import\\(\\s*)['"](?:${peers.map(escape).join('|')})(?:/[^'"]*)?['"]`);

const dir = join(root, process.argv[2] ?? 'dist');
let files = 0;
let lines = 0;
const walk = (path) => {
  for (const name of readdirSync(path)) {
    const child = join(path, name);
    if (statSync(child).isDirectory()) walk(child);
    else if (name.endsWith('.d.ts')) mark(child);
  }
};
const mark = (file) => {
  const before = readFileSync(file, 'utf8').split('\n');
  const after = [];
  for (const [i, line] of before.entries()) {
    if (specifier.test(line) && before[i - 1]?.trim() !== MARK) {
      after.push(`${/^\s*/.exec(line)[0]}${MARK}`);
      lines++;
    }
    after.push(line);
  }
  if (after.length !== before.length) {
    writeFileSync(file, after.join('\n'));
    files++;
  }
};
walk(dir);
console.log(`[optional-peer-types] ${lines} import(s) of optional peers marked in ${files} declaration file(s) under ${dir}`);

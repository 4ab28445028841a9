#!/usr/bin/env node
// Runs after `tsc -p tsconfig.build.json` (npm run build): bundles the CLI into one file,
// dist/cli/tributary.js (package.json's bin), and its decode worker beside it.
//
// Why: `tributary run` loaded ~480 modules at start (our ~245 ESM files and rxjs's ~236 CommonJS
// ones), ~0.2 s of a run before the first row: a third of a 100k-row CSV run, 7 % of a 1M-row one
// (measured: a 2-row CSV takes 0.35 s unbundled, 0.16 s bundled). The library's modules stay as
// tsc wrote them; only the command is bundled. The optional peers (connector clients) stay
// outside, loaded only when a source uses them, as from the unbundled modules.
//
// The bundle sits where tsc puts main.js (dist/cli), so what it finds by relative URL is where it
// was: ../../package.json (--version), and ./decodeWorker.js (fs.decode.threads), which is
// therefore bundled into dist/cli too.
//
// Usage: node scripts/bundle-cli.mjs [outDir]   (default dist)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const outDir = process.argv[2] ?? join(root, 'dist');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const peers = Object.keys(pkg.peerDependencies ?? {});
const { build } = await import('esbuild');
await build({
  entryPoints: { tributary: join(root, 'src/cli/main.ts'), decodeWorker: join(root, 'src/parallel/decodeWorker.ts') },
  outdir: join(outDir, 'cli'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // A peer and any of its subpaths (`@aws-sdk/client-s3`, `protobufjs/minimal`) stay imports.
  external: peers.flatMap((peer) => [peer, `${peer}/*`]),
  // CommonJS inside the bundle (rxjs) may call require for Node's own modules.
  banner: { js: "import { createRequire as __tributaryCreateRequire } from 'node:module'; const require = __tributaryCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});

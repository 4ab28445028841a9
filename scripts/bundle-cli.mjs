#!/usr/bin/env node
// Runs after `tsc -p tsconfig.build.json` (npm run build): bundles the CLI into one file,
// dist/cli/tributary-cli.js, with its decode worker beside it, and writes package.json's bin,
// dist/cli/tributary.js, a few lines that turn on Node's compile cache and load the bundle.
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
// Why the bin is not the bundle itself: Node (>= 22.1) keeps the code V8 compiled for a module
// in a cache on disk only for modules loaded after `module.enableCompileCache()`, so the call
// has to come before the bundle's import. Later runs then skip compiling the bundle (then 1.2 MB):
// `tributary --version` took 124 ms instead of 156, and a 100k-row CSV run 8 % less time, as
// whole processes on Node 22 (medians of 12 and 10 paired runs). The cache is Node's: in
// `os.tmpdir()/node-compile-cache`, or `NODE_COMPILE_CACHE`; off with
// `NODE_DISABLE_COMPILE_CACHE=1`. TypeScript's tsc does the same. On Node 20 the bin just loads
// the bundle.
//
// rxjs goes in as its ES module build, not the CommonJS one that Node's `exports` condition
// (`node`) picks: esbuild cannot drop the unused parts of CommonJS, so the bundle carried and
// evaluated all of rxjs at every start. With the ES build only the operators the CLI uses are
// in: the bundle went from 1.16 to 0.85 MB, and `tributary --version` from 0.23 to 0.19 s on
// Node 20 (0.13 to 0.10 s on Node 22) with 9-11 MB less RSS (6 runs each, alternating); the
// NDJSON of a run is byte for byte the same. Nothing CommonJS is left in the bundle, so it needs
// no `require` of its own (the bundle test checks that no CommonJS wrapper or `__require` is in it).
//
// Usage: node scripts/bundle-cli.mjs [outDir]   (default dist)
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const outDir = process.argv[2] ?? join(root, 'dist');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const peers = Object.keys(pkg.peerDependencies ?? {});
const { build } = await import('esbuild');
// Where this project's rxjs keeps its ES module build (rxjs 7: dist/esm, with `sideEffects: false`).
const rxjsEsm = join(dirname(createRequire(import.meta.url).resolve('rxjs/package.json')), 'dist', 'esm', 'index.js');
if (!existsSync(rxjsEsm)) throw new Error(`bundle-cli: rxjs has no ES module build at ${rxjsEsm} (another rxjs major?): update the rxjs-esm plugin`);
await build({
  entryPoints: { 'tributary-cli': join(root, 'src/cli/main.ts'), decodeWorker: join(root, 'src/parallel/decodeWorker.ts') },
  outdir: join(outDir, 'cli'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // A peer and any of its subpaths (`@aws-sdk/client-s3`, `protobufjs/minimal`) stay imports.
  external: peers.flatMap((peer) => [peer, `${peer}/*`]),
  logLevel: 'warning',
  plugins: [{ name: 'rxjs-esm', setup: (b) => b.onResolve({ filter: /^rxjs$/ }, () => ({ path: rxjsEsm })) }],
});

const bin = join(outDir, 'cli', 'tributary.js');
writeFileSync(
  bin,
  `#!/usr/bin/env node
// package.json's bin: turns on Node's compile cache (Node >= 22.1), then runs the bundled CLI,
// which is compiled from the cache from the second run on (see scripts/bundle-cli.mjs).
import module from 'node:module';
module.enableCompileCache?.();
await import('./tributary-cli.js');
`,
);
chmodSync(bin, 0o755);

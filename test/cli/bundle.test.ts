import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { bundleCli } from '../support/cli.js';

// package.json's bin (dist/cli/tributary.js) loads the bundle scripts/bundle-cli.mjs makes
// (dist/cli/tributary-cli.js). It must find what the unbundled CLI found by relative URL:
// package.json (--version) and its decode worker (fs.decode.threads), and write the same rows.

test('the bundled CLI: --version, a CSV run, and the same run decoded on worker threads', { timeout: 120_000 }, (t) => {
  const home = mkdtempSync(join(tmpdir(), 'cliperf-bundle-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const cli = bundleCli(home);
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });

  const version = run('--version');
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, /^tributary \d+\.\d+\.\d+/);
  // rxjs is bundled from its ES module build, whose unused operators esbuild leaves out (esbuild
  // names each bundled file in a comment): never the whole CommonJS build.
  const bundle = readFileSync(join(dirname(cli), 'tributary-cli.js'), 'utf8');
  assert.match(bundle, /node_modules\/rxjs\/dist\/esm\/internal\/Observable\.js/);
  assert.doesNotMatch(bundle, /node_modules\/rxjs\/dist\/cjs\//);
  assert.doesNotMatch(bundle, /rxjs\/dist\/esm\/internal\/operators\/windowToggle\.js/, 'windowToggle, which tributary does not use, is left out');
  // Nothing CommonJS is bundled (esbuild's `__commonJS` wrapper) and nothing uses esbuild's
  // `__require` shim, which throws in an ES module bundle without a `require` of its own.
  assert.doesNotMatch(bundle, /__commonJS|__require\b/);

  const data = join(home, 'data');
  mkdirSync(data);
  const rows = Array.from({ length: 3000 }, (_, i) => `${i},name ${i} "q",${(i * 1.25).toFixed(2)}`);
  writeFileSync(join(data, 'in.csv'), `id,name,price\n${rows.map((r) => r.replace(/"q"/, '"" q ""').replace(/name (\d+) "" q ""/, '"name $1 "" q """')).join('\n')}\n`);
  const sql = (threads: number) => `CREATE SOURCE s (id INTEGER NOT NULL, name VARCHAR, price NUMERIC(10,2)) WITH ('connector' = 'fs', 'fs.path' = '${data}', 'fs.match_pattern' = 'in.csv', 'fs.decode.threads' = '${threads}', 'fs.decode.range.bytes' = '4096') ROW FORMAT 'csv';\nSELECT * FROM s;\n`;
  writeFileSync(join(home, 'one.sql'), sql(1));
  writeFileSync(join(home, 'two.sql'), sql(2));
  const one = run('run', join(home, 'one.sql'), '--quiet');
  assert.equal(one.status, 0, one.stderr);
  const lines = one.stdout.trim().split('\n');
  assert.equal(lines.length, 3000);
  assert.equal(lines[7], '{"id":7,"name":"name 7 \\" q \\"","price":8.75}');
  const two = run('run', join(home, 'two.sql'), '--quiet');
  assert.equal(two.status, 0, two.stderr);
  assert.equal(two.stdout, one.stdout);
});

test("the bin turns on Node's compile cache where Node has one, and leaves it off when told to", { timeout: 120_000 }, (t) => {
  const home = mkdtempSync(join(tmpdir(), 'cliperf-cache-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const cli = bundleCli(home);
  // The cache's default place is os.tmpdir()/node-compile-cache: TMPDIR points it into `home`.
  // Whatever the environment running the tests says about the cache is left out.
  const version = (tmp: string, extra: Record<string, string> = {}): void => {
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
    delete env['NODE_COMPILE_CACHE'];
    delete env['NODE_DISABLE_COMPILE_CACHE'];
    const result = spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8', timeout: 60_000, env: { ...env, ...extra } });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^tributary \d+\.\d+\.\d+/);
  };
  /** Files in `tmp`'s cache folder. */
  const cacheFiles = (tmp: string): string[] => {
    const cache = join(tmp, 'node-compile-cache');
    if (!existsSync(cache)) return [];
    return readdirSync(cache, { recursive: true, withFileTypes: true }).flatMap((e) => (e.isFile() ? [join(e.parentPath, e.name)] : []));
  };
  const run = (tmp: string, extra: Record<string, string> = {}): number => {
    mkdirSync(tmp);
    version(tmp, extra);
    return cacheFiles(tmp).length;
  };
  const hasCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';
  const on = join(home, 'on');
  const entries = run(on);
  if (hasCache) assert.ok(entries > 0, `Node ${process.version} has module.enableCompileCache, but the bin left no cache`);
  else assert.equal(entries, 0, `Node ${process.version} has no compile cache, yet one was written`);
  assert.equal(run(join(home, 'off'), { NODE_DISABLE_COMPILE_CACHE: '1' }), 0);

  // A second run reads the cache; one that is garbage (a disk error, a crash while Node wrote it)
  // must not stop the CLI either.
  version(on);
  for (const file of cacheFiles(on)) writeFileSync(file, randomBytes(4096));
  version(on);
});

import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (this file is test/support/cli.ts). */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** How a CLI run ended and what it printed. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `tributary <args>` from the sources (under tsx) in the project root and collects its
 * output. A run still going after `timeoutMs` is killed (its code is then null), so a hung CLI
 * fails its test instead of stalling the suite.
 */
export function runCli(args: readonly string[], { timeoutMs = 60_000 }: { readonly timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'src/cli/main.ts'), ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/**
 * Builds the CLI into `home` as `npm run build` bundles it for package.json's bin
 * (scripts/bundle-cli.mjs, beside a copy of package.json) and returns the bundle's path: the CLI
 * as users run it, without tsx, whose loader touches `process.stdout` before the CLI starts.
 */
export function bundleCli(home: string): string {
  mkdirSync(home, { recursive: true });
  copyFileSync(join(projectRoot, 'package.json'), join(home, 'package.json'));
  const built = spawnSync(process.execPath, [join(projectRoot, 'scripts', 'bundle-cli.mjs'), join(home, 'dist')], { encoding: 'utf8', timeout: 60_000 });
  if (built.status !== 0) throw new Error(`bundling the CLI failed: ${built.stderr}`);
  return join(home, 'dist', 'cli', 'tributary.js');
}

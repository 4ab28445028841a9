import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { requirePeers } from './peers.js';

/** `../shared/fixtures` beside the project: real-world data written by others. */
export const fixturesDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'fixtures');

/**
 * The path of a fixture, or `undefined` after skipping the test when `../shared` is absent
 * (a failure under `TRIBUTARY_REQUIRE_PEERS=1`, as in CI, where it is always present).
 */
export function fixture(t: TestContext, ...parts: string[]): string | undefined {
  const path = join(fixturesDir, ...parts);
  if (existsSync(path)) return path;
  const why = `fixture ${path} is absent: clone the project beside ../shared`;
  if (requirePeers) throw new Error(why);
  t.skip(why);
  return undefined;
}

// Reads a FileStore directory's state the way `FileStore.open` would (state.json, then the log it
// names replayed on top, a torn last record left out), without opening a store: a store holds its
// directory, and opening deletes a crash's leftovers, which a test watching a live or killed
// process must not do.
import * as crypto from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replayLog } from '../../src/state/stateLog.js';

/** The entries in `dir`, in the store's order, or `undefined` when there is no state.json. Throws on a damaged log. */
export function readFileStoreState(dir: string): Map<string, unknown> | undefined {
  const file = join(dir, 'state.json');
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as { log?: number; entries: Array<[string, unknown]> };
  const texts = new Map(state.entries.map(([key, value]) => [key, JSON.stringify(value)]));
  const log = state.log === undefined ? undefined : join(dir, `state.json.log-${state.log}`);
  if (log !== undefined && existsSync(log)) {
    replayLog(crypto, readFileSync(log), texts, (problem) => {
      throw new Error(`${log} ${problem}`);
    });
  }
  return new Map(Array.from(texts, ([key, text]) => [key, JSON.parse(text) as unknown]));
}

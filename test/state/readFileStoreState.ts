// Reads a FileStore directory's state the way `FileStore.open` would (state.json, then the log it
// names replayed on top, a torn last record left out), without opening a store: a store holds its
// directory, and opening deletes a crash's leftovers, which a test watching a live or killed
// process must not do.
import * as crypto from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replayLog } from '../../src/state/stateLog.js';

/**
 * The entries in `dir`, in the store's order, or `undefined` when there is no state.json. Throws
 * on a damaged or missing log. A live store may replace state.json and delete its old log between
 * the two reads: then both are read again.
 */
export function readFileStoreState(dir: string): Map<string, unknown> | undefined {
  const file = join(dir, 'state.json');
  for (let attempt = 0; ; attempt++) {
    if (!existsSync(file)) return undefined;
    const text = readFileSync(file, 'utf8');
    const state = JSON.parse(text) as { log?: number; entries: Array<[string, unknown]> };
    const texts = new Map(state.entries.map(([key, value]) => [key, JSON.stringify(value)]));
    if (state.log === undefined) return decoded(texts);
    const log = join(dir, `state.json.log-${state.log}`);
    let bytes: Buffer;
    try {
      bytes = readFileSync(log);
    } catch (err) {
      if (attempt < 10 && readFileSync(file, 'utf8') !== text) continue;
      throw err;
    }
    replayLog(crypto, bytes, texts, (problem) => {
      throw new Error(`${log} ${problem}`);
    });
    return decoded(texts);
  }
}

function decoded(texts: ReadonlyMap<string, string>): Map<string, unknown> {
  return new Map(Array.from(texts, ([key, text]) => [key, JSON.parse(text) as unknown]));
}

// The smallest complete connector, as the README's "Writing a connector" shows it: the lines of
// the files in a directory, one split per file, the position a line number. Inside the repository
// it imports from src/; a connector package imports the same names from 'tributary'.
// Tested in test/connectors/base/lineFiles.test.ts (read, checkpoint, crash, resume).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defer, map } from 'rxjs';
import { fetchReader } from '../src/connectors/base/index.js';
import type { SourceOptions } from '../src/connectors/ConnectorFactory.js';
import { createSource } from '../src/core/createSource.js';
import type { Enumerator } from '../src/core/Enumerator.js';
import type { Source } from '../src/core/Source.js';
import type { SourceSplit } from '../src/core/SourceSplit.js';

/** 1. The split type: one file. JSON only, since it is stored in checkpoints. */
export interface LineFileSplit extends SourceSplit {
  readonly path: string;
}

/** 2. The enumerator: the files present at start (a bounded source: it lists once and completes). */
export function lineFileEnumerator(dir: string): Enumerator<LineFileSplit> {
  return {
    splits: () =>
      defer(() => readdir(dir)).pipe(map((names) => names.sort().map((name) => ({ id: name, path: join(dir, name) })))),
  };
}

/** What a line-file source takes: the common source options, a directory, lines per fetch. */
export interface LineFileSourceOptions extends SourceOptions {
  readonly dir: string;
  /** Lines per fetch (per chunk). Default 100. */
  readonly batchLines?: number;
}

/**
 * 3. The fetch step, and the source. The position is the number of lines read; a fetch returns
 * the next `batchLines` lines and says where the next one starts. The connector base runs the
 * loop (pause gate, retries, the scheduler) and the core checkpoints the positions.
 * (Rereading the file every fetch keeps the example short; a real connector keeps a handle.)
 */
export function createLineFileSource(options: LineFileSourceOptions): Source<string> {
  const { dir, batchLines = 100, ...common } = options;
  const reader = fetchReader<LineFileSplit, string>({
    fetch: async (split, position) => {
      const lines = (await readFile(split.path, 'utf8')).split('\n');
      if (lines.at(-1) === '') lines.pop(); // the newline ending the last line starts no line
      const from = position === null ? 0 : Number(position);
      const records = lines.slice(from, from + batchLines);
      const next = from + records.length;
      return { records, offset: String(from), nextOffset: String(next), done: next >= lines.length };
    },
    scheduler: common.scheduler,
  });
  return createSource({ ...common, enumerator: lineFileEnumerator(dir), reader });
}

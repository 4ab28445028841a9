import { createReadStream } from 'node:fs';
import type { Variant } from '../Variant.js';

/** NDJSON the hand-rolled way: decode to text, split on newlines, `JSON.parse` each line. */
export const ndjsonLines: Variant = async ({ path }) => {
  let rows = 0;
  let rest = '';
  for await (const text of createReadStream(path, { encoding: 'utf8' })) {
    const lines = (rest + (text as string)).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.length > 0 && JSON.parse(line) !== undefined) rows++;
    }
  }
  if (rest.length > 0 && JSON.parse(rest) !== undefined) rows++;
  return { rows };
};

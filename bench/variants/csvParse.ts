import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { Variant } from '../Variant.js';

/** csv-parse over a file stream, one object per row (`columns: true`). */
export const csvParse: Variant = ({ path }) =>
  new Promise((resolve, reject) => {
    let rows = 0;
    const parser = createReadStream(path).pipe(parse({ columns: true }));
    parser.on('data', () => rows++);
    parser.on('error', reject);
    parser.on('end', () => resolve({ rows }));
  });

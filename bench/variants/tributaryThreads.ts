import { basename, dirname } from 'node:path';
import { createFsSource } from '../../src/connectors/fs/createFsSource.js';
import { createFormat } from '../../src/formats/createFormat.js';
import type { Variant, VariantArgs } from '../Variant.js';
import { drain } from './tributaryFs.js';

/**
 * The one-file bounded scan of `tributary-csv`/`tributary-ndjson`, decoded on
 * `args.options.threads` worker threads (default 2; `fs.decode.threads`), the file cut into byte
 * ranges. Worker start-up is part of the run, as it is for a user.
 */
function threaded(format: 'csv' | 'json'): Variant {
  return (args: VariantArgs) =>
    drain(
      createFsSource({
        name: 'bench',
        path: dirname(args.path),
        pattern: basename(args.path),
        format: createFormat(format),
        formatSpec: { name: format, options: {} },
        decodeThreads: Number(args.options['threads'] ?? 2),
      }),
    );
}

/** CSV decoded on worker threads. */
export const tributaryCsvThreads: Variant = threaded('csv');

/** NDJSON decoded on worker threads. */
export const tributaryNdjsonThreads: Variant = threaded('json');

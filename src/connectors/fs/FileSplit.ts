import type { SourceSplit } from '../../core/SourceSplit.js';

/**
 * A file of an `fs` source: one split per file. The id is the path relative to the scanned
 * directory, with `/` separators, so checkpoints survive moving the whole directory and a growing
 * file keeps its split (and position) while it is tailed.
 *
 * @example
 * const split: FileSplit = { id: '2024/01/orders.ndjson' };
 */
export interface FileSplit extends SourceSplit {
  readonly id: string;
}

import { map, type OperatorFunction } from 'rxjs';
import { SourceError } from './SourceError.js';
import type { Chunk, SourceEvent } from './SourceEvent.js';

/**
 * Maps every record of every chunk, passing barriers through untouched (so checkpoints keep
 * working downstream). An error thrown by `project` names the source, the split and the offset
 * of the chunk it happened in, and the record's index in that chunk.
 *
 * @example
 * source.pipe(mapRecords((row) => ({ ...row, total: row.price * row.qty }), 'orders'))
 */
export function mapRecords<T, R>(project: (record: T, index: number) => R, sourceName = 'pipeline'): OperatorFunction<SourceEvent<T>, SourceEvent<R>> {
  return map((event): SourceEvent<R> => {
    if (event.type !== 'chunk') return event;
    const records = event.records;
    const out = new Array<R>(records.length);
    for (let i = 0; i < records.length; i++) {
      try {
        out[i] = project(records[i]!, i);
      } catch (err) {
        throw new SourceError(
          `record ${i} of the chunk failed in mapRecords: ${err instanceof Error ? err.message : String(err)}`,
          { source: sourceName, split: event.splitId, offset: event.offset },
          { cause: err },
        );
      }
    }
    const mapped: Chunk<R> = { type: 'chunk', splitId: event.splitId, records: out, offset: event.offset, nextOffset: event.nextOffset };
    return mapped;
  });
}

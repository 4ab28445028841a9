import type { Chunk } from '../core/SourceEvent.js';
import { SourceError } from '../core/SourceError.js';
import type { Row } from '../formats/Format.js';
import type { CompiledQuery } from '../sql/compileQuery.js';

/**
 * WHERE, projection and LIMIT of a compiled query over one chunk's records at a time, for the
 * CLI's sink: running the query inside the sink puts it before the checkpoint, so an evaluation
 * error fails the epoch (and every rerun fails on the same row) instead of being committed past.
 * The error names the source, the chunk's split and offset, and the record's index in the chunk.
 */
export class ChunkQuery {
  private remaining: number;

  constructor(private readonly compiled: CompiledQuery) {
    this.remaining = compiled.limit ?? Infinity;
  }

  /** True once LIMIT rows have been produced: later chunks produce none. */
  get done(): boolean {
    return this.remaining <= 0;
  }

  run(chunk: Chunk<Row>, sourceName: string): Row[] {
    const { filter, project } = this.compiled;
    const out: Row[] = [];
    const records = chunk.records;
    for (let i = 0; i < records.length && out.length < this.remaining; i++) {
      try {
        const record = records[i]!;
        if (filter === undefined || filter(record)) out.push(project(record));
      } catch (err) {
        throw new SourceError(
          `record ${i} of the chunk: query on source "${this.compiled.source}": ${err instanceof Error ? err.message : String(err)}`,
          { source: sourceName, split: chunk.splitId, offset: chunk.offset },
          { cause: err },
        );
      }
    }
    this.remaining -= out.length;
    return out;
  }
}

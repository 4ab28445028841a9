import type { Chunk } from '../core/SourceEvent.js';
import { SourceError } from '../core/SourceError.js';
import type { Row } from '../formats/Format.js';
import type { CompiledQuery } from '../sql/compileQuery.js';
import type { LineBuffer } from './LineBuffer.js';
import { rowLineWriter, type RowLineWriter } from './rowLineWriter.js';
import { rowJsonWriter } from './toJsonText.js';

/** A chunk's result rows as NDJSON text, and how many lines it holds. */
export interface ChunkText {
  readonly text: string;
  readonly rows: number;
}

/**
 * Characters of NDJSON encoded at a time by {@link ChunkQuery.writeLines}. Encoding line by line
 * made the UTF-8 writes 16 % of the CLI's CPU (TPC-H `part`, ~210 bytes a line): each is a call
 * into C++ that first flattens its line. Making and encoding 1M such lines in pieces of 128-512
 * lines took 0.5-0.85x the time of line by line (Node 20 and 22, rounds in one process), and the
 * CLI's 1M-row run 11 % less time (8 paired runs, Node 22). Whole chunks (~2,000 lines) gave
 * back most of the gain: a flat string past ~128 KB is a large object. 32K characters stay
 * well below that.
 */
const BATCH_CHARS = 32 * 1024;

/**
 * WHERE, projection and LIMIT of a compiled query over one chunk's records at a time, for the
 * CLI's sink: running the query inside the sink puts it before the checkpoint, so an evaluation
 * error fails the epoch (and every rerun fails on the same row) instead of being committed past.
 * The error names the source, the chunk's split and offset, and the record's index in the chunk.
 */
export class ChunkQuery {
  private remaining: number;
  /** Writes a record's output line without building the projected row, when it can. */
  private readonly line: RowLineWriter | undefined;
  /** The text of a row `run` built: its keys in the query's order. */
  private readonly rowText: (row: Row) => string;

  constructor(private readonly compiled: CompiledQuery) {
    this.remaining = compiled.limit ?? Infinity;
    const names = compiled.columns.map((c) => c.name);
    this.rowText = rowJsonWriter(names);
    // Every query with output columns takes the writer, a `__proto__` column included (its key is
    // text here, never an assignment), so the text is the same whichever path writes it: keys in
    // the declared order (an object would put integer-like keys such as "1" first).
    this.line =
      compiled.evaluators === undefined
        ? undefined
        : rowLineWriter(
            names,
            compiled.columns.map((c) => c.type),
            compiled.evaluators,
            compiled.reads,
          );
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
        throw this.failed(err, i, chunk, sourceName);
      }
    }
    this.remaining -= out.length;
    return out;
  }

  /**
   * The result rows of `chunk` as NDJSON text: the same text as `toJsonText` of each row `run`
   * returns, one a line, written straight from the output values: each row is built once (by
   * the source's converter), not a second time as a projected object. All of the chunk's text
   * is made before any of it is handed on, so a row that cannot be written fails the chunk.
   */
  text(chunk: Chunk<Row>, sourceName: string): ChunkText {
    const line = this.line;
    if (line === undefined) {
      const rows = this.run(chunk, sourceName);
      let text = '';
      for (const row of rows) text += `${this.rowText(row)}\n`;
      return { text, rows: rows.length };
    }
    const { filter } = this.compiled;
    const records = chunk.records;
    // `+=` of whole lines (a few pieces each): measured 1.3x faster than pushing them to an
    // array and joining it, flattening by the output's UTF-8 encoding included.
    let text = '';
    let rows = 0;
    const remaining = this.remaining;
    for (let i = 0; i < records.length && rows < remaining; i++) {
      const record = records[i]!;
      try {
        if (filter !== undefined && !filter(record)) continue;
        // A value that cannot be JSON (one that contains itself) throws here, named by its record.
        text += line(record);
      } catch (err) {
        throw this.failed(err, i, chunk, sourceName);
      }
      rows++;
    }
    this.remaining -= rows;
    return { text, rows };
  }

  /**
   * Appends the result rows of `chunk` to `lines` as NDJSON: the text {@link text} makes, written
   * as bytes line by line. Returns how many. A row that fails throws after some lines were
   * appended: the caller drops them (see `NdjsonSink.writeLines`), so the chunk fails whole.
   */
  writeLines(chunk: Chunk<Row>, sourceName: string, lines: LineBuffer): number {
    const line = this.line;
    if (line === undefined) {
      const { text, rows } = this.text(chunk, sourceName);
      lines.append(text);
      return rows;
    }
    const { filter } = this.compiled;
    const records = chunk.records;
    let rows = 0;
    // Lines are joined into pieces of about BATCH_CHARS before they are encoded: one UTF-8 write
    // (a call into C++ that first flattens its string) per piece instead of per line.
    let text = '';
    const remaining = this.remaining;
    for (let i = 0; i < records.length && rows < remaining; i++) {
      const record = records[i]!;
      try {
        if (filter !== undefined && !filter(record)) continue;
        text += line(record);
      } catch (err) {
        throw this.failed(err, i, chunk, sourceName);
      }
      rows++;
      if (text.length >= BATCH_CHARS) {
        lines.append(text);
        text = '';
      }
    }
    if (text.length > 0) lines.append(text);
    this.remaining -= rows;
    return rows;
  }

  private failed(err: unknown, index: number, chunk: Chunk<Row>, sourceName: string): SourceError {
    return new SourceError(
      `record ${index} of the chunk: query on source "${this.compiled.source}": ${err instanceof Error ? err.message : String(err)}`,
      { source: sourceName, split: chunk.splitId, offset: chunk.offset },
      { cause: err },
    );
  }
}

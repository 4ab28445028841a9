import { open, type FileHandle } from 'node:fs/promises';
import type { DeadLetter } from '../core/BadRecordHandler.js';

/**
 * `--dead-letter FILE`: the records a source set aside, appended to FILE as NDJSON, one object a
 * record: `{"source", "split", "position", "error", "raw"}` (`split` and `position` null when
 * unknown; `raw` the record's bytes in base64, null when the reader had none). Lines are
 * buffered and written by {@link flush}, which the CLI runs before every checkpoint commits and
 * which fsyncs: a dead letter is on disk before the epoch that skipped its record commits.
 */
export class DeadLetterFile {
  private buffer = '';
  /** Dead letters written so far. */
  count = 0;

  private constructor(
    private readonly handle: FileHandle,
    private readonly redact: (text: string) => string,
  ) {}

  /** Opens (creating, never truncating) FILE for appending. */
  static async open(path: string, redact: (text: string) => string = (text) => text): Promise<DeadLetterFile> {
    return new DeadLetterFile(await open(path, 'a'), redact);
  }

  add(source: string, letter: DeadLetter): void {
    const { error, raw } = letter;
    const line = {
      source,
      split: error.split ?? null,
      position: error.offset ?? null,
      error: this.redact(error.message),
      raw: raw === null ? null : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64'),
    };
    this.buffer += `${JSON.stringify(line)}\n`;
    this.count++;
  }

  /** Writes what was added since the last flush and syncs it to disk. */
  async flush(): Promise<void> {
    if (this.buffer === '') return;
    const text = this.buffer;
    this.buffer = '';
    await this.handle.appendFile(text);
    await this.handle.sync();
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.handle.close();
    }
  }
}

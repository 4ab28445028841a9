// The upstream of the fs crash scenarios: several CSV or NDJSON files in a directory, grown by
// appended lines and joined by new files between runs (and, unbounded, during them). The harness
// writes every byte itself, so it knows where each row's line ends: a committed byte offset
// covers exactly the rows whose line ends at or before it.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { intBetween } from '../../bench/prng.js';
import type { CommittedPositions, Upstream } from './Upstream.js';

export type FsFormat = 'csv' | 'ndjson';

/** Options of {@link FsUpstream}. */
export interface FsUpstreamOptions {
  readonly dir: string;
  readonly format: FsFormat;
  readonly mode: 'bounded' | 'unbounded';
  readonly random: () => number;
  /** Files written before the first run. */
  readonly files: number;
  readonly rowsPerFile: number;
  /** Rows of a file added between runs: [min, max]. */
  readonly newFileRows: readonly [number, number];
  /**
   * Bounded scans: whether lines may be appended to a file the committed checkpoint marks
   * finished. Issue 11 says such a file resumes at its offset; today's connector never reads it
   * again (the split is stored finished), so the appended rows are lost.
   */
  readonly appendToFinished: boolean;
  /** More `'key' = 'value'` connector properties for the job's WITH clause (e.g. decoding on worker threads). */
  readonly properties?: Readonly<Record<string, string>>;
}

interface FileRows {
  /** Byte offset after each row's line, in order. */
  readonly ends: number[];
  readonly ids: string[];
  size: number;
}

/** A multi-file fs upstream with appends and new files. */
export class FsUpstream implements Upstream {
  readonly source = 'rows';
  private readonly files = new Map<string, FileRows>();
  private readonly data: string;
  private fileCount = 0;

  constructor(private readonly options: FsUpstreamOptions) {
    this.data = join(options.dir, 'data');
    this.duringRun = options.mode === 'unbounded' ? async () => this.appendWhileRunning() : undefined;
  }

  async setUp(): Promise<void> {
    mkdirSync(this.data, { recursive: true });
    for (let i = 0; i < this.options.files; i++) this.addFile(this.options.rowsPerFile);
  }

  createSourceSql(): string {
    const pattern = this.options.format === 'csv' ? '*.csv' : '*.ndjson';
    const rowFormat = this.options.format === 'csv' ? 'csv' : 'json';
    return (
      `create source ${this.source} (id VARCHAR NOT NULL, pad VARCHAR) with (` +
      `'upstream.source' = 'fs', 'fs.path' = '${this.data}', 'fs.match_pattern' = '${pattern}', ` +
      `'fs.scan.mode' = '${this.options.mode}', 'fs.poll.interval.ms' = '200'` +
      Object.entries(this.options.properties ?? {})
        .map(([key, value]) => `, '${key}' = '${value}'`)
        .join('') +
      `) row format '${rowFormat}';`
    );
  }

  ids(): readonly string[] {
    return [...this.files.values()].flatMap((f) => f.ids);
  }

  covered(positions: CommittedPositions): string[] {
    const ids: string[] = [];
    for (const [name, position] of positions) {
      const file = this.files.get(name);
      if (file === undefined) throw new Error(`the checkpoint holds a split '${name}' that is no file of the scenario`);
      const at = byteOffset(position.offset);
      if (at === null) continue;
      const offset = Number(at);
      if (!Number.isSafeInteger(offset) || offset < 0 || offset > file.size) {
        throw new Error(`the checkpoint holds offset ${position.offset} for '${name}', outside its ${file.size} bytes`);
      }
      for (let i = 0; i < file.ends.length && file.ends[i]! <= offset; i++) ids.push(file.ids[i]!);
    }
    return ids;
  }

  coversAll(positions: CommittedPositions): boolean {
    for (const [name, file] of this.files) {
      const position = positions.get(name);
      const at = position === undefined ? null : byteOffset(position.offset);
      if (at === null || Number(at) < file.size) return false;
    }
    return true;
  }

  async betweenRuns(positions: CommittedPositions): Promise<void> {
    const { random } = this.options;
    const growable = [...this.files.keys()].filter(
      (name) => this.options.mode === 'unbounded' || this.options.appendToFinished || positions.get(name)?.finished !== true,
    );
    const appends = Math.min(growable.length, intBetween(random, 1, 3));
    for (let i = 0; i < appends; i++) {
      const name = growable.splice(intBetween(random, 0, growable.length - 1), 1)[0]!;
      this.append(name, intBetween(random, 5, 60));
    }
    // A new file now and then, and always when nothing could grow (a bounded run then has work).
    if (appends === 0 || random() < 0.35) this.addFile(intBetween(random, ...this.options.newFileRows));
  }

  /** Unbounded: a tailed file grows while the job runs. */
  readonly duringRun: (() => Promise<void>) | undefined;

  async tearDown(): Promise<void> {}

  private appendWhileRunning(): void {
    const names = [...this.files.keys()];
    this.append(names[intBetween(this.options.random, 0, names.length - 1)]!, intBetween(this.options.random, 5, 60));
  }

  private addFile(rows: number): void {
    const name = `f${String(this.fileCount++).padStart(3, '0')}.${this.options.format}`;
    const header = this.options.format === 'csv' ? 'id,pad\n' : '';
    writeFileSync(join(this.data, name), header);
    this.files.set(name, { ends: [], ids: [], size: Buffer.byteLength(header) });
    this.append(name, rows);
  }

  /** Appends `rows` lines in one write, recording where each ends. */
  private append(name: string, rows: number): void {
    const file = this.files.get(name)!;
    let text = '';
    let size = file.size;
    for (let i = 0; i < rows; i++) {
      const id = `${name}:${file.ids.length + 1}`;
      const pad = 'x'.repeat(intBetween(this.options.random, 10, 90));
      const line = this.options.format === 'csv' ? `${id},${pad}\n` : `${JSON.stringify({ id, pad })}\n`;
      text += line;
      size += Buffer.byteLength(line);
      file.ids.push(id);
      file.ends.push(size);
    }
    appendFileSync(join(this.data, name), text);
    appendFileSync(join(this.options.dir, 'appends.log'), `${new Date().toISOString()} ${name}: rows ${file.ids.length - rows + 1}-${file.ids.length}, bytes to ${size}\n`);
    file.size = size;
  }
}

/**
 * The byte offset in a stored fs split offset: a plain decimal, or a position that also
 * identifies the file (JSON with the format's offset in `at`, as issue 11's fingerprinting
 * stores it).
 */
function byteOffset(offset: string | null): string | null {
  if (offset === null || !offset.startsWith('{')) return offset;
  const at = (JSON.parse(offset) as { at?: unknown }).at;
  if (at !== null && typeof at !== 'string') throw new Error(`a stored fs position without an offset: ${offset}`);
  return at;
}

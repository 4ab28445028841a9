// A `tributary run --share` process over a `{p, i}` query, followed as the Kafka share tests need:
// its rows (stdout read at a set rate, so a run lasts long enough to kill or join processes
// mid-way), and the lease events it logs on stderr (acquired with their start offsets, held set).
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Acquired {
  readonly splits: readonly string[];
  readonly from: ReadonlyArray<string | null>;
  readonly at: number;
}

export class ShareCli {
  readonly child: ChildProcess;
  readonly rows: string[] = [];
  readonly acquired: Acquired[] = [];
  readonly fenced: string[] = [];
  /** Splits it reported lost (a renewal found the lease gone) or fenced (a commit refused), when. */
  readonly dropped: Array<{ readonly type: 'lost' | 'fenced'; readonly splits: readonly string[]; readonly at: number }> = [];
  readonly held = new Set<string>();
  stderr = '';
  readonly exited: Promise<number | null>;

  /** `readRate`: bytes of stdout read per second. */
  constructor(sql: string, state: string, leaseMs: number, readRate: number) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', sql, '--state', state, '--share', '--lease-ms', String(leaseMs), '--checkpoint-interval', '200'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let started: number | undefined;
    let bytes = 0;
    let partial = '';
    const out = this.child.stdout!;
    out.setEncoding('utf8').on('data', (text: string) => {
      started ??= Date.now();
      bytes += Buffer.byteLength(text);
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const row = JSON.parse(line) as { p: number; i: number };
        this.rows.push(`${row.p} ${row.i}`);
      }
      const ahead = bytes / readRate - (Date.now() - started) / 1000;
      if (ahead > 0) {
        out.pause();
        setTimeout(() => out.resume(), ahead * 1000);
      }
    });
    let errPartial = '';
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
      const lines = (errPartial + text).split('\n');
      errPartial = lines.pop()!;
      for (const line of lines) {
        const m = /^tributary: leases: (\{.*\})$/.exec(line);
        if (m === null) continue;
        const event = JSON.parse(m[1]!) as { type: string; splits: string[]; from?: Array<string | null> };
        if (event.type === 'acquired') {
          this.acquired.push({ splits: event.splits, from: event.from ?? [], at: Date.now() });
          for (const s of event.splits) this.held.add(s);
        }
        if (event.type === 'fenced') this.fenced.push(...event.splits);
        if (event.type === 'lost' || event.type === 'fenced') this.dropped.push({ type: event.type, splits: event.splits, at: Date.now() });
        if (event.type === 'released' || event.type === 'lost' || event.type === 'fenced') for (const s of event.splits) this.held.delete(s);
      }
    });
    this.exited = new Promise((done) => this.child.on('close', (code) => done(code)));
  }

  /** The last lease lines it logged, for a failure message. */
  leaseLines(n = 12): string {
    return this.stderr.split('\n').filter((l) => l.includes('leases:')).slice(-n).join('\n    ');
  }
}

/**
 * Checks the union of the processes' rows: every `{p, i}` for p < partitions, i < perPartition
 * came out, and a row that came out more than once lies at or after an offset its partition was
 * taken over from (Kafka offsets equal i: one producer, no transactions). Returns the repeats.
 */
export function checkRows(procs: readonly ShareCli[], partitions: number, perPartition: number, fail: (message: string) => never): number {
  const seen = new Map<string, number>();
  for (const p of procs) for (const key of p.rows) seen.set(key, (seen.get(key) ?? 0) + 1);
  for (let p = 0; p < partitions; p++) for (let i = 0; i < perPartition; i++) if (!seen.has(`${p} ${i}`)) fail(`message ${p}/${i} is missing`);
  if (seen.size !== partitions * perPartition) fail(`${seen.size} distinct rows, expected ${partitions * perPartition}`);
  const takeovers = new Map<number, number[]>();
  const first = new Set<string>();
  for (const e of procs.flatMap((p) => p.acquired).sort((a, b) => a.at - b.at)) {
    e.splits.forEach((s, k) => {
      if (!first.has(s)) return void first.add(s);
      const partition = Number(/(\d+)$/.exec(s)![1]);
      const from = e.from[k];
      takeovers.set(partition, [...(takeovers.get(partition) ?? []), from === null || from === undefined ? 0 : Number(from)]);
    });
  }
  let repeats = 0;
  for (const [key, count] of seen) {
    if (count === 1) continue;
    repeats += count - 1;
    const [p, i] = key.split(' ').map(Number) as [number, number];
    const from = takeovers.get(p) ?? [];
    if (!from.some((at) => i >= at)) fail(`message ${key} printed ${count} times, before any takeover of partition ${p} (${from.join(', ')})`);
  }
  return repeats;
}

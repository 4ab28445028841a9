// A `tributary run --share` process over a `{p, i}` query, followed as the Kafka share tests need:
// its rows (stdout read at a set rate, so a run lasts long enough to kill or join processes
// mid-way), and the lease events it logs on stderr (acquired with their start offsets, held set).
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withAdmin } from '../support/kafka.js';
import { pgClient, type PgTarget } from '../support/postgres.js';

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
  /**
   * Splits it gave back without a commit of where their reading stopped (the leases' handover
   * timeout ran out): their next holder reads again what this process read since its last commit.
   */
  readonly unwritten: string[] = [];
  /** Splits it reported lost (a renewal found the lease gone) or fenced (a commit refused), when. */
  readonly dropped: Array<{ readonly type: 'lost' | 'fenced'; readonly splits: readonly string[]; readonly at: number }> = [];
  readonly held = new Set<string>();
  stderr = '';
  readonly exited: Promise<number | null>;

  #readRate: number;
  /** When the current read rate was set (or the first output came), and bytes read since. */
  #since: number | undefined;
  #bytesSince = 0;
  #resume: NodeJS.Timeout | undefined;

  /** `readRate`: bytes of stdout read per second (`Infinity`: as fast as it comes). */
  constructor(sql: string, state: string, leaseMs: number, readRate: number) {
    this.#readRate = readRate;
    this.child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', sql, '--state', state, '--share', '--lease-ms', String(leaseMs), '--checkpoint-interval', '200'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    const out = this.child.stdout!;
    out.setEncoding('utf8').on('data', (text: string) => {
      this.#since ??= Date.now();
      this.#bytesSince += Buffer.byteLength(text);
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const row = JSON.parse(line) as { p: number; i: number };
        this.rows.push(`${row.p} ${row.i}`);
      }
      const ahead = this.#bytesSince / this.#readRate - (Date.now() - this.#since) / 1000;
      if (ahead > 0) {
        out.pause();
        this.#resume = setTimeout(() => out.resume(), ahead * 1000);
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
        const event = JSON.parse(m[1]!) as { type: string; splits: string[]; from?: Array<string | null>; unwritten?: boolean };
        if (event.type === 'acquired') {
          this.acquired.push({ splits: event.splits, from: event.from ?? [], at: Date.now() });
          for (const s of event.splits) this.held.add(s);
        }
        if (event.type === 'fenced') this.fenced.push(...event.splits);
        if (event.type === 'released' && event.unwritten === true) this.unwritten.push(...event.splits);
        if (event.type === 'lost' || event.type === 'fenced') this.dropped.push({ type: event.type, splits: event.splits, at: Date.now() });
        if (event.type === 'released' || event.type === 'lost' || event.type === 'fenced') for (const s of event.splits) this.held.delete(s);
      }
    });
    this.exited = new Promise((done) => this.child.on('close', (code) => done(code)));
  }

  /**
   * Reads stdout at `bytesPerSecond` from now on (a paused reader resumes at once). A test reads
   * fast while processes settle their shares, since a handover waits until the old holder's
   * output before it was delivered, then slowly so the run outlasts a kill or a stop.
   */
  setReadRate(bytesPerSecond: number): void {
    this.#readRate = bytesPerSecond;
    this.#since = Date.now();
    this.#bytesSince = 0;
    clearTimeout(this.#resume);
    this.child.stdout!.resume();
  }

  /** The last lease lines it logged, for a failure message. */
  leaseLines(n = 12): string {
    return this.stderr.split('\n').filter((l) => l.includes('leases:')).slice(-n).join('\n    ');
  }
}

/**
 * Splits whose finish is committed in the lease table `<table>_leases`: they need no new holder
 * after a kill (their release may not have reached stderr before it).
 */
export async function finishedSplits(target: PgTarget, table: string): Promise<Set<string>> {
  const client = await pgClient(target);
  try {
    const { rows } = await client.query(`SELECT split FROM ${table}_leases WHERE finished`);
    return new Set(rows.map((r) => JSON.parse(String(r['split'])) as string));
  } finally {
    await client.end();
  }
}

/**
 * Fails when a process gave splits back unwritten (its handover timeout ran out before the
 * commit that would hand them over at a written position): the repeats that follow are that
 * timeout's, at-least-once by design, not a flaw {@link checkRows} should explain away.
 */
export function checkHandovers(procs: readonly ShareCli[], fail: (message: string) => never): void {
  procs.forEach((p, k) => {
    if (p.unwritten.length > 0) fail(`p${k + 1} gave back ${p.unwritten.join(', ')} unwritten (the handover timeout ran out): the test's readers were too slow for its lease time`);
  });
}

/**
 * The partitions of `topic` whose offset in the lag group `group` is not the partition's end,
 * as `partition: committed/end`: after a bounded run every partition's end must have reached the
 * group (what `kafka-consumer-groups --describe` shows), whichever process read it last. With
 * `procs`, each names the processes that printed its last row (row `perPartition - 1`).
 */
export async function lagBehind(brokers: string, group: string, topic: string, procs: readonly PrintedRows[] = [], perPartition = 0): Promise<string[]> {
  return withAdmin(brokers, async (admin) => {
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, e.high]));
    const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
    const printers = (p: number): string => {
      const last = `${p} ${perPartition - 1}`;
      const by = procs.flatMap((proc, k) => (proc.rows.includes(last) ? [`p${k + 1}`] : []));
      return by.length === 0 ? '' : ` (last row printed by ${by.join(', ')})`;
    };
    return [...ends].filter(([p, end]) => at.get(p) !== end).map(([p, end]) => `${p}: ${at.get(p) ?? 'none'}/${end}${printers(p)}`);
  });
}

/** What {@link checkRows} reads of a process: its rows and its acquisitions. */
export type PrintedRows = Pick<ShareCli, 'rows' | 'acquired'>;

/**
 * Checks the union of the processes' rows: every `{p, i}` for p < partitions, i < perPartition
 * came out, and each extra print of a row is paired with its own takeover of partition p (Kafka
 * offsets equal i: one producer, no transactions): a holder that took p from offset <= i from a
 * process of `mayRepeat` (killed or stopped: it may have printed rows after its last commit),
 * both having printed the row. A handover between live processes (startup balance, rebalances)
 * is at a committed position and explains nothing, so a partition no process of `mayRepeat`
 * ever held has no repeats at all. Returns the repeats.
 */
export function checkRows<P extends PrintedRows>(procs: readonly P[], partitions: number, perPartition: number, fail: (message: string) => never, mayRepeat: readonly P[]): number {
  const printers = new Map<string, P[]>();
  for (const p of procs) for (const key of p.rows) printers.set(key, [...(printers.get(key) ?? []), p]);
  for (let p = 0; p < partitions; p++) for (let i = 0; i < perPartition; i++) if (!printers.has(`${p} ${i}`)) fail(`message ${p}/${i} is missing`);
  if (printers.size !== partitions * perPartition) fail(`${printers.size} distinct rows, expected ${partitions * perPartition}`);
  /** Each partition's acquisitions in time order: who took it and from where. */
  const acquisitionsOf = new Map<number, Array<{ readonly by: P; readonly from: number }>>();
  const acquisitions = procs.flatMap((p) => p.acquired.map((e) => ({ p, e }))).sort((a, b) => a.e.at - b.e.at);
  for (const { p, e } of acquisitions) {
    e.splits.forEach((s, k) => {
      const partition = Number(/(\d+)$/.exec(s)![1]);
      const from = e.from[k];
      acquisitionsOf.set(partition, [...(acquisitionsOf.get(partition) ?? []), { by: p, from: from === null || from === undefined ? 0 : Number(from) }]);
    });
  }
  const name = (p: P): string => `p${procs.indexOf(p) + 1}`;
  let repeats = 0;
  for (const [key, by] of printers) {
    if (by.length === 1) continue;
    repeats += by.length - 1;
    const [p, i] = key.split(' ').map(Number) as [number, number];
    const all = acquisitionsOf.get(p) ?? [];
    // A repeat is explained by a takeover at or before the row by a process that printed it,
    // from a chain of earlier holders that includes a killed or stopped one that printed it too
    // (holders in between may have given the split on before reading that far). That one may be
    // the taker itself, if another process held the split in between: a stopped process, fenced
    // off, may get its split back later and print again what it printed uncommitted before.
    const pairs = all.filter(
      (t, k) =>
        k > 0 &&
        i >= t.from &&
        by.includes(t.by) &&
        all.slice(0, k).some((b, j) => mayRepeat.includes(b.by) && by.includes(b.by) && (b.by !== t.by || all.slice(j + 1, k).some((c) => c.by !== b.by))),
    );
    if (pairs.length < by.length - 1) {
      fail(
        `message ${key} printed ${by.length} times (by ${by.map(name).join(', ')}), paired with ${pairs.length} takeover(s) after a killed or stopped holder; ` +
          `holders of partition ${p}: ${all.map((t) => `${name(t.by)} from ${t.from}`).join(', ') || 'none'}`,
      );
    }
  }
  return repeats;
}

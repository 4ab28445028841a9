// Spawns lease workers (leaseWorker.ts) and follows what they print: rows, lease events, held splits.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export interface Event {
  readonly type: string;
  readonly splits: ReadonlyArray<string | { id: string; token: string; offset: string | null }>;
  readonly from?: ReadonlyArray<string | null>;
  readonly epoch?: number;
  readonly at: number;
}

export class Worker {
  readonly rows: Array<[string, number]> = [];
  readonly events: Event[] = [];
  readonly held = new Set<string>();
  readonly child: ChildProcess;
  stderr = '';
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #buffer = '';

  constructor(readonly name: string, args: { url: string; table: string; source: string; splits: number; leaseMs: number }) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(here, 'leaseWorker.ts'), args.url, args.table, args.source, String(args.splits), String(args.leaseMs), name], {
      cwd: join(here, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (data: string) => this.#take(data));
    this.child.stderr!.setEncoding('utf8').on('data', (data: string) => (this.stderr += data));
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
  }

  #take(data: string): void {
    this.#buffer += data;
    const lines = this.#buffer.split('\n');
    this.#buffer = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('row ')) {
        const [, split, i] = line.split(' ');
        this.rows.push([split!, Number(i)]);
      } else if (line.startsWith('event ')) {
        const event = { ...(JSON.parse(line.slice(6)) as Omit<Event, 'at'>), at: Date.now() };
        this.events.push(event);
        const ids = event.splits.map((s) => (typeof s === 'string' ? s : s.id));
        if (event.type === 'acquired') for (const id of ids) this.held.add(id);
        if (event.type === 'released' || event.type === 'lost' || event.type === 'fenced') for (const id of ids) this.held.delete(id);
      }
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
export async function until(what: string, check: () => boolean, ms: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - start;
}

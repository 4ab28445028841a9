import type { Observable } from 'rxjs';
import type { SourceEvent } from '../../../src/core/SourceEvent.js';
import type { Row } from '../../../src/formats/Format.js';

/**
 * Subscribes to `events` and collects the rows of its chunks until `done(rows)` holds, then
 * unsubscribes. Rejects on error or after `timeoutMs`; resolves early if the source completes.
 */
export function readUntil(events: Observable<SourceEvent<Row>>, done: (rows: readonly Row[]) => boolean, timeoutMs = 60_000): Promise<Row[]> {
  return new Promise<Row[]>((resolve, reject) => {
    const rows: Row[] = [];
    let finished = false;
    const timer = setTimeout(() => {
      finished = true;
      subscription.unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms with ${rows.length} rows`));
    }, timeoutMs);
    const finish = (): void => {
      finished = true;
      clearTimeout(timer);
    };
    const subscription = events.subscribe({
      next: (event) => {
        if (finished || event.type !== 'chunk') return;
        rows.push(...event.records);
        if (done(rows)) {
          finish();
          queueMicrotask(() => subscription.unsubscribe());
          resolve(rows);
        }
      },
      error: (err: unknown) => {
        finish();
        reject(err);
      },
      complete: () => {
        finish();
        resolve(rows);
      },
    });
    if (finished) subscription.unsubscribe();
  });
}

/** Rows grouped by `p`, each as `tag:i`, in arrival order. */
export function byPartition(rows: readonly Row[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const row of rows) {
    const p = Number(row['p']);
    const list = out.get(p) ?? [];
    list.push(`${String(row['tag'])}:${String(row['i'])}`);
    out.set(p, list);
  }
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

/** What `jsonMessages` produced, in the shape of {@link byPartition}. */
export function expected(partitions: readonly number[], count: number, tag = 'm', from = 0): Map<number, string[]> {
  return new Map(partitions.map((p) => [p, Array.from({ length: count }, (_, k) => `${tag}:${from + k}`)]));
}

/** Merges expectations partition by partition, in order. */
export function concat(...maps: Map<number, string[]>[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const m of maps) for (const [p, list] of m) out.set(p, [...(out.get(p) ?? []), ...list]);
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

/** Polls `check` every 100 ms until it holds, or fails after `timeoutMs`. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether a reader (a subscription of the WebSocket reader endpoint) is attached to `topic` (a full partition name). */
export async function readerAttached(adminUrl: string, fullTopic: string): Promise<boolean> {
  const res = await fetch(`${adminUrl}/admin/v2/${fullTopic.replace('://', '/')}/stats`);
  if (!res.ok) return false;
  const stats = (await res.json()) as { subscriptions?: Record<string, { consumers?: unknown[] }> };
  return Object.values(stats.subscriptions ?? {}).some((s) => (s.consumers ?? []).length > 0);
}

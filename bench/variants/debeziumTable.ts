import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { Observable } from 'rxjs';
import type { Source } from '../../src/core/Source.js';
import type { SourceEvent } from '../../src/core/SourceEvent.js';
import { toTable } from '../../src/core/toTable.js';
import { createFormat } from '../../src/formats/createFormat.js';
import type { Row } from '../../src/formats/Format.js';
import { MemoryStore } from '../../src/state/MemoryStore.js';
import type { Variant } from '../Variant.js';

/** Messages a chunk holds, about what one Kafka fetch of small messages gives. */
const CHUNK = 1_000;

/** The file's lines as separate byte arrays: Kafka message values, as both sides get them. */
function messages(path: string): Buffer[] {
  const bytes = readFileSync(path);
  const out: Buffer[] = [];
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    if (end > start) out.push(bytes.subarray(start, end));
    start = end + 1;
  }
  return out;
}

/**
 * The hand-rolled way: `JSON.parse` each value, then `after` into a `Map` by id (`c`, `r`, `u`)
 * or `before`'s id out of it (`d`). To do the work tributary's output stands for, and no more:
 * it looks up the stored row of every update and delete and collects each chunk's changes
 * (stored before image, then after image) in an array, as a table's changelog must; and at the
 * end it serializes the table once, as tributary's final barrier writes it to the state store.
 * It checks nothing (UTF-8, exact integers, event shape) and tags no operation.
 */
export const debeziumMap: Variant = async ({ path }) => {
  const all = messages(path);
  const table = new Map<unknown, unknown>();
  let changes = 0;
  for (let i = 0; i < all.length; i += CHUNK) {
    const out: unknown[] = [];
    const end = Math.min(i + CHUNK, all.length);
    for (let j = i; j < end; j++) {
      const event = JSON.parse(all[j]!.toString('utf8')) as { op: string; before: { id: unknown } | null; after: { id: unknown } | null };
      if (event.op === 'd') {
        const id = event.before!.id;
        const old = table.get(id);
        if (old !== undefined) {
          out.push(old);
          table.delete(id);
        }
      } else {
        const id = event.after!.id;
        const old = table.get(id);
        if (old !== undefined) out.push(old);
        out.push(event.after);
        table.set(id, event.after);
      }
    }
    changes += out.length;
  }
  const snapshot = JSON.stringify(Array.from(table.values()));
  return { rows: all.length, detail: { changes, tableRows: table.size, snapshotBytes: snapshot.length } };
};

/**
 * tributary: the `debezium_json` format's `decodeMessages` on each value, chunks of rows through
 * `toTable` (which keeps the table, emits its changes and writes its state at the final barrier
 * to an in-memory store).
 */
export const tributaryDebeziumTable: Variant = async ({ path }) => {
  const started = performance.now();
  const format = createFormat('debezium_json');
  const all = messages(path);
  const store = new MemoryStore();
  let acked = 0;
  const source = { name: 'bench', store, acknowledge: (n: number) => (acked += n) } as unknown as Source<unknown>;
  const events = new Observable<SourceEvent<Row>>((subscriber) => {
    for (let i = 0; i < all.length; i += CHUNK) {
      const records: Row[] = [];
      const end = Math.min(i + CHUNK, all.length);
      for (let j = i; j < end; j++) for (const row of format.decodeMessages!(all[j]!, null)) records.push(row);
      subscriber.next({ type: 'chunk', splitId: 'p0', records, offset: String(i), nextOffset: String(end) });
    }
    subscriber.next({ type: 'barrier', epoch: 1, final: true });
    subscriber.complete();
  });
  let changes = 0;
  await new Promise<void>((resolve, reject) =>
    events.pipe(toTable<Row>(source, { primaryKey: ['id'] })).subscribe({
      next: (e) => {
        if (e.type === 'chunk') changes += e.records.length;
      },
      error: reject,
      complete: resolve,
    }),
  );
  // The run ends here, as the baseline's ends with its snapshot text: reading the stored entry
  // back (a JSON.parse of the whole table) only checks the result, and is not timed.
  const ms = performance.now() - started;
  const stored = store.entries().find(([key]) => key.startsWith('bench/table/'))?.[1] as { rows: unknown[] } | undefined;
  return { rows: all.length, ms, detail: { changes, tableRows: stored?.rows.length ?? -1, acked } };
};

import { Observable, concatMap, map, of } from 'rxjs';
import type { StateStore } from '../state/StateStore.js';
import { checkpointKeys } from './Checkpoint.js';
import type { JsonValue } from './Json.js';
import { fromMaybePromise } from './MaybePromise.js';
import { CorruptStateError } from './SourceError.js';
import type { TableRowCodec } from './TableRowCodec.js';
import { DeletedRow, type TableState } from './TableState.js';

/**
 * Where a table keeps its state in the source's {@link StateStore}, beside the source's own
 * checkpoints: `<source>/table/<table>/epoch/<n>`, one entry per epoch at which the table
 * changed. An entry is either *full* (every row) or a *delta* (the rows changed since the entry
 * `since`, `null` for a deleted key), so that a barrier writes what changed, not the whole table.
 *
 * An entry only counts once the source's `committed` marker reaches its epoch: the offsets and
 * the table of an epoch are two writes, made visible together by that one marker (a crash
 * between them leaves both uncommitted). A restore starts from the newest entry at or before
 * the committed epoch (epochs without changes write nothing), follows `since` back to a full
 * entry and applies the deltas forward.
 */
export const tableKeys = {
  prefix: (source: string, table: string): string => `${source}/table/${table}/`,
  entry: (source: string, table: string, epoch: number): string => `${source}/table/${table}/epoch/${epoch}`,
} as const;

/**
 * One stored entry: the encoded rows it sets and, in a delta, the keys it deletes (each as the
 * encoded primary-key columns of the deleted row). Keys are recomputed from rows on restore.
 */
interface TableEntry {
  readonly epoch: number;
  readonly since: number | null;
  readonly full: boolean;
  readonly primaryKey: readonly string[];
  readonly rows: readonly JsonValue[];
  readonly deleted: readonly JsonValue[];
}

/** What the writer needs to know about the entries that stand behind the current table. */
export interface TableChain {
  /** Entries from the last full one on, oldest first: `[epoch, full, rows in the entry]`. */
  readonly entries: Array<{ readonly epoch: number; readonly full: boolean; readonly size: number }>;
}

/** Fewest changes a delta chain may hold before a full entry is written, whatever the table size. */
const MIN_DELTA_BUDGET = 1_000;

/** Deltas after which a chain holding an eighth of the table in changes is compacted (bounds the entries of a small, busy table). */
const LONG_CHAIN = 256;

/**
 * Restores `state` as of the source's committed epoch, deletes entries that cannot matter any
 * more (epochs after it, from runs that failed, and entries before the full one), and answers
 * the chain the next write continues. Throws a {@link CorruptStateError} when the source has a
 * committed epoch but the table has no entry at or before it (the table would lack what was
 * read before), when an entry is malformed, or when the primary key changed.
 */
export function restoreTable<R extends Record<string, unknown>>(
  store: StateStore,
  source: string,
  table: string,
  state: TableState<R>,
  codec: TableRowCodec,
): Observable<TableChain> {
  const prefix = tableKeys.prefix(source, table);
  const corrupt = (what: string): CorruptStateError =>
    new CorruptStateError(
      `source '${source}', table '${table}': ${what}; refusing to start from an empty table. Delete the source's state (its offsets and its table) to rebuild it from the start.`,
    );
  return fromMaybePromise(() => store.get(checkpointKeys.committed(source))).pipe(
    concatMap((committedValue) =>
      fromMaybePromise(() => store.entries()).pipe(
        map((all) => {
          const committed = typeof committedValue === 'number' ? committedValue : undefined;
          const entries = new Map<number, TableEntry>();
          for (const [key, value] of all) {
            if (!key.startsWith(prefix)) continue;
            entries.set(parseEntry(key, value, corrupt).epoch, value as unknown as TableEntry);
          }
          const chain: TableEntry[] = [];
          if (committed !== undefined) {
            let head: number | null = null;
            for (const epoch of entries.keys()) if (epoch <= committed && (head === null || epoch > head)) head = epoch;
            if (head === null) {
              if (committed > 0) throw corrupt(`the source has committed epoch ${committed} but the table has no state at or before it`);
            }
            for (let e = head; e !== null; ) {
              const entry = entries.get(e);
              if (entry === undefined) throw corrupt(`the entry of epoch ${e} that a later delta builds on is missing`);
              chain.unshift(entry);
              e = entry.full ? null : entry.since;
              if (!entry.full && e === null) throw corrupt(`the delta of epoch ${entry.epoch} names no entry it builds on`);
            }
          }
          for (const entry of chain) {
            if (entry.primaryKey.length !== state.primaryKey.length || entry.primaryKey.some((c, i) => c !== state.primaryKey[i])) {
              throw corrupt(`the stored table has primary key (${entry.primaryKey.join(', ')}), not (${state.primaryKey.join(', ')})`);
            }
            for (const keyRow of entry.deleted) state.restoreDelete(codec.decode(keyRow));
            for (const row of entry.rows) state.restore(codec.decode(row) as R);
          }
          const kept = new Set(chain.map((e) => e.epoch));
          const stale = [...entries.keys()].filter((e) => !kept.has(e)).map((e) => tableKeys.entry(source, table, e));
          return { chain: { entries: chain.map((e) => ({ epoch: e.epoch, full: e.full, size: e.rows.length + e.deleted.length })) }, stale };
        }),
        concatMap(({ chain, stale }) => (stale.length === 0 ? of(chain) : fromMaybePromise(() => store.delMany(stale)).pipe(map(() => chain)))),
      ),
    ),
  );
}

/**
 * Writes the table's changes of `epoch` (when there are any, or when nothing was written yet)
 * and extends `chain`. A full entry replaces the delta chain once the chain holds more changes
 * than the table has rows (at least {@link MIN_DELTA_BUDGET}), or more than {@link LONG_CHAIN}
 * deltas holding an eighth of the table: writes stay proportional to the changes, a restore to
 * about twice the table. After writing a full entry, the entries
 * before the newest full entry at or before the committed epoch are deleted.
 */
export function writeTableEpoch<R extends Record<string, unknown>>(
  store: StateStore,
  source: string,
  table: string,
  state: TableState<R>,
  codec: TableRowCodec,
  chain: TableChain,
  epoch: number,
): Observable<void> {
  const entries = chain.entries;
  // The first entry is always full: it needs no list of changes (building one costs a hash-map
  // write per changed key).
  if (entries.length === 0) state.dropChanges();
  const changes = entries.length === 0 ? new Map<never, never>() : state.takeChanges();
  if (changes.size === 0 && entries.length > 0) return of(undefined);
  let pending = changes.size;
  for (const e of entries) if (!e.full) pending += e.size;
  const full =
    entries.length === 0 ||
    pending > Math.max(state.rows.size, MIN_DELTA_BUDGET) ||
    (entries.length > LONG_CHAIN && pending > state.rows.size / 8);
  const rows: JsonValue[] = [];
  const deleted: JsonValue[] = [];
  if (full) {
    for (const row of state.rows.values()) rows.push(codec.encode(row));
  } else {
    for (const change of changes.values()) {
      if (change instanceof DeletedRow) {
        const keyRow: Record<string, unknown> = {};
        for (const column of state.primaryKey) keyRow[column] = change.row[column];
        deleted.push(codec.encode(keyRow));
      } else rows.push(codec.encode(change));
    }
  }
  const entry: TableEntry = { epoch, since: entries.at(-1)?.epoch ?? null, full, primaryKey: state.primaryKey, rows, deleted };
  entries.push({ epoch, full, size: rows.length + deleted.length });
  const written = fromMaybePromise(() => store.setMany([[tableKeys.entry(source, table, epoch), entry as unknown as JsonValue]]));
  if (!full || entries.length === 1) return written;
  return written.pipe(
    concatMap(() => fromMaybePromise(() => store.get(checkpointKeys.committed(source)))),
    concatMap((committed) => {
      let base = -1;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        if (e.full && typeof committed === 'number' && e.epoch <= committed) base = i;
      }
      if (base <= 0) return of(undefined);
      const dropped = entries.splice(0, base);
      return fromMaybePromise(() => store.delMany(dropped.map((e) => tableKeys.entry(source, table, e.epoch))));
    }),
  );
}

function parseEntry(key: string, value: JsonValue, corrupt: (what: string) => CorruptStateError): TableEntry {
  const epoch = Number(key.slice(key.lastIndexOf('/') + 1));
  const entry = value as unknown as Partial<TableEntry> | null;
  if (
    typeof entry !== 'object' ||
    entry === null ||
    entry.epoch !== epoch ||
    typeof entry.full !== 'boolean' ||
    !(entry.since === null || typeof entry.since === 'number') ||
    !Array.isArray(entry.primaryKey) ||
    !Array.isArray(entry.rows) ||
    !Array.isArray(entry.deleted)
  ) {
    throw corrupt(`state entry '${key}' is not a table entry of epoch ${epoch}`);
  }
  return entry as TableEntry;
}

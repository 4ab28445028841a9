import { Observable, type OperatorFunction } from 'rxjs';
import { isThenable } from '../core/MaybePromise.js';
import { SourceError } from '../core/SourceError.js';
import type { Chunk, SourceEvent } from '../core/SourceEvent.js';
import type { Row } from '../formats/Format.js';
import type { Lookup, LookupKey } from './LookupTable.js';
import { LruCache } from './LruCache.js';

/** Options of {@link lookupJoin}. */
export interface LookupJoinOptions {
  /**
   * Keys whose rows are kept in front of the table, least recently used evicted first. The
   * cache is dropped whenever the table's `generation` moves. `0` disables it. Default 10 000.
   */
  readonly cacheSize?: number;
  /** `inner` (default): records without a match are dropped. `left`: they are kept, joined with nothing. */
  readonly kind?: 'inner' | 'left';
  /** Name used in errors (the source's name, say). Default `lookupJoin`. */
  readonly name?: string;
}

/** {@link LookupJoinOptions} with a function building each output record. */
export interface LookupJoinCombineOptions<T, R> extends LookupJoinOptions {
  /**
   * Builds the output for a record and one matching row (`undefined` for an unmatched record of
   * a left join). Default: `{ ...record, ...match }`.
   */
  readonly combine: (record: T, match: Row | undefined) => R;
}

/** Default size of the lookup cache. */
export const DEFAULT_LOOKUP_CACHE_SIZE = 10_000;

/**
 * Enriches every record of a source's event stream with the rows of a lookup table that share
 * its key, like SQL's `JOIN ... FOR SYSTEM_TIME AS OF PROCTIME()`: each record is joined with the
 * table as it is when the record passes. A record with several matches yields several records;
 * a record whose key is `null`/`undefined` matches nothing.
 *
 * Barriers pass through in order, so the operator fits in a checkpointed pipeline before
 * `commitEpochs`. Chunks are processed one at a time, in order: the distinct keys of a chunk
 * missing from the cache are looked up together, then the joined chunk is emitted. When every
 * key is cached (or the table answers synchronously) nothing is deferred.
 *
 * @example
 * const customers = createFsLookupTable({ path: './customers.csv', format: createFormat('csv'), key: 'id' });
 * checkpointed(source, lookupJoin(customers, (order) => String(order.customer_id), { cacheSize: 50_000 })).pipe(toRecords());
 */
export function lookupJoin<T extends Row, K extends LookupKey>(
  table: Lookup<K>,
  keyOf: (record: T) => K | null | undefined,
  options?: LookupJoinOptions,
): OperatorFunction<SourceEvent<T>, SourceEvent<Row>>;
export function lookupJoin<T, K extends LookupKey, R>(
  table: Lookup<K>,
  keyOf: (record: T) => K | null | undefined,
  options: LookupJoinCombineOptions<T, R>,
): OperatorFunction<SourceEvent<T>, SourceEvent<R>>;
export function lookupJoin<T, K extends LookupKey, R>(
  table: Lookup<K>,
  keyOf: (record: T) => K | null | undefined,
  options: LookupJoinOptions & { readonly combine?: (record: T, match: Row | undefined) => R } = {},
): OperatorFunction<SourceEvent<T>, SourceEvent<R>> {
  const combine = options.combine ?? ((record: T, match: Row | undefined) => ({ ...(record as Row), ...match }) as R);
  const left = (options.kind ?? 'inner') === 'left';
  const name = options.name ?? 'lookupJoin';
  const cacheSize = options.cacheSize ?? DEFAULT_LOOKUP_CACHE_SIZE;

  return (events) =>
    new Observable<SourceEvent<R>>((subscriber) => {
      const cache = new LruCache<K, readonly Row[]>(cacheSize);
      let cacheGeneration = table.generation;
      const queue: SourceEvent<T>[] = [];
      let busy = false;
      let sourceDone = false;
      let closed = false;

      const fail = (err: unknown, chunk: Chunk<T>): void => {
        if (closed) return;
        closed = true;
        subscriber.error(
          new SourceError(`lookup failed: ${err instanceof Error ? err.message : String(err)}`, { source: name, split: chunk.splitId, offset: chunk.offset }, { cause: err }),
        );
      };

      const joinChunk = (chunk: Chunk<T>, keys: readonly (K | null | undefined)[], found: ReadonlyMap<K, readonly Row[]>): Chunk<R> => {
        const out: R[] = [];
        const records = chunk.records;
        for (let i = 0; i < records.length; i++) {
          const record = records[i] as T;
          const key = keys[i];
          const matches = key === null || key === undefined ? undefined : found.get(key);
          if (matches !== undefined && matches.length > 0) {
            for (const match of matches) out.push(combine(record, match));
          } else if (left) {
            out.push(combine(record, undefined));
          }
        }
        return { type: 'chunk', splitId: chunk.splitId, records: out, offset: chunk.offset, nextOffset: chunk.nextOffset };
      };

      /** Joins a chunk; returns a promise only when some lookup is asynchronous. */
      const process = (chunk: Chunk<T>): Chunk<R> | Promise<Chunk<R>> => {
        if (table.generation !== cacheGeneration) {
          cache.clear();
          cacheGeneration = table.generation;
        }
        const keys = chunk.records.map((r) => keyOf(r));
        const found = new Map<K, readonly Row[]>();
        const waiting: Promise<void>[] = [];
        for (const key of keys) {
          if (key === null || key === undefined || found.has(key)) continue;
          const cached = cache.get(key);
          if (cached !== undefined) {
            found.set(key, cached);
            continue;
          }
          const answer = table.lookup(key);
          if (isThenable(answer)) {
            const askedAt = table.generation;
            found.set(key, []); // Placeholder: keeps the key distinct while the answer is pending.
            waiting.push(
              Promise.resolve(answer).then((rows) => {
                found.set(key, rows);
                // An answer that straddled a change may be stale: use it once, do not keep it.
                if (table.generation === askedAt) cache.set(key, rows);
              }),
            );
          } else {
            found.set(key, answer);
            cache.set(key, answer);
          }
        }
        if (waiting.length === 0) return joinChunk(chunk, keys, found);
        return Promise.all(waiting).then(() => joinChunk(chunk, keys, found));
      };

      const drain = (): void => {
        if (busy) return;
        busy = true;
        try {
          while (!closed && queue.length > 0) {
            const event = queue.shift() as SourceEvent<T>;
            if (event.type !== 'chunk') {
              subscriber.next(event);
              continue;
            }
            let result: Chunk<R> | Promise<Chunk<R>>;
            try {
              result = process(event);
            } catch (err) {
              fail(err, event);
              return;
            }
            if (result instanceof Promise) {
              result.then(
                (joined) => {
                  if (closed) return;
                  subscriber.next(joined);
                  busy = false;
                  drain();
                },
                (err: unknown) => fail(err, event),
              );
              return; // Stays busy until the lookups answer.
            }
            subscriber.next(result);
          }
          if (!closed && sourceDone && queue.length === 0) subscriber.complete();
        } catch (err) {
          closed = true;
          subscriber.error(err);
          return;
        }
        busy = false;
      };

      const subscription = events.subscribe({
        next: (event) => {
          queue.push(event);
          drain();
        },
        error: (err: unknown) => {
          closed = true;
          subscriber.error(err);
        },
        complete: () => {
          sourceDone = true;
          drain();
        },
      });
      return () => {
        closed = true;
        subscription.unsubscribe();
      };
    });
}

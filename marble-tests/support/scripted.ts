import assert from 'node:assert/strict';
import { interval, map, take, type Observable, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Barrier, Chunk, SourceEvent } from '../../src/core/SourceEvent.js';
import type { SourceSplit } from '../../src/core/SourceSplit.js';
import type { ReaderContext, SplitReader } from '../../src/core/SplitReader.js';
import type { StateStore } from '../../src/state/StateStore.js';
import type { JsonValue } from '../../src/core/Json.js';

/** A split whose records are `<id>0`, `<id>1`, ... up to `records` (or forever when `records` is -1). */
export interface ScriptedSplit extends SourceSplit {
  readonly records: number;
}

export const split = (id: string, records = 5): ScriptedSplit => ({ id, records });

/** What a scripted reader was asked to do, for assertions on resume positions. */
export interface ReadCall {
  readonly split: string;
  readonly offset: string | null;
}

/**
 * A reader with a deterministic timeline: one record per `period` frames, starting at the
 * given offset (record index). It honours offsets exactly, like a real connector must, so tests
 * can pin the first record after a restart.
 */
export function scriptedReader(
  period = 10,
  options: { failAt?: { split: string; index: number; times: number }; calls?: ReadCall[]; contexts?: ReaderContext[] } = {},
): SplitReader<ScriptedSplit, string> {
  let failuresLeft = options.failAt?.times ?? 0;
  return {
    read(s, offset, context) {
      options.calls?.push({ split: s.id, offset });
      options.contexts?.push(context);
      const start = offset === null ? 0 : Number(offset);
      const count = s.records < 0 ? Infinity : s.records - start;
      return interval(period).pipe(
        take(count),
        map((i) => {
          const n = start + i;
          if (options.failAt?.split === s.id && options.failAt.index === n && failuresLeft > 0) {
            failuresLeft--;
            throw new Error(`upstream hiccup at record ${n}`);
          }
          return recordChunk(s.id, n);
        }),
      );
    },
  };
}

/** The chunk a scripted reader emits for record `n` of split `id`. */
export function recordChunk(id: string, n: number): Chunk<string> {
  return { type: 'chunk', splitId: id, records: [`${id}${n}`], offset: String(n), nextOffset: String(n + 1) };
}

export const barrier = (epoch: number): Barrier => ({ type: 'barrier', epoch });
export const finalBarrier = (epoch: number): Barrier => ({ type: 'barrier', epoch, final: true });

/** A TestScheduler comparing with node's deep strict equality. */
export function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => assert.deepStrictEqual(actual, expected));
}

/** The records of an event stream, flattened, barriers as `|<epoch>`: handy for compact assertions. */
export function describeEvents(events: readonly SourceEvent<string>[]): string[] {
  return events.flatMap((e) => (e.type === 'chunk' ? [...e.records] : [`|${e.epoch}`]));
}

/**
 * A store wrapper whose `setMany` takes `delay` frames of virtual time: its answer is a
 * thenable resolved by the TestScheduler, so a slow durable store can be modelled without
 * leaving virtual time.
 */
export function slowStore(inner: StateStore, delay: number, scheduler: SchedulerLike): StateStore & { writes: number } {
  const store = {
    writes: 0,
    get: (key: string) => inner.get(key),
    set: (key: string, value: JsonValue) => inner.set(key, value),
    del: (key: string) => inner.del(key),
    entries: () => inner.entries(),
    delMany: (keys: readonly string[]) => inner.delMany(keys),
    setMany(entries: ReadonlyArray<readonly [string, JsonValue]>): PromiseLike<void> {
      store.writes++;
      return {
        then<R1 = void, R2 = never>(onFulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null): PromiseLike<R1 | R2> {
          scheduler.schedule(() => {
            void inner.setMany(entries);
            onFulfilled?.(undefined);
          }, delay);
          return this as unknown as PromiseLike<R1 | R2>;
        },
      };
    },
  };
  return store;
}

export type { Observable };

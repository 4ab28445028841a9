import { Observable, concatMap, map, of } from 'rxjs';
import type { StateStore } from './StateStore.js';
import type { JsonValue } from './Json.js';
import { fromMaybePromise } from './MaybePromise.js';
import { CorruptStateError } from './SourceError.js';
import type { SourceSplit, SplitPosition } from './SourceSplit.js';

/**
 * What a barrier persists: every assigned split's position after the last chunk emitted before
 * the barrier, and the enumerator's own state.
 */
export interface Snapshot<S extends SourceSplit = SourceSplit> {
  readonly epoch: number;
  readonly splits: Readonly<Record<string, SplitPosition<S>>>;
  readonly enumerator?: JsonValue;
}

/** A source's checkpoint state as found in the store when a subscription starts. */
export interface RestoredCheckpoint<S extends SourceSplit = SourceSplit> {
  /** The snapshot of the last successful epoch, if any. */
  readonly snapshot: Snapshot<S> | undefined;
  /** The highest epoch ever written, successful or not: new epochs continue after it. */
  readonly lastEpoch: number;
}

/**
 * Epochs remembered while their commit is pending (by flow control and by the checkpoint-complete
 * hook). A pipeline without `commitEpochs` never commits, so the oldest are dropped past this
 * bound: they are the least useful, and memory stays bounded.
 */
export const MAX_UNCOMMITTED_EPOCHS = 1_024;

/**
 * The layout of a source's checkpoints in a {@link StateStore}, under the prefix `<source>/`:
 * - `epoch/<n>`: the snapshot taken at barrier `n`;
 * - `last-epoch`: the highest `n` written, written atomically with its snapshot;
 * - `committed`: the last successful epoch, written when its barrier passed the pipeline.
 *
 * Epochs above `committed` are leftovers of a run that failed before its barrier got through;
 * they are ignored on restore and garbage-collected by the next commit.
 */
export const checkpointKeys = {
  snapshot: (source: string, epoch: number): string => `${source}/epoch/${epoch}`,
  lastEpoch: (source: string): string => `${source}/last-epoch`,
  committed: (source: string): string => `${source}/committed`,
} as const;

/** Reads the checkpoint a subscription restores from; synchronous when the store is. */
export function loadCheckpoint<S extends SourceSplit>(store: StateStore, source: string): Observable<RestoredCheckpoint<S>> {
  const lastKey = checkpointKeys.lastEpoch(source);
  const committedKey = checkpointKeys.committed(source);
  return fromMaybePromise(() => store.get(committedKey)).pipe(
    concatMap((committedValue) => {
      const committed = committedValue === undefined ? undefined : epochNumber(committedValue, source, committedKey);
      const snapshot$: Observable<Snapshot<S> | undefined> =
        committed === undefined
          ? of(undefined)
          : fromMaybePromise(() => store.get(checkpointKeys.snapshot(source, committed))).pipe(
              map((value) => parseSnapshot<S>(value, source, checkpointKeys.snapshot(source, committed), committed)),
            );
      return snapshot$.pipe(
        concatMap((snapshot) =>
          fromMaybePromise(() => store.get(lastKey)).pipe(
            map((lastValue): RestoredCheckpoint<S> => {
              const last = lastValue === undefined ? 0 : epochNumber(lastValue, source, lastKey);
              return { snapshot, lastEpoch: Math.max(last, committed ?? 0) };
            }),
          ),
        ),
      );
    }),
  );
}

/** Persists a snapshot and the epoch counter in one atomic write. */
export function writeSnapshot<S extends SourceSplit>(store: StateStore, source: string, snapshot: Snapshot<S>): Observable<void> {
  const entries: Array<readonly [string, JsonValue]> = [
    [checkpointKeys.snapshot(source, snapshot.epoch), snapshot as unknown as JsonValue],
    [checkpointKeys.lastEpoch(source), snapshot.epoch],
  ];
  return fromMaybePromise(() => store.setMany(entries));
}

function corrupt(source: string, key: string, what: string): CorruptStateError {
  return new CorruptStateError(
    `source '${source}': checkpoint entry '${key}' in the state store is corrupt (${what}); ` +
      `refusing to restart from zero. Repair or delete the source's state deliberately.`,
  );
}

function epochNumber(value: JsonValue, source: string, key: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw corrupt(source, key, `expected an epoch number, found ${JSON.stringify(value)?.slice(0, 80)}`);
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseSnapshot<S extends SourceSplit>(value: JsonValue | undefined, source: string, key: string, epoch: number): Snapshot<S> {
  if (value === undefined) throw corrupt(source, key, `epoch ${epoch} is marked committed but its snapshot is missing`);
  if (!isObject(value) || value['epoch'] !== epoch || !isObject(value['splits'])) {
    throw corrupt(source, key, 'not a snapshot of this epoch');
  }
  for (const [id, position] of Object.entries(value['splits'])) {
    if (
      !isObject(position) ||
      !isObject(position['split']) ||
      position['split']['id'] !== id ||
      !(position['offset'] === null || typeof position['offset'] === 'string') ||
      typeof position['finished'] !== 'boolean'
    ) {
      throw corrupt(source, key, `bad position for split '${id}'`);
    }
  }
  return value as unknown as Snapshot<S>;
}

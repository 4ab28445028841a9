import { CheckpointedSource } from './CheckpointedSource.js';
import type { Enumerator } from './Enumerator.js';
import type { Source } from './Source.js';
import type { SourceOptions } from './SourceOptions.js';
import type { SourceSplit } from './SourceSplit.js';
import type { SplitReader } from './SplitReader.js';

// Kept importable from here, where they were first defined.
export { DEFAULT_CHECKPOINT_INTERVAL_MS, DEFAULT_HIGH_WATER_MARK, sourceOptionsOf } from './SourceOptions.js';

/** Everything {@link createSource} needs: where splits come from, how one is read, and the common options. */
export interface CreateSourceOptions<S extends SourceSplit, T> extends SourceOptions {
  readonly enumerator: Enumerator<S>;
  readonly reader: SplitReader<S, T>;
}

/**
 * Builds a {@link Source} from an enumerator and a split reader.
 *
 * Every subscription restores the last successful epoch from the state store, then:
 * - follows the enumerator's split sets: readers of splits that stay keep running, removed
 *   splits' readers are unsubscribed and their positions forgotten, new splits start from their
 *   stored position (or `null`: the connector's configured start); finished splits are not read
 *   again;
 * - merges the readers' chunks, tracking each split's position as the `nextOffset` of the last
 *   chunk *emitted*;
 * - at each barrier request, snapshots every assigned split's position, writes it to the store
 *   tagged with a new epoch and only then emits the barrier. Chunks that arrive while the write
 *   is in flight are held back and emitted after the barrier, so everything after a barrier lies
 *   after its snapshot;
 * - when the enumerator has completed and every reader has finished (a bounded source), writes
 *   a final checkpoint (a barrier with `final: true`) and completes.
 *
 * One subscription at a time: a second one while a run is live fails at once with a
 * `SourceError` naming the source; subscribing again after a run ended (a retry) resumes.
 *
 * @example
 * const source = createSource({ name: 'orders', enumerator, reader, store: new MemoryStore() });
 * checkpointed(source).pipe(toRecords()).subscribe(console.log);
 */
export function createSource<S extends SourceSplit, T>(options: CreateSourceOptions<S, T>): Source<T> {
  return new CheckpointedSource(options);
}

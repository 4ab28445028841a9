import type { Observable, SchedulerLike } from 'rxjs';
import type { BadRecordPolicy } from './BadRecordHandler.js';
import type { SplitLeases } from './SplitLeases.js';
import type { StateStore } from './StateStore.js';

/** Default of {@link SourceOptions.checkpointIntervalMs}. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1_000;

/** Default of {@link SourceOptions.highWaterMark}: records in flight above which readers are asked to pause. */
export const DEFAULT_HIGH_WATER_MARK = 65_536;

/** Default of {@link SourceOptions.badRecords}. */
export const DEFAULT_BAD_RECORD_POLICY: BadRecordPolicy = 'fail';

/**
 * Options every source takes, whichever connector builds it. Core owns this type (connectors
 * extend it with their own settings); each default is one `DEFAULT_*` constant above.
 */
export interface SourceOptions {
  /** Name in errors and state keys. */
  readonly name: string;
  /** Checkpoint store; a fresh `MemoryStore` when omitted. */
  readonly store?: StateStore;
  /** Each emission requests a barrier; defaults to one every `checkpointIntervalMs`. */
  readonly barriers?: Observable<unknown>;
  /** Default {@link DEFAULT_CHECKPOINT_INTERVAL_MS}. */
  readonly checkpointIntervalMs?: number;
  /** Default {@link DEFAULT_BAD_RECORD_POLICY}. */
  readonly badRecords?: BadRecordPolicy;
  /** Records in flight (emitted, not yet acknowledged) above which readers are asked to pause. Default {@link DEFAULT_HIGH_WATER_MARK}. */
  readonly highWaterMark?: number;
  /** Scheduler for barriers and timers (virtual time in tests). */
  readonly scheduler?: SchedulerLike;
  /**
   * Share the source's splits with other processes running the same source name: only the
   * splits leased to this process are read, and their committed positions live in the leases.
   */
  readonly leases?: SplitLeases;

  /**
   * Rows per second the source emits at most, all splits together (RisingWave's
   * `source_rate_limit`): `0` pauses it, `null` or absent means no limit. Change it while running
   * with `source.setRateLimit`. Barriers are never held back by it: one requested while chunks
   * wait goes ahead of them, and its snapshot covers only what was emitted.
   *
   * ```text
   * reader:        -abcd-----------   one record every 10 ms (a character is 10 ms)
   * barriers:      ---x------------
   * rateLimit: 20  -a-x-b----c----d   one per 50 ms; the barrier at once, covering a only
   * ```
   *
   * @example
   * const source = createSource({ name: 'orders', enumerator, reader, rateLimit: 1_000 });
   * source.setRateLimit(0);    // pause (barriers still pass)
   * source.setRateLimit(null); // no limit
   */
  readonly rateLimit?: number | null;
}

/** The keys of {@link SourceOptions}, listed once: {@link sourceOptionsOf} copies exactly these. */
const SOURCE_OPTION_KEYS = ['name', 'store', 'barriers', 'checkpointIntervalMs', 'badRecords', 'highWaterMark', 'scheduler', 'leases', 'rateLimit'] as const satisfies ReadonlyArray<keyof SourceOptions>;
// A field added to SourceOptions but not to the list above fails to compile here.
const everyKeyListed: Exclude<keyof SourceOptions, (typeof SOURCE_OPTION_KEYS)[number]> extends never ? true : never = true;
void everyKeyListed;

/**
 * The {@link SourceOptions} part of a wider options object (a connector context, a connector's
 * own options), so a factory spreads one value into its `createSource` call instead of naming
 * every field. Options that are `undefined` are left out, so a spread never overrides a default
 * with `undefined`.
 *
 * @example
 * createSource({ ...sourceOptionsOf(context), enumerator, reader });
 */
export function sourceOptionsOf(options: SourceOptions): SourceOptions {
  const picked: Record<string, unknown> = { name: options.name };
  for (const key of SOURCE_OPTION_KEYS) if (options[key] !== undefined) picked[key] = options[key];
  return picked as unknown as SourceOptions;
}

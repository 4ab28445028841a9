import type { JsonValue } from '../../core/Json.js';
import { CorruptStateError } from '../../core/SourceError.js';
import type { SplitPosition } from '../../core/SourceSplit.js';
import { compareKeys } from './listObjectPages.js';
import type { ListedObject, S3ObjectSplit } from './S3ObjectSplit.js';
import { s3ObjectSplit } from './S3ObjectSplit.js';

/** The scan settings the state machine depends on. */
export interface S3ScanSettings {
  readonly bucket: string;
  readonly keysOrdered: boolean;
  readonly latenessMs: number;
  readonly window: number;
  readonly matches: (key: string) => boolean;
}

/** The enumerator state S3 sources save with every checkpoint (JSON). */
interface S3ScanJson {
  readonly v: 1;
  /** Objects handed to readers and not finished: at most `window` of them. */
  readonly window: S3ObjectSplit[];
  /** Listing cursor: every key up to it was handed out or skipped. Unordered: of the pass in progress only. */
  readonly after: string | null;
  /** Wall-clock start of the listing pass in progress; `null` between passes. */
  readonly passStarted: number | null;
  readonly lastPassStarted: number | null;
  /** Unordered: objects whose LastModified is older are taken as read. */
  readonly horizon: number | null;
  /** Unordered: finished objects not covered by the horizon, key -> [etag, lastModified]. */
  readonly recent: Record<string, [string, number]>;
  /** A bounded scan listed everything. */
  readonly complete: boolean;
}

/**
 * What an S3 scan has read, kept small whatever the size of the prefix. This is the design the
 * S3 enumerator's checkpoints rely on; it is pure logic, driven by the enumerator.
 *
 * **The window.** At most `window` objects are handed to readers at once; the listing waits
 * while the window is full, and each finished object leaves it. The enumerator's split set is
 * the window, so neither the set nor the checkpoint grows with the prefix, and a prefix of a
 * million objects starts reading after its first listing page.
 *
 * **What was read**, without remembering every object:
 * - `s3.keys.ordered = true`: the listing cursor (`after`) survives passes, and a new pass
 *   lists with `StartAfter` = cursor. State: one key plus the window. An object written with a
 *   key below the cursor, or replaced in place, is never seen: declare ordering only when
 *   writers guarantee it (timestamped or sequenced keys).
 * - unordered (default): every pass lists the whole prefix. Objects are new unless in the
 *   window, in `recent` with the same ETag, or older (by LastModified) than `horizon`. When a
 *   pass ends, `horizon` moves to the pass's start minus `s3.scan.lateness.ms`, and `recent`
 *   drops what the horizon now covers, so it only holds objects modified within about one pass
 *   plus the lateness. During a pass, a finished object that the cursor has passed and that the
 *   next horizon will cover is not recorded at all, so the first pass over a huge prefix keeps
 *   `recent` small too. The trade-off: an object that first appears in a listing more than the
 *   lateness after its LastModified (an upload slower than that, a clock skew larger than that)
 *   is taken as already read and skipped. A replaced object has a new ETag and a new
 *   LastModified, so it is read again, as a new split.
 *
 * **When an object counts as read.** The enumerator calls {@link S3ScanState.finish} on the
 * source's `finished$`, which names a split only once its reader has completed *and* every
 * chunk it read has gone downstream. The reader's own completion would be too early: its last
 * chunks may still be held back behind a checkpoint write, and a checkpoint taken in between
 * would record "read" here while those records come after its barrier, so a crash after it
 * would lose them. On `finished$` the window closes without keeping finished splits in the
 * set: each checkpoint saves this state and the split set (the window) together, so an object
 * is either still in the set at its position or folded in here, never lost between the two.
 * A folded object never comes back as a split ({@link S3ScanState.isNew} is false for it: the
 * cursor, `recent` or the horizon covers it), which matters because the source forgets the
 * position of a split that leaves the set.
 *
 * On restore the split positions win: a split the checkpoint holds as unfinished is read on
 * from its position, and one it holds as finished (a bounded scan whose listing completed
 * before its last objects did) is folded in.
 */
export class S3ScanState {
  readonly #settings: S3ScanSettings;
  readonly #window = new Map<string, S3ObjectSplit>();
  #after: string | null;
  #passStarted: number | null;
  #lastPassStarted: number | null;
  #horizon: number | null;
  readonly #recent: Map<string, [string, number]>;
  #complete: boolean;

  constructor(settings: S3ScanSettings, restored: JsonValue | undefined, restoredSplits: ReadonlyMap<string, SplitPosition<S3ObjectSplit>>) {
    this.#settings = settings;
    const state = parseState(restored);
    this.#after = state.after;
    this.#passStarted = state.passStarted;
    this.#lastPassStarted = state.lastPassStarted;
    this.#horizon = state.horizon;
    this.#recent = new Map(Object.entries(state.recent));
    this.#complete = state.complete;
    // Positions win over this state: an unfinished split in the checkpoint is read again.
    for (const [id, position] of restoredSplits) {
      if (!position.finished && position.split.bucket === settings.bucket) this.#window.set(id, position.split);
    }
    for (const split of state.window) if (!this.#window.has(split.id)) this.#window.set(split.id, split);
    for (const [id, position] of restoredSplits) if (position.finished && this.#window.has(id)) this.finish(id);
  }

  get complete(): boolean {
    return this.#complete;
  }

  get passStarted(): number | null {
    return this.#passStarted;
  }

  get lastPassStarted(): number | null {
    return this.#lastPassStarted;
  }

  /** Where the next listing request starts (exclusive). */
  get after(): string | null {
    return this.#after;
  }

  get windowFull(): boolean {
    return this.#window.size >= this.#settings.window;
  }

  /** Objects handed out and not finished. */
  get pending(): number {
    return this.#window.size;
  }

  /** Entries in `recent` (a measure of the state's size). */
  get recentSize(): number {
    return this.#recent.size;
  }

  /** The split set to emit: the window. */
  splits(): S3ObjectSplit[] {
    return [...this.#window.values()];
  }

  beginPass(now: number): void {
    this.#passStarted = now;
    if (!this.#settings.keysOrdered) this.#after = null;
  }

  /** Whether a listed object must be read. */
  isNew(object: ListedObject): boolean {
    if (object.key.endsWith('/') && object.size === 0) return false;
    if (!this.#settings.matches(object.key)) return false;
    if (this.#window.has(`${object.key}@${object.etag}`)) return false;
    if (this.#settings.keysOrdered) return this.#after === null || compareKeys(object.key, this.#after) > 0;
    if (this.#recent.get(object.key)?.[0] === object.etag) return false;
    return this.#horizon === null || object.lastModified >= this.#horizon;
  }

  /** The listing went past `key` (handed out or skipped). */
  passed(key: string): void {
    if (this.#after === null || compareKeys(key, this.#after) > 0) this.#after = key;
  }

  handOut(object: ListedObject): S3ObjectSplit {
    const split = s3ObjectSplit(this.#settings.bucket, object);
    this.#window.set(split.id, split);
    this.passed(object.key);
    return split;
  }

  /**
   * `id` is finished and all its records went downstream (the source's `finished$`): it leaves
   * the window and is remembered as read. Returns false when it was not in the window.
   */
  finish(id: string): boolean {
    const split = this.#window.get(id);
    if (split === undefined) return false;
    this.#window.delete(id);
    if (!this.#settings.keysOrdered) {
      const coveredByCursor = this.#passStarted !== null && this.#after !== null && compareKeys(split.key, this.#after) <= 0;
      const coveredByNextHorizon = this.#passStarted !== null && split.lastModified < this.#passStarted - this.#settings.latenessMs;
      if (!(coveredByCursor && coveredByNextHorizon)) this.#recent.set(split.key, [split.etag, split.lastModified]);
    }
    return true;
  }

  /** The listing reached the end of the prefix. */
  endPass(bounded: boolean): void {
    const started = this.#passStarted ?? 0;
    this.#lastPassStarted = started;
    this.#passStarted = null;
    if (bounded) this.#complete = true;
    if (this.#settings.keysOrdered) return;
    this.#after = null;
    const horizon = Math.max(this.#horizon ?? -Infinity, started - this.#settings.latenessMs);
    this.#horizon = horizon;
    for (const [key, [, lastModified]] of this.#recent) if (lastModified < horizon) this.#recent.delete(key);
  }

  toJson(): JsonValue {
    const state: S3ScanJson = {
      v: 1,
      window: [...this.#window.values()],
      after: this.#after,
      passStarted: this.#passStarted,
      lastPassStarted: this.#lastPassStarted,
      horizon: this.#horizon,
      recent: Object.fromEntries(this.#recent),
      complete: this.#complete,
    };
    return state as unknown as JsonValue;
  }
}

function parseState(value: JsonValue | undefined): S3ScanJson {
  if (value === undefined) {
    return { v: 1, window: [], after: null, passStarted: null, lastPassStarted: null, horizon: null, recent: {}, complete: false };
  }
  const state = value as unknown as Partial<S3ScanJson> | null;
  if (
    state === null ||
    typeof state !== 'object' ||
    state.v !== 1 ||
    !Array.isArray(state.window) ||
    typeof state.recent !== 'object' ||
    state.recent === null ||
    typeof state.complete !== 'boolean'
  ) {
    throw new CorruptStateError(`S3 enumerator state is not a version 1 scan state: ${JSON.stringify(value).slice(0, 200)}`);
  }
  return state as S3ScanJson;
}

import type { Snapshot } from './Checkpoint.js';
import type { JsonValue } from './Json.js';
import type { SourceSplit, SplitPosition } from './SourceSplit.js';

/**
 * What one run's next snapshot will hold: the assigned split set (in the enumerator's order), each
 * split's position after the last chunk *emitted*, and the enumerator's own state; and whether
 * any of it changed since the last snapshot (a bounded source's final checkpoint is skipped when
 * nothing did).
 */
export class CheckpointState<S extends SourceSplit> {
  private readonly positions = new Map<string, SplitPosition<S>>();
  /** The current split set, in the enumerator's order. */
  private current = new Map<string, S>();
  private enumerator: JsonValue | undefined;
  /** Something changed since the last snapshot. */
  changed = false;
  /**
   * With split leases: splits that left the set since the last snapshot, at the position after
   * their last emitted chunk. The next snapshot records them once more, so the leases can hand a
   * split over exactly where this process stopped emitting it.
   */
  private readonly departed = new Map<string, SplitPosition<S>>();
  /** The departed splits the last snapshot recorded (where their reading stopped). */
  lastDeparted: ReadonlySet<string> = new Set();
  /** With split leases: the lease token each split is read under (a departed one's until the next snapshot). */
  private readonly tokens = new Map<string, string>();
  /** The lease token of each split the last snapshot recorded, where it has one. */
  lastTokens: ReadonlyMap<string, string> = new Map();

  constructor(
    restored: Snapshot<S> | undefined,
    private readonly keepDeparted = false,
  ) {
    this.enumerator = restored?.enumerator;
    for (const [id, position] of Object.entries(restored?.splits ?? {})) {
      this.positions.set(id, position);
      // The restored set is the baseline: an enumerator listing the same splits changes nothing.
      this.current.set(id, position.split);
    }
  }

  /** The enumerator's state as restored (before the enumerator saved any). */
  get enumeratorState(): JsonValue | undefined {
    return this.enumerator;
  }

  /** A copy of the positions, for the enumerator's `restoredSplits`. */
  restoredSplits(): Map<string, SplitPosition<S>> {
    return new Map(this.positions);
  }

  saveEnumeratorState(state: JsonValue): void {
    this.enumerator = state;
    this.changed = true;
  }

  /** The position of split `id`, if it is assigned or restored. */
  position(id: string): SplitPosition<S> | undefined {
    return this.positions.get(id);
  }

  /** Makes `next` the split set: positions of splits that left it are forgotten. Call {@link track} for each split of it next. */
  assign(next: Map<string, S>): void {
    for (const [id, position] of this.positions) {
      if (next.has(id)) continue;
      this.positions.delete(id);
      if (this.keepDeparted && this.current.has(id)) this.departed.set(id, position);
    }
    for (const id of next.keys()) this.departed.delete(id);
    const previous = this.current;
    this.current = next;
    if (previous.size !== next.size || [...next.keys()].some((id) => !previous.has(id))) this.changed = true;
  }

  /**
   * Gives `split` (of the set just assigned) a position: a new split starts at `start` if given
   * (a leased split's committed position, answered as if it had been known), else at `null` (the
   * connector's configured start); a known one keeps its position with the enumerator's newest
   * split object. Answers the position it had before, if any.
   */
  track(split: S, start?: { readonly offset: string | null; readonly finished: boolean }): SplitPosition<S> | undefined {
    const position = this.positions.get(split.id);
    if (position === undefined) {
      // A split leased from another process starts where that process last committed it.
      const started = { split, offset: start?.offset ?? null, finished: start?.finished ?? false };
      this.positions.set(split.id, started);
      return start === undefined ? undefined : started;
    } else if (position.split !== split) {
      this.positions.set(split.id, { ...position, split });
    }
    return position;
  }

  /** The lease token split `id` is read under, if any. */
  token(id: string): string | undefined {
    return this.tokens.get(id);
  }

  setToken(id: string, token: string): void {
    this.tokens.set(id, token);
  }

  /**
   * Split `id` (still in the set) is under a new lease: what this run read of it no longer
   * counts; the next {@link track} starts it at the lease's position.
   */
  forget(id: string): void {
    this.positions.delete(id);
    this.changed = true;
  }

  /** A chunk of split `id` was emitted: the split stands at `nextOffset`. */
  advance(id: string, nextOffset: string): void {
    const position = this.positions.get(id);
    // Without leases a chunk read before its split left the set is still delivered; there is
    // no position left to move. (With leases the run drops such chunks unemitted.)
    if (position !== undefined) {
      this.positions.set(id, { split: position.split, offset: nextOffset, finished: false });
      this.changed = true;
      return;
    }
    const departed = this.departed.get(id);
    if (departed !== undefined) {
      this.departed.set(id, { split: departed.split, offset: nextOffset, finished: false });
      this.changed = true;
    }
  }

  /** The reader of split `id` completed: the split is done. */
  finish(id: string): void {
    const position = this.positions.get(id);
    if (position !== undefined) this.positions.set(id, { ...position, finished: true });
    this.changed = true;
  }

  /** The snapshot of `epoch`: every assigned split's position and the enumerator's state. */
  snapshot(epoch: number): Snapshot<S> {
    const splits: Record<string, SplitPosition<S>> = {};
    for (const id of this.current.keys()) {
      const position = this.positions.get(id);
      if (position !== undefined) splits[id] = position;
    }
    for (const [id, position] of this.departed) splits[id] = position;
    this.lastDeparted = new Set(this.departed.keys());
    this.departed.clear();
    const tokens = new Map<string, string>();
    for (const id of Object.keys(splits)) {
      const token = this.tokens.get(id);
      if (token !== undefined) tokens.set(id, token);
    }
    this.lastTokens = tokens;
    for (const id of this.tokens.keys()) if (!this.current.has(id)) this.tokens.delete(id);
    this.changed = false;
    return this.enumerator === undefined ? { epoch, splits } : { epoch, splits, enumerator: this.enumerator };
  }
}

import { compareValues } from './compileExpression.js';

/**
 * The values one group's `min`/`max` has seen and not yet seen retracted, as a sorted array of
 * distinct values with their multiplicities. Why not a running minimum: a delete of the current
 * minimum must reveal the next one without rescanning the group's rows (which are not kept).
 *
 * Costs, with d distinct values in the group: add and remove find their slot by binary search
 * (O(log d)) and shift the array when a value appears or vanishes (O(d), a memmove); `min` and
 * `max` are O(1). Memory is O(d), not O(rows): repeated values cost one entry.
 *
 * @example
 * const m = new SortedMultiset();
 * m.add(3); m.add(1); m.add(1);
 * m.remove(1); m.min(); // 1 (one 1 is left)
 * m.remove(1); m.min(); // 3
 */
export class SortedMultiset {
  private readonly values: unknown[] = [];
  private readonly counts: number[] = [];

  /** Number of distinct values. */
  get size(): number {
    return this.values.length;
  }

  add(value: unknown, count = 1): void {
    const i = this.search(value);
    if (i < this.values.length && compareValues(this.values[i], value) === 0) this.counts[i]! += count;
    else {
      this.values.splice(i, 0, value);
      this.counts.splice(i, 0, count);
    }
  }

  /** Removes one occurrence; false when the value is not there (a retraction of a row never added). */
  remove(value: unknown): boolean {
    const i = this.search(value);
    if (i >= this.values.length || compareValues(this.values[i], value) !== 0) return false;
    if (--this.counts[i]! === 0) {
      this.values.splice(i, 1);
      this.counts.splice(i, 1);
    }
    return true;
  }

  min(): unknown {
    return this.values.length === 0 ? null : this.values[0];
  }

  max(): unknown {
    return this.values.length === 0 ? null : this.values[this.values.length - 1];
  }

  /** `[value, count]` pairs in order, for a checkpoint. */
  entries(): [unknown, number][] {
    return this.values.map((v, i) => [v, this.counts[i]!]);
  }

  /** First index whose value is not below `value`. */
  private search(value: unknown): number {
    let lo = 0;
    let hi = this.values.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareValues(this.values[mid], value) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

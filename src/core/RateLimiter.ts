import type { SchedulerLike } from 'rxjs';

/**
 * A token bucket in rows per second on a scheduler's clock (virtual time in tests): what a
 * source's rate limit (RisingWave's `source_rate_limit`) spends.
 *
 * A chunk is never split (its `nextOffset` is the only position known inside it), so a chunk may
 * overdraw the bucket: it goes out when the balance is not negative and leaves a debt that the
 * next chunk waits off, and a bounded source's completion too ({@link settle}). The long-run rate
 * is exact; a burst is at most one second's worth of tokens plus one chunk (a connector's fetch
 * size bounds that).
 *
 * - `null`: no limit; `0`: paused until the limit changes (barriers still pass: see SourceRun).
 */
export class RateLimiter {
  private tokens = 0;
  private refilledAt: number;

  constructor(
    private rate: number | null,
    private readonly scheduler: SchedulerLike,
  ) {
    this.refilledAt = scheduler.now();
  }

  get limit(): number | null {
    return this.rate;
  }

  /** Changes the rate from now on; time already passed is credited at the old rate. */
  setLimit(rate: number | null): void {
    this.refill();
    this.rate = rate;
    if (rate === null) this.tokens = 0;
    else this.tokens = Math.min(this.tokens, rate);
  }

  /**
   * Takes `rows` tokens if the balance allows: answers 0 (taken), the milliseconds to wait before
   * asking again, or `Infinity` while paused (ask again when the limit changes).
   */
  take(rows: number): number {
    const rate = this.rate;
    if (rate === null || rows === 0) return 0;
    if (rate === 0) return Infinity;
    this.refill();
    // The epsilons absorb float residue (0.9 - 0.3 is 0.6000000000000001): a wait computed to the
    // millisecond must neither round up a millisecond nor come back a hair short.
    if (this.tokens < -1e-9) return Math.max(1, Math.ceil((-this.tokens * 1000) / rate - 1e-6));
    this.tokens -= rows;
    return 0;
  }

  /**
   * Whether the debt of the chunks already let out is paid off: answers 0, the milliseconds to
   * wait, or `Infinity` while paused. A bounded source completes only then: without it a run whose
   * last chunk overdrew the bucket would end early (a file read in one 64 KiB chunk of 3,000 rows
   * under a limit of 1,000 rows/s took 20 ms), and its rows/s would be over the limit.
   */
  settle(): number {
    const rate = this.rate;
    if (rate === null) return 0;
    if (rate === 0) return Infinity;
    this.refill();
    return this.tokens < -1e-9 ? Math.max(1, Math.ceil((-this.tokens * 1000) / rate - 1e-6)) : 0;
  }

  private refill(): void {
    const now = this.scheduler.now();
    const rate = this.rate;
    if (rate !== null && rate > 0) this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) * rate) / 1000);
    this.refilledAt = now;
  }
}

/**
 * Checks a rate limit given by a user: a finite number of rows per second `>= 0`, or `null` for
 * none. Throws a `RangeError` saying what was given otherwise.
 */
export function checkRateLimit(rate: number | null, what = 'rate limit'): number | null {
  if (rate === null) return null;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) {
    throw new RangeError(`${what}: expected rows per second >= 0 (0 pauses) or null (no limit), got ${String(rate)}`);
  }
  return rate;
}

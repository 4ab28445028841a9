/**
 * How long to wait before a retry: exponential from `baseMs`, capped at `maxMs`, optionally with
 * jitter. `attempt` is the retry's number, 1 for the first.
 */
export interface BackoffPolicy {
  /** The first retry's delay (before jitter); every further retry doubles it. */
  readonly baseMs: number;
  /** The cap. */
  readonly maxMs: number;
  /**
   * `none` (default): the delay as computed. `equal`: half the delay plus a random half ("equal
   * jitter"), so that many splits failing together (a throttled stream) do not retry in lockstep.
   */
  readonly jitter?: 'none' | 'equal';
  /** Random numbers in [0, 1) for the jitter; `Math.random` unless a test pins it. */
  readonly random?: () => number;
}

/**
 * The delay before retry number `attempt` (1-based) under `policy`:
 * `min(maxMs, max(1, baseMs) * 2^(attempt - 1))`, then jittered.
 *
 * ```
 * baseMs 200, maxMs 1000:   attempt 1 → 200, 2 → 400, 3 → 800, 4 → 1000, 5 → 1000
 * ```
 *
 * @example
 * backoffDelay(3, { baseMs: 100, maxMs: 5_000 }) // 400
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  const exp = Math.min(policy.maxMs, Math.max(1, policy.baseMs) * 2 ** Math.max(0, attempt - 1));
  if (policy.jitter !== 'equal') return exp;
  const random = policy.random ?? Math.random;
  return Math.round(exp / 2 + random() * (exp / 2));
}

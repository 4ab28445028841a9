import type { SchedulerLike } from 'rxjs';

/** How long a disconnect may take before it is given up on. */
export const DISCONNECT_TIMEOUT_MS = 15_000;

/**
 * Waits for `promise` to settle, or `ms` on `scheduler` at most, whichever is first; never
 * rejects. For clean-ups (a client's disconnect) that must not hold a shutdown forever.
 */
export async function withTimeout(promise: Promise<unknown>, ms: number, scheduler: SchedulerLike): Promise<void> {
  let timeout: { unsubscribe(): void } | undefined;
  try {
    await Promise.race([
      promise.catch(() => undefined),
      new Promise<void>((resolve) => {
        timeout = scheduler.schedule(() => resolve(), ms);
      }),
    ]);
  } finally {
    timeout?.unsubscribe();
  }
}

/**
 * A failed call to the broker (admin REST or WebSocket upgrade), with whether retrying may help:
 * refused or reset connections, timeouts and 5xx answers are transient (a restarting broker),
 * a missing topic or refused credentials are not. @internal
 */
export class PulsarCallError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PulsarCallError';
  }
}

/** Whether an error from `fetch` or a socket is a network failure worth retrying. */
export function isNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown; cause?: { code?: unknown } } | null)?.cause?.code ?? (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|UND_ERR_\w+)$/.test(code)) return true;
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return true;
  return err instanceof Error && /fetch failed|socket hang up|ECONNRESET|ECONNREFUSED|network/i.test(err.message);
}

/** Whether the call may be retried. */
export function isTransient(err: unknown): boolean {
  return err instanceof PulsarCallError ? err.transient : isNetworkError(err);
}

/** Replaces every occurrence of a secret (the token) in a message. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('***');
  return out;
}

/** An error's message, scrubbed, with the cause's code when it says more (ECONNREFUSED ...). */
export function describeError(err: unknown, secrets: readonly string[]): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return scrub(typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message, secrets);
}


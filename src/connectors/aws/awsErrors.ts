import { SourceError } from '../../core/SourceError.js';
import { RetriesExhaustedError } from '../base/RetriesExhaustedError.js';

/**
 * AWS SDK errors carry request details (`$response`, `$metadata`, sometimes a string to sign):
 * before one leaves the connector it is turned into a plain `Error` with the same name and a
 * message scrubbed of every secret value, and the SDK object is dropped, so neither an error
 * message nor a logged `cause` chain can show credentials.
 */
export function scrubAwsError(err: unknown, secrets: readonly (string | undefined)[]): Error {
  const name = errorName(err);
  const raw = err instanceof Error ? err.message : String(err);
  let message = raw === '' || raw === 'UnknownError' ? name : raw;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 4) message = message.split(secret).join('***');
  }
  const status = httpStatus(err);
  const scrubbed = new Error(status === undefined ? message : `${message} (HTTP ${status})`);
  scrubbed.name = name;
  return scrubbed;
}

/** The AWS error code (`NoSuchKey`, `ProvisionedThroughputExceededException` ...) or `Error`. */
export function errorName(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const e = err as { name?: unknown; Code?: unknown; code?: unknown };
    if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
    if (typeof e.Code === 'string') return e.Code;
    if (typeof e.code === 'string') return e.code;
  }
  return 'Error';
}

/** The HTTP status of an SDK error, when it has one. */
export function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = (err as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * How many attempts a failed call made: a connector's own count ({@link RetriesExhaustedError}) or
 * the SDK's (`$metadata.attempts`, when the SDK retried).
 */
export function attemptsOf(err: unknown): number | undefined {
  if (err instanceof RetriesExhaustedError) return err.attempts;
  if (typeof err !== 'object' || err === null) return undefined;
  const attempts = (err as { $metadata?: { attempts?: unknown } }).$metadata?.attempts;
  return typeof attempts === 'number' ? attempts : undefined;
}

/** `failed: <message>` or `failed after N attempts: <message>`, scrubbed of `secrets`. */
function failedMessage(err: unknown, secrets: readonly string[]): string {
  const attempts = attemptsOf(err);
  return `failed${attempts !== undefined && attempts > 1 ? ` after ${attempts} attempts` : ''}: ${scrubAwsError(err, secrets).message}`;
}

/**
 * An SDK call that failed, with what it was and where it went: `GetRecords on stream 's' at
 * http://host:4567 failed after 4 attempts: connect ECONNREFUSED ...`. Keeps the SDK error's
 * name, not the SDK object (see {@link scrubAwsError}). @internal
 */
export class AwsCallError extends Error {
  constructor(what: string, err: unknown, secrets: readonly string[] = []) {
    super(`${what} ${failedMessage(err, secrets)}`);
    this.name = errorName(err);
  }
}

/**
 * The error an enumerator fails with: `what` failed (`listing s3://b/p`), with the scrubbed SDK
 * error as message and cause.
 * @internal
 */
export function enumeratorError(err: unknown, secrets: readonly string[], what: string, source: string): SourceError {
  if (err instanceof SourceError) return err;
  const cause = scrubAwsError(err, secrets);
  return SourceError.wrap(new Error(`${what} ${failedMessage(err, secrets)}`, { cause }), { source });
}

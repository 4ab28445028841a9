/**
 * Failures outlasted a retry budget. Its message is the last error's (callers pass it already
 * scrubbed of secrets), its name the last error's (`ECONNREFUSED`, `InternalFailure` ...), and
 * `attempts` counts the tries made, the first included, for "failed after N attempts".
 */
export class RetriesExhaustedError extends Error {
  constructor(
    readonly attempts: number,
    message: string,
    name: string,
  ) {
    super(message);
    this.name = name;
  }
}

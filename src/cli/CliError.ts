/**
 * A problem with how `tributary` was invoked (unknown option, missing file): exit code 2, like a
 * SQL error, with one line on stderr and a pointer to `--help`.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

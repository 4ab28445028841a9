/**
 * One reconnect of a split's reader, reported before its backoff (logs, metrics, tests). A file of
 * its own so that the public types do not pull in the `ws` types the reader uses.
 */
export interface PulsarReconnectEvent {
  readonly split: string;
  /** 1 for the first reconnect in a row. */
  readonly attempt: number;
  /** Why, scrubbed of the token. */
  readonly error: string;
  /** Where the reader resumes: after this message id, or the split's start (`null`). */
  readonly after: string | null;
}

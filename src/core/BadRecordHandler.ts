import type { BadRecordError } from './SourceError.js';

/**
 * What a source does with a record it cannot decode or that violates its schema:
 * - `fail` (default): the source errors with the record's location (and, under a retrying
 *   pipeline, fails again on the same record: bad data is not skipped unless you say so);
 * - `skip`: the record is counted, a few are kept as samples, and reading goes on;
 * - `dead-letter`: the record goes to the source's dead-letter stream, and is counted.
 */
export type BadRecordPolicy = 'fail' | 'skip' | 'dead-letter';

/** A record set aside by the `skip` or `dead-letter` policy. */
export interface DeadLetter {
  readonly error: BadRecordError;
  /** The raw bytes of the record, when the reader has them. */
  readonly raw: Uint8Array | null;
}

/** Counts a source keeps of its bad records; never reset within a subscription. */
export interface BadRecordStats {
  readonly policy: BadRecordPolicy;
  /**
   * Records skipped: each bad record counts the records it lost (`BadRecordError.records`: an
   * Avro block's count, the rest of a block), not 1 per error.
   */
  readonly skipped: number;
  /** Records dead-lettered, counted like {@link skipped}. */
  readonly deadLettered: number;
  /**
   * Input bytes skipped or dead-lettered, where the reader knew them (`BadRecordError.bytes`):
   * the measure of loss when a span of a text file was set aside (an unterminated quote).
   */
  readonly bytes: number;
  /** The number of bad-record errors (events), for reference: each may stand for many records. */
  readonly errors: number;
  /** The first few skipped records' errors. */
  readonly samples: readonly BadRecordError[];
}

/** Readers and formats hand every bad record to this; it throws under the `fail` policy. */
export interface BadRecordHandler {
  readonly policy: BadRecordPolicy;
  /** Throws `error` under `fail`; otherwise records it and returns. */
  handle(error: BadRecordError, raw: Uint8Array | null): void;
}

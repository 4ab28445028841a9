/** What {@link runSummary} reports of one `tributary run`. */
export interface RunSummary {
  /** Rows written to stdout. */
  readonly rows: number;
  /** Bad records set aside (skipped or dead-lettered) by the policy of the source. */
  readonly badRecords: number;
  readonly elapsedMs: number;
  /** The last epoch committed (its checkpoint durable), or undefined when none was. */
  readonly lastEpoch: number | undefined;
}

/**
 * The line `tributary run` ends with on stderr (unless `--quiet`): what the run did, in one line
 * a person reads and a script greps, e.g.
 * `tributary: 1,200 rows, 0 bad records, 2.41 s, 498 rows/s, last epoch 3`. The last epoch is the
 * one a rerun with the same `--state` resumes after; `no checkpoint` when none committed.
 *
 * @example
 * process.stderr.write(`${runSummary({ rows: 10, badRecords: 0, elapsedMs: 20, lastEpoch: 1 })}\n`);
 */
export function runSummary(s: RunSummary): string {
  const seconds = s.elapsedMs / 1000;
  const rate = s.elapsedMs > 0 ? Math.round((s.rows * 1000) / s.elapsedMs) : 0;
  return (
    `tributary: ${s.rows.toLocaleString('en-US')} row${s.rows === 1 ? '' : 's'}, ` +
    `${s.badRecords.toLocaleString('en-US')} bad record${s.badRecords === 1 ? '' : 's'}, ` +
    `${seconds < 10 ? seconds.toFixed(2) : seconds.toFixed(1)} s, ${rate.toLocaleString('en-US')} rows/s, ` +
    (s.lastEpoch === undefined ? 'no checkpoint' : `last epoch ${s.lastEpoch}`)
  );
}

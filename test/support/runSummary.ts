import assert from 'node:assert/strict';

/** The summary line `tributary run` ends with on stderr (see src/cli/runSummary.ts). */
export const SUMMARY_LINE = /^tributary: ([\d,]+) rows?, ([\d,]+) bad records?, (\d+\.\d+) s, ([\d,]+) rows\/s, (?:last epoch (\d+)|no checkpoint)$/;

/** A summary line's figures. */
export interface ParsedSummary {
  readonly rows: number;
  readonly badRecords: number;
  readonly seconds: number;
  readonly rate: number;
  readonly lastEpoch: number | undefined;
}

/**
 * Splits a run's stderr into what came before the summary and the summary itself, asserting that
 * the last line is a summary line and the only one.
 */
export function withoutSummary(stderr: string): { readonly rest: string; readonly summary: ParsedSummary } {
  const lines = stderr.split('\n');
  assert.equal(lines.pop(), '', `stderr ends with a newline: ${JSON.stringify(stderr)}`);
  const last = lines.pop() ?? '';
  const m = SUMMARY_LINE.exec(last);
  assert.ok(m !== null, `the last line of stderr is the summary: ${JSON.stringify(stderr)}`);
  assert.ok(!lines.some((l) => SUMMARY_LINE.test(l)), `one summary line: ${JSON.stringify(stderr)}`);
  const num = (s: string): number => Number(s.replaceAll(',', ''));
  return {
    rest: lines.length === 0 ? '' : `${lines.join('\n')}\n`,
    summary: { rows: num(m[1]!), badRecords: num(m[2]!), seconds: Number(m[3]), rate: num(m[4]!), lastEpoch: m[5] === undefined ? undefined : Number(m[5]) },
  };
}

import type { CaseResult, TableRow } from './CaseResult.js';

const HEADERS = ['case', 'baseline', 'baseline rows/s', 'tributary rows/s', 'ratio', 'target', 'met', 'peak RSS MB (base/trib)', 'status'];

/** The results as a plain-text table, one line per (case, baseline). */
export function formatTable(results: readonly CaseResult[]): string {
  const lines = results.flatMap((r) => r.rows).map(cells);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cols: readonly string[]) =>
    cols.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ').trimEnd();
  return [fmt(HEADERS), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(fmt)].join('\n');
}

function cells(row: TableRow): string[] {
  const rss =
    row.baselineRssMB === undefined && row.tributaryRssMB === undefined
      ? ''
      : `${mb(row.baselineRssMB)} / ${mb(row.tributaryRssMB)}`;
  return [
    row.case,
    row.baseline,
    rate(row.baselineRowsPerSec),
    rate(row.tributaryRowsPerSec),
    row.ratio === undefined ? '—' : row.ratio.toFixed(2),
    row.measured === undefined ? row.target : `${row.target} (${row.measured})`,
    row.met === undefined ? '' : row.met ? 'yes' : 'NO',
    rss,
    row.status.length > 40 ? `${row.status.slice(0, 37)}...` : row.status,
  ];
}

function rate(value: number | undefined): string {
  return value === undefined ? '—' : Math.round(value).toLocaleString('en-US');
}

function mb(value: number | undefined): string {
  return value === undefined ? '—' : value.toFixed(0);
}

/** Notes of each case and the first line of every failure, which the table cuts short. */
export function formatRemarks(results: readonly CaseResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    for (const note of r.notes ?? []) lines.push(`- ${r.id}: ${note}`);
    for (const v of r.variants) {
      if (v.status !== 'ok') lines.push(`- ${r.id}: ${v.variant} ${v.status}: ${firstLine(v.reason ?? '')}`);
    }
    if (r.variants.length === 0) {
      for (const row of r.rows) if (row.status !== 'ok') lines.push(`- ${r.id}: ${firstLine(row.status)}`);
    }
  }
  return lines.join('\n');
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

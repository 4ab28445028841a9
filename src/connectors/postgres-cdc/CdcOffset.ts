import { formatLsn, parseLsn, type Lsn } from './Lsn.js';

/**
 * A postgres-cdc split's position, as stored in checkpoints:
 *
 * - `snapshot:<lsn>:<rows>`: inside the initial snapshot consistent with the slot created at
 *   `<lsn>`, `<rows>` rows emitted. A snapshot cannot be resumed (the exported snapshot dies
 *   with the connection that made it), so a restore from such a position takes a new snapshot
 *   from a new slot, after a TRUNCATE row that retracts what was delivered of the old one.
 * - `<lsn>`: every transaction of the table that committed before `<lsn>` (the end of the last
 *   applied commit record) is applied; the stream resumes there.
 * - `<lsn>#<n>`: as `<lsn>`, plus the first `<n>` changes of the table in the next transaction
 *   (a large transaction is emitted in several chunks; a restart skips what was emitted).
 *
 * @example
 * formatCdcOffset({ kind: 'stream', lsn: parseLsn('0/16B3748'), skip: 2 }) // '0/16B3748#2'
 */
export type CdcOffset =
  | { readonly kind: 'snapshot'; readonly lsn: Lsn; readonly rows: number }
  | { readonly kind: 'stream'; readonly lsn: Lsn; readonly skip: number };

export function formatCdcOffset(offset: CdcOffset): string {
  if (offset.kind === 'snapshot') return `snapshot:${formatLsn(offset.lsn)}:${offset.rows}`;
  return offset.skip > 0 ? `${formatLsn(offset.lsn)}#${offset.skip}` : formatLsn(offset.lsn);
}

export function parseCdcOffset(text: string): CdcOffset {
  const snapshot = /^snapshot:([^:]+):(\d+)$/.exec(text);
  if (snapshot !== null) return { kind: 'snapshot', lsn: parseLsn(snapshot[1]!), rows: Number(snapshot[2]) };
  const stream = /^([^#]+)(?:#(\d+))?$/.exec(text);
  if (stream === null) throw new SyntaxError(`invalid postgres-cdc offset "${text}"`);
  return { kind: 'stream', lsn: parseLsn(stream[1]!), skip: stream[2] === undefined ? 0 : Number(stream[2]) };
}

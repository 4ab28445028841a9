import { UNCHANGED } from '../../core/Changelog.js';
import { readLsn, type Lsn } from './Lsn.js';

/**
 * A decoder of PostgreSQL's `pgoutput` logical replication messages (protocol version 1, text
 * tuples), the payload of each XLogData message of a `START_REPLICATION ... LOGICAL` stream.
 *
 * Written here rather than taken from `pg-logical-replication` (the maintained npm client with a
 * pgoutput parser): that parser converts values through `pg`'s process-wide type parsers (int8
 * and numeric as strings, timestamptz as a `Date` built in local time, no way to keep them exact
 * without changing every `pg` client of the process), replaces an unchanged TOASTed column by the
 * previous tuple's value or `undefined` (we need tributary's `UNCHANGED` so a table keeps the old
 * value), and its service acknowledges the last *received* LSN on a timer, where the slot's
 * confirmed LSN must move only after a checkpoint commits. The protocol itself is small and
 * stable (https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html).
 *
 * @example
 * const message = decodePgoutput(xlogData.subarray(25));
 * if (message.tag === 'insert') console.log(message.relationId, message.newTuple);
 */

/** A column value in a tuple: its text, SQL NULL, or {@link UNCHANGED} (an unchanged TOASTed value not sent). */
export type TupleValue = string | null | typeof UNCHANGED;
export type Tuple = readonly TupleValue[];

export interface RelationColumn {
  readonly name: string;
  readonly typeOid: number;
  /** Part of the replica identity (the primary key, unless REPLICA IDENTITY says otherwise). */
  readonly isKey: boolean;
}

/** `d` default (primary key), `n` nothing, `f` full, `i` index. */
export type ReplicaIdentity = 'd' | 'n' | 'f' | 'i';

export type PgoutputMessage =
  | { readonly tag: 'begin'; readonly finalLsn: Lsn; readonly xid: number }
  | { readonly tag: 'commit'; readonly commitLsn: Lsn; readonly endLsn: Lsn }
  | {
      readonly tag: 'relation';
      readonly relationId: number;
      readonly schema: string;
      readonly table: string;
      readonly replicaIdentity: ReplicaIdentity;
      readonly columns: readonly RelationColumn[];
    }
  | { readonly tag: 'insert'; readonly relationId: number; readonly newTuple: Tuple }
  | {
      readonly tag: 'update';
      readonly relationId: number;
      /** The old row: all columns with REPLICA IDENTITY FULL (`O`), the key columns when the key changed (`K`), else absent. */
      readonly oldTuple?: Tuple;
      readonly oldKind?: 'key' | 'full';
      readonly newTuple: Tuple;
    }
  | { readonly tag: 'delete'; readonly relationId: number; readonly oldKind: 'key' | 'full'; readonly oldTuple: Tuple }
  | { readonly tag: 'truncate'; readonly relationIds: readonly number[]; readonly cascade: boolean; readonly restartIdentity: boolean }
  | { readonly tag: 'other'; readonly byte: number };

/** Decodes one pgoutput message. Throws a `SyntaxError` naming the message on malformed input. */
export function decodePgoutput(buffer: Buffer): PgoutputMessage {
  const r = new Reader(buffer);
  const tag = r.byte();
  switch (tag) {
    case 0x42 /* B */: {
      const finalLsn = r.lsn();
      r.skip(8);
      return { tag: 'begin', finalLsn, xid: r.int32() };
    }
    case 0x43 /* C */: {
      r.skip(1);
      const commitLsn = r.lsn();
      return { tag: 'commit', commitLsn, endLsn: r.lsn() };
    }
    case 0x52 /* R */: {
      const relationId = r.int32();
      const schema = r.cstring();
      const table = r.cstring();
      const replicaIdentity = String.fromCharCode(r.byte()) as ReplicaIdentity;
      const count = r.int16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < count; i++) {
        const flags = r.byte();
        const name = r.cstring();
        const typeOid = r.int32();
        r.skip(4);
        columns.push({ name, typeOid, isKey: (flags & 1) === 1 });
      }
      return { tag: 'relation', relationId, schema, table, replicaIdentity, columns };
    }
    case 0x49 /* I */: {
      const relationId = r.int32();
      r.expect(0x4e, 'insert');
      return { tag: 'insert', relationId, newTuple: r.tuple() };
    }
    case 0x55 /* U */: {
      const relationId = r.int32();
      const kind = r.byte();
      if (kind === 0x4b || kind === 0x4f) {
        const oldKind = kind === 0x4b ? 'key' : 'full';
        const oldTuple = r.tuple();
        r.expect(0x4e, 'update');
        return { tag: 'update', relationId, oldKind, oldTuple, newTuple: r.tuple() };
      }
      if (kind !== 0x4e) throw new SyntaxError(`pgoutput: unexpected byte ${kind} in an update message`);
      return { tag: 'update', relationId, newTuple: r.tuple() };
    }
    case 0x44 /* D */: {
      const relationId = r.int32();
      const kind = r.byte();
      if (kind !== 0x4b && kind !== 0x4f) throw new SyntaxError(`pgoutput: unexpected byte ${kind} in a delete message`);
      return { tag: 'delete', relationId, oldKind: kind === 0x4b ? 'key' : 'full', oldTuple: r.tuple() };
    }
    case 0x54 /* T */: {
      const count = r.int32();
      const options = r.byte();
      const relationIds: number[] = [];
      for (let i = 0; i < count; i++) relationIds.push(r.int32());
      return { tag: 'truncate', relationIds, cascade: (options & 1) === 1, restartIdentity: (options & 2) === 2 };
    }
    default:
      // Origin (O), Type (Y), Message (M) and the streaming/two-phase messages we do not ask for.
      return { tag: 'other', byte: tag };
  }
}

class Reader {
  private pos = 0;
  constructor(private readonly buffer: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buffer.length) {
      throw new SyntaxError(`pgoutput: message of ${this.buffer.length} bytes ends early (at ${this.pos}, ${n} more needed)`);
    }
  }
  byte(): number {
    this.need(1);
    return this.buffer[this.pos++]!;
  }
  int16(): number {
    this.need(2);
    const v = this.buffer.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buffer.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  lsn(): bigint {
    this.need(8);
    const v = readLsn(this.buffer, this.pos);
    this.pos += 8;
    return v;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
  expect(byte: number, what: string): void {
    const got = this.byte();
    if (got !== byte) throw new SyntaxError(`pgoutput: expected '${String.fromCharCode(byte)}' in ${what} message, got byte ${got}`);
  }
  cstring(): string {
    const end = this.buffer.indexOf(0, this.pos);
    if (end < 0) throw new SyntaxError('pgoutput: unterminated string');
    const s = this.buffer.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  tuple(): Tuple {
    const count = this.int16();
    const values: TupleValue[] = new Array<TupleValue>(count);
    for (let i = 0; i < count; i++) {
      const kind = this.byte();
      if (kind === 0x6e /* n */) values[i] = null;
      else if (kind === 0x75 /* u */) values[i] = UNCHANGED;
      else if (kind === 0x74 /* t */) {
        const length = this.int32();
        this.need(length);
        values[i] = this.buffer.toString('utf8', this.pos, this.pos + length);
        this.pos += length;
      } else throw new SyntaxError(`pgoutput: unexpected tuple column kind ${kind} (binary tuples are not requested)`);
    }
    return values;
  }
}

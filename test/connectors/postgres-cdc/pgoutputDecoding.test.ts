import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UNCHANGED } from '../../../src/core/Changelog.js';
import { MicroDate } from '../../../src/core/MicroDate.js';
import {
  PG_OID, decodePgoutput, formatCdcOffset, formatLsn, parseCdcOffset, parseLsn, parsePgArray, parsePgValue,
} from '../../../src/connectors/postgres-cdc/index.js';

/** Builds pgoutput bytes the way the server writes them (big-endian, NUL-terminated strings). */
class Bytes {
  private readonly parts: Buffer[] = [];
  byte(b: number): this { this.parts.push(Buffer.from([b])); return this; }
  char(c: string): this { return this.byte(c.charCodeAt(0)); }
  int16(n: number): this { const b = Buffer.alloc(2); b.writeInt16BE(n); this.parts.push(b); return this; }
  int32(n: number): this { const b = Buffer.alloc(4); b.writeInt32BE(n); this.parts.push(b); return this; }
  int64(n: bigint): this { const b = Buffer.alloc(8); b.writeBigUInt64BE(n); this.parts.push(b); return this; }
  cstring(s: string): this { this.parts.push(Buffer.from(`${s}\0`, 'utf8')); return this; }
  text(s: string): this { const b = Buffer.from(s, 'utf8'); this.char('t').int32(b.length); this.parts.push(b); return this; }
  done(): Buffer { return Buffer.concat(this.parts); }
}


/** An instant with no microseconds past its millisecond: a plain Date. */
const micro = (t: string | number): Date => new Date(t);

test('pgoutput: relation, insert, update with old row (FULL) and with key (K), delete, truncate, begin/commit', () => {
  const relation = decodePgoutput(new Bytes().char('R').int32(16384).cstring('public').cstring('orders').char('f').int16(3)
    .byte(1).cstring('id').int32(PG_OID.int8).int32(-1)
    .byte(0).cstring('total').int32(PG_OID.numeric).int32(-1)
    .byte(0).cstring('note').int32(25).int32(-1).done());
  assert.deepEqual(relation, {
    tag: 'relation', relationId: 16384, schema: 'public', table: 'orders', replicaIdentity: 'f',
    columns: [{ name: 'id', typeOid: 20, isKey: true }, { name: 'total', typeOid: 1700, isKey: false }, { name: 'note', typeOid: 25, isKey: false }],
  });
  const tuple = (b: Bytes): Bytes => b.int16(3).text('7').text('1.50').char('n');
  assert.deepEqual(decodePgoutput(tuple(new Bytes().char('I').int32(16384).char('N')).done()), { tag: 'insert', relationId: 16384, newTuple: ['7', '1.50', null] });
  const update = decodePgoutput(new Bytes().char('U').int32(16384).char('O').int16(3).text('7').text('1.50').char('n').char('N').int16(3).text('7').text('2').char('u').done());
  assert.deepEqual(update, { tag: 'update', relationId: 16384, oldKind: 'full', oldTuple: ['7', '1.50', null], newTuple: ['7', '2', UNCHANGED] });
  const keyUpdate = decodePgoutput(new Bytes().char('U').int32(1).char('K').int16(1).text('7').char('N').int16(1).text('8').done());
  assert.equal(keyUpdate.tag === 'update' && keyUpdate.oldKind, 'key');
  assert.deepEqual(decodePgoutput(new Bytes().char('U').int32(1).char('N').int16(1).text('8').done()), { tag: 'update', relationId: 1, newTuple: ['8'] });
  assert.deepEqual(decodePgoutput(new Bytes().char('D').int32(1).char('K').int16(1).text('8').done()), { tag: 'delete', relationId: 1, oldKind: 'key', oldTuple: ['8'] });
  assert.deepEqual(decodePgoutput(new Bytes().char('T').int32(2).byte(3).int32(1).int32(2).done()), { tag: 'truncate', relationIds: [1, 2], cascade: true, restartIdentity: true });
  assert.deepEqual(decodePgoutput(new Bytes().char('B').int64(0x1_0000_0010n).int64(0n).int32(42).done()), { tag: 'begin', finalLsn: 0x1_0000_0010n, xid: 42 });
  assert.deepEqual(decodePgoutput(new Bytes().char('C').byte(0).int64(5n).int64(9n).int64(0n).done()), { tag: 'commit', commitLsn: 5n, endLsn: 9n });
  assert.deepEqual(decodePgoutput(new Bytes().char('Y').int32(1).cstring('s').cstring('t').done()), { tag: 'other', byte: 0x59 });
});

test('pgoutput: hostile input fails with a SyntaxError naming the problem, never reads past the end', () => {
  const full = new Bytes().char('I').int32(1).char('N').int16(2).text('abc').text('defgh').done();
  for (let cut = 1; cut < full.length; cut++) {
    assert.throws(() => decodePgoutput(full.subarray(0, cut)), SyntaxError, `cut at ${cut}`);
  }
  assert.throws(() => decodePgoutput(new Bytes().char('I').int32(1).char('X').done()), /expected 'N' in insert/);
  assert.throws(() => decodePgoutput(new Bytes().char('I').int32(1).char('N').int16(1).char('b').done()), /binary tuples/);
  assert.throws(() => decodePgoutput(new Bytes().char('I').int32(1).char('N').int16(1).char('t').int32(1_000_000).done()), /ends early/);
  assert.throws(() => decodePgoutput(new Bytes().char('R').int32(1).done()), /unterminated string/);
});

test('pgValue: exact numbers, timestamps, JSON, bytea, arrays', () => {
  assert.equal(parsePgValue(PG_OID.int8, '-9223372036854775808'), -9223372036854775808n);
  assert.equal(parsePgValue(PG_OID.numeric, '12345678901234567890.0000000001'), '12345678901234567890.0000000001');
  assert.equal(parsePgValue(PG_OID.numeric, 'NaN'), 'NaN');
  assert.equal(parsePgValue(PG_OID.int4, '-17'), -17);
  assert.equal(parsePgValue(PG_OID.float8, 'Infinity'), Infinity);
  assert.equal(parsePgValue(PG_OID.bool, 'f'), false);
  // A MicroDate: the microseconds kept, six digits in its ISO text.
  const at = parsePgValue(PG_OID.timestamptz, '2024-01-31 13:45:00.123456+01');
  assert.ok(at instanceof MicroDate && at.toISOString() === '2024-01-31T12:45:00.123456Z' && at.getTime() === Date.parse('2024-01-31T12:45:00.123Z'), String(at));
  assert.deepEqual(at, new MicroDate(Date.parse('2024-01-31T12:45:00.123Z'), 456));
  assert.equal(JSON.stringify({ at }), '{"at":"2024-01-31T12:45:00.123456Z"}');
  assert.equal((parsePgValue(PG_OID.timestamptz, '1969-12-31 23:59:59.999999+00') as MicroDate).epochMicros(), -1n);
  assert.equal((parsePgValue(PG_OID.timestamptz, '0044-03-15 12:00:00.000001+00 BC') as MicroDate).micros, 1);
  assert.deepEqual(parsePgValue(PG_OID.timestamptz, '2024-01-31 13:45:00-03:30'), micro('2024-01-31T17:15:00.000Z'));
  assert.deepEqual(parsePgValue(PG_OID.timestamptz, '0044-03-15 12:00:00+00'), micro('0044-03-15T12:00:00.000Z'));
  assert.equal(parsePgValue(PG_OID.timestamptz, 'infinity'), 'infinity');
  assert.deepEqual(parsePgValue(PG_OID.timestamptz, '2024-12-31 23:59:59.999999+00'), new MicroDate(Date.parse('2024-12-31T23:59:59.999Z'), 999));
  assert.deepEqual(parsePgValue(PG_OID.timestamptz, '1999-06-01 00:00:00+05:45'), micro('1999-05-31T18:15:00.000Z'));
  assert.deepEqual(parsePgValue(PG_OID.timestamptz, '2000-02-29 12:00:00.5-08'), new Date('2000-02-29T20:00:00.500Z'));
  assert.deepEqual(parsePgValue(PG_OID.timestamptz, '2024-01-01 00:00:00+01:02:03'), micro(Date.UTC(2024, 0, 1) - 3723_000));
  assert.deepEqual(parsePgValue(PG_OID.timestamptz, '0100-01-01 00:00:00+00 BC'), micro('-000099-01-01T00:00:00.000Z'));
  assert.equal(parsePgValue(PG_OID.timestamp, '2024-01-31 13:45:00.123456'), '2024-01-31 13:45:00.123456');
  assert.deepEqual(parsePgValue(PG_OID.jsonb, '{"a": [1, null, "x"]}'), { a: [1, null, 'x'] });
  assert.deepEqual(parsePgValue(PG_OID.bytea, '\\x00ff10'), new Uint8Array([0, 255, 16]));
  assert.equal(parsePgValue(25, 'plain text'), 'plain text');
  assert.deepEqual(parsePgValue(PG_OID.int8Array, '{1,NULL,9007199254740993}'), [1n, null, 9007199254740993n]);
  assert.deepEqual(parsePgValue(PG_OID.textArray, '{"a b","c\\"d",NULL,"NULL",""}'), ['a b', 'c"d', null, 'NULL', '']);
  assert.deepEqual(parsePgValue(PG_OID.int4Array, '{{1,2},{3,4}}'), [[1, 2], [3, 4]]);
  assert.deepEqual(parsePgValue(PG_OID.int4Array, '[0:1]={5,6}'), [5, 6]);
  assert.deepEqual(parsePgValue(PG_OID.int4Array, '{}'), []);
  assert.deepEqual(parsePgValue(PG_OID.numericArray, '{1.10,-2}'), ['1.10', '-2']);
  assert.deepEqual(parsePgValue(PG_OID.jsonbArray, '{"{\\"a\\": 1}"}'), [{ a: 1 }]);
  for (const bad of ['{1,2', '1,2}', '{"a}', '{1}x']) assert.throws(() => parsePgArray(bad, (s) => s), SyntaxError, bad);
  assert.throws(() => parsePgValue(PG_OID.timestamptz, 'yesterday'), /invalid timestamptz/);
});

test('LSNs and offsets round-trip; malformed ones are named', () => {
  assert.equal(parseLsn('16/B374D848'), 0x16_B374D848n);
  assert.equal(formatLsn(0x16_B374D848n), '16/B374D848');
  assert.equal(formatLsn(0n), '0/0');
  for (const text of ['0/16B3748', '0/16B3748#3', 'snapshot:1/0:42']) assert.equal(formatCdcOffset(parseCdcOffset(text)), text);
  assert.deepEqual(parseCdcOffset('0/10#2'), { kind: 'stream', lsn: 16n, skip: 2 });
  assert.throws(() => parseLsn('16-B3'), /invalid PostgreSQL LSN "16-B3"/);
  assert.throws(() => parseCdcOffset('0/10#x'), SyntaxError);
});

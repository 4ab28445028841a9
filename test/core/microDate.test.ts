import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MicroDate, instant, microsOf } from '../../src/core/MicroDate.js';
import { defaultTableRowCodec } from '../../src/core/TableRowCodec.js';
import { TableState } from '../../src/core/TableState.js';
import { toJsonText } from '../../src/cli/toJsonText.js';
import { convertValue } from '../../src/sql/convertValue.js';
import { sqlTableRowCodec } from '../../src/sql/sqlTableRowCodec.js';
import { decodeValue, encodeValue } from '../../src/sql/stateCodec.js';
import { sqlValueText } from '../../src/sql/sqlValueText.js';

const at = (): MicroDate => MicroDate.fromText('2024-01-05 01:02:03.456789+01')!;

test('MicroDate: a Date with the microseconds; six-digit ISO text, JSON, epoch micros, before 1970 too', () => {
  const t = at();
  assert.ok(t instanceof Date);
  assert.equal(t.getTime(), Date.parse('2024-01-05T00:02:03.456Z'));
  assert.equal(t.micros, 789);
  assert.equal(t.toISOString(), '2024-01-05T00:02:03.456789Z');
  assert.equal(JSON.stringify([t]), '["2024-01-05T00:02:03.456789Z"]');
  assert.equal(t.epochMicros(), 1704412923456789n);
  assert.deepEqual(MicroDate.fromEpochMicros(-1n).toISOString(), '1969-12-31T23:59:59.999999Z');
  assert.deepEqual(MicroDate.fromEpochMicros(t.epochMicros()), t);
  assert.deepEqual(MicroDate.fromText(t.toISOString()), t);
  assert.notDeepStrictEqual(new MicroDate(t.getTime(), 788), t);
  // Digits past the sixth are cut (PostgreSQL keeps six); no zone is UTC; nonsense is undefined.
  assert.equal(MicroDate.fromText('2024-01-05T00:02:03.456789999Z')!.micros, 789);
  assert.equal(MicroDate.fromText('2024-01-05 00:02:03.1')!.toISOString(), '2024-01-05T00:02:03.100000Z');
  assert.equal(MicroDate.fromText('0044-03-15T12:00:00.000001Z')!.toISOString(), '0044-03-15T12:00:00.000001Z');
  assert.equal(MicroDate.fromText('yesterday'), undefined);
  assert.equal(MicroDate.fromText('2024-13-05T00:00:00Z'), undefined);
  assert.throws(() => new MicroDate(0, 1000), RangeError);
  assert.equal(microsOf(new Date(0)), 0);
});

test('the microseconds survive every hop: table checkpoints (both codecs), query state, table keys, SQL conversion, comparison, text and JSON output', () => {
  const t = at();
  for (const codec of [defaultTableRowCodec, sqlTableRowCodec]) {
    const back = codec.decode(JSON.parse(JSON.stringify(codec.encode({ id: 1, at: t, plain: new Date(5) }))));
    assert.deepEqual(back, { id: 1, at: t, plain: new Date(5) });
    assert.ok((back as { at: unknown }).at instanceof MicroDate && !((back as { plain: unknown }).plain instanceof MicroDate));
  }
  assert.deepEqual(decodeValue(JSON.parse(JSON.stringify(encodeValue(t)))), t);
  // Two instants one microsecond apart are two keys of a table.
  const table = new TableState<{ k: Date }>(['k']);
  table.apply([{ k: t }, { k: new MicroDate(t.getTime(), 790) }, { k: new MicroDate(t.getTime(), 789) }], []);
  assert.equal(table.rows.size, 2);
  // SQL TIMESTAMPTZ: text with microseconds (Debezium's ZonedTimestamp, a JSON field) keeps them; a MicroDate stays itself.
  const converted = convertValue('2024-01-05T01:02:03.456789+01:00', { name: 'timestamptz' });
  assert.deepEqual(converted, t);
  assert.equal(convertValue(t, { name: 'timestamptz' }), t);
  // Whole milliseconds stay a plain Date (printed and compared as before): instant() decides.
  const whole = convertValue('2024-01-05T01:02:03.456000+01:00', { name: 'timestamptz' });
  assert.ok(whole instanceof Date && !(whole instanceof MicroDate));
  assert.ok(!(instant(5, 0) instanceof MicroDate) && instant(5, 1) instanceof MicroDate);
  assert.equal(convertValue(t, { name: 'timestamp' }), '2024-01-05 00:02:03.456789');
  assert.equal(sqlValueText(t), '2024-01-05 00:02:03.456789+00');
  assert.equal(sqlValueText(new MicroDate(Date.parse('2024-01-05T00:02:03Z'), 0)), '2024-01-05 00:02:03+00');
  assert.equal(toJsonText(t), '"2024-01-05T00:02:03.456789Z"');
});

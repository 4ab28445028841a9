import assert from 'node:assert/strict';
import { test } from 'node:test';
import { protobufMessageType } from '../../src/formats/protobufFormat.js';
import { protobufColumns } from '../../src/sql/protobufColumns.js';
import { SqlError } from '../../src/sql/SqlError.js';
import { formatSqlType } from '../../src/sql/SqlType.js';

const columns = (proto: string, message?: string): string[] =>
  protobufColumns(protobufMessageType({ schemaText: proto }, message), 'm').map((c) => `${c.name} ${formatSqlType(c.type)}${c.notNull ? ' NOT NULL' : ''}`);

test('protobufColumns: scalars one size up for unsigned, enums as text, Timestamp as TIMESTAMPTZ, messages as STRUCT, repeated as arrays; all nullable', () => {
  assert.deepEqual(
    columns(`syntax = "proto3"; package p; import "google/protobuf/timestamp.proto";
      message M {
        int32 a = 1; sint32 b = 2; sfixed32 c = 3; uint32 d = 4; fixed32 e = 5; int64 f = 6; sint64 g = 7; sfixed64 h = 8;
        uint64 i = 9; fixed64 j = 10; float k = 11; double l = 12; bool m = 13; string n = 14; bytes o = 15;
        E en = 16; google.protobuf.Timestamp at = 17; Inner inner = 18; repeated Inner inners = 19; repeated int64 ns = 20;
        message Inner { string s = 1; repeated E es = 2; }
      }
      enum E { X = 0; }`),
    [
      'a INTEGER', 'b INTEGER', 'c INTEGER', 'd BIGINT', 'e BIGINT', 'f BIGINT', 'g BIGINT', 'h BIGINT',
      'i NUMERIC', 'j NUMERIC', 'k REAL', 'l DOUBLE PRECISION', 'm BOOLEAN', 'n VARCHAR', 'o BYTEA',
      'en VARCHAR', 'at TIMESTAMPTZ', 'inner STRUCT<s VARCHAR, es VARCHAR[]>', 'inners STRUCT<s VARCHAR, es VARCHAR[]>[]', 'ns BIGINT[]',
    ],
  );
  // Without `message`, a registry schema's first message (Confluent's index [0]).
  assert.deepEqual(columns('syntax = "proto3"; message First { int32 x = 1; } message Second { int32 y = 1; }'), ['x INTEGER']);
  assert.deepEqual(columns('syntax = "proto3"; message First { int32 x = 1; } message Second { int32 y = 1; }', 'Second'), ['y INTEGER']);
});

test('protobufColumns refuses maps, nested or repeated Timestamps and recursive messages, naming the field', () => {
  const refused = (proto: string, pattern: RegExp): void =>
    assert.throws(() => columns(`syntax = "proto3"; import "google/protobuf/timestamp.proto"; ${proto}`), (err: unknown) => err instanceof SqlError && pattern.test(err.message) && /declare the columns/.test(err.message), proto);
  refused('message M { map<string, int64> attrs = 1; }', /field "attrs" of message m is a protobuf map/);
  refused('message M { N n = 1; } message N { google.protobuf.Timestamp at = 1; }', /field "n" of message m \(its field "at"\) is a google.protobuf.Timestamp inside/);
  refused('message M { repeated google.protobuf.Timestamp ats = 1; }', /field "ats" .*Timestamp inside a nested or repeated/);
  refused('message M { Tree t = 1; } message Tree { repeated Tree children = 1; }', /\(its field "children"\) is the recursive message Tree/);
});

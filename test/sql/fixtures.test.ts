import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { lastValueFrom, toArray } from 'rxjs';
import { Session } from '../../src/sql/Session.js';
import { fixture } from '../support/fixtures.js';

// Real-world data written by others, read through CREATE SOURCE and SELECT.

test('an Avro container file (weather.avro) read by SQL matches its JSON rendering', async (t) => {
  const avro = fixture(t, 'avro', 'weather.avro');
  const json = fixture(t, 'avro', 'weather.json');
  if (avro === undefined || json === undefined) return;
  const session = new Session();
  session.execute(`create source weather (station varchar(12) not null, time bigint not null, temp smallint)
    with (connector = 'fs', fs.path = '${dirname(dirname(avro))}', fs.match_pattern = 'avro/weather.avro') row format 'avro'`);
  const rows = await lastValueFrom(session.query('select station, time, temp from weather').rows.pipe(toArray()));
  const expected = readFileSync(json, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { station: string; time: number; temp: number })
    .map((r) => ({ station: r.station, time: BigInt(r.time), temp: r.temp }));
  assert.deepEqual(rows, expected);
});

test("RisingWave's 100-message JSON topic dump, with JSONB columns for its array and object", async (t) => {
  const file = fixture(t, 'risingwave', 'kafka_4_partition_topic_with_100_message.4');
  if (file === undefined) return;
  const session = new Session();
  session.execute(`create source topic (v1 int not null, v2 varchar, v3 jsonb, v4 jsonb)
    with (connector = 'fs', fs.path = '${dirname(dirname(file))}', fs.match_pattern = 'risingwave/kafka_4_partition_topic_with_100_message.4')
    format plain encode json`);
  const rows = await lastValueFrom(session.query(`select v1, v2, v3, v4 from topic where v1 % 10 = 3 or v2 like '%S%'`).rows.pipe(toArray()));
  const expected = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { v1: number; v2: string; v3: unknown; v4: unknown })
    .filter((r) => r.v1 % 10 === 3 || r.v2.includes('S'));
  assert.ok(expected.length > 0);
  assert.deepEqual(rows, expected);
});

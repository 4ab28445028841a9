import assert from 'node:assert/strict';
import { test } from 'node:test';
import avsc from 'avsc';
import { lastValueFrom, takeUntil, timer, toArray } from 'rxjs';
import type { Row } from '../../../src/formats/Format.js';
import { Session } from '../../../src/sql/Session.js';
import { createTopic, needPulsar, produce, uniqueTopic } from '../../support/pulsar.js';
import { needRegistry, registerSchema, uniqueSubject, wireFormat } from '../../support/registry.js';

const v1 = { type: 'record', name: 'P', fields: [{ name: 'id', type: 'long' }, { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 3 } }] };
const v2 = { ...v1, fields: [...v1.fields, { name: 'tag', type: ['null', 'string'], default: null }] };

test('registry avro on a real Pulsar topic: the reader prefetches schemas by id before decoding, messages of two schema versions and a bad one', async (t) => {
  const adminUrl = await needPulsar(t);
  const registry = await needRegistry(t);
  if (adminUrl === undefined || registry === undefined) return;
  const subject = uniqueSubject('pulsar');
  const id1 = await registerSchema(registry, subject, v1);
  const id2 = await registerSchema(registry, subject, v2);
  const topic = uniqueTopic('registry-avro');
  await createTopic(adminUrl, topic, 0);
  const enc = (schema: unknown, id: number, value: unknown) => wireFormat(id, avsc.Type.forSchema(schema as avsc.Schema, { wrapUnions: true }).toBuffer(value));
  await produce(adminUrl, topic, -1, [
    { value: enc(v1, id1, { id: 1, amount: Buffer.from([0x30, 0x39]) }) },
    { value: Buffer.from('{"id": 2}') },
    { value: enc(v2, id2, { id: 3, amount: Buffer.from([0xcf, 0xc7]), tag: { string: 'x' } }) },
  ]);
  const session = new Session({ checkpointIntervalMs: 100, badRecords: 'skip' });
  session.execute(`CREATE SOURCE p (id BIGINT, amount NUMERIC) WITH (connector = 'pulsar', topic = 'persistent://public/default/${topic}',
      service.url = 'pulsar://127.0.0.1:6650', admin.url = '${adminUrl}', scan.startup.mode = 'earliest', scan.bounded.mode = 'latest')
    FORMAT PLAIN ENCODE AVRO (schema.registry = '${registry}')`);
  const rows: Row[] = await lastValueFrom(session.query('SELECT id, amount FROM p').rows.pipe(takeUntil(timer(60_000)), toArray()));
  // 0x3039 = 12345 and 0xcfc7 = -12345, scale 3.
  assert.deepEqual(rows.map((r) => [r['id'], String(r['amount'])]), [[1n, '12.345'], [3n, '-12.345']]);
});

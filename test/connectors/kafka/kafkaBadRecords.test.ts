import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BadRecordPolicy, DeadLetter } from '../../../src/core/BadRecordHandler.js';
import { BadRecordError } from '../../../src/core/SourceError.js';
import { kafkaConnector } from '../../../src/connectors/kafka/kafkaConnector.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Row } from '../../../src/formats/Format.js';
import { createTopic, needKafka, produce, uniqueTopic } from '../../support/kafka.js';
import { readAll } from '../../support/kafkaSource.js';

const values = ['{"a":1}', 'not json', '{"a":2}', '[1,2]', '{"a":3}', null, '{"a":4}'];

async function setUp(brokers: string): Promise<string> {
  const topic = uniqueTopic('bad');
  await createTopic(brokers, topic, 1);
  await produce(
    brokers,
    topic,
    values.map((value, i) => ({ key: `key-${i}`, value, headers: { trace: `t${i}`, multi: ['x', 'y'] } })),
  );
  return topic;
}

function source(topic: string, brokers: string, badRecords: BadRecordPolicy) {
  return kafkaConnector.create({
    name: `bad-${badRecords}`,
    badRecords,
    format: createFormat('json'),
    properties: {
      connector: 'kafka',
      topic,
      'properties.bootstrap.server': brokers,
      'scan.bounded.mode': 'latest',
      'kafka.commit.offsets': 'false',
      'kafka.include': 'key, partition, offset as pos, timestamp, headers',
    },
  });
}

const rows = (events: Awaited<ReturnType<typeof readAll<Row>>>): Row[] => events.flatMap((e) => (e.type === 'chunk' ? e.records : []));

test('fail: the first malformed value stops the source, naming split and offset', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = await setUp(brokers);
  await assert.rejects(readAll(source(topic, brokers, 'fail')), (err: Error) => {
    assert.ok(err instanceof BadRecordError, `a BadRecordError, got ${err.name}`);
    assert.equal(err.split, `${topic}-0`);
    assert.equal(err.offset, '1');
    assert.match(err.message, new RegExp(`source 'bad-fail', split '${topic}-0', offset 1: cannot decode the value as json`));
    return true;
  });
});

test('skip: malformed values are counted and skipped; metadata columns come with each row', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = await setUp(brokers);
  const skipping = source(topic, brokers, 'skip');
  const decoded = rows(await readAll(skipping));
  assert.deepEqual(
    decoded.map((r) => [r.a, r._kafka_key, r._kafka_partition, r.pos]),
    [
      [1, 'key-0', 0, '0'],
      [2, 'key-2', 0, '2'],
      [3, 'key-4', 0, '4'],
      [4, 'key-6', 0, '6'],
    ],
    'the tombstone at offset 5 is no row and no bad record',
  );
  assert.equal(typeof decoded[0]!._kafka_timestamp, 'number');
  assert.deepEqual(decoded[0]!._kafka_headers, [
    { key: 'trace', value: 't0' },
    { key: 'multi', value: 'x' },
    { key: 'multi', value: 'y' },
  ]);
  assert.equal(skipping.badRecordStats.skipped, 2);
  assert.deepEqual(
    skipping.badRecordStats.samples.map((e) => [e.split, e.offset]),
    [
      [`${topic}-0`, '1'],
      [`${topic}-0`, '3'],
    ],
  );
});

test('dead-letter: malformed values go to deadLetters$ with their raw bytes', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = await setUp(brokers);
  const lettering = source(topic, brokers, 'dead-letter');
  const letters: DeadLetter[] = [];
  const subscription = lettering.deadLetters$.subscribe((letter) => letters.push(letter));
  const decoded = rows(await readAll(lettering));
  subscription.unsubscribe();
  assert.deepEqual(decoded.map((r) => r.a), [1, 2, 3, 4]);
  assert.deepEqual(
    letters.map((l) => [l.error.source, l.error.split, l.error.offset, Buffer.from(l.raw!).toString()]),
    [
      ['bad-dead-letter', `${topic}-0`, '1', 'not json'],
      ['bad-dead-letter', `${topic}-0`, '3', '[1,2]'],
    ],
  );
  assert.match(letters[0]!.error.message, new RegExp(`^source 'bad-dead-letter', split '${topic}-0', offset 1: `));
  assert.equal(lettering.badRecordStats.deadLettered, 2);
});

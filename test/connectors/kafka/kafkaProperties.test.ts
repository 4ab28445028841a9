import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kafkaConnector } from '../../../src/connectors/kafka/kafkaConnector.js';
import { kafkaOptionsFromProperties, kafkaProperties, parseIncludeEntry } from '../../../src/connectors/kafka/kafkaProperties.js';
import { resolveKafkaConfig } from '../../../src/connectors/kafka/KafkaSourceConfig.js';
import { redpandaConnector } from '../../../src/connectors/redpanda/redpandaConnector.js';


test('RisingWave names and tributary names mean the same', () => {
  const seed = kafkaOptionsFromProperties('s', {
    'upstream.source': 'kafka',
    'kafka.topic': 't',
    'kafka.bootstrap.servers': 'a:1,b:2',
    'kafka.scan.startup.mode': 'latest',
  });
  const current = kafkaOptionsFromProperties('s', {
    connector: 'kafka',
    topic: 't',
    'properties.bootstrap.server': 'a:1,b:2',
    'scan.startup.mode': 'latest',
  });
  assert.deepEqual(seed, current);
  const config = resolveKafkaConfig({ name: 's', ...seed });
  assert.deepEqual(config.brokers, ['a:1', 'b:2']);
  assert.equal(config.startupMode, 'latest');
  assert.equal(config.consumerGroup, 'tributary-s');
  assert.equal(config.bounded, false);
});

test('a startup timestamp implies timestamp mode; bounded accepts Flink spelling', () => {
  const options = kafkaOptionsFromProperties('s', {
    topic: 't',
    'properties.bootstrap.server': 'a:1',
    'scan.startup.timestamp.millis': '1700000000000',
    'scan.bounded.mode': 'latest-offset',
  });
  const config = resolveKafkaConfig({ name: 's', ...options });
  assert.equal(config.startupMode, 'timestamp');
  assert.equal(config.startupTimestampMillis, 1_700_000_000_000);
  assert.equal(config.bounded, true);
});

test('specific offsets: short and Flink syntax', () => {
  for (const text of ['0:100,1:250', 'partition:0,offset:100;partition:1,offset:250']) {
    const options = kafkaOptionsFromProperties('s', { topic: 't', 'properties.bootstrap.server': 'a:1', 'kafka.scan.startup.specific_offsets': text });
    assert.deepEqual([...resolveKafkaConfig({ name: 's', ...options }).startupOffsets], [
      [0, 100n],
      [1, 250n],
    ]);
  }
  assert.throws(
    () => kafkaOptionsFromProperties('s', { topic: 't', 'properties.bootstrap.server': 'a:1', 'kafka.scan.startup.specific.offsets': '0=1' }),
    /kafka\.scan\.startup\.specific\.offsets: cannot read '0=1'/,
  );
});

test('include: default column names and aliases', () => {
  const options = kafkaOptionsFromProperties('s', { topic: 't', 'properties.bootstrap.server': 'a:1', 'kafka.include': 'key as k, timestamp,headers' });
  assert.deepEqual(options.include, [
    { field: 'key', column: 'k' },
    { field: 'timestamp', column: '_kafka_timestamp' },
    { field: 'headers', column: '_kafka_headers' },
  ]);
  assert.throws(() => resolveKafkaConfig({ name: 's', topic: 't', brokers: 'a:1', include: ['key', { field: 'key', column: '_kafka_key' }] }), /included twice/);
});

test('SASL: credentials pass through; errors name properties, never the password', () => {
  const options = kafkaOptionsFromProperties('s', {
    topic: 't',
    'properties.bootstrap.server': 'a:1',
    'properties.security.protocol': 'sasl_plaintext',
    'properties.sasl.mechanism': 'SCRAM-SHA-512',
    'properties.sasl.username': 'alice',
    'properties.sasl.password': 'hunter2-secret',
  });
  assert.deepEqual(options.sasl, { mechanism: 'scram-sha-512', username: 'alice', password: 'hunter2-secret' });
  assert.equal(options.ssl, undefined);
  assert.throws(
    () =>
      kafkaOptionsFromProperties('s', {
        topic: 't',
        'properties.bootstrap.server': 'a:1',
        'properties.security.protocol': 'SASL_SSL',
        'properties.sasl.mechanism': 'GSSAPI',
        'properties.sasl.password': 'hunter2-secret',
      }),
    (err: Error) => {
      assert.match(err.message, /properties\.sasl\.mechanism must be one of 'PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', got 'GSSAPI'/);
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    },
  );
  const secrets = kafkaProperties.filter((p) => p.secret).map((p) => p.name);
  assert.deepEqual(secrets.sort(), ['properties.sasl.password', 'properties.ssl.key.password']);
});

test('missing required properties are named', () => {
  assert.throws(() => kafkaOptionsFromProperties('s', { 'properties.bootstrap.server': 'a:1' }), /kafka\.topic \(topic\) is required/);
  assert.throws(() => kafkaOptionsFromProperties('s', { topic: 't' }), /kafka\.bootstrap\.servers/);
  assert.throws(() => resolveKafkaConfig({ name: 's', topic: 't', brokers: 'nohost' }), /broker 'nohost' is not host:port/);
  assert.throws(() => resolveKafkaConfig({ name: 's', topic: 't', brokers: 'a:1', startupMode: 'timestamp' }), /needs a timestamp/);
});

test('kafka and redpanda are the same connector under two names', () => {
  assert.deepEqual(kafkaConnector.connectorNames, ['kafka']);
  assert.deepEqual(redpandaConnector.connectorNames, ['redpanda']);
  assert.equal(redpandaConnector.properties, kafkaConnector.properties);
  const names = kafkaProperties.flatMap((p) => [p.name, ...(p.aliases ?? [])]);
  assert.equal(new Set(names).size, names.length, 'no name or alias declared twice');
});

test("kafka.include: one header by name (varchar or bytea), timestamp as timestamptz, commas inside a quoted name", () => {
  const bad = (message: string): never => {
    throw new TypeError(message);
  };
  assert.deepEqual(parseIncludeEntry("header 'trace' varchar as tr", bad), { field: 'headers', column: 'tr', header: 'trace', encoding: 'utf8' });
  assert.deepEqual(parseIncludeEntry("header 'a,b''c' bytea", bad), { field: 'headers', column: '_kafka_headers_a_b_c', header: "a,b'c", encoding: 'bytes' });
  assert.deepEqual(parseIncludeEntry('timestamp timestamptz as ts', bad), { field: 'timestamp', column: 'ts', timestampAs: 'date' });
  assert.deepEqual(parseIncludeEntry('key bytea', bad), { field: 'key', column: '_kafka_key', encoding: 'bytes' });
  assert.throws(() => parseIncludeEntry("offset 'x'", bad), /only a header is named/);
  assert.throws(() => parseIncludeEntry('offset timestamptz', bad), /timestamptz applies to timestamp only/);
  assert.throws(() => parseIncludeEntry('partition varchar', bad), /applies to the key or one named header/);
  const options = kafkaOptionsFromProperties('s', { 'kafka.topic': 't', 'kafka.bootstrap.servers': 'b:9092', 'kafka.include': "header 'x,y' varchar as xy, partition" });
  assert.deepEqual(options.include, [
    { field: 'headers', column: 'xy', header: 'x,y', encoding: 'utf8' },
    { field: 'partition', column: '_kafka_partition' },
  ]);
});

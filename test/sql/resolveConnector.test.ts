import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectorFactory, PropertySpec } from '../../src/connectors/ConnectorFactory.js';
import type { Source } from '../../src/core/Source.js';
import type { Row } from '../../src/formats/Format.js';
import { didYouMean, editDistance } from '../../src/sql/didYouMean.js';
import { resolveConnector, type GivenProperty } from '../../src/sql/resolveConnector.js';
import { SqlError } from '../../src/sql/SqlError.js';

/** A factory for selection logic only: never asked to create a source here. */
function factory(name: string, connectorNames: string[], properties: PropertySpec[]): ConnectorFactory {
  return {
    name,
    connectorNames,
    properties,
    description: `test ${name}`,
    create(): Source<Row> {
      throw new Error('not used');
    },
  };
}

const kafka = factory('kafka', ['kafka'], [
  { name: 'kafka.topic', aliases: ['topic'], type: 'string', required: true, description: 'Topic.' },
  { name: 'kafka.bootstrap.servers', aliases: ['properties.bootstrap.server'], type: 'list', required: true, description: 'Brokers.' },
  { name: 'kafka.scan.startup.mode', aliases: ['scan.startup.mode'], type: 'enum', values: ['earliest', 'latest'], default: 'earliest', description: 'Start.' },
  { name: 'kafka.sasl.password', aliases: ['properties.sasl.password'], type: 'string', secret: true, description: 'Password.' },
  { name: 'kafka.max.records', type: 'integer', description: 'Cap.' },
]);
const redpanda = factory('redpanda', ['redpanda', 'kafka'], [
  { name: 'redpanda.topic', aliases: ['topic'], type: 'string', required: true, description: 'Topic.' },
  { name: 'redpanda.brokers', type: 'list', required: true, description: 'Brokers.' },
]);
const fs = factory('fs', ['fs', 'posix_fs'], [
  { name: 'fs.path', aliases: ['posix_fs.root'], type: 'string', required: true, description: 'Directory.' },
  { name: 'fs.watch', type: 'boolean', default: 'true', description: 'Watch.' },
]);
const all = [kafka, redpanda, fs];

const props = (entries: Record<string, string>): GivenProperty[] => Object.entries(entries).map(([key, value]) => ({ key, value }));

function sqlError(fn: () => unknown): SqlError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SqlError, `expected a SqlError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

test('upstream.source selects by name; aliases map to canonical names; defaults fill in', () => {
  const resolved = resolveConnector('orders', props({ 'upstream.source': 'fs', 'posix_fs.root': '/data' }), all);
  assert.equal(resolved.factory, fs);
  assert.deepEqual(resolved.properties, { 'fs.path': '/data', 'fs.watch': 'true' });
});

test('two factories sharing a connector name are told apart by the properties', () => {
  const viaKafka = resolveConnector('o', props({ connector: 'kafka', topic: 't', 'properties.bootstrap.server': 'h:9092' }), all);
  assert.equal(viaKafka.factory, kafka);
  assert.deepEqual(viaKafka.properties, { 'kafka.topic': 't', 'kafka.bootstrap.servers': 'h:9092', 'kafka.scan.startup.mode': 'earliest' });
  assert.equal(resolveConnector('o', props({ connector: 'kafka', topic: 't', 'redpanda.brokers': 'h' }), all).factory, redpanda);
  const neither = sqlError(() => resolveConnector('o', props({ connector: 'kafka', topic: 't' }), all));
  assert.match(neither.message, /names 2 connectors and the properties fit several; considered: kafka \(kafka\): matched \[topic\], missing \[kafka.bootstrap.servers\]; redpanda \(redpanda\/kafka\): matched \[topic\], missing \[redpanda.brokers\]/);
});

test('without a connector name, the properties must fit exactly one factory', () => {
  assert.equal(resolveConnector('o', props({ 'fs.path': '/d' }), all).factory, fs);
  const none = sqlError(() => resolveConnector('o', props({ 'nothing.known': 'x' }), all));
  assert.match(none.message, /the properties select no connector/);
  for (const f of all) assert.match(none.message, new RegExp(`${f.name} \\(`), `names ${f.name}`);
  assert.match(none.message, /fs \(fs\/posix_fs\): matched \[\], unknown \[nothing.known\], missing \[fs.path\]/);
  const several = sqlError(() => resolveConnector('o', props({ topic: 't' }), [
    factory('a', ['a'], [{ name: 'topic', type: 'string', description: '' }]),
    factory('b', ['b'], [{ name: 'topic', type: 'string', description: '' }]),
  ]));
  assert.match(several.message, /fit several connectors .*considered: a \(a\): matched \[topic\]; b \(b\): matched \[topic\]/);
});

test('an unknown connector name lists every factory considered, with a did-you-mean', () => {
  const err = sqlError(() => resolveConnector('o', [{ key: 'connector', value: 'kafak', position: { line: 3, column: 7, index: 40 } }], all));
  assert.equal(err.message, `3:7: source "o": no connector is named 'kafak' (did you mean 'kafka'?); considered: kafka ('kafka'), redpanda ('redpanda', 'kafka'), fs ('fs', 'posix_fs')`);
});

test('unknown properties get a did-you-mean; missing required and bad types are reported together', () => {
  const err = sqlError(() =>
    resolveConnector('o', [
      { key: 'connector', value: 'fs' },
      { key: 'fs.paht', value: '/d', position: { line: 2, column: 5, index: 10 } },
      { key: 'fs.watch', value: 'yes' },
    ], all),
  );
  assert.equal(
    err.message,
    `2:5: source "o" (connector fs): unknown property 'fs.paht' for connector fs (did you mean 'fs.path'?); property 'fs.watch' must be true or false, got 'yes'; missing required property 'fs.path' (or 'posix_fs.root'): Directory.`,
  );
  const enumError = sqlError(() => resolveConnector('o', props({ connector: 'kafka', topic: 't', 'kafka.bootstrap.servers': 'h', 'scan.startup.mode': 'middle', 'kafka.max.records': '1.5' }), [kafka]));
  assert.match(enumError.message, /property 'scan.startup.mode' must be one of 'earliest', 'latest', got 'middle'/);
  assert.match(enumError.message, /property 'kafka.max.records' must be an integer, got '1.5'/);
  const twice = sqlError(() => resolveConnector('o', props({ connector: 'fs', 'fs.path': 'a', 'posix_fs.root': 'b' }), all));
  assert.match(twice.message, /property 'fs.path' is given twice \(as 'fs.path' and as 'posix_fs.root'\)/);
});

test('enum values and booleans are normalized', () => {
  const r = resolveConnector('o', props({ connector: 'kafka', topic: 't', 'kafka.bootstrap.servers': 'h', 'kafka.scan.startup.mode': 'LATEST' }), [kafka]);
  assert.equal(r.properties['kafka.scan.startup.mode'], 'latest');
  assert.equal(resolveConnector('o', props({ connector: 'fs', 'fs.path': '/d', 'fs.watch': 'FALSE' }), [fs]).properties['fs.watch'], 'false');
});

test('secret values never appear in errors', () => {
  const secret = 'hunter2-Sup3rSecret';
  const secretNumber = factory('x', ['x'], [{ name: 'x.token', type: 'integer', secret: true, description: 'Token.' }]);
  const badType = sqlError(() => resolveConnector('o', props({ connector: 'x', 'x.token': secret }), [secretNumber]));
  assert.match(badType.message, /property 'x.token' must be an integer, got \(secret value not shown\)/);
  assert.doesNotMatch(badType.message, /hunter2/);
  // A secret alongside other errors: none of the messages repeat it.
  const mixed = sqlError(() => resolveConnector('o', props({ connector: 'kafka', 'properties.sasl.password': secret, bogus: 'v' }), [kafka]));
  assert.doesNotMatch(mixed.message, /hunter2/);
  assert.doesNotMatch(JSON.stringify(mixed), /hunter2/);
  // ...and the resolved properties do carry it, for the factory.
  const ok = resolveConnector('o', props({ connector: 'kafka', topic: 't', 'kafka.bootstrap.servers': 'h', 'properties.sasl.password': secret }), [kafka]);
  assert.equal(ok.properties['kafka.sasl.password'], secret);
});

test('format and source-wide properties are not connector properties', () => {
  const r = resolveConnector('o', props({ connector: 'fs', 'fs.path': '/d', 'csv.delimiter': '|', 'csv.header': 'FALSE', 'bad.records': 'skip', 'checkpoint.interval.ms': '250' }), all);
  assert.deepEqual(r.formatOptions, { csv: { delimiter: '|', header: 'false' } });
  assert.equal(r.badRecords, 'skip');
  assert.equal(r.checkpointIntervalMs, 250);
  assert.deepEqual(Object.keys(r.properties).sort(), ['fs.path', 'fs.watch']);
  assert.match(sqlError(() => resolveConnector('o', props({ connector: 'fs', 'fs.path': '/d', 'bad.records': 'ignore' }), all)).message, /'bad.records' must be one of 'fail', 'skip', 'dead-letter'/);
});

test('did-you-mean allows plausible typos only', () => {
  assert.equal(editDistance('kafka', 'kafak'), 1);
  assert.equal(didYouMean('kafka.topci', ['kafka.topic', 'kafka.group.id']), 'kafka.topic');
  assert.equal(didYouMean('FS.PATH', ['fs.path']), 'fs.path');
  assert.equal(didYouMean('zzz', ['fs.path', 'kafka.topic']), undefined);
  assert.equal(didYouMean('ab', ['xy']), undefined);
});


test('timer delays (*.ms, *.sec) and declared ranges bound integer properties', () => {
  const timed = factory('timed', ['timed'], [
    { name: 'timed.poll.interval.ms', type: 'integer', description: 'Poll.' },
    { name: 'refresh.interval.sec', type: 'integer', description: 'Refresh.' },
    { name: 'timed.window', type: 'integer', min: 1, max: 10, description: 'Window.' },
    { name: 'timed.start.timestamp.millis', type: 'integer', description: 'An instant, not a delay.' },
  ]);
  const resolve = (entries: Record<string, string>) => resolveConnector('o', props({ connector: 'timed', ...entries }), [timed]);
  assert.equal(resolve({ 'timed.poll.interval.ms': '2147483647' }).properties['timed.poll.interval.ms'], '2147483647');
  assert.match(
    sqlError(() => resolve({ 'timed.poll.interval.ms': '2147483648' })).message,
    /property 'timed.poll.interval.ms' must be an integer between 0 and 2147483647 \(milliseconds, a timer delay\), got '2147483648'/,
  );
  assert.match(sqlError(() => resolve({ 'timed.poll.interval.ms': '-1' })).message, /between 0 and 2147483647/);
  assert.equal(resolve({ 'refresh.interval.sec': '2147483' }).properties['refresh.interval.sec'], '2147483');
  assert.match(sqlError(() => resolve({ 'refresh.interval.sec': '2147484' })).message, /between 0 and 2147483 \(seconds, a timer delay\)/);
  assert.match(sqlError(() => resolve({ 'timed.window': '0' })).message, /'timed.window' must be an integer between 1 and 10, got '0'/);
  assert.equal(resolve({ 'timed.start.timestamp.millis': '99999999999999' }).properties['timed.start.timestamp.millis'], '99999999999999');
  // checkpoint.interval.ms, common to every connector: 1 to 2^31-1.
  assert.match(sqlError(() => resolve({ 'checkpoint.interval.ms': '0' })).message, /'checkpoint.interval.ms' must be an integer between 1 and 2147483647/);
});

test('a huge unknown property name is quoted cut short, and did-you-mean skips it cheaply', () => {
  const key = `fs.${'x'.repeat(200_000)}`;
  const err = sqlError(() => resolveConnector('o', props({ connector: 'fs', 'fs.path': '/d', [key]: 'v' }), all));
  assert.match(err.message, /unknown property 'fs\.x{57}…' \(200003 characters\) for connector fs$/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstValueFrom, NEVER } from 'rxjs';
import { checkpointed } from '../../../src/core/checkpointed.js';
import type { SplitLeases } from '../../../src/core/SplitLeases.js';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import { kafkaOptionsFromProperties } from '../../../src/connectors/kafka/kafkaProperties.js';
import { resolveKafkaConfig } from '../../../src/connectors/kafka/KafkaSourceConfig.js';

// kafka.assignment = 'group' as configuration: properties, defaults, refusals. Its behaviour with
// a broker and several processes is test/leases/kafkaGroupShare.test.ts.

const base = { topic: 't', 'properties.bootstrap.server': '127.0.0.1:1' };

test("kafka.assignment = 'group' names its group after the source, apart from the lag group", () => {
  const config = resolveKafkaConfig({ name: 'orders', ...kafkaOptionsFromProperties('orders', { ...base, 'kafka.assignment': 'group', 'kafka.assignment.session.timeout.ms': '7000' }) });
  assert.equal(config.assignmentGroup, 'tributary-orders-assign');
  assert.notEqual(config.assignmentGroup, config.consumerGroup);
  assert.equal(config.groupSessionTimeoutMs, 7000);
  const named = resolveKafkaConfig({ name: 'orders', ...kafkaOptionsFromProperties('orders', { ...base, 'kafka.assignment': 'group', 'kafka.assignment.group': 'g1', 'group.id.prefix': 'p' }) });
  assert.equal(named.assignmentGroup, 'g1');
});

test('by default the leases assign (no assignment group, no extra consumer)', () => {
  const config = resolveKafkaConfig({ name: 'orders', ...kafkaOptionsFromProperties('orders', base) });
  assert.equal(config.assignmentGroup, null);
});

test('refused: an unknown assignment, an empty group, the lag group as assignment group, a zero session timeout', () => {
  const options = { name: 'orders', topic: 't', brokers: '127.0.0.1:1' };
  assert.throws(() => resolveKafkaConfig({ ...options, assignment: 'round-robin' as 'group' }), /Kafka source 'orders': unknown assignment 'round-robin'/);
  assert.throws(() => resolveKafkaConfig({ ...options, assignment: 'group', assignmentGroup: '' }), /assignment group must not be empty/);
  assert.throws(() => resolveKafkaConfig({ ...options, assignment: 'group', assignmentGroup: 'tributary-orders' }), /must differ from the lag group/);
  assert.throws(() => resolveKafkaConfig({ ...options, assignment: 'group', groupSessionTimeoutMs: 0 }), /session timeout/);
  assert.throws(() => kafkaOptionsFromProperties('orders', { ...base, 'kafka.assignment': 'sticky' }), /kafka.assignment/);
});

test("assignment 'group' without split leases fails when run, saying what it needs (no broker contacted)", async () => {
  const source = createKafkaSource({ name: 'orders', topic: 't', brokers: '127.0.0.1:1', assignment: 'group' });
  await assert.rejects(firstValueFrom(checkpointed(source)), /kafka.assignment = 'group'.*needs split leases.*--share/);
  await source.closed();
});

test("assignment 'group' with leases that cannot follow an assignment is refused at creation", () => {
  const leases: SplitLeases = { hold: () => NEVER, commit: () => undefined };
  assert.throws(() => createKafkaSource({ name: 'orders', topic: 't', brokers: '127.0.0.1:1', assignment: 'group', leases }), /needs split leases that can follow an assignment/);
});

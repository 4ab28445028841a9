import type { PulsarConfig } from '../../src/connectors/pulsar/pulsarProperties.js';
import { parseTopicName } from '../../src/connectors/pulsar/pulsarTopic.js';

/** A Pulsar configuration for the connector's marble tests: topic `orders`, small numbers, `overrides` on top. */
export function pulsarConfig(overrides: Partial<PulsarConfig> = {}): PulsarConfig {
  return {
    topic: parseTopicName('orders'),
    adminUrl: 'http://admin',
    webSocketUrl: 'ws://admin',
    transport: 'websocket',
    startupMode: 'earliest',
    bounded: false,
    partitionDiscoveryIntervalMs: 100,
    receiverQueueSize: 10,
    retryAttempts: 3,
    maxBackoffMs: 1000,
    requestTimeoutMs: 1000,
    include: [],
    ...overrides,
  };
}

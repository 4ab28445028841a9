export { redpandaConnector } from './redpandaConnector.js';
export { createKafkaSource as createRedpandaSource } from '../kafka/createKafkaSource.js';

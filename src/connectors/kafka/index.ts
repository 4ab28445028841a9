export { kafkaConnector, kafkaProtocolConnector } from './kafkaConnector.js';
export { createKafkaSource, type KafkaSource } from './createKafkaSource.js';
export { kafkaProperties, kafkaOptionsFromProperties, parseSpecificOffsets } from './kafkaProperties.js';
export { kafkaSplit, kafkaSplitId, type KafkaSplit } from './KafkaSplit.js';
export { kafkaRetryBudgetMs } from './loadKafkaJs.js';
export {
  defaultMetadataColumn,
  type KafkaMetadataColumn,
  type KafkaMetadataField,
  type KafkaOffsetOutOfRange,
  type KafkaSaslOptions,
  type KafkaSourceOptions,
  type KafkaStartupMode,
} from './KafkaSourceOptions.js';

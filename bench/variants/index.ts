import type { Variant } from '../Variant.js';

/**
 * Every variant by name, loaded lazily: a tributary variant whose module is not there yet (or no
 * longer builds) fails to load, and its row says "not available" instead of a number.
 */
export const VARIANTS: Readonly<Record<string, () => Promise<Variant>>> = {
  noop: async () => (await import('./noop.js')).noop,
  'csv-parse': async () => (await import('./csvParse.js')).csvParse,
  papaparse: async () => (await import('./papaparse.js')).papaparse,
  'ndjson-lines': async () => (await import('./ndjsonLines.js')).ndjsonLines,
  'avsc-decoder': async () => (await import('./avscDecoder.js')).avscDecoder,
  'kafkajs-eachbatch': async () => (await import('./kafkajsEachBatch.js')).kafkajsEachBatch,
  'platformatic-kafka': async () => (await import('./platformaticKafka.js')).platformaticKafka,
  'tributary-csv': async () => (await import('./tributaryFs.js')).tributaryCsv,
  'tributary-csv-folder': async () => (await import('./tributaryFs.js')).tributaryCsvFolder,
  'tributary-ndjson': async () => (await import('./tributaryFs.js')).tributaryNdjson,
  'tributary-csv-threads': async () => (await import('./tributaryThreads.js')).tributaryCsvThreads,
  'tributary-ndjson-threads': async () => (await import('./tributaryThreads.js')).tributaryNdjsonThreads,
  'tributary-avro': async () => (await import('./tributaryAvro.js')).tributaryAvro,
  'tributary-csv-no-barriers': async () => (await import('./tributaryFs.js')).tributaryCsvNoBarriers,
  'tributary-csv-barriers': async () => (await import('./tributaryFs.js')).tributaryCsvBarriers,
  'tributary-csv-barriers-memory': async () => (await import('./tributaryFs.js')).tributaryCsvBarriersMemory,
  'tributary-resume-prepare': async () => (await import('./tributaryResume.js')).tributaryResumePrepare,
  'tributary-kafka': async () => (await import('./tributaryKafka.js')).tributaryKafka,
  'pulsar-websocket-raw': async () => (await import('./pulsarWebSocket.js')).pulsarWebSocketRaw,
  'tributary-pulsar': async () => (await import('./tributaryPulsar.js')).tributaryPulsar,
  'tributary-resume': async () => (await import('./tributaryResume.js')).tributaryResume,
  'debezium-map': async () => (await import('./debeziumTable.js')).debeziumMap,
  'tributary-debezium-table': async () => (await import('./debeziumTable.js')).tributaryDebeziumTable,
  'pg-logical-replication': async () => (await import('./pgLogicalReplication.js')).pgLogicalReplication,
  'avsc-messages': async () => (await import('./registryAvro.js')).avscMessages,
  'tributary-registry-avro': async () => (await import('./registryAvro.js')).tributaryRegistryAvro,
  'tributary-postgres-cdc': async () => (await import('./tributaryPostgresCdc.js')).tributaryPostgresCdc,
};

import { createSource } from '../../core/createSource.js';
import { sourceOptionsOf } from '../../core/SourceOptions.js';
import type { Source } from '../../core/Source.js';
import type { SourceMessage } from '../../core/SourceMessage.js';
import type { Format, Row, RowConverter } from '../../formats/Format.js';
import { AdminPartitionListing } from './AdminPartitionListing.js';
import { KafkaConsumerHub } from './KafkaConsumerHub.js';
import { KafkaEnumerator } from './KafkaEnumerator.js';
import { messageDecoder, rowDecoder, type KafkaRecordDecoder } from './KafkaRecordDecoder.js';
import { resolveKafkaConfig, type KafkaSourceConfig } from './KafkaSourceConfig.js';
import type { KafkaSourceOptions } from './KafkaSourceOptions.js';
import { KafkaSplitReader } from './KafkaSplitReader.js';
import { groupAssignedLeases } from './groupAssignedLeases.js';
import { groupAssignment } from './groupAssignment.js';
import { loadKafkaJs } from './loadKafkaJs.js';
import { asyncScheduler, throwError } from 'rxjs';
import type { Enumerator } from '../../core/Enumerator.js';
import type { KafkaSplit } from './KafkaSplit.js';

/** A Kafka source: a {@link Source} that can also tell when its Kafka clients are closed. */
export interface KafkaSource<T> extends Source<T> {
  /**
   * Resolves once the Kafka clients of ended subscriptions are disconnected (disconnecting is
   * asynchronous, unsubscribing is not). Tests and graceful shutdowns await it.
   */
  closed(): Promise<void>;
}

/**
 * A source reading one Kafka topic; every partition is a split (`<topic>-<partition>`).
 *
 * With a `format`, each message value is decoded into a row (plus the metadata columns asked
 * for with `include`); without one, the records are the raw {@link SourceMessage}s.
 *
 * Positions are kept in the source's state store and restored on every subscription; the
 * consumer group (`consumerGroup`) only receives them for lag monitoring.
 *
 * @example
 * const orders = createKafkaSource({
 *   name: 'orders',
 *   topic: 'orders',
 *   brokers: 'localhost:9092',
 *   format: createFormat('json'),
 *   include: ['key', 'timestamp'],
 *   store: await FileStore.open('.state'),
 * });
 * checkpointed(orders).pipe(toRecords()).subscribe((row) => console.log(row));
 */
export function createKafkaSource(options: KafkaSourceOptions & { readonly format: Format; readonly convert?: RowConverter }): KafkaSource<Row>;
export function createKafkaSource(options: KafkaSourceOptions & { readonly format?: undefined }): KafkaSource<SourceMessage>;
export function createKafkaSource(
  options: KafkaSourceOptions & { readonly format?: Format; readonly convert?: RowConverter },
): KafkaSource<Row> | KafkaSource<SourceMessage> {
  const config = resolveKafkaConfig(options);
  if (options.format !== undefined) {
    return build(options, config, rowDecoder(config, options.format, options.convert));
  }
  return build(options, config, messageDecoder());
}

function build<T>(options: KafkaSourceOptions, config: KafkaSourceConfig, decode: KafkaRecordDecoder<T>): KafkaSource<T> {
  const { scheduler } = options;
  const hub = new KafkaConsumerHub(config, scheduler);
  const common = sourceOptionsOf(options);
  let enumerator = new KafkaEnumerator(config, () => new AdminPartitionListing(config, hub), scheduler) as Enumerator<KafkaSplit>;
  let leases = common.leases;
  if (config.assignmentGroup !== null) {
    if (leases === undefined) {
      // Failing at subscription, not here: `tributary check` builds the source without leases.
      const message = `Kafka source '${config.source}': kafka.assignment = 'group' spreads partitions over processes sharing the source: it needs split leases (the CLI's --share with --state postgres://...)`;
      enumerator = { splits: () => throwError(() => new Error(message)) };
    } else {
      const clients = { client: () => hub.client(), kafkajs: loadKafkaJs, track: (p: Promise<unknown>) => hub.track(p) };
      leases = groupAssignedLeases(leases, config.topic, groupAssignment(clients, config, scheduler ?? asyncScheduler));
    }
  }
  const source = createSource({
    ...common,
    ...(leases === undefined ? {} : { leases }),
    enumerator,
    reader: new KafkaSplitReader(hub, decode, config),
  });
  // The checkpointed source itself, plus `closed()`: no wrapper to forward members through.
  return Object.assign(source, { closed: (): Promise<void> => hub.idle() });
}

import { Observable, type Subscriber } from 'rxjs';
import { createSource } from '../../core/createSource.js';
import { sourceOptionsOf } from '../../core/SourceOptions.js';
import type { BadRecordStats, DeadLetter } from '../../core/BadRecordHandler.js';
import type { MaybePromise } from '../../core/MaybePromise.js';
import { isThenable } from '../../core/MaybePromise.js';
import type { Source } from '../../core/Source.js';
import type { SourceEvent } from '../../core/SourceEvent.js';
import type { SourceMessage } from '../../core/SourceMessage.js';
import type { Format, Row, RowConverter } from '../../formats/Format.js';
import type { StateStore } from '../../state/StateStore.js';
import { KafkaConsumerHub } from './KafkaConsumerHub.js';
import { KafkaEnumerator } from './KafkaEnumerator.js';
import { KafkaLagCommitter } from './KafkaLagCommitter.js';
import { messageDecoder, rowDecoder, type KafkaRecordDecoder } from './KafkaRecordDecoder.js';
import { resolveKafkaConfig, type KafkaSourceConfig } from './KafkaSourceConfig.js';
import type { KafkaSourceOptions } from './KafkaSourceOptions.js';
import { KafkaSplitReader } from './KafkaSplitReader.js';

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
  const hub = new KafkaConsumerHub(config);
  const inner = createSource({
    ...sourceOptionsOf(options),
    enumerator: new KafkaEnumerator(config, hub),
    reader: new KafkaSplitReader(hub, decode),
  });
  return new LagReportingSource(inner, hub, config);
}

/**
 * Wraps the checkpointed source to learn each epoch's positions from the stream itself (chunks
 * before a barrier are inside its snapshot) and hand them to the lag committer when the epoch
 * is committed.
 */
class LagReportingSource<T> extends Observable<SourceEvent<T>> implements KafkaSource<T> {
  private run: { committer: KafkaLagCommitter | undefined; snapshots: Map<number, ReadonlyMap<number, string>> } | undefined;

  constructor(
    private readonly inner: Source<T>,
    private readonly hub: KafkaConsumerHub,
    private readonly config: KafkaSourceConfig,
  ) {
    super((subscriber) => this.start(subscriber));
  }

  get name(): string {
    return this.inner.name;
  }

  get store(): StateStore {
    return this.inner.store;
  }

  get badRecordStats(): BadRecordStats {
    return this.inner.badRecordStats;
  }

  get deadLetters$(): Observable<DeadLetter> {
    return this.inner.deadLetters$;
  }

  acknowledge(records: number): void {
    this.inner.acknowledge(records);
  }

  commit(epoch: number): MaybePromise<void> {
    const run = this.run;
    const positions = run?.snapshots.get(epoch);
    if (run !== undefined) for (const e of run.snapshots.keys()) if (e <= epoch) run.snapshots.delete(e);
    const committed = this.inner.commit(epoch);
    if (positions === undefined || run?.committer === undefined) return committed;
    const committer = run.committer;
    if (isThenable(committed)) return Promise.resolve(committed).then(() => committer.commit(positions));
    committer.commit(positions);
    return committed;
  }

  closed(): Promise<void> {
    return this.hub.idle();
  }

  private start(subscriber: Subscriber<SourceEvent<T>>): () => void {
    const { consumerGroup } = this.config;
    const committer = consumerGroup === null ? undefined : new KafkaLagCommitter({ ...this.config, consumerGroup }, this.hub);
    const run = { committer, snapshots: new Map<number, ReadonlyMap<number, string>>() };
    this.run = run;
    const positions = new Map<number, string>();
    const subscription = this.inner.subscribe({
      next: (event) => {
        if (event.type === 'chunk') {
          const partition = Number(event.splitId.slice(event.splitId.lastIndexOf('-') + 1));
          positions.set(partition, event.nextOffset);
        } else if (committer !== undefined) {
          run.snapshots.set(event.epoch, new Map(positions));
        }
        subscriber.next(event);
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    return () => {
      subscription.unsubscribe();
      if (this.run === run) this.run = undefined;
      if (committer !== undefined) this.hub.track(committer.close());
    };
  }
}

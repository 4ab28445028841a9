import { Observable } from 'rxjs';
import type { MaybePromise } from '../../core/MaybePromise.js';
import { chunk, type Chunk } from '../../core/SourceEvent.js';
import { SourceError } from '../../core/SourceError.js';
import type { CompletedCheckpoint, ReaderContext, SplitReader } from '../../core/SplitReader.js';
import type { KafkaConsumerHub, PartitionListener } from './KafkaConsumerHub.js';
import { KafkaLagCommitter, type LagOffset } from './KafkaLagCommitter.js';
import type { KafkaRecordDecoder } from './KafkaRecordDecoder.js';
import type { KafkaSourceConfig } from './KafkaSourceConfig.js';
import type { KafkaSplit } from './KafkaSplit.js';
import type { KafkaMessage } from 'kafkajs';

/**
 * Reads one partition: registers it with the source's shared consumer ({@link KafkaConsumerHub})
 * and turns every delivery into a chunk whose `nextOffset` is the Kafka offset to resume from.
 * Chunks may be empty when only the position moved (a transaction marker, a resolved start).
 *
 * With a consumer group configured, its checkpoint-complete hook commits each committed epoch's
 * positions to that group, for lag monitoring ({@link KafkaLagCommitter}).
 */
export class KafkaSplitReader<T> implements SplitReader<KafkaSplit, T> {
  /** Partitions being read now: the lag committer's connections stay open while this is above zero. */
  private reading = 0;
  private lag: KafkaLagCommitter | undefined;

  constructor(
    private readonly hub: KafkaConsumerHub,
    private readonly decode: KafkaRecordDecoder<T>,
    private readonly config: KafkaSourceConfig,
  ) {}

  read(split: KafkaSplit, offset: string | null, context: ReaderContext): Observable<Chunk<T>> {
    return new Observable<Chunk<T>>((subscriber) => {
      // Deliveries wait behind a prefetch (schemas from a registry) in arrival order: `queue`
      // is the tail of that chain, undefined while nothing waits (the synchronous common path).
      let queue: Promise<void> | undefined;
      // While deliveries wait, the partition is paused as when the subscriber is behind: the
      // consumer must not keep fetching into a queue nobody drains (a registry that is slow).
      let behind = false;
      const flow = (): void => this.hub.setPaused(listener, behind || queue !== undefined);
      const after = (step: () => void): void => {
        const next: Promise<void> = queue!.then(() => {
          if (!subscriber.closed) step();
          if (queue === next) {
            queue = undefined;
            if (!subscriber.closed) flow();
          }
        });
        queue = next;
      };
      /** Decodes and emits one chunk; `false` once the subscriber failed or left. */
      const emit = (messages: readonly KafkaMessage[], position: bigint, nextPosition: bigint, highWatermark: bigint | undefined): boolean => {
        let records: T[];
        try {
          records = messages.length === 0 ? [] : this.decode(messages, split, context.badRecords);
        } catch (err) {
          // The `fail` bad-record policy throws the BadRecordError here.
          subscriber.error(SourceError.wrap(err, { source: context.source, split: split.id, offset: position.toString() }));
          return false;
        }
        const first = messages[0]?.offset ?? position.toString();
        const out = chunk(split.id, records, first, nextPosition.toString());
        // Counted from this chunk's end, effective when the source emits it.
        if (highWatermark !== undefined) context.metrics?.lag(split.id, Number(highWatermark - nextPosition), 'records', out);
        subscriber.next(out);
        return !subscriber.closed;
      };
      /**
       * Emits a fetched batch. Under a rate limit the source asks for small chunks it can pace:
       * the batch is cut at record boundaries (the position after a record is its offset + 1, a
       * valid resume point: markers after it are skipped again on a re-read).
       */
      const deliver = (messages: readonly KafkaMessage[], position: bigint, nextPosition: bigint, highWatermark: bigint | undefined): void => {
        if (subscriber.closed) return;
        const most = context.chunkRows?.() ?? Infinity;
        if (messages.length <= most) {
          emit(messages, position, nextPosition, highWatermark);
          return;
        }
        for (let at = 0; at < messages.length && !subscriber.closed; at += most) {
          const part = messages.slice(at, at + most);
          const last = at + most >= messages.length;
          const end = last ? nextPosition : BigInt(part[part.length - 1]!.offset) + 1n;
          if (!emit(part, at === 0 ? position : BigInt(part[0]!.offset), end, highWatermark)) return;
        }
      };
      const listener: PartitionListener = {
        split,
        offset,
        onRecords: (messages, position, nextPosition, highWatermark) => {
          if (subscriber.closed) return;
          if (messages.length > 0) context.metrics?.bytes(split.id, messageBytes(messages));
          let fetching: Promise<void> | undefined;
          try {
            fetching = messages.length === 0 ? undefined : this.decode.prefetch?.(messages);
          } catch (err) {
            fetching = Promise.reject(err);
          }
          if (fetching === undefined && queue === undefined) {
            deliver(messages, position, nextPosition, highWatermark);
            return;
          }
          const waiting = queue !== undefined;
          if (fetching !== undefined) {
            const at = messages[0]?.offset ?? position.toString();
            const fetched = fetching.catch((err: unknown) => {
              // The registry is down or refused: the split fails at the first message that needed it.
              subscriber.error(SourceError.wrap(err, { source: context.source, split: split.id, offset: at }));
            });
            queue = queue === undefined ? fetched : queue.then(() => fetched);
          }
          if (!waiting) flow();
          after(() => deliver(messages, position, nextPosition, highWatermark));
        },
        onEnd: () => {
          if (queue === undefined) subscriber.complete();
          else after(() => subscriber.complete());
        },
        onError: (err) => subscriber.error(err),
      };
      this.reading++;
      this.hub.attach(listener);
      const pause = context.paused$.subscribe((paused) => {
        behind = paused;
        flow();
      });
      return () => {
        pause.unsubscribe();
        this.hub.detach(listener);
        // The run is over (or between split sets with nothing to read): close the lag
        // committer's connections once the commit in flight has landed.
        if (--this.reading === 0) this.idleLag();
      };
    });
  }

  /**
   * Commits the epoch's positions to the consumer group (lag monitoring only). Positions come
   * from the splits themselves (topic, partition), never from parsing split ids.
   *
   * The call may come after the run ended: a bounded source's final epoch commits after its
   * readers completed. Its positions are committed all the same (they are the committed
   * checkpoint's, so the group never runs ahead of it), through the committer still open or a
   * new one, which then closes at once; without this a bounded run would show its last epoch as
   * lag forever.
   */
  checkpointComplete({ splits }: CompletedCheckpoint<KafkaSplit>): MaybePromise<void> {
    const { consumerGroup } = this.config;
    if (consumerGroup === null) return;
    const offsets: LagOffset[] = [];
    for (const { split, offset } of splits.values()) {
      if (offset !== null) offsets.push({ topic: split.topic, partition: split.partition, offset });
    }
    if (offsets.length === 0) return;
    const lag = (this.lag ??= new KafkaLagCommitter({ ...this.config, consumerGroup }, this.hub));
    const sent = lag.commit(offsets);
    if (this.reading === 0) this.idleLag();
    return sent;
  }

  private idleLag(): void {
    // In the hub's view until done, so `KafkaSource.closed()` waits for the last commit too.
    if (this.lag !== undefined) this.hub.track(this.lag.idle());
  }
}

/** Key and value bytes of fetched messages, as the broker sent them (headers left out). */
function messageBytes(messages: readonly KafkaMessage[]): number {
  let bytes = 0;
  for (const { key, value } of messages) bytes += (key?.length ?? 0) + (value?.length ?? 0);
  return bytes;
}

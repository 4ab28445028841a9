import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { SchedulerLike } from 'rxjs';
import { fixedAssignor } from './fixedAssignor.js';
import type { KafkaSourceConfig } from './KafkaSourceConfig.js';
import { KAFKA_RETRY, type KafkaJsModule } from './loadKafkaJs.js';
import { DISCONNECT_TIMEOUT_MS, withTimeout } from './withTimeout.js';

/** What a generation asks of and tells the hub. */
export interface GenerationHandlers {
  /** Where `partition` is to be read from after a join, and whether it is paused; `undefined`: not at all. */
  positionOf(partition: number): { readonly position: bigint; readonly paused: boolean } | undefined;
  /**
   * A fetched batch (`messages` empty for a batch of only control or aborted records); `batchEnd`
   * is its last offset + 1, `highWatermark` the partition's end as the broker answered the fetch
   * (for lag).
   */
  onBatch(partition: number, messages: readonly KafkaMessage[], batchEnd: bigint, highWatermark: bigint | undefined): void;
  /** The consumer crashed for good (kafkajs will not restart it). */
  onCrash(err: unknown): void;
}

/**
 * One kafkajs consumer reading a fixed set of partitions (kafkajs' `consumerGroup`, for a group
 * of one): it joins a **throwaway group** (`<prefix>-<source>-fetch-<random>`) whose assignor
 * hands it exactly `partitions` ({@link fixedAssignor}), never commits, and after every join
 * (the first, and any rejoin kafkajs does on its own after a broker restart) seeks each partition
 * to the hub's position, so kafkajs' own notion of where to resume never matters.
 *
 * A throwaway group never waits for a dead predecessor's session to expire (a stable group id
 * would, after a crash) and never rebalances with anyone; once the consumer leaves, the group
 * has no members and no offsets, and the broker deletes it. kafkajs cannot change a running
 * consumer's subscription, so the hub starts a new generation when partitions are added.
 */
export class FetchGeneration {
  /** Set once the hub is done with it: events that still arrive are ignored. */
  stopped = false;
  /** Whether the consumer joined its group since it last crashed (or started): worth restarting. */
  private joinedSinceCrash = true;

  private constructor(
    private readonly consumer: Consumer,
    private readonly topic: string,
    readonly partitions: ReadonlySet<number>,
    private readonly scheduler: SchedulerLike,
  ) {}

  /** Builds, connects and runs the consumer; on failure it is disconnected (tracked) and the error thrown. */
  static async start(
    kafka: Kafka,
    kafkajs: KafkaJsModule,
    config: KafkaSourceConfig,
    partitions: ReadonlySet<number>,
    handlers: GenerationHandlers,
    scheduler: SchedulerLike,
    track: (cleanup: Promise<unknown>) => void,
  ): Promise<FetchGeneration> {
    const { topic, source, groupIdPrefix } = config;
    let generation: FetchGeneration | undefined;
    const consumer = kafka.consumer({
      groupId: `${groupIdPrefix}-${source}-fetch-${randomUUID().slice(0, 8)}`,
      partitionAssigners: [fixedAssignor(kafkajs, 'TributaryOwnPartitions', topic, partitions)],
      maxBytes: config.fetchMaxBytes,
      maxBytesPerPartition: config.maxPartitionFetchBytes,
      maxWaitTimeInMs: config.fetchMaxWaitMs,
      readUncommitted: config.readUncommitted,
      allowAutoTopicCreation: false,
      // kafkajs restarts a crashed consumer on retriable errors (a broker restart): the rejoin
      // re-seeks from tributary's positions, so nothing is lost or repeated. Left alone it
      // restarts forever, and a broker that never returns would hang the source without a word:
      // a crash is restarted only if the consumer joined since the previous one, so a dead
      // broker fails the source after at most two retry budgets (kafkaRetryBudgetMs).
      retry: {
        ...KAFKA_RETRY,
        retries: config.retries,
        restartOnFailure: () => {
          const restart = generation?.joinedSinceCrash ?? false;
          if (generation !== undefined) generation.joinedSinceCrash = false;
          return Promise.resolve(restart);
        },
      },
    });
    generation = new FetchGeneration(consumer, topic, partitions, scheduler);
    generation.listen(handlers);
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: ({ batch }) => {
          if (!generation.stopped) handlers.onBatch(batch.partition, batch.messages, BigInt(batch.lastOffset()) + 1n, highWatermarkOf(batch.highWatermark));
          return Promise.resolve();
        },
      });
    } catch (err) {
      generation.stopped = true;
      track(consumer.disconnect());
      throw err;
    }
    return generation;
  }

  /**
   * Flow control for one partition: a paused partition is not fetched at all, while heartbeats
   * go on (blocking inside `eachBatch` instead would stall them and get the member evicted).
   */
  setPaused(partition: number, paused: boolean): void {
    if (this.stopped || !this.partitions.has(partition)) return;
    const target = [{ topic: this.topic, partitions: [partition] }];
    try {
      if (paused) this.consumer.pause(target);
      else this.consumer.resume(target);
    } catch {
      // Not running yet: the join handler applies the current pause state.
    }
  }

  /** Stops it and leaves the group (bounded wait). */
  async stop(): Promise<void> {
    this.stopped = true;
    await withTimeout(this.consumer.disconnect(), DISCONNECT_TIMEOUT_MS, this.scheduler);
  }

  private listen(handlers: GenerationHandlers): void {
    const { consumer, topic, partitions } = this;
    const { GROUP_JOIN, END_BATCH_PROCESS, CRASH } = consumer.events;
    consumer.on(GROUP_JOIN, () => {
      this.joinedSinceCrash = true;
      if (this.stopped) return;
      for (const partition of partitions) {
        const target = [{ topic, partitions: [partition] }];
        const at = handlers.positionOf(partition);
        if (at === undefined) {
          consumer.pause(target);
          continue;
        }
        consumer.seek({ topic, partition, offset: at.position.toString() });
        if (at.paused) consumer.pause(target);
        else consumer.resume(target);
      }
    });
    consumer.on(END_BATCH_PROCESS, (event) => {
      // Batches of only control records or aborted records never reach eachBatch: the position
      // still moves over them, so a bounded read finishes even when a partition ends with a marker.
      const { partition, batchSize, lastOffset, highWatermark } = event.payload;
      if (this.stopped || batchSize !== 0 || lastOffset === null) return;
      handlers.onBatch(partition, [], BigInt(lastOffset) + 1n, highWatermarkOf(highWatermark));
    });
    consumer.on(CRASH, (event) => {
      if (this.stopped || event.payload.restart) return;
      handlers.onCrash(event.payload.error);
    });
  }
}

/** kafkajs' high watermark (a decimal string; `-1` when the broker sent none) as a position. */
function highWatermarkOf(text: string | undefined): bigint | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return BigInt(text);
}

import type { Admin, Kafka, KafkaMessage, LogEntry } from 'kafkajs';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { SourceError } from '../../core/SourceError.js';
import { kafkaClientErrorMessage, kafkaErrorType } from './kafkaClientError.js';
import type { KafkaSourceConfig } from './KafkaSourceConfig.js';
import { FetchGeneration } from './FetchGeneration.js';
import { outOfRangeMessage, resetPartition } from './offsetOutOfRange.js';
import type { PartitionListener } from './PartitionListener.js';
import { PartitionStates, type PartitionState } from './PartitionStates.js';
import { resolvePositions } from './resolvePositions.js';
import { sliceBatch } from './sliceBatch.js';
import { createKafkaClient, loadKafkaJs, type KafkaJsModule } from './loadKafkaJs.js';
import { DISCONNECT_TIMEOUT_MS, withTimeout } from './withTimeout.js';

export type { PartitionListener } from './PartitionListener.js';

/**
 * Reads the partitions of one topic for one source through a single kafkajs consumer, and owns
 * the source's kafkajs client. It is the lifecycle and the wiring; each responsibility has a
 * file of its own, as kafkajs splits its consumer:
 *
 * - {@link PartitionStates} (kafkajs' `subscriptionState`): which partitions are read, by
 *   whom, from where, paused or not;
 * - {@link resolvePositions} (`offsetManager`): stored offsets and the startup mode turned into
 *   positions, checked against the log, with {@link applyOutOfRange} as the out-of-range policy;
 * - {@link FetchGeneration} (`consumerGroup`): one kafkajs consumer in a throwaway group of
 *   its own, assigned exactly the source's partitions by {@link fixedAssignor}, seeking to the
 *   hub's positions after every join;
 * - {@link sliceBatch} (`batch`): what of a fetched batch a partition delivers.
 *
 * Why one consumer, replaced rather than changed: kafkajs has no manual partition assignment
 * (every consumer is a group member and gets partitions from an assignor) and cannot change a
 * running consumer's subscription. One consumer serves every split of the source (one connection
 * per broker, not per partition), split readers are demultiplexed from its batches, and when
 * partitions are **added** (partition discovery) the hub stops it and starts a new generation
 * with the larger set (rare: partition counts only grow). Removed partitions are only paused.
 * Positions belong to tributary, not to the group: the consumer never commits.
 *
 * kafkajs resets an out-of-range position on its own and only logs it: the hub watches its log
 * for that and applies the source's policy instead.
 */
export class KafkaConsumerHub {
  private readonly states = new PartitionStates();
  private kafkajs: KafkaJsModule | undefined;
  private kafka: Kafka | undefined;
  private admin: Admin | undefined;
  private generation: FetchGeneration | undefined;
  private dirty = false;
  private working: Promise<void> | undefined;
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    private readonly config: KafkaSourceConfig,
    private readonly scheduler: SchedulerLike = asyncScheduler,
  ) {}

  /** Starts delivering `listener.split`'s partition. */
  attach(listener: PartitionListener): void {
    const previous = this.states.attach(listener);
    if (previous !== undefined && !previous.done) {
      previous.listener.onError(this.error(`partition ${listener.split.partition} is read twice`, listener.split.id));
    }
    this.schedule();
  }

  /** Stops delivering to `listener` (its reader was unsubscribed). */
  detach(listener: PartitionListener): void {
    if (!this.states.detach(listener)) return;
    this.generation?.setPaused(listener.split.partition, true);
    this.schedule();
  }

  /** Flow control for one partition. */
  setPaused(listener: PartitionListener, paused: boolean): void {
    if (this.states.setPaused(listener, paused)) this.generation?.setPaused(listener.split.partition, paused);
  }

  /** Resolves once pending work is done: after the last detach, every client is disconnected. */
  async idle(): Promise<void> {
    while (this.working !== undefined || this.background.size > 0) {
      await this.working;
      await Promise.all([...this.background]);
    }
  }

  /** Keeps a clean-up (a disconnect) in {@link idle}'s view until it settles. */
  track(promise: Promise<unknown>): void {
    const settled = promise.catch(() => undefined).finally(() => this.background.delete(settled));
    this.background.add(settled);
  }

  /** The kafkajs client, created on first use (shared with the enumerator and lag commits). */
  async client(): Promise<Kafka> {
    this.kafkajs ??= await loadKafkaJs();
    this.kafka ??= createKafkaClient(this.kafkajs, this.config, (entry) => this.onLog(entry));
    return this.kafka;
  }

  private schedule(): void {
    this.dirty = true;
    if (this.working !== undefined) return;
    this.working = (async () => {
      // Attach calls arrive in a burst (one per split, synchronously): let them all land first.
      await new Promise<void>((resolve) => this.scheduler.schedule(() => resolve()));
      while (this.dirty) {
        this.dirty = false;
        try {
          await this.reconcile();
        } catch (err) {
          this.failAll(err);
        }
      }
    })().finally(() => {
      this.working = undefined;
    });
  }

  private async reconcile(): Promise<void> {
    const wanted = this.states.live();
    const generation = this.generation;
    // Keep the consumer while it covers every partition and every position is known (a reader
    // that re-attached needs its position resolved and sought: a new consumer does both).
    const covered = wanted.every((s) => s.position !== undefined && generation?.partitions.has(s.listener.split.partition));
    if (generation !== undefined && !generation.stopped && wanted.length > 0 && covered) return;
    if (generation !== undefined) await this.stopGeneration(generation);
    if (wanted.length === 0) {
      await this.closeAdmin();
      return;
    }
    const unresolved = wanted.filter((s) => s.position === undefined);
    if (unresolved.length > 0) {
      await resolvePositions(unresolved, await this.connectAdmin(), this.config, {
        error: (message, split, offset) => this.error(message, split, offset),
        finish: (state) => this.finish(state),
      });
    }
    const reading = this.states.live().filter((s) => s.position !== undefined);
    if (reading.length === 0) return;
    this.generation = await FetchGeneration.start(
      await this.client(),
      await loadKafkaJs(),
      this.config,
      new Set(reading.map((s) => s.listener.split.partition)),
      {
        positionOf: (partition) => {
          const state = this.states.get(partition);
          if (state === undefined || state.done || state.position === undefined) return undefined;
          return { position: state.position, paused: state.paused };
        },
        onBatch: (partition, messages, batchEnd, highWatermark) => this.advance(partition, messages, batchEnd, highWatermark),
        onCrash: (err) => this.failAll(err),
      },
      this.scheduler,
      (cleanup) => this.track(cleanup),
    );
  }

  /** Delivers the records at or after the partition's position and moves the position on. */
  private advance(partition: number, messages: readonly KafkaMessage[], batchEnd: bigint, highWatermark: bigint | undefined): void {
    const state = this.states.get(partition);
    if (state === undefined || state.done || state.position === undefined) return;
    const from = state.position;
    const slice = sliceBatch(messages, from, state.stop, batchEnd);
    if (slice === undefined) return;
    state.position = slice.next;
    state.listener.onRecords(slice.records, from, slice.next, highWatermark);
    if (state.stop !== undefined && slice.next >= state.stop && !state.done) this.finish(state);
  }

  private finish(state: PartitionState): void {
    state.done = true;
    this.generation?.setPaused(state.listener.split.partition, true);
    state.listener.onEnd();
  }

  private async stopGeneration(generation: FetchGeneration): Promise<void> {
    if (this.generation === generation) this.generation = undefined;
    await generation.stop();
  }

  private async connectAdmin(): Promise<Admin> {
    if (this.admin === undefined) {
      const admin = (await this.client()).admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  private async closeAdmin(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin !== undefined) await withTimeout(admin.disconnect(), DISCONNECT_TIMEOUT_MS, this.scheduler);
  }

  /** kafkajs reset a position after an out-of-range fetch: apply the source's policy instead. */
  private onLog(entry: LogEntry): void {
    const partition = resetPartition(entry, this.config.topic);
    if (partition === undefined) return;
    const state = this.states.get(partition);
    if (state === undefined || state.done) return;
    if (this.config.offsetOutOfRange === 'fail') {
      state.done = true;
      // kafkajs has moved the partition to the earliest record and fetches on: nothing of it is delivered.
      this.generation?.setPaused(partition, true);
      const position = state.position;
      const fail = (detail: string): void =>
        state.listener.onError(this.error(`offset out of range while reading: ${detail}`, state.listener.split.id, position?.toString()));
      // The range the partition holds now makes the error actionable; without it (the admin
      // call failed too) the error still names the position.
      this.track(
        this.partitionRange(partition).then(
          (range) => fail(range === undefined || position === undefined ? outOfRangeMessage(undefined, undefined) : outOfRangeMessage(position, range)),
          () => fail(outOfRangeMessage(undefined, undefined)),
        ),
      );
      return;
    }
    // Resolve again under the policy, in a fresh consumer.
    state.position = undefined;
    state.reset = this.config.offsetOutOfRange;
    if (this.generation !== undefined) this.generation.stopped = true;
    this.schedule();
  }

  private failAll(err: unknown): void {
    for (const state of this.states.live()) {
      state.done = true;
      state.listener.onError(
        err instanceof SourceError
          ? err
          : this.error(
              kafkaErrorType(err) === 'UNKNOWN_TOPIC_OR_PARTITION'
                ? `topic '${this.config.topic}' (partition ${state.listener.split.partition}) does not exist any more (deleted while being read?): ` +
                    kafkaClientErrorMessage(err, this.config.brokers)
                : kafkaClientErrorMessage(err, this.config.brokers),
              state.listener.split.id,
              state.position?.toString(),
              err,
            ),
      );
    }
  }

  /** The offsets `partition` holds now, for an error message. */
  private async partitionRange(partition: number): Promise<{ low: bigint; high: bigint } | undefined> {
    // An admin of its own: the shared one closes when the last reader detaches, which the
    // error this feeds is about to cause.
    const admin = (await this.client()).admin();
    await admin.connect();
    try {
      const found = (await admin.fetchTopicOffsets(this.config.topic)).find((p) => p.partition === partition);
      return found === undefined ? undefined : { low: BigInt(found.low), high: BigInt(found.high) };
    } finally {
      await withTimeout(admin.disconnect(), DISCONNECT_TIMEOUT_MS, this.scheduler);
    }
  }

  private error(message: string, split: string, offset?: string | null, cause?: unknown): SourceError {
    return new SourceError(message, { source: this.config.source, split, ...(offset != null ? { offset } : {}) }, { cause });
  }
}

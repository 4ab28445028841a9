import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, LogEntry, PartitionAssigner } from 'kafkajs';
import { SourceError } from '../../core/SourceError.js';
import { kafkaClientErrorMessage, kafkaErrorType } from './kafkaClientError.js';
import type { KafkaSourceConfig } from './KafkaSourceConfig.js';
import type { KafkaSplit } from './KafkaSplit.js';
import { createKafkaClient, KAFKA_RETRY, loadKafkaJs, type KafkaJsModule } from './loadKafkaJs.js';

/** What a split reader hands the hub for its partition. */
export interface PartitionListener {
  readonly split: KafkaSplit;
  /** The stored position (next offset to read), or `null`: start where the configuration says. */
  readonly offset: string | null;
  /**
   * Records from `position` on, and the position after them. `messages` may be empty: the
   * position moved over records nobody sees (transaction markers, aborted records) or was just
   * resolved from the startup mode. Must not throw.
   */
  onRecords(messages: readonly KafkaMessage[], position: bigint, nextPosition: bigint): void;
  /** Bounded mode: the partition reached its stop offset. */
  onEnd(): void;
  onError(err: SourceError): void;
}

interface PartitionState {
  readonly listener: PartitionListener;
  /** Next offset to read; undefined until resolved from the stored offset or the startup mode. */
  position: bigint | undefined;
  readonly stop: bigint | undefined;
  paused: boolean;
  done: boolean;
  /** Set when kafkajs hit an out-of-range position while reading: resolve under this policy. */
  reset: 'earliest' | 'latest' | undefined;
}

/** One kafkajs consumer and the partitions it was built for. */
interface Generation {
  readonly consumer: Consumer;
  readonly partitions: ReadonlySet<number>;
  stopped: boolean;
  /** Whether the consumer joined its group since it last crashed (or started): worth restarting. */
  joinedSinceCrash: boolean;
}

/**
 * Reads the partitions of one topic for one source through a single kafkajs consumer.
 *
 * Why it looks like this: kafkajs has no manual partition assignment (no `assign()` as in the
 * Java client); every consumer is a group member and gets partitions from a group assignor.
 * Its lower-level cluster and fetch API is internal and undocumented. So:
 *
 * - every consumer joins a **throwaway group** (`<prefix>-<source>-fetch-<random>`) of which it
 *   is the only member, with a custom assignor that hands it exactly the partitions the source
 *   reads. A throwaway group never waits for a dead predecessor's session to expire (a stable
 *   group id would, for up to the rebalance timeout, after a crash) and never rebalances with
 *   anyone else. Once the consumer leaves, the group has no members and no offsets, and the
 *   broker deletes it;
 * - **positions belong to tributary**, not to the group: the consumer never commits. After every
 *   join (the first one, and any rejoin kafkajs does on its own after a broker restart or a
 *   metadata change) the hub seeks every partition to the position it has delivered up to, so
 *   kafkajs' own notion of where to resume never matters;
 * - one consumer serves every split of the source (one connection per broker, not per
 *   partition); split readers are demultiplexed from `eachBatch`;
 * - kafkajs cannot change a running consumer's subscription, so when partitions are **added**
 *   (partition discovery) the hub stops the consumer and starts a new one with the larger set
 *   (rare: partition counts only grow). Removed partitions are only paused;
 * - **backpressure** uses `consumer.pause()`: a paused partition is not fetched at all, while
 *   heartbeats go on. Blocking inside `eachBatch` instead would stall heartbeats and get the
 *   member evicted;
 * - **transaction markers**: a control record is never handed to `eachBatch`, and a fetch that
 *   returns only control records or aborted records skips `eachBatch` entirely. The hub takes the
 *   position from the batch's last offset (which counts those records) and from kafkajs'
 *   end-of-batch event for filtered batches, so a bounded read finishes even when the partition
 *   ends with a marker.
 */
export class KafkaConsumerHub {
  private readonly states = new Map<number, PartitionState>();
  private kafkajs: KafkaJsModule | undefined;
  private kafka: Kafka | undefined;
  private admin: Admin | undefined;
  private generation: Generation | undefined;
  private dirty = false;
  private working: Promise<void> | undefined;

  constructor(private readonly config: KafkaSourceConfig) {}

  /** Starts delivering `listener.split`'s partition. */
  attach(listener: PartitionListener): void {
    const { partition, stopOffset } = listener.split;
    const previous = this.states.get(partition);
    if (previous !== undefined && !previous.done) {
      previous.listener.onError(this.error(`partition ${partition} is read twice`, listener.split.id));
    }
    this.states.set(partition, {
      listener,
      position: undefined,
      stop: stopOffset === null ? undefined : BigInt(stopOffset),
      paused: false,
      done: false,
      reset: undefined,
    });
    this.schedule();
  }

  /** Stops delivering to `listener` (its reader was unsubscribed). */
  detach(listener: PartitionListener): void {
    const state = this.states.get(listener.split.partition);
    if (state?.listener !== listener) return;
    state.done = true;
    this.states.delete(listener.split.partition);
    this.pauseInConsumer(listener.split.partition, true);
    this.schedule();
  }

  /** Flow control for one partition. */
  setPaused(listener: PartitionListener, paused: boolean): void {
    const state = this.states.get(listener.split.partition);
    if (state?.listener !== listener || state.paused === paused) return;
    state.paused = paused;
    if (!state.done) this.pauseInConsumer(listener.split.partition, paused);
  }

  private readonly background = new Set<Promise<unknown>>();

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
      await new Promise((resolve) => setImmediate(resolve));
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

  private live(): PartitionState[] {
    return [...this.states.values()].filter((s) => !s.done);
  }

  private async reconcile(): Promise<void> {
    const wanted = this.live();
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
    await this.resolvePositions(wanted.filter((s) => s.position === undefined));
    const reading = this.live().filter((s) => s.position !== undefined);
    if (reading.length === 0) return;
    this.generation = await this.startGeneration(new Set(reading.map((s) => s.listener.split.partition)));
  }

  /** Turns stored offsets and the startup mode into positions, checking them against the log. */
  private async resolvePositions(states: readonly PartitionState[]): Promise<void> {
    if (states.length === 0) return;
    const { topic, startupMode, startupTimestampMillis, startupOffsets } = this.config;
    const admin = await this.connectAdmin();
    const ranges = new Map<number, { low: bigint; high: bigint }>();
    for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
      ranges.set(partition, { low: BigInt(low), high: BigInt(high) });
    }
    let byTimestamp: Map<number, bigint> | undefined;
    for (const state of states) {
      if (state.done) continue;
      const { split, offset } = state.listener;
      const range = ranges.get(split.partition);
      if (range === undefined) {
        state.listener.onError(this.error(`partition ${split.partition} of topic '${topic}' does not exist`, split.id, offset));
        state.done = true;
        continue;
      }
      let position: bigint;
      let pinned = false;
      if (state.reset !== undefined) {
        position = state.reset === 'earliest' ? range.low : range.high;
        state.reset = undefined;
        pinned = true;
      } else if (offset !== null) {
        position = BigInt(offset);
      } else {
        pinned = true;
        const specific = startupOffsets.get(split.partition);
        if (split.fromEarliest) position = range.low;
        else if (specific !== undefined) position = specific;
        else if (startupMode === 'latest') position = range.high;
        else if (startupMode === 'timestamp') {
          byTimestamp ??= new Map(
            (await admin.fetchTopicOffsetsByTimestamp(topic, startupTimestampMillis)).map((e) => [e.partition, BigInt(e.offset)] as const),
          );
          position = byTimestamp.get(split.partition) ?? range.high;
        } else position = range.low;
      }
      if (position < range.low || position > range.high) {
        const policy = this.config.offsetOutOfRange;
        if (policy === 'fail') {
          state.listener.onError(this.error(`offset ${position} is out of range: ${outOfRange(position, range)}`, split.id, String(position)));
          state.done = true;
          continue;
        }
        position = policy === 'earliest' ? range.low : range.high;
        pinned = true;
      }
      state.position = position;
      // A resolved start is pinned into the next checkpoint with an empty chunk: a restart must
      // resume here, not resolve `latest` again and skip what arrived meanwhile.
      if (pinned) state.listener.onRecords([], position, position);
      if (state.stop !== undefined && position >= state.stop) this.finish(state);
    }
  }

  private async startGeneration(partitions: ReadonlySet<number>): Promise<Generation> {
    const { topic, source, groupIdPrefix } = this.config;
    const kafka = await this.client();
    const kafkajs = await loadKafkaJs();
    const groupId = `${groupIdPrefix}-${source}-fetch-${randomUUID().slice(0, 8)}`;
    const consumer = kafka.consumer({
      groupId,
      partitionAssigners: [onlyMemberGetsAll(kafkajs, topic, partitions)],
      maxBytes: this.config.fetchMaxBytes,
      maxBytesPerPartition: this.config.maxPartitionFetchBytes,
      maxWaitTimeInMs: this.config.fetchMaxWaitMs,
      readUncommitted: this.config.readUncommitted,
      allowAutoTopicCreation: false,
      // kafkajs restarts a crashed consumer on retriable errors (a broker restart): the rejoin
      // re-seeks from tributary's positions, so nothing is lost or repeated. Left alone it
      // restarts forever, and a broker that never returns would hang the source without a word:
      // a crash is restarted only if the consumer joined since the previous one, so a dead
      // broker fails the source after at most two retry budgets (kafkaRetryBudgetMs).
      retry: {
        ...KAFKA_RETRY,
        retries: this.config.retries,
        restartOnFailure: () => {
          const restart = generation.joinedSinceCrash;
          generation.joinedSinceCrash = false;
          return Promise.resolve(restart);
        },
      },
    });
    const generation: Generation = { consumer, partitions, stopped: false, joinedSinceCrash: true };
    const { GROUP_JOIN, END_BATCH_PROCESS, CRASH } = consumer.events;
    consumer.on(GROUP_JOIN, () => {
      generation.joinedSinceCrash = true;
      if (generation.stopped) return;
      for (const partition of partitions) {
        const state = this.states.get(partition);
        if (state === undefined || state.done || state.position === undefined) {
          consumer.pause([{ topic, partitions: [partition] }]);
          continue;
        }
        consumer.seek({ topic, partition, offset: state.position.toString() });
        if (state.paused) consumer.pause([{ topic, partitions: [partition] }]);
        else consumer.resume([{ topic, partitions: [partition] }]);
      }
    });
    consumer.on(END_BATCH_PROCESS, (event) => {
      // Batches of only control records or aborted records never reach eachBatch.
      const { partition, batchSize, lastOffset } = event.payload;
      if (generation.stopped || batchSize !== 0 || lastOffset === null) return;
      this.advance(partition, [], BigInt(lastOffset) + 1n);
    });
    consumer.on(CRASH, (event) => {
      if (generation.stopped || event.payload.restart) return;
      this.failAll(event.payload.error);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async (payload) => this.onBatch(generation, payload),
      });
    } catch (err) {
      generation.stopped = true;
      this.track(consumer.disconnect());
      throw err;
    }
    return generation;
  }

  private onBatch(generation: Generation, { batch }: EachBatchPayload): Promise<void> {
    if (!generation.stopped) this.advance(batch.partition, batch.messages, BigInt(batch.lastOffset()) + 1n);
    return Promise.resolve();
  }

  /** Delivers the records at or after the partition's position and moves the position on. */
  private advance(partition: number, messages: readonly KafkaMessage[], batchEnd: bigint): void {
    const state = this.states.get(partition);
    if (state === undefined || state.done || state.position === undefined) return;
    const from = state.position;
    const stop = state.stop;
    const fresh: KafkaMessage[] = [];
    for (const message of messages) {
      const offset = BigInt(message.offset);
      // A batch fetched before a seek can overlap what was delivered: never deliver twice.
      if (offset < from) continue;
      if (stop !== undefined && offset >= stop) break;
      fresh.push(message);
    }
    let next = batchEnd;
    if (stop !== undefined && next > stop) next = stop;
    if (fresh.length > 0) {
      const afterLast = BigInt(fresh[fresh.length - 1]!.offset) + 1n;
      if (next < afterLast) next = afterLast;
    }
    if (next <= from && fresh.length === 0) return;
    state.position = next;
    state.listener.onRecords(fresh, from, next);
    if (stop !== undefined && next >= stop && !state.done) this.finish(state);
  }

  private finish(state: PartitionState): void {
    state.done = true;
    this.pauseInConsumer(state.listener.split.partition, true);
    state.listener.onEnd();
  }

  private pauseInConsumer(partition: number, paused: boolean): void {
    const generation = this.generation;
    if (generation === undefined || generation.stopped || !generation.partitions.has(partition)) return;
    const target = [{ topic: this.config.topic, partitions: [partition] }];
    try {
      if (paused) generation.consumer.pause(target);
      else generation.consumer.resume(target);
    } catch {
      // Not running yet: the join handler applies the current pause state.
    }
  }

  private async stopGeneration(generation: Generation): Promise<void> {
    generation.stopped = true;
    if (this.generation === generation) this.generation = undefined;
    await withTimeout(generation.consumer.disconnect(), 15_000);
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
    if (admin !== undefined) await withTimeout(admin.disconnect(), 15_000);
  }

  /** kafkajs resets an out-of-range position on its own and only logs it: make that visible. */
  private onLog(entry: LogEntry): void {
    // kafkajs 2.x: 'Offset out of range, resetting to default offset' (an info-level 'Offset out
    // of range while fetching from follower' is a retry with the leader, not a reset).
    if (!entry.log.message.startsWith('Offset out of range, resetting')) return;
    const { topic, partition } = entry.log as { topic?: unknown; partition?: unknown };
    if (topic !== this.config.topic || typeof partition !== 'number') return;
    const state = this.states.get(partition);
    if (state === undefined || state.done) return;
    if (this.config.offsetOutOfRange === 'fail') {
      state.done = true;
      // kafkajs has moved the partition to the earliest record and fetches on: nothing of it is delivered.
      this.pauseInConsumer(partition, true);
      const position = state.position;
      const fail = (detail: string): void =>
        state.listener.onError(this.error(`offset out of range while reading: ${detail}`, state.listener.split.id, position?.toString()));
      // The range the partition holds now makes the error actionable; without it (the admin
      // call failed too) the error still names the position.
      this.track(
        this.partitionRange(partition).then(
          (range) => fail(range === undefined || position === undefined ? outOfRange(undefined, undefined) : outOfRange(position, range)),
          () => fail(outOfRange(undefined, undefined)),
        ),
      );
      return;
    }
    // Resolve again under the policy, in a fresh consumer.
    state.position = undefined;
    state.reset = this.config.offsetOutOfRange;
    const generation = this.generation;
    if (generation !== undefined) generation.stopped = true;
    this.schedule();
  }

  private failAll(err: unknown): void {
    for (const state of this.live()) {
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
      await withTimeout(admin.disconnect(), 15_000);
    }
  }

  private error(message: string, split: string, offset?: string | null, cause?: unknown): SourceError {
    return new SourceError(message, { source: this.config.source, split, ...(offset != null ? { offset } : {}) }, { cause });
  }
}

/** Why a position is out of range and what to do about it; `range` undefined when unknown. */
function outOfRange(position: bigint | undefined, range: { low: bigint; high: bigint } | undefined): string {
  const why =
    position === undefined || range === undefined
      ? 'the records at the position were deleted (retention, or deleteRecords) before they were read'
      : `the partition holds offsets ${range.low} to ${range.high}. ` +
        (position < range.low
          ? 'The records were deleted (retention, or deleteRecords) before they were read'
          : 'The partition is shorter than the position (was the topic deleted and recreated?)');
  return `${why}. Set kafka.offset.out.of.range (offsetOutOfRange) to earliest or latest to skip ahead and lose them knowingly.`;
}

/**
 * A kafkajs assignor for a group of one: its member gets `partitions` of `topic`. Should a second
 * member ever appear (it cannot: the group id is random) it gets nothing rather than duplicates.
 */
function onlyMemberGetsAll(kafkajs: KafkaJsModule, topic: string, partitions: ReadonlySet<number>): PartitionAssigner {
  const { AssignerProtocol } = kafkajs;
  return () => ({
    name: 'TributaryOwnPartitions',
    version: 1,
    protocol: ({ topics }) => ({
      name: 'TributaryOwnPartitions',
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    }),
    assign: async ({ members }) => {
      return members.map((member, index) => ({
        memberId: member.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: index === 0 ? { [topic]: [...partitions].sort((a, b) => a - b) } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
  });
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise.catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

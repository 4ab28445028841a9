import type { Kafka } from 'kafkajs';
import { kafkaClientErrorMessage, kafkaErrorType, unreachableKafka } from './kafkaClientError.js';
import type { KafkaSourceConfig } from './KafkaSourceConfig.js';

/** A commit that went to a broker no longer the group's coordinator: find it again and resend once. */
const COORDINATOR_MOVED = new Set(['NOT_COORDINATOR', 'NOT_COORDINATOR_FOR_GROUP', 'COORDINATOR_NOT_AVAILABLE', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'GROUP_LOAD_IN_PROGRESS']);
/** The group has members of its own: the broker takes commits from outside group management only while it has none. */
const GROUP_IN_USE = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'STALE_MEMBER_EPOCH', 'FENCED_INSTANCE_ID']);

/** One partition's position as the consumer group receives it: the next offset to read. */
export interface LagOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** What the committer needs of the client owner: the shared client. */
export interface KafkaClientProvider {
  client(): Promise<Kafka>;
}

/** The parts of a kafkajs 2.x broker connection the committer uses. */
interface CoordinatorBroker {
  offsetCommit(request: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<unknown>;
}

/** The parts of a kafkajs 2.x cluster (its brokers and metadata) the committer uses. */
interface LagCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(request: { groupId: string }): Promise<CoordinatorBroker>;
}

/**
 * Writes the positions of committed epochs to a consumer group, so that the usual tools
 * (`kafka-consumer-groups --describe`, Burrow, Cruise Control, any lag exporter) show how far
 * the source is behind. Nothing reads these offsets back: positions live in tributary's state store.
 *
 * It commits as a consumer outside group management does (Kafka's `assign()` then `commitSync`,
 * which is how Flink's KafkaSource reports): an OffsetCommit with generation -1 and no member id,
 * which the broker takes while the group has no members. So the committer joins nothing: processes
 * sharing a source commit side by side with no rebalance between them, a kill -9 leaves no member
 * behind to hold the group up, and closing is only closing a connection. (It first joined the
 * group as a member assigned nothing: every join, leave and kill -9 among processes sharing a
 * source then refused the others' commits, and a run's last commit could be lost to that.)
 *
 * kafkajs offers no such commit: its consumers commit as members, and its admin `setOffsets`
 * joins as one too and refuses a group that has members. So the request goes over a cluster (the
 * brokers and metadata) made by the client's own factory, which kafkajs 2.x keeps behind a symbol;
 * a client without it fails the commit with a message saying so.
 *
 * Best effort and off the data path. A failure rejects {@link commit}: the source's
 * checkpoint-complete hook turns it into a warning (the same failure epoch after epoch, while a
 * broker is away, once), and its next call carries newer positions, and the final positions of
 * partitions finished meanwhile. Its connections are open only while there is something to
 * commit ({@link idle}).
 */
export class KafkaLagCommitter {
  private cluster: Promise<LagCluster> | undefined;
  private coordinator: CoordinatorBroker | undefined;
  private sending: Promise<void> | undefined;

  constructor(
    private readonly config: KafkaSourceConfig & { readonly consumerGroup: string },
    private readonly clients: KafkaClientProvider,
  ) {}

  /** Commits `offsets`; settles once they are in the group (or failed). */
  commit(offsets: readonly LagOffset[]): Promise<void> {
    if (offsets.length === 0) return Promise.resolve();
    const sent = this.send(offsets);
    const tracked = sent.catch(() => undefined);
    this.sending = tracked;
    void tracked.finally(() => {
      if (this.sending === tracked) this.sending = undefined;
    });
    return sent;
  }

  /**
   * Waits for the commits in flight (so the last positions land), then closes the connections.
   * A later commit opens them again: a bounded source's final epoch commits after its readers
   * are done.
   */
  async idle(): Promise<void> {
    for (let sending = this.sending; sending !== undefined; sending = this.sending) await sending;
    const cluster = this.cluster;
    this.cluster = undefined;
    this.coordinator = undefined;
    await (await cluster?.catch(() => undefined))?.disconnect().catch(() => undefined);
  }

  private async send(offsets: readonly LagOffset[]): Promise<void> {
    try {
      await this.commitTo(offsets);
    } catch (err) {
      throw new Error(`could not commit offsets to consumer group '${this.config.consumerGroup}' (lag monitoring only, reading goes on): ${this.failure(err)}`, { cause: err });
    }
  }

  private failure(err: unknown): string {
    const message = kafkaClientErrorMessage(err, this.config.brokers);
    if (!GROUP_IN_USE.has(kafkaErrorType(err) ?? '')) return message;
    return `${message} (the group has members: another consumer uses it; give the source a group of its own, kafka.consumer.group)`;
  }

  private async commitTo(offsets: readonly LagOffset[]): Promise<void> {
    const groupId = this.config.consumerGroup;
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const { topic, partition, offset } of offsets) byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition, offset }]);
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    for (let attempt = 1; ; attempt++) {
      try {
        const cluster = await this.connect();
        this.coordinator ??= await cluster.findGroupCoordinator({ groupId });
        await this.coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', topics });
        return;
      } catch (err) {
        // The coordinator moved, or the connections broke (a broker restarted): find it afresh.
        this.coordinator = undefined;
        if (unreachableKafka(err)) this.dropCluster();
        if (attempt === 1 && (COORDINATOR_MOVED.has(kafkaErrorType(err) ?? '') || unreachableKafka(err))) continue;
        throw err;
      }
    }
  }

  private connect(): Promise<LagCluster> {
    if (this.cluster !== undefined) return this.cluster;
    const connecting = (async () => {
      const cluster = clusterOf(await this.clients.client());
      await cluster.connect();
      return cluster;
    })();
    this.cluster = connecting;
    // A failed connect is tried afresh at the next commit.
    connecting.catch(() => {
      if (this.cluster === connecting) this.cluster = undefined;
    });
    return connecting;
  }

  /** Forgets the cluster (its connections are broken), closing what is left of it. */
  private dropCluster(): void {
    const cluster = this.cluster;
    this.cluster = undefined;
    void cluster?.then((c) => c.disconnect()).catch(() => undefined);
  }
}

/** A cluster of the client's own brokers and settings, from kafkajs 2.x's private factory. */
function clusterOf(kafka: Kafka): LagCluster {
  const key = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = key === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[key];
  if (typeof create !== 'function') {
    throw new Error('this kafkajs has no cluster factory to send offset commits through (tributary needs kafkajs 2.x for lag monitoring; kafka.commit.offsets = false turns it off)');
  }
  return (create as (options: { allowAutoTopicCreation: boolean }) => LagCluster).call(kafka, { allowAutoTopicCreation: false });
}

import type { Consumer, Kafka } from 'kafkajs';
import { asyncScheduler, firstValueFrom, timer, type SchedulerLike } from 'rxjs';
import { kafkaClientErrorMessage, kafkaErrorType } from './kafkaClientError.js';
import type { KafkaSourceConfig } from './KafkaSourceConfig.js';
import { loadKafkaJs } from './loadKafkaJs.js';
import { fixedAssignor } from './fixedAssignor.js';

/**
 * Errors of a group between generations (a member joined or left: processes sharing a source
 * each hold a membership): the member rejoins by itself within a heartbeat or two, and the same
 * commit then goes through.
 */
const REBALANCING = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS']);
/**
 * How long {@link KafkaLagCommitter.close} retries a last commit refused by a rebalance, and how
 * often. Members still alive rejoin within a heartbeat (see LAG_SESSION_TIMEOUT_MS); a dead one
 * holds a rebalance up until its session ends, so this covers that session once.
 */
const CLOSE_RETRY_MS = 12_000;
const CLOSE_RETRY_EVERY_MS = 500;
/**
 * The lag member's session timeout (kafkajs' default is 30 s). A process killed with kill -9
 * leaves its membership behind until this runs out, and until then every rebalance waits for it
 * and every commit of the others is refused: the shorter the less lag is reported stale. The
 * broker's minimum is 6 s by default; the member heartbeats every second from an idle loop.
 */
const LAG_SESSION_TIMEOUT_MS = 10_000;

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

/**
 * Writes the positions of committed epochs to a consumer group, so that the usual tools
 * (`kafka-consumer-groups --describe`, Burrow, Cruise Control, any lag exporter) show how far
 * the source is behind. Nothing reads these offsets back: positions live in tributary's state store.
 *
 * kafkajs can commit offsets only as a member of the group, so the committer joins the group
 * with an assignor that assigns nothing (it never fetches) and commits through that membership.
 * It is best effort and off the data path: a slow join (a crashed predecessor's session still
 * open) delays only the lag figures. A failure rejects {@link commit} (the source turns it into
 * a warning) once per kind of failure: the same failure again, epoch after epoch while a broker
 * is away, resolves quietly, and the next commit carries newer positions anyway (and the final
 * positions of finished partitions, which the checkpoint-complete hook carries over). Only the
 * last commit has no next one: when a rebalance refused it (processes sharing the source end
 * together, each leaving the group), {@link close} retries it for a while.
 */
export class KafkaLagCommitter {
  private consumer: Consumer | undefined;
  private connecting: Promise<Consumer> | undefined;
  private sending: Promise<void> | undefined;
  private closed = false;
  private readonly reported = new Set<string>();
  /** The offsets of the last commit, if a rebalance refused it (for {@link close}). */
  private refused: readonly LagOffset[] | undefined;

  constructor(
    private readonly config: KafkaSourceConfig & { readonly consumerGroup: string },
    private readonly clients: KafkaClientProvider,
    private readonly scheduler: SchedulerLike = asyncScheduler,
  ) {}

  /** Commits `offsets`; settles once they are in the group (or failed). */
  commit(offsets: readonly LagOffset[]): Promise<void> {
    if (this.closed || offsets.length === 0) return Promise.resolve();
    const sent = this.send(offsets);
    const tracked = sent.catch(() => undefined);
    this.sending = tracked;
    void tracked.finally(() => {
      if (this.sending === tracked) this.sending = undefined;
    });
    return sent;
  }

  /**
   * Waits for the commit in flight (so the last positions land), retries it while the group
   * refuses it for a rebalance (up to CLOSE_RETRY_MS), then leaves the group.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.sending;
    const consumer = this.consumer ?? (this.connecting ? await this.connecting.catch(() => undefined) : undefined);
    this.consumer = undefined;
    if (consumer === undefined) return;
    for (const deadline = this.scheduler.now() + CLOSE_RETRY_MS; this.refused !== undefined && this.scheduler.now() < deadline; ) {
      await firstValueFrom(timer(CLOSE_RETRY_EVERY_MS, this.scheduler));
      await this.commitTo(consumer, this.refused).catch(() => undefined);
    }
    await consumer.disconnect().catch(() => undefined);
  }

  private async send(offsets: readonly LagOffset[]): Promise<void> {
    // These offsets supersede any refused before (the hook carries finished partitions over).
    this.refused = undefined;
    try {
      await this.commitTo(await this.connect(), offsets);
    } catch (err) {
      const message = kafkaClientErrorMessage(err, this.config.brokers);
      if (this.reported.has(message)) return;
      this.reported.add(message);
      throw new Error(
        `could not commit offsets to consumer group '${this.config.consumerGroup}' (lag monitoring only, reading goes on): ${message}`,
        { cause: err },
      );
    }
  }

  /** Commits through `consumer`; remembers the offsets while a rebalance refuses them. */
  private async commitTo(consumer: Consumer, offsets: readonly LagOffset[]): Promise<void> {
    try {
      await consumer.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
      this.refused = undefined;
    } catch (err) {
      this.refused = REBALANCING.has(kafkaErrorType(err) ?? '') ? offsets : undefined;
      throw err;
    }
  }

  private connect(): Promise<Consumer> {
    if (this.consumer !== undefined) return Promise.resolve(this.consumer);
    this.connecting ??= (async () => {
      const kafka = await this.clients.client();
      const kafkajs = await loadKafkaJs();
      const consumer = kafka.consumer({
        groupId: this.config.consumerGroup,
        partitionAssigners: [fixedAssignor(kafkajs, 'TributaryLagOnly', this.config.topic, new Set())],
        sessionTimeout: LAG_SESSION_TIMEOUT_MS,
        heartbeatInterval: 1_000,
        // It never fetches: this is only how often its idle loop wakes, which bounds how long leaving takes.
        maxWaitTimeInMs: 500,
        allowAutoTopicCreation: false,
      });
      await consumer.connect();
      await consumer.subscribe({ topic: this.config.topic });
      await consumer.run({ autoCommit: false, eachBatch: () => Promise.resolve() });
      this.consumer = consumer;
      return consumer;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }
}

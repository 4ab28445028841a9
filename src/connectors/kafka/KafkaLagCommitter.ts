import type { Consumer, Kafka } from 'kafkajs';
import { kafkaClientErrorMessage } from './kafkaClientError.js';
import type { KafkaSourceConfig } from './KafkaSourceConfig.js';
import { loadKafkaJs } from './loadKafkaJs.js';
import { fixedAssignor } from './fixedAssignor.js';

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
 * is away, resolves quietly, and the next commit carries newer positions anyway.
 */
export class KafkaLagCommitter {
  private consumer: Consumer | undefined;
  private connecting: Promise<Consumer> | undefined;
  private sending: Promise<void> | undefined;
  private closed = false;
  private readonly reported = new Set<string>();

  constructor(
    private readonly config: KafkaSourceConfig & { readonly consumerGroup: string },
    private readonly clients: KafkaClientProvider,
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

  /** Waits for the commit in flight (so the last positions land), then leaves the group. */
  async close(): Promise<void> {
    this.closed = true;
    await this.sending;
    const consumer = this.consumer ?? (this.connecting ? await this.connecting.catch(() => undefined) : undefined);
    this.consumer = undefined;
    if (consumer !== undefined) await consumer.disconnect().catch(() => undefined);
  }

  private async send(offsets: readonly LagOffset[]): Promise<void> {
    try {
      const consumer = await this.connect();
      await consumer.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
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

  private connect(): Promise<Consumer> {
    if (this.consumer !== undefined) return Promise.resolve(this.consumer);
    this.connecting ??= (async () => {
      const kafka = await this.clients.client();
      const kafkajs = await loadKafkaJs();
      const consumer = kafka.consumer({
        groupId: this.config.consumerGroup,
        partitionAssigners: [fixedAssignor(kafkajs, 'TributaryLagOnly', this.config.topic, new Set())],
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

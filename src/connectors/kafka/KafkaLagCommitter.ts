import type { Consumer } from 'kafkajs';
import type { KafkaConsumerHub } from './KafkaConsumerHub.js';
import type { KafkaSourceConfig } from './KafkaSourceConfig.js';
import { loadKafkaJs } from './loadKafkaJs.js';

/**
 * Writes the positions of successful epochs to a consumer group, so that the usual tools
 * (`kafka-consumer-groups --describe`, Burrow, Cruise Control, any lag exporter) show how far
 * the source is behind. Nothing reads these offsets back: positions live in tributary's state store.
 *
 * kafkajs can commit offsets only as a member of the group, so the committer joins the group
 * with an assignor that assigns nothing (it never fetches) and commits through that membership.
 * It is best effort and off the data path: commits are coalesced (only the newest positions
 * matter), failures are reported once per kind on stderr and retried with the next epoch, and a
 * slow join (a crashed predecessor's session still open) delays only the lag figures.
 */
export class KafkaLagCommitter {
  private consumer: Consumer | undefined;
  private connecting: Promise<Consumer> | undefined;
  private pending: ReadonlyMap<number, string> | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  private readonly reported = new Set<string>();

  constructor(
    private readonly config: KafkaSourceConfig & { readonly consumerGroup: string },
    private readonly hub: KafkaConsumerHub,
  ) {}

  /** Commits `positions` (partition → next offset to read), replacing any not yet sent. */
  commit(positions: ReadonlyMap<number, string>): void {
    if (this.closed || positions.size === 0) return;
    this.pending = positions;
    this.flushing ??= this.flush().finally(() => {
      this.flushing = undefined;
    });
  }

  /** Sends what is pending (bounded wait), then leaves the group. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    const consumer = this.consumer ?? (this.connecting ? await this.connecting.catch(() => undefined) : undefined);
    this.consumer = undefined;
    if (consumer !== undefined) await consumer.disconnect().catch(() => undefined);
  }

  private async flush(): Promise<void> {
    while (this.pending !== undefined) {
      const positions = this.pending;
      this.pending = undefined;
      try {
        const consumer = await this.connect();
        await consumer.commitOffsets(
          [...positions].map(([partition, offset]) => ({ topic: this.config.topic, partition, offset })),
        );
      } catch (err) {
        this.report(err);
        return;
      }
    }
  }

  private connect(): Promise<Consumer> {
    if (this.consumer !== undefined) return Promise.resolve(this.consumer);
    this.connecting ??= (async () => {
      const kafka = await this.hub.client();
      const { AssignerProtocol } = await loadKafkaJs();
      const nothing = AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: {}, userData: Buffer.alloc(0) });
      const consumer = kafka.consumer({
        groupId: this.config.consumerGroup,
        partitionAssigners: [
          () => ({
            name: 'TributaryLagOnly',
            version: 1,
            protocol: ({ topics }) => ({
              name: 'TributaryLagOnly',
              metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
            }),
            assign: ({ members }) => Promise.resolve(members.map((m) => ({ memberId: m.memberId, memberAssignment: nothing }))),
          }),
        ],
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

  private report(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.reported.has(message)) return;
    this.reported.add(message);
    process.stderr.write(
      `[tributary kafka '${this.config.source}'] could not commit offsets to group '${this.config.consumerGroup}' (lag monitoring only, reading goes on): ${message}\n`,
    );
  }
}

import { defer, from, type Observable } from 'rxjs';
import type { Admin } from 'kafkajs';
import { SourceError } from '../../core/SourceError.js';
import type { KafkaSourceConfig } from './KafkaSourceConfig.js';
import type { PartitionEnd, PartitionListing } from './PartitionListing.js';

/** What the listing uses of an admin client. */
export type DiscoveryAdmin = Pick<Admin, 'connect' | 'disconnect' | 'fetchTopicMetadata' | 'fetchTopicOffsets'>;

/** What the listing needs of the {@link KafkaConsumerHub}: the shared client, and a place for clean-ups. */
export interface KafkaAdminProvider {
  client(): Promise<{ admin(): DiscoveryAdmin }>;
  track(promise: Promise<unknown>): void;
}

/**
 * A {@link PartitionListing} through a kafkajs admin client of the shared client. The admin is
 * connected on first use and kept between polls; a failed connect is not kept (the next poll
 * connects afresh), and one that completes after {@link release} is disconnected at once.
 */
export class AdminPartitionListing implements PartitionListing {
  private admin: DiscoveryAdmin | undefined;
  private released = false;

  constructor(
    private readonly config: KafkaSourceConfig,
    private readonly hub: KafkaAdminProvider,
  ) {}

  partitions(): Observable<readonly number[]> {
    return defer(() => from(this.fetchPartitions()));
  }

  endOffsets(): Observable<readonly PartitionEnd[]> {
    return defer(() => from(this.connected().then((admin) => admin.fetchTopicOffsets(this.config.topic))));
  }

  release(): void {
    this.released = true;
    const admin = this.admin;
    this.admin = undefined;
    if (admin !== undefined) this.hub.track(admin.disconnect());
  }

  private async fetchPartitions(): Promise<number[]> {
    const { topic, source, brokers } = this.config;
    const admin = await this.connected();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const found = topics.find((t) => t.name === topic);
      return (found?.partitions ?? []).map((p) => p.partitionId).sort((a, b) => a - b);
    } catch (err) {
      const type = (err as { type?: unknown }).type;
      if (type === 'UNKNOWN_TOPIC_OR_PARTITION') {
        throw new SourceError(`topic '${topic}' does not exist (brokers ${brokers.join(',')})`, { source }, { cause: err });
      }
      throw err;
    }
  }

  private async connected(): Promise<DiscoveryAdmin> {
    if (this.admin !== undefined) return this.admin;
    const connecting = (await this.hub.client()).admin();
    try {
      await connecting.connect();
    } catch (err) {
      // Kept only once connected: the next poll connects afresh.
      this.hub.track(connecting.disconnect());
      throw err;
    }
    if (this.released) {
      this.hub.track(connecting.disconnect());
      throw new SourceError('closed', { source: this.config.source });
    }
    this.admin = connecting;
    return connecting;
  }
}

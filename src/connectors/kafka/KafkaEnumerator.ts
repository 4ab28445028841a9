import { Observable } from 'rxjs';
import type { Admin } from 'kafkajs';
import type { Enumerator, EnumeratorContext } from '../../core/Enumerator.js';
import { SourceError } from '../../core/SourceError.js';
import type { KafkaSourceConfig } from './KafkaSourceConfig.js';
import { kafkaClientErrorMessage } from './kafkaClientError.js';
import { kafkaSplit, type KafkaSplit } from './KafkaSplit.js';

/** Consecutive failed discovery polls (each after the client's own retries) after which the source fails. */
export const MAX_DISCOVERY_FAILURES = 5;

/** What the enumerator uses of an admin client. */
export type DiscoveryAdmin = Pick<Admin, 'connect' | 'disconnect' | 'fetchTopicMetadata' | 'fetchTopicOffsets'>;

/** What the enumerator needs of the {@link KafkaConsumerHub}: the shared client, and a place for clean-ups. */
export interface KafkaAdminProvider {
  client(): Promise<{ admin(): DiscoveryAdmin }>;
  track(promise: Promise<unknown>): void;
}

/**
 * Lists the topic's partitions as splits.
 *
 * - First start: every partition, starting where the startup mode says.
 * - Restart: the restored splits (their positions are in the checkpoint), plus partitions added
 *   since, which are read from their beginning (`fromEarliest`).
 * - Unbounded: polls the topic's metadata every `partitionDiscoveryIntervalMs` and emits the
 *   grown set when partitions were added (Kafka partitions are never removed).
 * - Bounded (`latest`): the set and each partition's stop offset (its end offset at the first
 *   start) are fixed once and kept in the checkpoint; the enumerator completes at once.
 */
export class KafkaEnumerator implements Enumerator<KafkaSplit> {
  constructor(
    private readonly config: KafkaSourceConfig,
    private readonly hub: KafkaAdminProvider,
  ) {}

  splits(context: EnumeratorContext<KafkaSplit>): Observable<readonly KafkaSplit[]> {
    const { topic, bounded, partitionDiscoveryIntervalMs, source } = this.config;
    return new Observable<readonly KafkaSplit[]>((subscriber) => {
      let admin: DiscoveryAdmin | undefined;
      let closed = false;
      let timer: NodeJS.Timeout | undefined;
      const current = new Map<number, KafkaSplit>();
      for (const { split } of context.restoredSplits.values()) {
        // A checkpoint of another topic (the source was pointed elsewhere) is not ours to resume.
        if (split.topic === topic && Number.isInteger(split.partition)) current.set(split.partition, split);
      }
      const restored = current.size > 0;

      const partitions = async (): Promise<number[]> => {
        if (admin === undefined) {
          const connecting = (await this.hub.client()).admin();
          try {
            await connecting.connect();
          } catch (err) {
            // Kept only once connected: the next poll connects afresh.
            this.hub.track(connecting.disconnect());
            throw err;
          }
          if (closed) {
            this.hub.track(connecting.disconnect());
            throw new SourceError('closed', { source });
          }
          admin = connecting;
        }
        try {
          const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
          const found = topics.find((t) => t.name === topic);
          return (found?.partitions ?? []).map((p) => p.partitionId).sort((a, b) => a - b);
        } catch (err) {
          const type = (err as { type?: unknown }).type;
          if (type === 'UNKNOWN_TOPIC_OR_PARTITION') {
            throw new SourceError(`topic '${topic}' does not exist (brokers ${this.config.brokers.join(',')})`, { source }, { cause: err });
          }
          throw err;
        }
      };

      const emit = (): void => {
        if (!closed) subscriber.next([...current.values()].sort((a, b) => a.partition - b.partition));
      };

      const discover = async (): Promise<void> => {
        let added = false;
        for (const partition of await partitions()) {
          if (current.has(partition)) continue;
          current.set(partition, kafkaSplit(topic, partition, null, true));
          added = true;
        }
        if (added) emit();
      };

      // Discovery rides out a broker restart or a network blip (reading goes on meanwhile);
      // only a run of failures fails the source.
      let failures = 0;
      const schedule = (): void => {
        if (closed || partitionDiscoveryIntervalMs === 0) return;
        timer = setTimeout(() => {
          discover().then(
            () => {
              failures = 0;
              schedule();
            },
            (err: unknown) => {
              if (err instanceof SourceError) fail(err);
              else if (++failures < MAX_DISCOVERY_FAILURES) schedule();
              else {
                const why = kafkaClientErrorMessage(err, this.config.brokers);
                fail(new SourceError(`partition discovery of topic '${topic}' failed ${failures} times in a row: ${why}`, { source }, { cause: err }));
              }
            },
          );
        }, partitionDiscoveryIntervalMs);
      };

      const fail = (err: unknown): void => {
        if (closed) return;
        subscriber.error(
          err instanceof SourceError ? err : new SourceError(kafkaClientErrorMessage(err, this.config.brokers), { source }, { cause: err }),
        );
      };

      const start = async (): Promise<void> => {
        if (bounded) {
          if (!restored) {
            const ends = await (async () => {
              await partitions(); // a clear error for a missing topic
              return admin!.fetchTopicOffsets(topic);
            })();
            for (const { partition, high } of ends) current.set(partition, kafkaSplit(topic, partition, high, false));
          }
          emit();
          if (!closed) subscriber.complete();
          return;
        }
        const found = await partitions();
        if (found.length === 0) throw new SourceError(`topic '${topic}' has no partitions`, { source });
        for (const partition of found) {
          if (!current.has(partition)) current.set(partition, kafkaSplit(topic, partition, null, restored));
        }
        emit();
        schedule();
      };

      start().then(
        () => releaseIfBounded(),
        (err: unknown) => fail(err),
      );

      const release = (): void => {
        const a = admin;
        admin = undefined;
        if (a !== undefined) this.hub.track(a.disconnect());
      };
      const releaseIfBounded = (): void => {
        if (bounded || closed) release();
      };

      return () => {
        closed = true;
        clearTimeout(timer);
        release();
      };
    });
  }
}

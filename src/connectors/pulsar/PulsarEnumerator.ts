import { asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import type { Enumerator, EnumeratorContext } from '../../core/Enumerator.js';
import { SourceError } from '../../core/SourceError.js';
import { runLoop } from '../base/runLoop.js';
import { sleep } from '../base/sleep.js';
import { withRetries } from '../base/withRetries.js';
import { encodeMessageId } from './messageId.js';
import type { PulsarAdmin } from './PulsarAdmin.js';
import { describeError, isTransient } from './pulsarErrors.js';
import type { PulsarConfig } from './pulsarProperties.js';
import { pulsarRetryPolicy } from './pulsarRetryPolicy.js';
import type { PulsarSplit } from './PulsarSplit.js';
import { partitionName, type PulsarTopicName } from './pulsarTopic.js';

/** Failed discovery polls in a row (each after its own retries) after which the source fails. */
export const MAX_DISCOVERY_FAILURES = 5;

/** What a {@link PulsarEnumerator} needs besides the configuration. */
export interface PulsarEnumeratorDeps {
  /** The admin calls it makes (an interface, so that timing tests can script them). */
  readonly admin: Pick<PulsarAdmin, 'partitions' | 'lastMessageId'>;
  /** Discovery polls and backoffs run on it (virtual time in tests). */
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * Lists the topic's partitions as splits, through the admin REST API.
 *
 * - A partitioned topic: one split per partition (`topic-partition-N`); a non-partitioned topic
 *   is one split.
 * - First start: every partition starts where the startup mode says. `latest` is resolved here,
 *   to the partition's last message id (kept in the split, so that a reconnect or a restart
 *   before the first checkpoint does not skip what was published meanwhile).
 * - Restart: the restored splits, plus partitions added since, which start at `earliest`.
 * - Unbounded: asks for the partition count every `partitionDiscoveryIntervalMs` on the
 *   scheduler and emits the grown set when partitions were added (they are never removed);
 *   {@link MAX_DISCOVERY_FAILURES} failed polls in a row fail the source.
 * - Bounded (`latest`): the set and each partition's end (its last message id at the first
 *   start) are fixed once and kept in the checkpoint; the enumerator completes at once.
 *
 * The discovery loop, its waits and the listing's retries are the connector base's
 * (`runLoop`, `sleep` on the scheduler, `withRetries` with {@link pulsarRetryPolicy}).
 */
export class PulsarEnumerator implements Enumerator<PulsarSplit> {
  constructor(
    private readonly config: PulsarConfig,
    private readonly deps: PulsarEnumeratorDeps,
  ) {}

  splits(context: EnumeratorContext<PulsarSplit>): Observable<readonly PulsarSplit[]> {
    const { config, deps } = this;
    const scheduler = deps.scheduler ?? asyncScheduler;
    const topic = config.topic;
    const secrets = config.token !== undefined ? [config.token] : [];
    return runLoop<readonly PulsarSplit[]>(
      async ({ subscriber, signal }) => {
        const current = new Map<string, PulsarSplit>();
        for (const { split } of context.restoredSplits.values()) {
          // A checkpoint of another topic (the source was pointed elsewhere) is not ours to resume.
          if (split.topic === topic.full) current.set(split.id, split);
        }
        const restored = current.size > 0;

        /**
         * The partition count, retried with backoff while the failures are transient. A spent
         * budget rethrows the last error as it is: a discovery poll counts it as one more
         * transient failure in a row (see {@link MAX_DISCOVERY_FAILURES}), not as a fatal one.
         */
        const partitions = (): Promise<number> =>
          withRetries(() => deps.admin.partitions(topic, signal), { ...pulsarRetryPolicy(config), exhausted: (err) => asError(err) }, { signal, scheduler });

        const partitionsOf = (count: number): { name: PulsarTopicName; partition: number }[] =>
          count === 0 ? [{ name: topic, partition: -1 }] : Array.from({ length: count }, (_, i) => ({ name: partitionName(topic, i), partition: i }));

        const newSplit = async (name: PulsarTopicName, partition: number, configuredStart: boolean): Promise<PulsarSplit> => {
          const base = { id: name.full, topic: topic.full, partition, start: 'earliest' as const, startMessageId: null, startTimestamp: null, end: null };
          let split: PulsarSplit = base;
          if (configuredStart && config.startupMode === 'latest') {
            const last = await deps.admin.lastMessageId(name, signal);
            // With the batch index: a start id without one makes the broker deliver that whole batch entry again.
            const startMessageId = encodeMessageId({ ledgerId: BigInt(last.ledgerId), entryId: BigInt(last.entryId), partition, batchIndex: last.batchIndex ?? -1 });
            split = { ...base, start: 'message', startMessageId };
          } else if (configuredStart && config.startupMode === 'timestamp') {
            split = { ...base, start: 'timestamp', startTimestamp: config.startupTimestampMs ?? 0 };
          }
          if (config.bounded) {
            const last = await deps.admin.lastMessageId(name, signal);
            split = { ...split, end: last.entryId < 0 ? '' : encodeMessageId({ ledgerId: BigInt(last.ledgerId), entryId: BigInt(last.entryId), partition, batchIndex: last.batchIndex ?? -1 }) };
          }
          return split;
        };

        const emit = (): void => {
          if (!signal.aborted) subscriber.next([...current.values()].sort((a, b) => a.partition - b.partition));
        };

        /** Adds the partitions not known yet; whether there were any. */
        const discover = async (configuredStart: boolean): Promise<boolean> => {
          let added = false;
          for (const { name, partition } of partitionsOf(await partitions())) {
            if (current.has(name.full)) continue;
            current.set(name.full, await newSplit(name, partition, configuredStart));
            added = true;
          }
          return added;
        };

        if (config.bounded && restored) {
          emit();
          return;
        }
        await discover(!restored);
        emit();
        if (config.bounded) return;
        if (config.partitionDiscoveryIntervalMs === 0) {
          // No discovery, but the set stays open (an unbounded source's enumerator does not complete).
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
          return;
        }
        let failures = 0;
        for (;;) {
          await sleep(config.partitionDiscoveryIntervalMs, signal, scheduler);
          if (signal.aborted) return;
          let added: boolean;
          try {
            added = await discover(false);
          } catch (err) {
            // Reading goes on meanwhile: discovery rides out a broker restart, only a run of failures fails the source.
            if (signal.aborted || !isTransient(err) || ++failures >= MAX_DISCOVERY_FAILURES) throw err;
            continue;
          }
          failures = 0;
          if (added) emit();
        }
      },
      (err) =>
        err instanceof SourceError ? err : new SourceError(`listing the partitions of '${topic.full}' at ${config.adminUrl}: ${describeError(err, secrets)}`, { source: context.source }, { cause: err }),
    );
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

import type { Shard } from '@aws-sdk/client-kinesis';
import type { Observable } from 'rxjs';
import type { Enumerator, EnumeratorContext } from '../../core/Enumerator.js';
import type { JsonValue } from '../../core/Json.js';
import { CorruptStateError, SourceError } from '../../core/SourceError.js';
import { scrubAwsError } from '../aws/awsErrors.js';
import { runLoop } from '../aws/runLoop.js';
import type { SharedClient } from '../aws/SharedClient.js';
import { sleep as defaultSleep } from '../aws/sleep.js';
import type { SplitCompletions } from '../aws/SplitCompletions.js';
import type { KinesisHandle } from './kinesisClient.js';
import type { KinesisConfig } from './kinesisProperties.js';
import { backoffMs, classifyKinesisError } from './kinesisRetry.js';
import type { KinesisShardSplit, ShardStart } from './KinesisShardSplit.js';

/** What a {@link KinesisEnumerator} needs besides the configuration. */
export interface KinesisEnumeratorDeps {
  readonly clients: SharedClient<KinesisHandle>;
  readonly completions: SplitCompletions;
  readonly secrets: readonly string[];
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Saved with every checkpoint: shards known but not yet readable (a parent is unfinished). */
interface KinesisEnumeratorState {
  readonly v: 1;
  readonly waiting: KinesisShardSplit[];
}

/**
 * Discovers shards with ListShards every `shardDiscoveryIntervalMs` (and at once when a shard
 * closes), and emits the shards that may be read: those whose parents (`ParentShardId`,
 * `AdjacentParentShardId`) are finished or expired. Children of a split or merge therefore start
 * only after their parents were read to the end, and the records of one partition key stay in
 * order across a reshard.
 *
 * Which shards are finished: the checkpoint's split positions on restore, then the readers'
 * completions (a closed shard's reader completes) through the {@link SplitCompletions} the
 * factory shares between this enumerator and its reader. Finished shards stay in the emitted set
 * until they expire from the stream (retention), so the checkpoint keeps their finished flag;
 * their number is bounded by the shards within the retention period.
 *
 * Start positions: shards present at the very first start begin at the configured startup mode;
 * every shard discovered later (children of a reshard) begins at `TRIM_HORIZON`, whatever the
 * mode, or its first records would be lost. The split carries its start, so this survives
 * restarts; shards waiting for their parents are kept in the enumerator state for the same reason.
 */
export class KinesisEnumerator implements Enumerator<KinesisShardSplit> {
  constructor(
    private readonly config: KinesisConfig,
    private readonly deps: KinesisEnumeratorDeps,
  ) {}

  splits(context: EnumeratorContext<KinesisShardSplit>): Observable<readonly KinesisShardSplit[]> {
    const { config, deps } = this;
    const sleep = deps.sleep ?? defaultSleep;
    return runLoop<readonly KinesisShardSplit[]>(
      async ({ subscriber, signal }) => {
        const state = parseState(context.restoredState);
        const known = new Map<string, KinesisShardSplit>();
        const finished = new Set<string>();
        for (const [id, position] of context.restoredSplits) {
          known.set(id, position.split);
          if (position.finished) finished.add(id);
        }
        for (const split of state?.waiting ?? []) if (!known.has(split.id)) known.set(split.id, split);
        let firstListing = state === undefined;
        let listed: ReadonlySet<string> | undefined;
        let emitted: string | undefined;
        let wake: (() => void) | undefined;

        const evaluate = (): void => {
          if (listed === undefined || signal.aborted) return;
          const shardsListed = listed;
          const ready: KinesisShardSplit[] = [];
          const waiting: KinesisShardSplit[] = [];
          for (const split of [...known.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
            const parentsDone = split.parents.every((p) => finished.has(p) || !shardsListed.has(p));
            (parentsDone ? ready : waiting).push(split);
          }
          const next: KinesisEnumeratorState = { v: 1, waiting };
          context.saveState(next as unknown as JsonValue);
          const ids = ready.map((s) => s.id).join(',');
          if (ids === emitted) return;
          emitted = ids;
          subscriber.next(ready);
        };

        const completions = deps.completions.completed$.subscribe((id) => {
          if (!known.has(id) || finished.has(id)) return;
          finished.add(id);
          evaluate();
          wake?.(); // a closed shard has children: look for them now
        });

        const listShards = async (handle: KinesisHandle): Promise<Shard[]> => {
          const { sdk, client } = handle;
          const shards: Shard[] = [];
          let token: string | undefined;
          let failures = 0;
          do {
            try {
              const page = await client.send(
                new sdk.ListShardsCommand(token !== undefined ? { NextToken: token } : { StreamName: config.stream }),
                { abortSignal: signal },
              );
              failures = 0;
              shards.push(...(page.Shards ?? []));
              token = page.NextToken;
            } catch (err) {
              const kind = classifyKinesisError(err);
              if (signal.aborted || kind === 'fatal' || kind === 'expired') throw err;
              failures++;
              if (kind === 'transient' && failures > config.transientRetries) throw err;
              await sleep(backoffMs(failures, 500, config.maxBackoffMs), signal);
              if (signal.aborted) throw err;
            }
          } while (token !== undefined);
          return shards;
        };

        try {
          await deps.clients.use(async (handle) => {
            while (!signal.aborted) {
              const shards = await listShards(handle);
              const ids = new Set<string>();
              for (const shard of shards) {
                if (shard.ShardId === undefined) continue;
                ids.add(shard.ShardId);
                if (!known.has(shard.ShardId)) known.set(shard.ShardId, this.split(shard, shard.ShardId, firstListing));
              }
              // Shards past the retention period are gone, and count as finished parents.
              for (const id of [...known.keys()]) {
                if (!ids.has(id)) {
                  known.delete(id);
                  finished.delete(id);
                }
              }
              firstListing = false;
              listed = ids;
              evaluate();
              await new Promise<void>((resolve) => {
                const timer = setTimeout(done, config.shardDiscoveryIntervalMs);
                function done(): void {
                  clearTimeout(timer);
                  signal.removeEventListener('abort', done);
                  if (wake === done) wake = undefined;
                  resolve();
                }
                wake = done;
                signal.addEventListener('abort', done, { once: true });
              });
            }
          });
        } finally {
          completions.unsubscribe();
        }
      },
      (err) => {
        if (err instanceof SourceError) return err;
        const cause = scrubAwsError(err, deps.secrets);
        return SourceError.wrap(new Error(`listing the shards of stream '${config.stream}' failed: ${cause.message}`, { cause }), { source: context.source });
      },
    );
  }

  private split(shard: Shard, id: string, atFirstStart: boolean): KinesisShardSplit {
    const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => p !== undefined && p !== '');
    let start: ShardStart = 'TRIM_HORIZON';
    if (atFirstStart && this.config.startupMode === 'latest') start = 'LATEST';
    if (atFirstStart && this.config.startupMode === 'timestamp') start = 'AT_TIMESTAMP';
    return {
      id,
      stream: this.config.stream,
      parents,
      start,
      startTimestamp: start === 'AT_TIMESTAMP' ? (this.config.startupTimestampMs ?? 0) : null,
    };
  }
}

function parseState(value: JsonValue | undefined): KinesisEnumeratorState | undefined {
  if (value === undefined) return undefined;
  const state = value as unknown as Partial<KinesisEnumeratorState> | null;
  if (state === null || typeof state !== 'object' || state.v !== 1 || !Array.isArray(state.waiting)) {
    throw new CorruptStateError(`Kinesis enumerator state is not a version 1 state: ${JSON.stringify(value).slice(0, 200)}`);
  }
  return state as KinesisEnumeratorState;
}

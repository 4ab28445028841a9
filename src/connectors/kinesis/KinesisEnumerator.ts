import type { Shard } from '@aws-sdk/client-kinesis';
import type { Observable } from 'rxjs';
import type { Enumerator, EnumeratorContext } from '../../core/Enumerator.js';
import type { JsonValue } from '../../core/Json.js';
import { CorruptStateError } from '../../core/SourceError.js';
import type { AwsEnumeratorDeps } from '../aws/AwsDeps.js';
import { describeEndpoint } from '../aws/AwsConnection.js';
import { enumeratorError, scrubAwsError } from '../aws/awsErrors.js';
import { runLoop } from '../base/runLoop.js';
import { sleep } from '../base/sleep.js';
import type { KinesisHandle } from './kinesisClient.js';
import type { KinesisConfig } from './kinesisProperties.js';
import { callKinesis, type KinesisRetryEvent } from './kinesisRetry.js';
import type { KinesisShardSplit, ShardStart } from './KinesisShardSplit.js';

/** What a {@link KinesisEnumerator} needs besides the configuration. */
export interface KinesisEnumeratorDeps extends AwsEnumeratorDeps<KinesisHandle> {
  /** Called before each retry of ListShards (logging, tests). */
  readonly onRetry?: (event: KinesisRetryEvent) => void;
}

/** Saved with every checkpoint. */
interface KinesisEnumeratorState {
  readonly v: 1;
  /** Shards known but not yet readable (a parent is unfinished). */
  readonly waiting: KinesisShardSplit[];
  /**
   * Closed shards read to the end that ListShards still lists. Absent in states written before
   * finished shards left the split set (their finished positions say the same then).
   */
  readonly finished?: string[];
}

/**
 * Discovers shards with ListShards every `shardDiscoveryIntervalMs` (and at once when a shard
 * closes), and emits the shards that may be read: those whose parents (`ParentShardId`,
 * `AdjacentParentShardId`) are finished or expired. Children of a split or merge therefore start
 * only after their parents were read to the end, and the records of one partition key stay in
 * order across a reshard.
 *
 * Which shards are finished: the source's `finished$` (a closed shard's reader completed and its
 * last records went downstream, so a checkpoint from then on is past all of them). A finished
 * shard leaves the split set at once, which keeps the set to the open shards, and the source
 * then forgets its position; so the enumerator remembers it in its own state, saved with every
 * checkpoint, and never hands it out again while ListShards lists it (closed shards stay listed
 * for the stream's retention period: that bounds the list). A shard id ListShards no longer lists
 * has expired and is dropped; only a stream deleted and created again under the same name
 * brings the id back, and then it is a new shard, rightly read from its start.
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
    return runLoop<readonly KinesisShardSplit[]>(
      async ({ subscriber, signal }) => {
        const state = parseState(context.restoredState);
        /** Shards not finished: readable, or waiting for a parent. */
        const known = new Map<string, KinesisShardSplit>();
        /** Closed shards read to the end, still listed: never handed out again. */
        const finished = new Set<string>(state?.finished ?? []);
        for (const [id, position] of context.restoredSplits) {
          if (position.finished) finished.add(id);
          else if (!finished.has(id)) known.set(id, position.split);
        }
        for (const split of state?.waiting ?? []) if (!known.has(split.id) && !finished.has(split.id)) known.set(split.id, split);
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
          const next: KinesisEnumeratorState = { v: 1, waiting, finished: [...finished].sort() };
          context.saveState(next as unknown as JsonValue);
          const ids = ready.map((s) => s.id).join(',');
          if (ids === emitted) return;
          emitted = ids;
          subscriber.next(ready);
        };

        // Synchronous with the source: the shard leaves the set, and its children join it, in the
        // same step that records it as finished in the state saved with the next checkpoint.
        const finishedSubscription = context.finished$.subscribe((id) => {
          if (!known.delete(id)) return;
          finished.add(id);
          evaluate();
          wake?.(); // a closed shard has children: look for them now
        });

        // Each page is one call with the connector's retry rules: a failed page is retried (the
        // listing must not end early, or the shards after it would look gone), and when
        // transient errors outlast the budget the source fails instead of listing nothing.
        const listShards = async (handle: KinesisHandle): Promise<Shard[]> => {
          const { sdk, client } = handle;
          const shards: Shard[] = [];
          let token: string | undefined;
          do {
            const request = token !== undefined ? { NextToken: token } : { StreamName: config.stream };
            const page = await callKinesis(() => client.send(new sdk.ListShardsCommand(request), { abortSignal: signal }), {
              operation: 'ListShards',
              shard: '',
              transientRetries: config.transientRetries,
              throttledRetries: config.throttledRetries,
              baseMs: 500,
              maxBackoffMs: config.maxBackoffMs,
              signal,
              scheduler: deps.scheduler,
              onRetry: deps.onRetry,
              describe: (err) => scrubAwsError(err, deps.secrets).message,
            });
            if (page === 'expired') throw new Error('ListShards answered ExpiredIteratorException');
            shards.push(...(page.Shards ?? []));
            token = page.NextToken;
          } while (token !== undefined);
          return shards;
        };

        try {
          await deps.clients.use(async (handle) => {
            while (!signal.aborted) {
              const shards = await listShards(handle);
              const ids = new Set<string>();
              for (const shard of shards) {
                const id = shard.ShardId;
                if (id === undefined) continue;
                ids.add(id);
                if (!known.has(id) && !finished.has(id)) known.set(id, this.split(shard, id, firstListing));
              }
              // Shards past the retention period are gone, and count as finished parents.
              for (const id of [...known.keys()]) if (!ids.has(id)) known.delete(id);
              for (const id of [...finished]) if (!ids.has(id)) finished.delete(id);
              firstListing = false;
              listed = ids;
              evaluate();
              // A closed shard's children are looked for at once: `wake` cuts the wait short.
              // (A linked controller, not AbortSignal.any: that one leaks on a long-lived signal in Node 20.)
              const nap = new AbortController();
              const stop = (): void => nap.abort();
              wake = stop;
              signal.addEventListener('abort', stop, { once: true });
              await sleep(config.shardDiscoveryIntervalMs, nap.signal, deps.scheduler);
              signal.removeEventListener('abort', stop);
              wake = undefined;
            }
          });
        } finally {
          finishedSubscription.unsubscribe();
        }
      },
      (err) => enumeratorError(err, deps.secrets, `listing the shards of stream '${config.stream}' at ${describeEndpoint(config)}`, context.source),
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
  if (
    state === null ||
    typeof state !== 'object' ||
    state.v !== 1 ||
    !Array.isArray(state.waiting) ||
    (state.finished !== undefined && !(Array.isArray(state.finished) && state.finished.every((id) => typeof id === 'string')))
  ) {
    throw new CorruptStateError(`Kinesis enumerator state is not a version 1 state: ${JSON.stringify(value).slice(0, 200)}`);
  }
  return state as KinesisEnumeratorState;
}

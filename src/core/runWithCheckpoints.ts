import { asyncScheduler, catchError, defer, identity, retry, throwError, timer, type Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { checkpointed, type CheckpointedOptions } from './checkpointed.js';
import type { Source } from './Source.js';
import { SourceError } from './SourceError.js';
import type { SourceEvent } from './SourceEvent.js';

/** How a checkpointed pipeline recovers from errors. */
export interface RecoveryOptions {
  /** Resubscriptions after an error before the error reaches the subscriber. Default 3. */
  readonly retries?: number;
  /**
   * A run that lasted this long without an error resets the retry budget and the backoff, the
   * way Flink's exponential-delay restart strategy does: a pipeline that fails once a week should
   * not die in its fourth week. Default 60 000 ms.
   */
  readonly resetAfterMs?: number;
  /** First delay before resubscribing; doubles each time. Default 1000 ms. */
  readonly backoffMs?: number;
  /** Cap of the doubling delay. Default 30 000 ms. */
  readonly maxBackoffMs?: number;
  /** Scheduler for the backoff timers (virtual time in tests). */
  readonly scheduler?: SchedulerLike;
  /** Called before each retry, e.g. to log. */
  readonly onRetry?: (error: SourceError, attempt: number) => void;
}

/** Options of {@link runWithCheckpoints}: recovery, and where the records go. */
export type RunWithCheckpointsOptions<R> = RecoveryOptions & CheckpointedOptions<R>;

/**
 * Runs `pipeline` over `source` with checkpoints and rollback: {@link checkpointed} with a retry.
 * The pipeline's output goes through {@link commitEpochs}, and on an error anywhere (a reader, a format, the pipeline) the
 * whole thing is resubscribed, which makes the source resume every split from the last
 * successful epoch: records after it are delivered again, none before it, none lost. The retry
 * budget resets after a run of `resetAfterMs` without errors. When retries run out, the error reaches the subscriber
 * as a {@link SourceError} naming the source (and split and offset, when known). With `sink`, the
 * records are written to it (through {@link deliverTo}) and an epoch commits only once the sink
 * has flushed.
 *
 * @example
 * runWithCheckpoints(source, (events) => events.pipe(mapRecords(toOrder)), { retries: 5 })
 *   .pipe(toRecords())
 *   .subscribe(save);
 *
 * @example
 * // The end of the pipeline says "written" before each checkpoint commits.
 * runWithCheckpoints(source, identity, { sink: { write: (rows) => file.append(rows), flush: () => file.sync() } }).subscribe();
 */
export function runWithCheckpoints<T, R = T>(
  source: Source<T>,
  pipeline: OperatorFunction<SourceEvent<T>, SourceEvent<R>> = identity as OperatorFunction<SourceEvent<T>, SourceEvent<R>>,
  options: RunWithCheckpointsOptions<R> = {},
): Observable<SourceEvent<R>> {
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 1_000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const resetAfterMs = options.resetAfterMs ?? 60_000;
  const scheduler = options.scheduler ?? asyncScheduler;
  return defer(() => {
    let failures = 0;
    let startedAt = scheduler.now();
    return defer(() => {
      startedAt = scheduler.now();
      return checkpointed(source, pipeline, options);
    }).pipe(
      catchError((err: unknown) => throwError(() => SourceError.wrap(err, { source: source.name }))),
      retry({
        delay: (err: SourceError) => {
          if (scheduler.now() - startedAt >= resetAfterMs) failures = 0;
          failures++;
          if (failures > retries) return throwError(() => err);
          options.onRetry?.(err, failures);
          return timer(Math.min(backoffMs * 2 ** (failures - 1), maxBackoffMs), scheduler);
        },
      }),
    );
  });
}

import type { Enumerator, EnumeratorContext } from '../../core/Enumerator.js';
import type { AwsEnumeratorDeps } from '../aws/AwsDeps.js';
import { describeEndpoint } from '../aws/AwsConnection.js';
import { enumeratorError } from '../aws/awsErrors.js';
import { asyncScheduler, type Observable } from 'rxjs';
import { runLoop } from '../base/runLoop.js';
import { sleep } from '../base/sleep.js';
import { keyPattern } from './keyPattern.js';
import { listObjectPages } from './listObjectPages.js';
import type { S3Handle } from './s3Client.js';
import type { S3ObjectSplit } from './S3ObjectSplit.js';
import type { S3Config } from './s3Properties.js';
import { S3ScanState } from './S3ScanState.js';

/** What an {@link S3Enumerator} needs besides the configuration. */
export interface S3EnumeratorDeps extends AwsEnumeratorDeps<S3Handle> {
  /**
   * Wall clock, replaceable in tests. Pass starts are stamped with it, not with the scheduler:
   * they are compared with objects' LastModified and stored in checkpoints. The wait between
   * passes runs on the scheduler.
   */
  readonly now?: () => number;
}

/**
 * Lists an S3 prefix and emits a bounded window of object splits (see {@link S3ScanState} for
 * what is remembered and why it stays small).
 *
 * A split leaves the window, and is folded into the scan state, when the source's
 * `finished$` names it: its reader completed *and* its last chunks went downstream. The state
 * and the set are saved together, so a checkpoint never says "read" of an object whose last
 * records are still held back behind a checkpoint write.
 *
 * Bounded scans (`s3.scan.mode = bounded`) list the prefix once, emit windows as splits finish,
 * and complete after the last page. Unbounded scans start a new listing pass
 * `s3.refresh.interval.ms` after the previous one started (or when it ends, if it took longer),
 * and read the objects not seen before.
 */
export class S3Enumerator implements Enumerator<S3ObjectSplit> {
  readonly #matches: (key: string) => boolean;

  constructor(
    private readonly config: S3Config,
    private readonly deps: S3EnumeratorDeps,
  ) {
    this.#matches = config.matchPattern === undefined ? () => true : keyPattern(config.matchPattern);
  }

  splits(context: EnumeratorContext<S3ObjectSplit>): Observable<readonly S3ObjectSplit[]> {
    const { config, deps } = this;
    const scheduler = deps.scheduler ?? asyncScheduler;
    const now = deps.now ?? Date.now;
    const bounded = config.scanMode === 'bounded';
    return runLoop<readonly S3ObjectSplit[]>(
      async ({ subscriber, signal }) => {
        const scan = new S3ScanState(
          {
            bucket: config.bucket,
            keysOrdered: config.keysOrdered,
            latenessMs: config.latenessMs,
            window: config.window,
            matches: this.#matches,
          },
          context.restoredState,
          context.restoredSplits,
        );
        let wake: (() => void) | undefined;
        const emit = (): void => {
          if (signal.aborted) return;
          context.saveState(scan.toJson());
          subscriber.next(scan.splits());
        };
        const room = (): Promise<void> => new Promise<void>((resolve) => (wake = resolve));
        const finished = context.finished$.subscribe((id) => {
          if (!scan.finish(id)) return;
          emit();
          wake?.();
        });
        signal.addEventListener('abort', () => wake?.(), { once: true });
        try {
          emit();
          if (scan.complete) return;
          // A first listing of the whole prefix that matches nothing is said once on warnings$
          // (the CLI prints it): usually a wrong prefix or pattern, not an empty bucket.
          let emptyChecked = false;
          await deps.clients.use(async (handle) => {
            for (;;) {
              let matched = 0;
              if (scan.passStarted === null) {
                const last = scan.lastPassStarted;
                if (last !== null) await sleep(last + config.refreshIntervalMs - now(), signal, scheduler);
                if (signal.aborted) return;
                scan.beginPass(now());
              }
              const fromStart = scan.after === null;
              const pages = listObjectPages(handle, {
                bucket: config.bucket,
                prefix: config.prefix,
                startAfter: scan.after ?? undefined,
                pageSize: config.listPageSize,
                signal,
              });
              for await (const page of pages) {
                for (const object of page) {
                  if (this.#matches(object.key) && !(object.key.endsWith('/') && object.size === 0)) matched++;
                  if (!scan.isNew(object)) {
                    scan.passed(object.key);
                    continue;
                  }
                  while (scan.windowFull) {
                    emit();
                    await room();
                    if (signal.aborted) return;
                  }
                  scan.handOut(object);
                }
                emit();
              }
              scan.endPass(bounded);
              if (!emptyChecked && fromStart) {
                emptyChecked = true;
                if (matched === 0) context.warn?.(`${config.matchPattern === undefined ? 'no object' : `pattern '${config.matchPattern}' matches no object`} under s3://${config.bucket}/${config.prefix}`);
              }
              emit();
              if (bounded) return;
            }
          });
        } finally {
          finished.unsubscribe();
        }
      },
      (err) => enumeratorError(err, deps.secrets, `listing s3://${config.bucket}/${config.prefix} at ${describeEndpoint(config)}`, context.source),
    );
  }
}

import { Observable, asyncScheduler, tap, type SchedulerLike } from 'rxjs';
import type { Chunk } from '../../core/SourceEvent.js';
import type { CompletedCheckpoint, ReaderContext, SplitReader } from '../../core/SplitReader.js';
import type { Row, RowConverter } from '../../formats/Format.js';
import { parseCdcOffset, type CdcOffset } from './CdcOffset.js';
import { loadPg, type PgModule } from './loadPg.js';
import type { Lsn } from './Lsn.js';
import type { PostgresCdcConfig } from './postgresCdcProperties.js';
import type { PostgresTableSplit } from './PostgresTableSplit.js';
import { ReplicationHub } from './ReplicationHub.js';
import { WalHeadProbe } from './WalHeadProbe.js';

/**
 * Reads a table's changes: every split of a run shares one {@link ReplicationHub} (one slot, one
 * stream), created when the first split is read and closed when the last one is unsubscribed.
 *
 * The checkpoint-complete hook raises the slot's confirmed flush LSN to the lowest stream LSN of
 * the committed checkpoint (never past it): PostgreSQL keeps the WAL from there, which is where
 * a restart resumes. Positions inside the initial snapshot confirm nothing.
 *
 * ```text
 * chunks:   -[a,b]@0/10-[c]@0/20-|1-[d]@0/30-|2-
 * commit:                          1          2
 * confirm:                        0/20       0/30
 * ```
 *
 * @example
 * const reader = new PostgresCdcReader(config, { source: 'pg', scheduler });
 * createSource({ name: 'pg', enumerator: new PostgresCdcEnumerator('public', ['t']), reader, store });
 */
export class PostgresCdcReader implements SplitReader<PostgresTableSplit, Row> {
  private hub: ReplicationHub | undefined;
  /** The server's WAL head, for the lag metric; lives as long as the hub. */
  private probe: WalHeadProbe | undefined;
  private pg: Promise<PgModule> | undefined;
  /** Raised by the hook only; the hub reports it and nothing else as the slot's flushed LSN. */
  private readonly confirmed = { lsn: 0n as Lsn };
  private readonly scheduler: SchedulerLike;

  constructor(
    private readonly config: PostgresCdcConfig,
    private readonly options: { readonly scheduler?: SchedulerLike; readonly convert?: RowConverter; readonly loadPg?: () => Promise<PgModule> } = {},
  ) {
    this.scheduler = options.scheduler ?? asyncScheduler;
  }

  read(split: PostgresTableSplit, offset: string | null, context: ReaderContext): Observable<Chunk<Row>> {
    const chunks = new Observable<Chunk<Row>>((subscriber) => {
      let position: CdcOffset | null;
      try {
        position = offset === null ? null : parseCdcOffset(offset);
      } catch (err) {
        subscriber.error(err);
        return undefined;
      }
      let hub: ReplicationHub | undefined;
      let cancelled = false;
      this.pg ??= (this.options.loadPg ?? loadPg)();
      this.pg.then(
        (pg) => {
          if (cancelled) return;
          if (this.hub === undefined) {
            const probe = context.metrics === undefined ? undefined : new WalHeadProbe(pg, this.config, context.source, this.scheduler);
            const created: ReplicationHub = new ReplicationHub(pg, this.config, context.source, this.scheduler, this.confirmed, this.options.convert, () => {
              probe?.stop();
              if (this.probe === probe) this.probe = undefined;
              if (this.hub === created) this.hub = undefined;
            });
            this.hub = created;
            this.probe = probe;
          }
          hub = this.hub;
          const metrics = context.metrics;
          hub.register(split, position, subscriber, metrics === undefined ? undefined : (n) => metrics.bytes(split.id, n), context.badRecords);
        },
        (err: unknown) => subscriber.error(err),
      );
      const paused = context.paused$.subscribe((p) => hub?.setPaused(split.id, p));
      return () => {
        cancelled = true;
        paused.unsubscribe();
        hub?.unregister(split.id);
      };
    });
    const metrics = context.metrics;
    if (metrics === undefined) return chunks;
    // Lag in WAL bytes: the server's WAL head as of the chunk's emission (it may wait behind a
    // rate limit) minus the chunk's commit LSN. Inside the initial snapshot there is no stream
    // position: no figure.
    return chunks.pipe(
      tap((chunk) => {
        const at = parseCdcOffset(chunk.nextOffset);
        if (at.kind !== 'stream') return;
        metrics.lag(split.id, () => {
          const head = this.probe?.head;
          return head === undefined ? undefined : Number(head - at.lsn);
        }, 'bytes', chunk);
      }),
    );
  }

  /** The LSN this reader has confirmed (or will confirm at its next status update) for the slot; 0n before any. For monitoring. */
  get confirmedLsn(): Lsn {
    return this.confirmed.lsn;
  }

  checkpointComplete(checkpoint: CompletedCheckpoint<PostgresTableSplit>): void {
    let lowest: Lsn | undefined;
    for (const { offset } of checkpoint.splits.values()) {
      if (offset === null) return;
      const position = parseCdcOffset(offset);
      // Inside the snapshot: the slot must keep everything from its start.
      if (position.kind !== 'stream') return;
      if (lowest === undefined || position.lsn < lowest) lowest = position.lsn;
    }
    if (lowest === undefined || lowest <= this.confirmed.lsn) return;
    this.confirmed.lsn = lowest;
    this.hub?.sendStatus();
  }
}

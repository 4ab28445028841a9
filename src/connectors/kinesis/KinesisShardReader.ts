import type { _Record as KinesisRecord, GetRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { Observable } from 'rxjs';
import { BadRecordError, SourceError } from '../../core/SourceError.js';
import { chunk, type Chunk } from '../../core/SourceEvent.js';
import type { ReaderContext, SplitReader } from '../../core/SplitReader.js';
import type { Row } from '../../formats/Format.js';
import { convertChangeRow, messageRowsDecoder } from '../../formats/messageRowsDecoder.js';
import type { AwsReaderDeps } from '../aws/AwsDeps.js';
import { describeEndpoint } from '../aws/AwsConnection.js';
import { AwsCallError, readerError, scrubAwsError } from '../aws/awsErrors.js';
import { pauseGate, runLoop } from '../aws/runLoop.js';
import { sleep as defaultSleep } from '../aws/sleep.js';
import type { KinesisHandle } from './kinesisClient.js';
import type { KinesisConfig } from './kinesisProperties.js';
import { callKinesis, type KinesisOperation, type KinesisRetryEvent } from './kinesisRetry.js';
import type { KinesisShardSplit } from './KinesisShardSplit.js';

/** What a {@link KinesisShardReader} needs. */
export interface KinesisReaderDeps extends AwsReaderDeps<KinesisHandle> {
  /** Replaceable in unit tests of the retry logic. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called before each retry (logging, tests). */
  readonly onRetry?: (event: KinesisRetryEvent) => void;
}

/**
 * Reads one shard with GetRecords, paced to at most one call per `pollIntervalMs`, and emits a
 * chunk per non-empty response. A chunk's `nextOffset` is the sequence number of its last record
 * (a resume reads `AFTER_SEQUENCE_NUMBER` it); records that decode to nothing (tombstones,
 * skipped bad records) still advance it, through chunks with no rows.
 *
 * Throttling and transient errors are retried with backoff, each up to its budget;
 * an expired iterator is replaced by one after the last delivered sequence number (or, if
 * nothing was delivered yet, at the split's start again). A closed shard (no
 * `NextShardIterator`) completes the split, which lets its children start.
 */
export class KinesisShardReader implements SplitReader<KinesisShardSplit, Row> {
  constructor(
    private readonly config: KinesisConfig,
    private readonly deps: KinesisReaderDeps,
  ) {}

  read(split: KinesisShardSplit, offset: string | null, context: ReaderContext): Observable<Chunk<Row>> {
    const { config, deps } = this;
    const sleep = deps.sleep ?? defaultSleep;
    let last = offset;
    /** The call in progress, for the error message. */
    let operation: KinesisOperation = 'GetShardIterator';
    return runLoop<Chunk<Row>>(
      ({ subscriber, signal }) =>
        deps.clients.use(async ({ sdk, client }) => {
          const decodeMessage = messageRowsDecoder(deps.format);
          if (decodeMessage === undefined) throw new Error(`format '${deps.format.name}' cannot decode single messages, so it cannot read Kinesis records`);
          const gate = pauseGate(context.paused$, signal);
          const attempt = <R>(operation: KinesisOperation, call: () => Promise<R>): Promise<R | 'expired'> =>
            callKinesis(call, {
              operation,
              shard: split.id,
              transientRetries: config.transientRetries,
              throttledRetries: config.throttledRetries,
              baseMs: Math.max(config.pollIntervalMs, 100),
              maxBackoffMs: config.maxBackoffMs,
              signal,
              sleep,
              onRetry: deps.onRetry,
              describe: (err) => scrubAwsError(err, deps.secrets).message,
            });
          const getIterator = async (): Promise<string | undefined> => {
            operation = 'GetShardIterator';
            for (;;) {
              const out = await attempt('GetShardIterator', () =>
                client.send(
                  new sdk.GetShardIteratorCommand({
                    StreamName: split.stream,
                    ShardId: split.id,
                    ...(last !== null
                      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: last }
                      : split.start === 'AT_TIMESTAMP'
                        ? { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(split.startTimestamp ?? 0) }
                        : { ShardIteratorType: split.start }),
                  }),
                  { abortSignal: signal },
                ),
              );
              if (out !== 'expired') return out.ShardIterator;
            }
          };

          let iterator = await getIterator();
          let lastCall = 0;
          while (iterator !== undefined && !signal.aborted) {
            await sleep(lastCall + config.pollIntervalMs - Date.now(), signal);
            if (signal.aborted) return;
            lastCall = Date.now();
            const current: string = iterator;
            operation = 'GetRecords';
            const out: GetRecordsCommandOutput | 'expired' = await attempt('GetRecords', () =>
              client.send(new sdk.GetRecordsCommand({ ShardIterator: current, Limit: config.recordsPerCall }), { abortSignal: signal }),
            );
            if (out === 'expired') {
              iterator = await getIterator();
              continue;
            }
            const records = out.Records ?? [];
            if (records.length > 0) {
              const rows = this.decode(records, split, decodeMessage, context);
              const first = records[0]!.SequenceNumber ?? '';
              const next = records[records.length - 1]!.SequenceNumber ?? first;
              last = next;
              if (signal.aborted) return;
              subscriber.next(chunk(split.id, rows, first, next));
            }
            iterator = out.NextShardIterator ?? undefined;
            await gate.wait();
          }
        }),
      (err) =>
        readerError(err instanceof SourceError ? err : new AwsCallError(`${operation} on stream '${split.stream}' at ${describeEndpoint(config)}`, err), deps.secrets, {
          source: context.source,
          split: split.id,
          offset: last,
        }),
    );
  }

  private decode(
    records: readonly KinesisRecord[],
    split: KinesisShardSplit,
    decodeMessage: (payload: Uint8Array | null, key: Uint8Array | null) => Row[],
    context: ReaderContext,
  ): Row[] {
    const { metadata } = this.config;
    const rows: Row[] = [];
    for (const record of records) {
      const data = record.Data ?? new Uint8Array(0);
      let decoded: Row[];
      try {
        // The partition key plays the message key's part (an upsert format deletes by it).
        decoded = decodeMessage(data, record.PartitionKey === undefined ? null : Buffer.from(record.PartitionKey));
        const convert = this.deps.convert;
        if (convert !== undefined) decoded = decoded.map((row) => convertChangeRow(convert, row));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        context.badRecords.handle(
          new BadRecordError(`cannot decode record (partition key '${record.PartitionKey ?? ''}'): ${message}`, {
            source: context.source,
            split: split.id,
            offset: record.SequenceNumber ?? '',
          }, { cause: err }),
          data,
        );
        continue;
      }
      for (const row of decoded) {
        if (metadata.partitionKey !== undefined) row[metadata.partitionKey] = record.PartitionKey ?? null;
        if (metadata.sequenceNumber !== undefined) row[metadata.sequenceNumber] = record.SequenceNumber ?? null;
        if (metadata.arrivalTimestamp !== undefined) row[metadata.arrivalTimestamp] = record.ApproximateArrivalTimestamp?.getTime() ?? null;
        if (metadata.shardId !== undefined) row[metadata.shardId] = split.id;
        rows.push(row);
      }
    }
    return rows;
  }
}

import type { _Record as KinesisRecord, GetRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { Observable } from 'rxjs';
import { BadRecordError } from '../../core/SourceError.js';
import type { Chunk } from '../../core/SourceEvent.js';
import type { ReaderContext, SplitReader } from '../../core/SplitReader.js';
import type { Row } from '../../formats/Format.js';
import { convertChangeRow, messageRowsDecoder } from '../../formats/messageRowsDecoder.js';
import type { AwsReaderDeps } from '../aws/AwsDeps.js';
import { describeEndpoint } from '../aws/AwsConnection.js';
import { AwsCallError, scrubAwsError } from '../aws/awsErrors.js';
import { fetchReader } from '../base/fetchReader.js';
import type { Fetched, FetchIo, SplitFetch } from '../base/SplitFetch.js';
import type { KinesisHandle } from './kinesisClient.js';
import type { KinesisConfig } from './kinesisProperties.js';
import { callKinesis, type KinesisOperation, type KinesisRetryEvent } from './kinesisRetry.js';
import type { KinesisShardSplit } from './KinesisShardSplit.js';

/** What a {@link KinesisShardReader} needs. */
export interface KinesisReaderDeps extends AwsReaderDeps<KinesisHandle> {
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
 *
 * The fetch loop (pacing, pause gate) is the connector base's ({@link fetchReader}); this class
 * is the shard's fetch step: iterator handling, decoding and its errors.
 */
export class KinesisShardReader implements SplitReader<KinesisShardSplit, Row> {
  readonly #reader: SplitReader<KinesisShardSplit, Row>;

  constructor(
    private readonly config: KinesisConfig,
    private readonly deps: KinesisReaderDeps,
  ) {
    this.#reader = fetchReader<KinesisShardSplit, Row>({
      open: (split, start, io) => this.open(split, start, io),
      intervalMs: config.pollIntervalMs,
      scheduler: deps.scheduler,
    });
  }

  read(split: KinesisShardSplit, offset: string | null, context: ReaderContext): Observable<Chunk<Row>> {
    return this.#reader.read(split, offset, context);
  }

  private async open(split: KinesisShardSplit, start: string | null, { signal, scheduler, context }: FetchIo): Promise<SplitFetch<Row>> {
    const { config, deps } = this;
    const decodeMessage = messageRowsDecoder(deps.format);
    if (decodeMessage === undefined) throw new Error(`format '${deps.format.name}' cannot decode single messages, so it cannot read Kinesis records`);
    /** The shared client, taken at the first fetch (so a failure to connect is described like a failed call). */
    let handle: KinesisHandle | undefined;
    /** The call in progress, for the error message. */
    let operation: KinesisOperation = 'GetShardIterator';
    /** The last sequence number delivered: where a new iterator starts. */
    let last = start;
    let iterator: string | undefined;
    const attempt = <R>(op: KinesisOperation, call: () => Promise<R>): Promise<R | 'expired'> => {
      operation = op;
      return callKinesis(call, {
        operation: op,
        shard: split.id,
        transientRetries: config.transientRetries,
        throttledRetries: config.throttledRetries,
        baseMs: Math.max(config.pollIntervalMs, 100),
        maxBackoffMs: config.maxBackoffMs,
        signal,
        scheduler,
        onRetry: deps.onRetry,
        describe: (err) => scrubAwsError(err, deps.secrets).message,
      });
    };
    const getIterator = async ({ sdk, client }: KinesisHandle): Promise<string | undefined> => {
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
    const next = async (): Promise<Fetched<Row>> => {
      if (handle === undefined) {
        handle = await deps.clients.acquire().catch((err: unknown) => {
          deps.clients.release();
          throw err;
        });
        iterator = await getIterator(handle);
      }
      const { sdk, client } = handle;
      const current = iterator;
      if (current === undefined) return { records: [], done: true };
      const out: GetRecordsCommandOutput | 'expired' = await attempt('GetRecords', () =>
        client.send(new sdk.GetRecordsCommand({ ShardIterator: current, Limit: config.recordsPerCall }), { abortSignal: signal }),
      );
      if (out === 'expired') {
        iterator = await getIterator(handle);
        return { records: [] };
      }
      // Schemas from a registry, before the iterator moves on: a failure retries the same records.
      if (out.Records !== undefined && out.Records.length > 0) await deps.format.prefetch?.(out.Records.map((r) => r.Data ?? null));
      iterator = out.NextShardIterator ?? undefined;
      const records = out.Records ?? [];
      // Kinesis says how far this response is behind the shard's tip: the lag, in milliseconds.
      const lag = out.MillisBehindLatest === undefined ? undefined : { value: out.MillisBehindLatest, unit: 'ms' as const };
      if (records.length === 0) return { records: [], done: iterator === undefined, ...(lag === undefined ? {} : { lag }) };
      let bytes = 0;
      for (const record of records) bytes += record.Data?.length ?? 0;
      context.metrics?.bytes(split.id, bytes);
      const rows = this.decode(records, split, decodeMessage, context);
      const first = records[0]!.SequenceNumber ?? '';
      last = records[records.length - 1]!.SequenceNumber ?? first;
      return { records: rows, offset: first, nextOffset: last, done: iterator === undefined, ...(lag === undefined ? {} : { lag }) };
    };
    return {
      next,
      close: () => {
        if (handle !== undefined) deps.clients.release();
      },
      // Scrubbed whole: neither the SDK error nor the description may carry a credential.
      describe: (err) => scrubAwsError(new AwsCallError(`${operation} on stream '${split.stream}' at ${describeEndpoint(config)}`, err), deps.secrets),
    };
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

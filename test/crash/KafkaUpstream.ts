// The upstream of the Kafka crash scenarios: a fresh topic with several partitions, produced to
// before the first run, between runs and while runs go. One idempotent producer sends every
// message to an explicit partition, one send at a time, so message n of a partition sits at
// offset n; a committed offset o covers messages 0..o-1. `verify` checks that assumption against
// the broker's end offsets.
import type { Producer } from 'kafkajs';
import { intBetween } from '../../bench/prng.js';
import { createTopic, testKafka, uniqueTopic, withAdmin } from '../support/kafka.js';
import type { CommittedPositions, Upstream } from './Upstream.js';

/** Options of {@link KafkaUpstream}. */
export interface KafkaUpstreamOptions {
  readonly brokers: string;
  readonly random: () => number;
  readonly partitions: number;
  /** Messages per partition before the first run. */
  readonly initialPerPartition: number;
}

/** A multi-partition topic, produced to before and during the runs. */
export class KafkaUpstream implements Upstream {
  readonly source = 'rows';
  readonly topic = uniqueTopic('crash');
  private readonly produced: number[];
  private producer: Producer | undefined;
  /** Sends run one at a time, so per-partition order is offset order. */
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly options: KafkaUpstreamOptions) {
    this.produced = new Array<number>(options.partitions).fill(0);
  }

  async setUp(): Promise<void> {
    await createTopic(this.options.brokers, this.topic, this.options.partitions);
    this.producer = testKafka(this.options.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    for (let p = 0; p < this.options.partitions; p++) this.produce(p, this.options.initialPerPartition);
    await this.sending;
  }

  createSourceSql(): string {
    return (
      `create source ${this.source} (id VARCHAR NOT NULL, pad VARCHAR) with (` +
      `'upstream.source' = 'kafka', 'kafka.topic' = '${this.topic}', ` +
      `'kafka.bootstrap.servers' = '${this.options.brokers}', 'kafka.scan.startup.mode' = 'earliest') row format 'json';`
    );
  }

  ids(): readonly string[] {
    return this.produced.flatMap((count, p) => Array.from({ length: count }, (_, n) => `p${p}:${n}`));
  }

  covered(positions: CommittedPositions): string[] {
    const ids: string[] = [];
    for (const [splitId, position] of positions) {
      const p = this.partitionOf(splitId);
      if (position.offset === null) continue;
      const offset = Number(position.offset);
      if (!Number.isSafeInteger(offset) || offset < 0 || offset > this.produced[p]!) {
        throw new Error(`the checkpoint holds offset ${position.offset} for ${splitId}, beyond the ${this.produced[p]} messages produced`);
      }
      for (let n = 0; n < offset; n++) ids.push(`p${p}:${n}`);
    }
    return ids;
  }

  coversAll(positions: CommittedPositions): boolean {
    return this.produced.every((count, p) => {
      const offset = positions.get(`${this.topic}-${p}`)?.offset;
      return count === 0 || (offset !== undefined && offset !== null && Number(offset) >= count);
    });
  }

  async betweenRuns(): Promise<void> {
    this.produceBatch();
    await this.sending;
  }

  readonly duringRun = async (): Promise<void> => {
    this.produceBatch();
    await this.sending;
  };

  /** Checks that every partition's end offset is the number of messages produced to it. */
  async verify(): Promise<void> {
    await this.sending;
    const offsets = await withAdmin(this.options.brokers, (admin) => admin.fetchTopicOffsets(this.topic));
    for (const { partition, high } of offsets) {
      if (Number(high) !== this.produced[partition]) {
        throw new Error(`partition ${partition} of ${this.topic} ends at ${high}, but ${this.produced[partition]} messages were produced: offsets are not the harness's sequence numbers`);
      }
    }
  }

  async tearDown(): Promise<void> {
    await this.sending.catch(() => undefined);
    await this.producer?.disconnect();
    await withAdmin(this.options.brokers, (admin) => admin.deleteTopics({ topics: [this.topic] })).catch(() => undefined);
  }

  private partitionOf(splitId: string): number {
    const prefix = `${this.topic}-`;
    const p = splitId.startsWith(prefix) ? Number(splitId.slice(prefix.length)) : NaN;
    if (!Number.isInteger(p) || p < 0 || p >= this.options.partitions) throw new Error(`the checkpoint holds a split '${splitId}' that is no partition of ${this.topic}`);
    return p;
  }

  private produceBatch(): void {
    const { random, partitions } = this.options;
    for (let p = 0; p < partitions; p++) if (random() < 0.75) this.produce(p, intBetween(random, 20, 200));
  }

  /** Queues `count` messages for partition `p`; ids are assigned now, in offset order. */
  private produce(p: number, count: number): void {
    const first = this.produced[p]!;
    this.produced[p] = first + count;
    const messages = Array.from({ length: count }, (_, i) => ({
      partition: p,
      value: JSON.stringify({ id: `p${p}:${first + i}`, pad: 'x'.repeat(intBetween(this.options.random, 10, 90)) }),
    }));
    const producer = this.producer;
    if (producer === undefined) throw new Error('KafkaUpstream.setUp first');
    this.sending = this.sending.then(async () => {
      await producer.send({ topic: this.topic, acks: -1, messages });
    });
  }
}

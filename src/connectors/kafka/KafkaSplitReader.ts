import { Observable } from 'rxjs';
import { chunk, type Chunk } from '../../core/SourceEvent.js';
import { SourceError } from '../../core/SourceError.js';
import type { ReaderContext, SplitReader } from '../../core/SplitReader.js';
import type { KafkaConsumerHub, PartitionListener } from './KafkaConsumerHub.js';
import type { KafkaRecordDecoder } from './KafkaRecordDecoder.js';
import type { KafkaSplit } from './KafkaSplit.js';

/**
 * Reads one partition: registers it with the source's shared consumer ({@link KafkaConsumerHub})
 * and turns every delivery into a chunk whose `nextOffset` is the Kafka offset to resume from.
 * Chunks may be empty when only the position moved (a transaction marker, a resolved start).
 */
export class KafkaSplitReader<T> implements SplitReader<KafkaSplit, T> {
  constructor(
    private readonly hub: KafkaConsumerHub,
    private readonly decode: KafkaRecordDecoder<T>,
  ) {}

  read(split: KafkaSplit, offset: string | null, context: ReaderContext): Observable<Chunk<T>> {
    return new Observable<Chunk<T>>((subscriber) => {
      const listener: PartitionListener = {
        split,
        offset,
        onRecords: (messages, position, nextPosition) => {
          if (subscriber.closed) return;
          let records: T[];
          try {
            records = messages.length === 0 ? [] : this.decode(messages, split, context.badRecords);
          } catch (err) {
            // The `fail` bad-record policy throws the BadRecordError here.
            subscriber.error(SourceError.wrap(err, { source: context.source, split: split.id, offset: position.toString() }));
            return;
          }
          const first = messages[0]?.offset ?? position.toString();
          subscriber.next(chunk(split.id, records, first, nextPosition.toString()));
        },
        onEnd: () => subscriber.complete(),
        onError: (err) => subscriber.error(err),
      };
      this.hub.attach(listener);
      const pause = context.paused$.subscribe((paused) => this.hub.setPaused(listener, paused));
      return () => {
        pause.unsubscribe();
        this.hub.detach(listener);
      };
    });
  }
}

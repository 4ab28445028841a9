import type { BenchCase } from '../CaseResult.js';
import { benchBrokers, brokerAnswers, ensureBenchTopic } from '../kafkaTopic.js';
import { compare } from './compare.js';
import { label } from './csvScan.js';

/**
 * Reading an 8-partition topic from the beginning, against a kafkajs consumer with `eachBatch`
 * (the client tributary uses) and a `@platformatic/kafka` stream consumer (the maintained pure-JS
 * alternative, skipped as "not available" when it is not installed).
 * Only when a broker answers (`KAFKA_BROKERS`, default 127.0.0.1:9092); skipped otherwise.
 * Both sides are timed to their last message (not through disconnecting).
 */
export const kafkaConsume: BenchCase = {
  id: 'kafka',
  title: 'Kafka consume',
  async run(scale) {
    const title = `Kafka ${label(scale.rows)} msgs, 8 partitions`;
    const brokers = benchBrokers();
    const first = brokers[0];
    if (first === undefined || !(await brokerAnswers(first))) {
      return {
        id: this.id,
        title,
        variants: [],
        rows: [{ case: title, baseline: 'kafkajs-eachbatch', target: '≥ 1.00', status: `skipped: no broker at ${brokers.join(',') || '(none)'} (start one with npm run peers:up, or set KAFKA_BROKERS)` }],
      };
    }
    const topic = await ensureBenchTopic(brokers, scale.rows);
    return compare(
      {
        id: this.id,
        title,
        tributary: 'tributary-kafka',
        baselines: [
          { variant: 'kafkajs-eachbatch', target: 1.0 },
          { variant: 'platformatic-kafka', target: 1.0 },
        ],
      },
      { path: topic, rows: scale.rows, options: { brokers: brokers.join(','), topic } },
      undefined,
      { runs: scale.runs, timeoutMs: scale.timeoutMs },
    );
  },
};

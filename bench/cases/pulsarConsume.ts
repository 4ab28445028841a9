import type { BenchCase } from '../CaseResult.js';
import { BENCH_PULSAR_PARTITIONS, benchPulsarAdminUrl, createBenchTopic, deleteBenchTopic, pulsarAnswers } from '../pulsarTopic.js';
import { compare } from './compare.js';
import { label } from './csvScan.js';

/**
 * Reading an 8-partition Pulsar topic from the beginning, against the same WebSocket transport
 * used raw (one reader socket per partition). Only when a broker answers (`PULSAR_ADMIN_URL`,
 * default http://127.0.0.1:8080); skipped otherwise. Both sides are timed to their last message.
 */
export const pulsarConsume: BenchCase = {
  id: 'pulsar',
  title: 'Pulsar consume',
  async run(scale) {
    const title = `Pulsar ${label(scale.rows)} msgs, ${BENCH_PULSAR_PARTITIONS} partitions`;
    const adminUrl = benchPulsarAdminUrl();
    if (!(await pulsarAnswers(adminUrl))) {
      return {
        id: this.id,
        title,
        variants: [],
        rows: [{ case: title, baseline: 'pulsar-websocket-raw', target: '≥ 0.90', status: `skipped: no broker at ${adminUrl} (start one with node scripts/peers.mjs up pulsar, or set PULSAR_ADMIN_URL)` }],
      };
    }
    const topic = await createBenchTopic(adminUrl, scale.rows);
    try {
      return await compare(
        { id: this.id, title, tributary: 'tributary-pulsar', baselines: [{ variant: 'pulsar-websocket-raw', target: 0.9 }] },
        { path: topic, rows: scale.rows, options: { adminUrl, topic, partitions: String(BENCH_PULSAR_PARTITIONS) } },
        undefined,
        { runs: scale.runs, timeoutMs: scale.timeoutMs },
      );
    } finally {
      await deleteBenchTopic(adminUrl, topic);
    }
  },
};

import type { Subscription } from 'rxjs';
import type { Source } from '../core/Source.js';
import type { SourceMetrics } from '../core/SourceMetrics.js';
import { loadPromClient } from './loadPromClient.js';

/** What {@link prometheusMetrics} exports from: sources, or a function answering the current ones (a session adds sources as it goes). */
export type MetricSources = Iterable<Source<unknown>> | (() => Iterable<Source<unknown>>);

/** Options of {@link prometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** Prefix of every metric name. Default `tributary_`. */
  readonly prefix?: string;
  /** Also export prom-client's process metrics (CPU, memory, event loop lag). Default `false`. */
  readonly processMetrics?: boolean;
}

/** The source metrics in Prometheus' text format, read from the sources at each scrape. */
export interface PrometheusMetrics {
  /** The exposition text: what a `/metrics` endpoint answers. */
  text(): Promise<string>;
  /** The `Content-Type` of {@link text}. */
  readonly contentType: string;
  /** Stops following the sources' checkpoints. */
  close(): void;
}

/** Buckets of the checkpoint write time histogram, in seconds: a memory store's microseconds to a slow remote store's seconds. */
const WRITE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Exports the sources' {@link SourceMetrics} for Prometheus through prom-client, which is loaded
 * only here (an optional peer: `npm install prom-client`). Figures are read from each source's
 * `metrics()` at scrape time, so an idle exporter costs nothing; checkpoint write times are
 * followed on `metrics$` into a histogram. Its own registry: nothing lands in prom-client's
 * global one.
 *
 * Metrics (labels `source`, and `split` where per split):
 * `source_rows_total`, `source_bytes_total` (counters per split), `source_lag` (gauge per split
 * and `unit`: records, ms or bytes; assigned splits whose connector measures lag),
 * `source_checkpoints_total`, `source_checkpoint_write_seconds` (histogram),
 * `source_checkpoint_size_chars`, `source_checkpoint_epoch`, `source_rate_limit_rows_per_second`
 * (absent while there is no limit).
 *
 * @example
 * const exporter = await prometheusMetrics([orders]);
 * const server = await serveMetrics(exporter, { port: 9464 });
 * // curl http://127.0.0.1:9464/metrics
 */
export async function prometheusMetrics(sources: MetricSources, options: PrometheusMetricsOptions = {}): Promise<PrometheusMetrics> {
  const prom = await loadPromClient();
  const prefix = options.prefix ?? 'tributary_';
  const registry = new prom.Registry();
  if (options.processMetrics === true) prom.collectDefaultMetrics({ register: registry, prefix });
  const current = (): Iterable<Source<unknown>> => (typeof sources === 'function' ? sources() : sources);
  const followed = new Map<Source<unknown>, Subscription>();

  const writeSeconds = new prom.Histogram({
    name: `${prefix}source_checkpoint_write_seconds`,
    help: 'Time from a barrier request to its snapshot being durable in the state store',
    labelNames: ['source'],
    buckets: WRITE_BUCKETS,
    registers: [registry],
  });
  // Checkpoints are events, not a level: followed from the moment a source is first seen.
  const follow = (): void => {
    for (const source of current()) {
      if (followed.has(source)) continue;
      followed.set(
        source,
        source.metrics$.subscribe((m) => {
          if (m.lastCheckpoint !== undefined) writeSeconds.observe({ source: m.source }, m.lastCheckpoint.writeMs / 1000);
        }),
      );
    }
  };
  follow();
  /** Every source's figures, read once per scrape (each collect below would otherwise read them again). */
  let scrape: { readonly at: number; readonly all: SourceMetrics[] } | undefined;
  const snapshot = (): SourceMetrics[] => {
    const now = Date.now();
    if (scrape === undefined || now - scrape.at > 100) {
      follow();
      scrape = { at: now, all: [...current()].map((s) => s.metrics()) };
    }
    return scrape.all;
  };

  new prom.Counter({
    name: `${prefix}source_rows_total`,
    help: 'Records emitted by a source, per split (records re-read after a rollback count again)',
    labelNames: ['source', 'split'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of snapshot()) for (const s of m.splits) this.inc({ source: m.source, split: s.split }, s.rows);
    },
  });
  new prom.Counter({
    name: `${prefix}source_bytes_total`,
    help: 'Upstream bytes read by a source, per split, as its connector reports them',
    labelNames: ['source', 'split'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of snapshot()) for (const s of m.splits) this.inc({ source: m.source, split: s.split }, s.bytes);
    },
  });
  new prom.Gauge({
    name: `${prefix}source_lag`,
    help: "How far a split is behind its upstream's head, in the upstream's unit (Kafka and Pulsar records, Kinesis ms, PostgreSQL WAL bytes)",
    labelNames: ['source', 'split', 'unit'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of snapshot()) {
        for (const s of m.splits) if (s.assigned && s.lag !== undefined) this.set({ source: m.source, split: s.split, unit: s.lag.unit }, s.lag.value);
      }
    },
  });
  new prom.Counter({
    name: `${prefix}source_checkpoints_total`,
    help: 'Snapshots written by a source',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of snapshot()) this.inc({ source: m.source }, m.checkpoints);
    },
  });
  const lastCheckpoint = (name: string, help: string, value: (m: SourceMetrics) => number | undefined): void => {
    new prom.Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: ['source'],
      registers: [registry],
      collect() {
        this.reset();
        for (const m of snapshot()) {
          const v = value(m);
          if (v !== undefined) this.set({ source: m.source }, v);
        }
      },
    });
  };
  lastCheckpoint('source_checkpoint_size_chars', "The latest snapshot's size as JSON text", (m) => m.lastCheckpoint?.size);
  lastCheckpoint('source_checkpoint_epoch', 'The epoch of the latest snapshot written', (m) => m.lastCheckpoint?.epoch);
  lastCheckpoint('source_commit_latency_seconds', "The latest committed epoch's barrier latency: from its request to its commit", (m) =>
    m.lastCommit === undefined ? undefined : m.lastCommit.latencyMs / 1000,
  );
  lastCheckpoint('source_rate_limit_rows_per_second', 'The rate limit of a source (0: paused; absent: none)', (m) => m.rateLimit ?? undefined);

  return {
    text: () => {
      scrape = undefined;
      return registry.metrics();
    },
    contentType: registry.contentType,
    close: () => {
      for (const subscription of followed.values()) subscription.unsubscribe();
      followed.clear();
    },
  };
}

/**
 * Source metrics for Prometheus: `prometheusMetrics` (prom-client, an optional peer loaded only
 * here) and `serveMetrics` (a `/metrics` endpoint). The metrics themselves are in the core:
 * `source.metrics()` and `source.metrics$`.
 *
 * @packageDocumentation
 */
export { prometheusMetrics, type MetricSources, type PrometheusMetrics, type PrometheusMetricsOptions } from './prometheusMetrics.js';
export { serveMetrics, type MetricsServer, type ServeMetricsOptions } from './serveMetrics.js';

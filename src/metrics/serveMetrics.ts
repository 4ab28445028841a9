import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PrometheusMetrics } from './prometheusMetrics.js';

/** Where {@link serveMetrics} listens. */
export interface ServeMetricsOptions {
  /** Port; `0` picks a free one (read it from the answer). */
  readonly port: number;
  /** Default `127.0.0.1`: metrics are not published beyond the machine unless asked (`0.0.0.0`). */
  readonly host?: string;
}

/** A running metrics endpoint. */
export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `metrics` at `GET /metrics` over HTTP (Prometheus' scrape endpoint); every other path is
 * 404. Resolves once listening; rejects if the port cannot be bound.
 *
 * @example
 * const server = await serveMetrics(await prometheusMetrics([orders]), { port: 9464 });
 * process.on('SIGTERM', () => void server.close());
 */
export function serveMetrics(metrics: PrometheusMetrics, options: ServeMetricsOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(path === '/metrics' ? 405 : 404, { 'content-type': 'text/plain' }).end(path === '/metrics' ? 'GET only\n' : 'not found: try /metrics\n');
      return;
    }
    metrics.text().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (err: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  // A scrape in flight must not keep a finished run alive.
  server.unref();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        host,
        port,
        url: `http://${shown}:${port}/metrics`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

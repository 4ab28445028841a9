import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { loadPeer } from './AwsConnection.js';

/**
 * The HTTP/1.1 handler every AWS client of the connectors uses: a connection silent for
 * `requestTimeoutMs` until its response starts fails the attempt (the SDK's default handler waits
 * forever on a server that accepts and never answers), and connecting gives up after at most 10 s.
 * A body paused by flow control is not cut: the timeout ends when the response starts.
 * @internal
 */
export async function requestHandler(connector: string, requestTimeoutMs: number): Promise<NodeHttpHandler> {
  // Installed with the AWS SDK, so only missing when the SDK install is broken.
  const { NodeHttpHandler } = await loadPeer(() => import('@smithy/node-http-handler'), connector, '@smithy/node-http-handler');
  return new NodeHttpHandler({
    connectionTimeout: Math.min(10_000, requestTimeoutMs),
    requestTimeout: requestTimeoutMs,
    // Without it, an exceeded requestTimeout only logs a warning and the call waits on forever.
    throwOnRequestTimeout: true,
  });
}

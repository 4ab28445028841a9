import type { S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig, loadPeer } from '../aws/AwsConnection.js';
import type { S3Config } from './s3Properties.js';

/** The `@aws-sdk/client-s3` module, loaded on first use (it is an optional peer dependency). */
export type S3Sdk = typeof import('@aws-sdk/client-s3');

/** An S3 client together with the module its commands come from. */
export interface S3Handle {
  readonly sdk: S3Sdk;
  readonly client: S3Client;
}

/**
 * Loads the SDK and builds a client for `config`.
 *
 * Flexible checksums are only computed and checked when an operation requires them: S3-compatible
 * stores (MinIO, s3rver, older Ceph) reject or lack the CRC headers SDK v3 sends by default. An
 * endpoint implies path-style addressing, which every S3-compatible store understands. Retries
 * are the SDK's standard strategy with `retryAttempts` attempts: a failed call's error then
 * carries how many were made (`$metadata.attempts`), which the connector's errors report. A
 * connection silent for `requestTimeoutMs` fails the attempt.
 */
export async function createS3Handle(config: S3Config): Promise<S3Handle> {
  const sdk: S3Sdk = await loadPeer(() => import('@aws-sdk/client-s3'), 's3', '@aws-sdk/client-s3');
  // Installed with the AWS SDK, so only missing when the SDK install is broken.
  const { NodeHttpHandler } = await loadPeer(() => import('@smithy/node-http-handler'), 's3', '@smithy/node-http-handler');
  const client = new sdk.S3Client({
    // The SDK's default handler waits forever on a server that accepts and never answers.
    requestHandler: new NodeHttpHandler({
      connectionTimeout: Math.min(10_000, config.requestTimeoutMs),
      // Until the response starts: a body paused by flow control is not cut.
      requestTimeout: config.requestTimeoutMs,
      // Without it, an exceeded requestTimeout only logs a warning and the call waits on.
      throwOnRequestTimeout: true,
    }),
    ...awsClientConfig(config),
    ...(config.endpoint !== undefined ? { forcePathStyle: true } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: config.retryAttempts,
  });
  return { sdk, client };
}

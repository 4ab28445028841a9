import type { S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig, loadPeer } from '../aws/AwsConnection.js';
import { requestHandler } from '../aws/requestHandler.js';
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
  const client = new sdk.S3Client({
    requestHandler: await requestHandler('s3', config.requestTimeoutMs),
    ...awsClientConfig(config),
    ...(config.endpoint !== undefined ? { forcePathStyle: true } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: config.retryAttempts,
  });
  return { sdk, client };
}

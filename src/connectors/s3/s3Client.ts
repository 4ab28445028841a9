import type { S3Client } from '@aws-sdk/client-s3';
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
 * endpoint implies path-style addressing, which every S3-compatible store understands.
 */
export async function createS3Handle(config: S3Config): Promise<S3Handle> {
  let sdk: S3Sdk;
  try {
    sdk = await import('@aws-sdk/client-s3');
  } catch (err) {
    throw new Error("the s3 connector needs the optional peer dependency '@aws-sdk/client-s3': npm install @aws-sdk/client-s3", { cause: err });
  }
  const client = new sdk.S3Client({
    ...(config.region !== undefined ? { region: config.region } : config.endpoint !== undefined ? { region: 'us-east-1' } : {}),
    ...(config.endpoint !== undefined ? { endpoint: config.endpoint, forcePathStyle: true } : {}),
    ...(config.credentials !== undefined ? { credentials: { ...config.credentials } } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return { sdk, client };
}

/** Values that must never appear in an error message. */
export function s3Secrets(config: S3Config): string[] {
  const c = config.credentials;
  return c === undefined ? [] : [c.secretAccessKey, c.accessKeyId, ...(c.sessionToken !== undefined ? [c.sessionToken] : [])];
}

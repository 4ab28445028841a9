import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisConfig } from './kinesisProperties.js';

/** The `@aws-sdk/client-kinesis` module, loaded on first use (an optional peer dependency). */
export type KinesisSdk = typeof import('@aws-sdk/client-kinesis');

/** A Kinesis client together with the module its commands come from. */
export interface KinesisHandle {
  readonly sdk: KinesisSdk;
  readonly client: KinesisClient;
}

/**
 * Loads the SDK and builds a client for `config`.
 *
 * The SDK's Kinesis client defaults to an HTTP/2 handler (for SubscribeToShard), which custom
 * endpoints such as kinesalite or LocalStack do not speak; this connector only polls
 * (ListShards, GetShardIterator, GetRecords), which AWS serves over HTTP/1.1 too, so it always
 * uses `NodeHttpHandler`. SDK-level retries are off (`maxAttempts: 1`): the reader retries
 * itself, per shard, with its own pacing and backoff, and re-gets expired iterators.
 */
export async function createKinesisHandle(config: KinesisConfig): Promise<KinesisHandle> {
  let sdk: KinesisSdk;
  try {
    sdk = await import('@aws-sdk/client-kinesis');
  } catch (err) {
    throw new Error("the kinesis connector needs the optional peer dependency '@aws-sdk/client-kinesis': npm install @aws-sdk/client-kinesis", { cause: err });
  }
  let requestHandler: import('@smithy/node-http-handler').NodeHttpHandler;
  try {
    const { NodeHttpHandler } = await import('@smithy/node-http-handler');
    requestHandler = new NodeHttpHandler({ connectionTimeout: 10_000, requestTimeout: 30_000 });
  } catch (err) {
    throw new Error("the kinesis connector needs '@smithy/node-http-handler' (installed with the AWS SDK): npm install @smithy/node-http-handler", { cause: err });
  }
  const client = new sdk.KinesisClient({
    ...(config.region !== undefined ? { region: config.region } : config.endpoint !== undefined ? { region: 'us-east-1' } : {}),
    ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
    ...(config.credentials !== undefined ? { credentials: { ...config.credentials } } : {}),
    requestHandler,
    maxAttempts: 1,
  });
  return { sdk, client };
}

/** Values that must never appear in an error message. */
export function kinesisSecrets(config: KinesisConfig): string[] {
  const c = config.credentials;
  return c === undefined ? [] : [c.secretAccessKey, c.accessKeyId, ...(c.sessionToken !== undefined ? [c.sessionToken] : [])];
}

import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { awsClientConfig, loadPeer } from '../aws/AwsConnection.js';
import { requestHandler } from '../aws/requestHandler.js';
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
  const sdk: KinesisSdk = await loadPeer(() => import('@aws-sdk/client-kinesis'), 'kinesis', '@aws-sdk/client-kinesis');
  const client = new sdk.KinesisClient({
    ...awsClientConfig(config),
    requestHandler: await requestHandler('kinesis', config.requestTimeoutMs),
    maxAttempts: 1,
  });
  return { sdk, client };
}

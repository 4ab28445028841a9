import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { S3Client, CreateBucketCommand, PutObjectCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import {
  KinesisClient,
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const require = createRequire(import.meta.url);

/** s3rver's account (it only checks the access key id of SigV4 requests). */
export const s3rverCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

/** An s3rver on 127.0.0.1 with a random port and a temp directory, with one bucket. */
export interface S3Peer {
  readonly endpoint: string;
  readonly bucket: string;
  readonly client: S3Client;
  put(key: string, body: string | Uint8Array, options?: { contentEncoding?: string }): Promise<void>;
  delete(key: string): Promise<void>;
  /** Stops the server now and drops its open connections (s3rver only). */
  kill(): Promise<void>;
}

let desShimInstalled = false;

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 (Node 18+)
 * only offers under `--openssl-legacy-provider`: every paginated listing would fail with a 500.
 * Triple DES with three equal keys *is* single DES, and is in the default provider, so the test
 * process maps s3rver's `'des'` calls onto it. Only s3rver asks for `'des'`.
 */
function installDesShim(): void {
  if (desShimInstalled) return;
  desShimInstalled = true;
  const crypto = require('node:crypto') as typeof import('node:crypto');
  const triple = (key: import('node:crypto').CipherKey): Buffer => {
    const k = Buffer.from(key as Uint8Array);
    return Buffer.concat([k, k, k]);
  };
  const { createCipheriv, createDecipheriv } = crypto;
  const patched = crypto as unknown as Record<'createCipheriv' | 'createDecipheriv', (algorithm: string, key: Buffer, iv: Buffer) => unknown>;
  patched.createCipheriv = (algorithm, key, iv) =>
    algorithm === 'des' ? createCipheriv('des-ede3-cbc', triple(key), iv) : createCipheriv(algorithm, key, iv);
  patched.createDecipheriv = (algorithm, key, iv) =>
    algorithm === 'des' ? createDecipheriv('des-ede3-cbc', triple(key), iv) : createDecipheriv(algorithm, key, iv);
}

/**
 * s3rver's PUT is not atomic, unlike S3's: it writes the object file, then its MD5 and metadata
 * files, and a listing in between stats the partial file and *computes and stores* the MD5 of
 * whatever bytes are there, which can stick as a wrong ETag. Tests of unbounded scans list while
 * they put, so the test process replaces s3rver's `putObject` with one that writes the MD5 and
 * metadata first and renames the complete object file into place last: a new object is then
 * invisible until it is whole, as on S3.
 */
function installAtomicPutShim(): void {
  type Store = {
    getResourcePath(bucket: string, key: string, resource: string): string;
    putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  };
  const FilesystemStore = require('s3rver/lib/stores/filesystem') as { prototype: Record<string, unknown>; atomicPut?: true };
  if (FilesystemStore.atomicPut) return;
  FilesystemStore.atomicPut = true;
  const { mkdir, rename, writeFile } = require('node:fs/promises') as typeof import('node:fs/promises');
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const { dirname } = require('node:path') as typeof import('node:path');
  FilesystemStore.prototype.putObject = async function putObject(
    this: Store,
    object: { bucket: string; key: string; content: Buffer | AsyncIterable<Buffer>; metadata: unknown },
  ): Promise<{ size: number; md5: string }> {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    let content: Buffer;
    if (Buffer.isBuffer(object.content)) content = object.content;
    else {
      const parts: Buffer[] = [];
      for await (const part of object.content) parts.push(Buffer.from(part));
      content = Buffer.concat(parts);
    }
    const md5 = createHash('md5').update(content).digest('hex');
    const temporary = `${objectPath}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(temporary, content);
    await this.putMetadata(object.bucket, object.key, object.metadata, md5);
    await rename(temporary, objectPath);
    return { size: content.length, md5 };
  };
}

/**
 * Starts s3rver in-process for one test (stopped and its directory removed when the test ends),
 * or skips through `needPeer`-style logic when the package is missing.
 */
export async function startS3rver(t: TestContext, bucket = 'tributary'): Promise<S3Peer> {
  installDesShim();
  installAtomicPutShim();
  const S3rver = require('s3rver') as S3rverClass;
  const directory = mkdtempSync(join(tmpdir(), 'tributary-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const address = await server.run();
  const httpServer = (server as unknown as { httpServer: Server }).httpServer;
  const endpoint = `http://127.0.0.1:${address.port}`;
  const admin = await s3Admin(endpoint, bucket, s3rverCredentials);
  let stopped: Promise<void> | undefined;
  const kill = (): Promise<void> => {
    stopped ??= (async () => {
      const closed = server.close();
      httpServer.closeAllConnections();
      await closed;
    })();
    return stopped;
  };
  t.after(async () => {
    admin.client.destroy();
    await kill();
    rmSync(directory, { recursive: true, force: true });
  });
  return { ...admin, kill };
}

/** An admin client for `bucket` at `endpoint` (s3rver, moto), creating the bucket if needed. */
export async function s3Admin(endpoint: string, bucket: string, credentials: { accessKeyId: string; secretAccessKey: string }): Promise<Omit<S3Peer, 'kill'>> {
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined);
  return {
    endpoint,
    bucket,
    client,
    async put(key, body, options) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: typeof body === 'string' ? Buffer.from(body) : body,
          ...(options?.contentEncoding !== undefined ? { ContentEncoding: options.contentEncoding } : {}),
        }),
      );
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
  };
}

type KinesaliteFactory = (options: Record<string, unknown>) => Server;

/** A kinesalite on 127.0.0.1 with a random port, in memory, and an admin client. */
export interface KinesisPeer {
  readonly endpoint: string;
  readonly server: Server;
  readonly client: KinesisClient;
  /** Creates a stream and waits until it is ACTIVE. */
  createStream(name: string, shards: number): Promise<void>;
  /** Puts records in one call, in order; returns their shard ids. */
  put(stream: string, records: ReadonlyArray<{ key: string; data: string }>): Promise<string[]>;
  shards(stream: string): Promise<Shard[]>;
  /** Splits `shardId` in the middle of its hash range and waits until the stream is ACTIVE. */
  splitShard(stream: string, shardId: string): Promise<void>;
  /** Merges two adjacent shards and waits until the stream is ACTIVE. */
  mergeShards(stream: string, shardId: string, adjacentShardId: string): Promise<void>;
  /** Stops the server now and drops its open connections: the endpoint then refuses connections. */
  kill(): Promise<void>;
}

/** Kinesalite's fixed account, region and credentials (it does not check signatures). */
export const kinesaliteCredentials = { accessKeyId: 'AKIDKINESALITE', secretAccessKey: 'kinesalite-secret' } as const;

/** Starts kinesalite in-process for one test (stopped when the test ends). */
export async function startKinesalite(t: TestContext, options: { shardLimit?: number } = {}): Promise<KinesisPeer> {
  const kinesalite = require('kinesalite') as KinesaliteFactory;
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: options.shardLimit ?? 50 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const admin = kinesisAdmin(endpoint, kinesaliteCredentials);
  const kill = async (): Promise<void> => {
    // Sources under test may still be polling: do not wait for their keep-alive connections.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };
  t.after(async () => {
    admin.client.destroy();
    await kill();
  });
  return { ...admin, server, kill };
}

/** Admin operations on a Kinesis endpoint (kinesalite, moto). */
export function kinesisAdmin(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }): Omit<KinesisPeer, 'server' | 'kill'> {
  const client = new KinesisClient({ endpoint, region: 'us-east-1', credentials, requestHandler: new NodeHttpHandler() });
  const waitActive = async (stream: string): Promise<void> => {
    for (let i = 0; i < 500; i++) {
      const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
      if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`stream ${stream} did not become ACTIVE`);
  };
  const shards = async (stream: string): Promise<Shard[]> => (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  return {
    endpoint,
    client,
    async createStream(name, count) {
      await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: count }));
      await waitActive(name);
    },
    async put(stream, records) {
      const out = await client.send(
        new PutRecordsCommand({ StreamName: stream, Records: records.map((r) => ({ PartitionKey: r.key, Data: Buffer.from(r.data) })) }),
      );
      if ((out.FailedRecordCount ?? 0) > 0) throw new Error(`${out.FailedRecordCount} records failed`);
      return (out.Records ?? []).map((r) => r.ShardId ?? '');
    },
    shards,
    async splitShard(stream, shardId) {
      const shard = (await shards(stream)).find((s) => s.ShardId === shardId);
      const range = shard?.HashKeyRange;
      if (range?.StartingHashKey === undefined || range.EndingHashKey === undefined) throw new Error(`no shard ${shardId}`);
      const middle = (BigInt(range.StartingHashKey) + BigInt(range.EndingHashKey)) / 2n;
      await client.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: shardId, NewStartingHashKey: middle.toString() }));
      await waitActive(stream);
    },
    async mergeShards(stream, shardId, adjacentShardId) {
      await client.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: shardId, AdjacentShardToMerge: adjacentShardId }));
      await waitActive(stream);
    },
  };
}

/** One request that went through a {@link startProxy}. */
export interface ProxiedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The request body as text. */
  readonly body: string;
}

/** What a proxy's `intercept` may answer instead of forwarding. */
export interface InterceptedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A loopback HTTP proxy in front of a real server: records requests, can answer some itself. */
export interface Proxy {
  readonly endpoint: string;
  readonly requests: ProxiedRequest[];
  /** Return a response to answer a request without forwarding it (fault injection). */
  intercept: ((request: ProxiedRequest) => InterceptedResponse | undefined) | undefined;
  /**
   * Return a byte count to forward only that much of the real server's response body and then
   * drop the connection (a network failure mid-body); `undefined` forwards the whole response.
   */
  cutBody: ((request: ProxiedRequest) => number | undefined) | undefined;
}

/**
 * Starts a recording proxy to `target` on 127.0.0.1 (closed when the test ends). Tests use it to
 * see what the connector sends (a `Range` header on resume) and to inject faults the real server
 * never produces (Kinesis throttling) while everything else reaches the real server.
 */
export async function startProxy(t: TestContext, target: string): Promise<Proxy> {
  const { createServer, request: httpRequest } = await import('node:http');
  const targetUrl = new URL(target);
  const proxy: Proxy = { endpoint: '', requests: [], intercept: undefined, cutBody: undefined };
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const seen: ProxiedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: { ...req.headers }, body: body.toString('utf8') };
      proxy.requests.push(seen);
      const injected = proxy.intercept?.(seen);
      if (injected !== undefined) {
        res.writeHead(injected.status, { ...injected.headers, 'content-length': Buffer.byteLength(injected.body) });
        res.end(injected.body);
        return;
      }
      const upstream = httpRequest(
        { hostname: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers: req.headers },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          const cut = proxy.cutBody?.(seen);
          if (cut === undefined) {
            upstreamRes.pipe(res);
            return;
          }
          let passed = 0;
          const drop = (): void => {
            upstreamRes.destroy();
            // Let the bytes written go out, then drop the connection without ending the response.
            setImmediate(() => res.socket?.destroy());
          };
          res.flushHeaders();
          if (cut === 0) {
            drop();
            return;
          }
          upstreamRes.on('data', (bytes: Buffer) => {
            if (passed >= cut) return;
            const part = bytes.subarray(0, cut - passed);
            passed += part.length;
            res.write(part);
            if (passed >= cut) drop();
          });
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  (proxy as { endpoint: string }).endpoint = `http://127.0.0.1:${port}`;
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return proxy;
}

/**
 * The endpoint of a moto server (`node scripts/peers/moto.mjs up`): `MOTO_ENDPOINT`, else the
 * `.peers/moto.env` that script writes, else `undefined` (tests then skip through `needPeer`).
 */
export function motoEndpoint(): string | undefined {
  if (process.env.MOTO_ENDPOINT) return process.env.MOTO_ENDPOINT;
  const envFile = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '.peers', 'moto.env');
  if (!existsSync(envFile)) return undefined;
  const match = /^MOTO_ENDPOINT=(.+)$/m.exec(readFileSync(envFile, 'utf8'));
  return match?.[1]?.trim();
}

/** How to start moto, for `needPeer`. */
export const motoHowToStart = 'moto: run `node scripts/peers/moto.mjs up` (pip installs moto[server]) or set MOTO_ENDPOINT';

/** moto accepts any credentials. */
export const motoCredentials = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

/**
 * An endpoint on 127.0.0.1 where nothing listens (a port bound, then released): connections to
 * it are refused at once, as to a server that is down.
 */
export async function closedEndpoint(): Promise<string> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/**
 * An endpoint on 127.0.0.1 that accepts connections and never answers (a hung server, or a
 * middlebox that swallows traffic); closed, with its connections, when the test ends.
 */
export async function silentEndpoint(t: TestContext): Promise<string> {
  const { createServer } = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${port}`;
}

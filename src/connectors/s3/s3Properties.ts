import type { AwsConnection, AwsCredentials } from '../aws/AwsConnection.js';
import { propertyReader } from '../propertyReader.js';
import type { PropertySpec } from '../ConnectorFactory.js';
import { awsCredentials } from '../aws/awsCredentials.js';

/** How an S3 source scans its prefix. */
export type S3ScanMode = 'bounded' | 'unbounded';

/** How objects are decompressed: `auto` looks at the `.gz` suffix and at `Content-Encoding`. */
export type S3Compression = 'auto' | 'gzip' | 'none';

/** Static credentials; without them the AWS SDK's default chain applies (env, profile, IMDS ...). */
export type S3Credentials = AwsCredentials;

/**
 * Everything an S3 source is configured with, typed and defaulted. An `endpoint` is an
 * S3-compatible store (MinIO, s3rver, R2 ...), addressed path-style.
 */
export interface S3Config extends AwsConnection {
  readonly bucket: string;
  /** Key prefix to list; `''` for the whole bucket. */
  readonly prefix: string;
  /** Glob on keys (see {@link keyPattern}); every object under the prefix when omitted. */
  readonly matchPattern?: string;
  /** Default `bounded`: list once, read everything, complete. */
  readonly scanMode: S3ScanMode;
  /** Unbounded scans list again this long after the previous listing started. Default 60 000. */
  readonly refreshIntervalMs: number;
  /**
   * Default `false`. `true` declares that new objects always sort after existing ones (keys with
   * a timestamp or sequence prefix): listings then resume after the last key handed out instead
   * of starting over, and the state is one key. Objects written "in the past" of that order, and
   * objects replaced in place, are then not seen.
   */
  readonly keysOrdered: boolean;
  /**
   * Unordered unbounded scans: how long after its LastModified an object may first appear in a
   * listing (slow uploads, clock skew). Objects older than the last pass's start minus this are
   * taken as already read, which keeps the seen-set bounded. Default 3 600 000 (one hour).
   */
  readonly latenessMs: number;
  /** Objects read at once; listing pauses while this many are unfinished. Default 16. */
  readonly window: number;
  /** ListObjectsV2 `MaxKeys`. Default 1000 (the S3 maximum). */
  readonly listPageSize: number;
  /** Default `auto`. */
  readonly compression: S3Compression;
  /**
   * Attempts per S3 call, the first included, before the source fails (the SDK's standard retry
   * strategy: 5xx, throttling, refused or reset connections and timeouts are retried with jittered
   * exponential backoff). Default 3.
   */
  readonly retryAttempts: number;
  /**
   * Longest silence on a connection, in ms, before the call counts as failed (and is retried):
   * a server that accepts and never answers. Default 30 000.
   */
  readonly requestTimeoutMs: number;
}

/** Defaults of {@link S3Config}. */
export const s3Defaults = {
  prefix: '',
  scanMode: 'bounded',
  refreshIntervalMs: 60_000,
  keysOrdered: false,
  latenessMs: 3_600_000,
  window: 16,
  listPageSize: 1000,
  compression: 'auto',
  retryAttempts: 3,
  requestTimeoutMs: 30_000,
} as const satisfies Partial<S3Config>;

/** Properties of the `s3` connector, in tributary's spelling with RisingWave's as aliases. */
export const s3PropertySpecs: readonly PropertySpec[] = [
  { name: 's3.bucket', aliases: ['s3.bucket_name'], type: 'string', required: true, description: 'Bucket to read.' },
  { name: 's3.prefix', type: 'string', default: s3Defaults.prefix, description: 'Key prefix to list (empty: the whole bucket).' },
  { name: 's3.match_pattern', aliases: ['match_pattern'], type: 'string', description: "Glob on object keys, e.g. '*.ndjson' or 'logs/**/*.csv.gz'." },
  { name: 's3.region', aliases: ['s3.region_name'], type: 'string', description: "AWS region; the SDK's default (AWS_REGION, profile) when omitted." },
  { name: 's3.endpoint', aliases: ['s3.endpoint_url'], type: 'string', description: 'Endpoint of an S3-compatible store (path-style addressing).' },
  { name: 's3.credentials.access', type: 'string', description: "Access key id; the SDK's default credential chain when omitted." },
  { name: 's3.credentials.secret', type: 'string', secret: true, description: 'Secret access key.' },
  { name: 's3.credentials.session_token', type: 'string', secret: true, description: 'Session token of temporary credentials.' },
  { name: 's3.scan.mode', type: 'enum', values: ['bounded', 'unbounded'], default: s3Defaults.scanMode, description: 'bounded: list once and complete; unbounded: list again every refresh interval.' },
  { name: 's3.refresh.interval.ms', type: 'integer', min: 1, default: String(s3Defaults.refreshIntervalMs), description: 'Unbounded scans: milliseconds between listings.' },
  { name: 'refresh.interval.sec', type: 'integer', min: 1, description: 'RisingWave spelling of the refresh interval, in seconds (overrides s3.refresh.interval.ms).' },
  { name: 's3.keys.ordered', type: 'boolean', default: String(s3Defaults.keysOrdered), description: 'New keys always sort after existing ones: listings resume after the last key (O(1) state).' },
  { name: 's3.scan.lateness.ms', type: 'integer', min: 0, default: String(s3Defaults.latenessMs), description: 'Unordered unbounded scans: longest delay between an object\'s LastModified and its appearance in listings.' },
  { name: 's3.scan.window', type: 'integer', min: 1, default: String(s3Defaults.window), description: 'Objects read concurrently; listing pauses while this many are unfinished.' },
  { name: 's3.list.page.size', type: 'integer', min: 1, max: 1000, default: String(s3Defaults.listPageSize), description: 'Keys per ListObjectsV2 page (1-1000).' },
  { name: 's3.retry.attempts', type: 'integer', min: 1, max: 100, default: String(s3Defaults.retryAttempts), description: 'Attempts per S3 call (first included) before the source fails; transient errors are retried with backoff.' },
  { name: 's3.request.timeout.ms', type: 'integer', min: 1, default: String(s3Defaults.requestTimeoutMs), description: 'Milliseconds of silence on a connection before a call fails (and is retried).' },
  { name: 's3.compression', type: 'enum', values: ['auto', 'gzip', 'none'], default: s3Defaults.compression, description: "auto: gunzip '.gz' keys and Content-Encoding: gzip objects." },
];

/**
 * Reads an {@link S3Config} from connector properties (canonical names; aliases are accepted too,
 * for callers that did not resolve them). Errors name the property, never a secret's value.
 */
export function s3ConfigFromProperties(properties: Readonly<Record<string, string>>): S3Config {
  const p = propertyReader('s3', s3PropertySpecs, properties);
  const bucket = p.get('s3.bucket');
  if (bucket === undefined) throw new TypeError("s3 connector: property 's3.bucket' is required");
  const credentials = awsCredentials(p, 's3', 's3.credentials.access', 's3.credentials.secret', 's3.credentials.session_token');
  const seconds = p.get('refresh.interval.sec');
  return {
    bucket,
    prefix: p.get('s3.prefix') ?? s3Defaults.prefix,
    matchPattern: p.get('s3.match_pattern'),
    region: p.get('s3.region'),
    endpoint: p.get('s3.endpoint'),
    credentials,
    scanMode: p.oneOf('s3.scan.mode', ['bounded', 'unbounded'] as const, s3Defaults.scanMode),
    refreshIntervalMs:
      seconds !== undefined
        ? p.integer('refresh.interval.sec') * 1000
        : p.integer('s3.refresh.interval.ms', s3Defaults.refreshIntervalMs),
    keysOrdered: p.boolean('s3.keys.ordered', s3Defaults.keysOrdered),
    latenessMs: p.integer('s3.scan.lateness.ms', s3Defaults.latenessMs),
    window: p.integer('s3.scan.window', s3Defaults.window),
    listPageSize: p.integer('s3.list.page.size', s3Defaults.listPageSize),
    compression: p.oneOf('s3.compression', ['auto', 'gzip', 'none'] as const, s3Defaults.compression),
    retryAttempts: p.integer('s3.retry.attempts', s3Defaults.retryAttempts),
    requestTimeoutMs: p.integer('s3.request.timeout.ms', s3Defaults.requestTimeoutMs),
  };
}

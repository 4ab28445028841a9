import type { PropertySpec } from '../ConnectorFactory.js';

/** How an S3 source scans its prefix. */
export type S3ScanMode = 'bounded' | 'unbounded';

/** How objects are decompressed: `auto` looks at the `.gz` suffix and at `Content-Encoding`. */
export type S3Compression = 'auto' | 'gzip' | 'none';

/** Static credentials; without them the AWS SDK's default chain applies (env, profile, IMDS ...). */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Everything an S3 source is configured with, typed and defaulted. */
export interface S3Config {
  readonly bucket: string;
  /** Key prefix to list; `''` for the whole bucket. */
  readonly prefix: string;
  /** Glob on keys (see {@link keyPattern}); every object under the prefix when omitted. */
  readonly matchPattern?: string;
  readonly region?: string;
  /** An S3-compatible endpoint (MinIO, s3rver, R2 ...): path-style addressing is used. */
  readonly endpoint?: string;
  readonly credentials?: S3Credentials;
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
} as const satisfies Partial<S3Config>;

/** Properties of the `s3` connector, in tributary's spelling with RisingWave's as aliases. */
export const s3PropertySpecs: readonly PropertySpec[] = [
  { name: 's3.bucket', aliases: ['s3.bucket_name'], type: 'string', required: true, description: 'Bucket to read.' },
  { name: 's3.prefix', type: 'string', default: '', description: 'Key prefix to list (empty: the whole bucket).' },
  { name: 's3.match_pattern', aliases: ['match_pattern'], type: 'string', description: "Glob on object keys, e.g. '*.ndjson' or 'logs/**/*.csv.gz'." },
  { name: 's3.region', aliases: ['s3.region_name'], type: 'string', description: "AWS region; the SDK's default (AWS_REGION, profile) when omitted." },
  { name: 's3.endpoint', aliases: ['s3.endpoint_url'], type: 'string', description: 'Endpoint of an S3-compatible store (path-style addressing).' },
  { name: 's3.credentials.access', type: 'string', description: "Access key id; the SDK's default credential chain when omitted." },
  { name: 's3.credentials.secret', type: 'string', secret: true, description: 'Secret access key.' },
  { name: 's3.credentials.session_token', type: 'string', secret: true, description: 'Session token of temporary credentials.' },
  { name: 's3.scan.mode', type: 'enum', values: ['bounded', 'unbounded'], default: 'bounded', description: 'bounded: list once and complete; unbounded: list again every refresh interval.' },
  { name: 's3.refresh.interval.ms', type: 'integer', default: String(s3Defaults.refreshIntervalMs), description: 'Unbounded scans: milliseconds between listings.' },
  { name: 'refresh.interval.sec', type: 'integer', description: 'RisingWave spelling of the refresh interval, in seconds (overrides s3.refresh.interval.ms).' },
  { name: 's3.keys.ordered', type: 'boolean', default: 'false', description: 'New keys always sort after existing ones: listings resume after the last key (O(1) state).' },
  { name: 's3.scan.lateness.ms', type: 'integer', default: String(s3Defaults.latenessMs), description: 'Unordered unbounded scans: longest delay between an object\'s LastModified and its appearance in listings.' },
  { name: 's3.scan.window', type: 'integer', default: String(s3Defaults.window), description: 'Objects read concurrently; listing pauses while this many are unfinished.' },
  { name: 's3.list.page.size', type: 'integer', default: String(s3Defaults.listPageSize), description: 'Keys per ListObjectsV2 page (1-1000).' },
  { name: 's3.compression', type: 'enum', values: ['auto', 'gzip', 'none'], default: 'auto', description: "auto: gunzip '.gz' keys and Content-Encoding: gzip objects." },
];

/**
 * Reads an {@link S3Config} from connector properties (canonical names; aliases are accepted too,
 * for callers that did not resolve them). Errors name the property, never a secret's value.
 */
export function s3ConfigFromProperties(properties: Readonly<Record<string, string>>): S3Config {
  const get = (name: string): string | undefined => {
    const spec = s3PropertySpecs.find((p) => p.name === name);
    for (const key of [name, ...(spec?.aliases ?? [])]) {
      const value = properties[key];
      if (value !== undefined && value !== '') return value;
    }
    return undefined;
  };
  const bucket = get('s3.bucket');
  if (bucket === undefined) throw new TypeError("s3 connector: property 's3.bucket' is required");
  const access = get('s3.credentials.access');
  const secret = get('s3.credentials.secret');
  if ((access === undefined) !== (secret === undefined)) {
    throw new TypeError("s3 connector: set both 's3.credentials.access' and 's3.credentials.secret', or neither (default credential chain)");
  }
  const sessionToken = get('s3.credentials.session_token');
  const seconds = get('refresh.interval.sec');
  const config: S3Config = {
    bucket,
    prefix: get('s3.prefix') ?? s3Defaults.prefix,
    matchPattern: get('s3.match_pattern'),
    region: get('s3.region'),
    endpoint: get('s3.endpoint'),
    credentials:
      access !== undefined && secret !== undefined
        ? { accessKeyId: access, secretAccessKey: secret, ...(sessionToken !== undefined ? { sessionToken } : {}) }
        : undefined,
    scanMode: oneOf('s3.scan.mode', get('s3.scan.mode') ?? s3Defaults.scanMode, ['bounded', 'unbounded'] as const),
    refreshIntervalMs:
      seconds !== undefined ? integer('refresh.interval.sec', seconds, 1) * 1000 : integer('s3.refresh.interval.ms', get('s3.refresh.interval.ms'), 1, s3Defaults.refreshIntervalMs),
    keysOrdered: boolean('s3.keys.ordered', get('s3.keys.ordered'), s3Defaults.keysOrdered),
    latenessMs: integer('s3.scan.lateness.ms', get('s3.scan.lateness.ms'), 0, s3Defaults.latenessMs),
    window: integer('s3.scan.window', get('s3.scan.window'), 1, s3Defaults.window),
    listPageSize: integer('s3.list.page.size', get('s3.list.page.size'), 1, s3Defaults.listPageSize, 1000),
    compression: oneOf('s3.compression', get('s3.compression') ?? s3Defaults.compression, ['auto', 'gzip', 'none'] as const),
  };
  return config;
}

function integer(name: string, value: string | undefined, min: number, fallback?: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) {
    if (fallback === undefined) throw new TypeError(`s3 connector: property '${name}' is required`);
    return fallback;
  }
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || n < min || n > max) {
    throw new TypeError(`s3 connector: property '${name}' must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

function boolean(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  throw new TypeError(`s3 connector: property '${name}' must be 'true' or 'false', got '${value}'`);
}

function oneOf<V extends string>(name: string, value: string, values: readonly V[]): V {
  const found = values.find((v) => v === value.toLowerCase());
  if (found === undefined) throw new TypeError(`s3 connector: property '${name}' must be one of ${values.join(', ')}, got '${value}'`);
  return found;
}

import type { ConnectorContext, ConnectorFactory, PropertySpec } from '../ConnectorFactory.js';
import type { Source } from '../../core/Source.js';
import { sourceOptionsOf } from '../../core/SourceOptions.js';
import type { Row } from '../../formats/Format.js';
import { createFsSource } from './createFsSource.js';
import { DEFAULT_READ_BUFFER_BYTES } from './FileByteInput.js';
import type { ScanMode } from './FsEnumerator.js';
import type { FileChangedPolicy } from './FsSplitReader.js';

const properties: readonly PropertySpec[] = [
  {
    name: 'fs.path',
    aliases: ['posix_fs.root'],
    type: 'string',
    required: true,
    description: 'Directory to read files from (relative paths resolve against the working directory).',
  },
  {
    name: 'fs.match_pattern',
    aliases: ['match_pattern'],
    type: 'string',
    default: '*',
    description:
      "Glob of the files to read, relative to fs.path: *, ?, [a-z], {a,b}, ** for any depth; a pattern without '/' matches file names at any depth; names starting with '.' are skipped unless named.",
  },
  {
    name: 'fs.scan.mode',
    type: 'enum',
    values: ['bounded', 'unbounded'],
    default: 'bounded',
    description:
      'bounded: read the files present at start, then complete; unbounded: keep watching for new files and tail appended lines (JSON, CSV; Avro files are read once they stop changing).',
  },
  {
    name: 'fs.watch',
    type: 'boolean',
    default: 'true',
    description: 'Unbounded scans: use the operating system\'s file notifications (fs.watch) for prompt pickup; polling stays on as a safety net.',
  },
  {
    name: 'fs.poll.interval.ms',
    type: 'integer',
    default: '1000',
    description: 'Unbounded scans: re-list the directory and re-check files this often; 0 relies on fs.watch alone.',
  },
  {
    name: 'fs.stable.ms',
    type: 'integer',
    default: '1000',
    description: 'Unbounded scans of non-tailable formats (Avro): read a file once it has not been modified for this long.',
  },
  {
    name: 'fs.read.buffer.bytes',
    type: 'integer',
    default: String(DEFAULT_READ_BUFFER_BYTES),
    description: 'Bytes per file read: memory per open file is a small multiple of this.',
  },
  {
    name: 'fs.max.open.files',
    type: 'integer',
    default: '16',
    description: 'Files read at the same time; each holds a read buffer, so this bounds memory and file descriptors.',
  },
  {
    name: 'fs.file.changed',
    type: 'enum',
    values: ['fail', 'reread'],
    default: 'fail',
    description:
      "A file that shrank below its stored position or whose bytes before it changed (fingerprint: first 1024 bytes and the 64 before the offset), or that is truncated or replaced while read: fail (name file and offset) or reread it from the start (duplicates; suits copytruncate rotation).",
  },
];

/**
 * The `fs` connector (RisingWave's `posix_fs`): files of a local directory. This is the
 * embedded default: no server, no client library.
 *
 * @example
 * CREATE SOURCE orders (id INT, amount DECIMAL)
 * WITH (upstream.source = 'fs', fs.path = './data', fs.match_pattern = '*.csv')
 * FORMAT PLAIN ENCODE CSV (without_header = 'false', delimiter = ',');
 */
export const fsConnector: ConnectorFactory = {
  name: 'fs',
  connectorNames: ['fs', 'posix_fs'],
  properties,
  description: 'Files in a local directory (bounded scan, or unbounded: new files and appended lines).',
  create(context: ConnectorContext): Source<Row> {
    const p = context.properties;
    const path = p['fs.path'] ?? p['posix_fs.root'];
    if (path === undefined || path === '') throw new TypeError(`fs source '${context.name}': property fs.path (the directory) is required`);
    const { format, convert } = context;
    return createFsSource({
      ...sourceOptionsOf(context),
      ...(convert === undefined ? {} : { convert }),
      format,
      path,
      pattern: p['fs.match_pattern'] ?? p['match_pattern'] ?? '*',
      scanMode: scanModeOf(context.name, p['fs.scan.mode']),
      watch: booleanOf(context.name, 'fs.watch', p['fs.watch'], true),
      pollIntervalMs: integerOf(context.name, 'fs.poll.interval.ms', p['fs.poll.interval.ms'], 1000, 0),
      stableMs: integerOf(context.name, 'fs.stable.ms', p['fs.stable.ms'], 1000, 0),
      maxOpenFiles: integerOf(context.name, 'fs.max.open.files', p['fs.max.open.files'], 16, 1),
      onFileChanged: fileChangedOf(context.name, p['fs.file.changed']),
      readBufferBytes: integerOf(context.name, 'fs.read.buffer.bytes', p['fs.read.buffer.bytes'], DEFAULT_READ_BUFFER_BYTES, 1),
    });
  },
};

function scanModeOf(source: string, value: string | undefined): ScanMode {
  const mode = (value ?? 'bounded').toLowerCase();
  if (mode === 'bounded' || mode === 'unbounded') return mode;
  throw new TypeError(`fs source '${source}': fs.scan.mode must be 'bounded' or 'unbounded', not '${value}'`);
}

function fileChangedOf(source: string, value: string | undefined): FileChangedPolicy {
  const policy = (value ?? 'fail').toLowerCase();
  if (policy === 'fail' || policy === 'reread') return policy;
  throw new TypeError(`fs source '${source}': fs.file.changed must be 'fail' or 'reread', not '${value}'`);
}

function booleanOf(source: string, name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const v = value.toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new TypeError(`fs source '${source}': ${name} must be true or false, not '${value}'`);
}

function integerOf(source: string, name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < min) {
    throw new TypeError(`fs source '${source}': ${name} must be an integer >= ${min}, not '${value}'`);
  }
  return n;
}

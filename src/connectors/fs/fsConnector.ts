import type { ConnectorContext, ConnectorFactory, PropertySpec } from '../ConnectorFactory.js';
import type { Source } from '../../core/Source.js';
import { sourceOptionsOf } from '../../core/SourceOptions.js';
import type { Row } from '../../formats/Format.js';
import { propertyReader } from '../propertyReader.js';
import { createFsSource, DEFAULT_DECODE_THREADS, DEFAULT_MAX_OPEN_FILES } from './createFsSource.js';
import { DEFAULT_RANGE_BYTES } from './rangeDecode.js';
import { DEFAULT_READ_BUFFER_BYTES } from './FileByteInput.js';
import { DEFAULT_POLL_INTERVAL_MS } from './fileChanges.js';
import { DEFAULT_STABLE_MS } from './FsSplitReader.js';

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
    default: String(DEFAULT_POLL_INTERVAL_MS),
    description: 'Unbounded scans: re-list the directory and re-check files this often; 0 relies on fs.watch alone.',
  },
  {
    name: 'fs.stable.ms',
    type: 'integer',
    default: String(DEFAULT_STABLE_MS),
    description: 'Unbounded scans of non-tailable formats (Avro): read a file once it has not been modified for this long.',
  },
  {
    name: 'fs.read.buffer.bytes',
    type: 'integer',
    min: 1,
    max: 2 ** 30,
    default: String(DEFAULT_READ_BUFFER_BYTES),
    description: 'Bytes per file read: memory per open file is a small multiple of this.',
  },
  {
    name: 'fs.max.open.files',
    type: 'integer',
    min: 1,
    max: 65_536,
    default: String(DEFAULT_MAX_OPEN_FILES),
    description: 'Files read at the same time (a bounded scan opens one more ahead of its turn); each holds a read buffer, so this bounds memory and file descriptors.',
  },
  {
    name: 'fs.file.changed',
    type: 'enum',
    values: ['fail', 'reread'],
    default: 'fail',
    description:
      "A file that shrank below its stored position or whose bytes before it changed (fingerprint: first 1024 bytes and the 64 before the offset), or that is truncated or replaced while read: fail (name file and offset) or reread it from the start (duplicates; suits copytruncate rotation).",
  },
  {
    name: 'fs.decode.threads',
    type: 'integer',
    min: 0,
    max: 256,
    default: String(DEFAULT_DECODE_THREADS),
    description:
      'Bounded scans of json and csv files: threads that decode (1: the main thread; N >= 2: N worker threads, each file cut into byte ranges decoded at once, rows and offsets unchanged; 0: decide from the machine, CSV only with 5+ cores). 1 by default: it costs over twice the CPU.',
  },
  {
    name: 'fs.decode.range.bytes',
    type: 'integer',
    min: 1,
    max: 2 ** 40,
    default: String(DEFAULT_RANGE_BYTES),
    description: 'With fs.decode.threads >= 2: the nominal size of the byte ranges a file is cut into.',
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
    // Values were checked by SQL already; propertyReader checks them again against the same specs
    // for callers that build a context by hand, and fills in each spec's default (declared once).
    const p = propertyReader('fs', properties, context.properties);
    const path = p.get('fs.path');
    if (path === undefined) throw new TypeError(`fs source '${context.name}': property fs.path (the directory) is required`);
    const { format, convert } = context;
    return createFsSource({
      ...sourceOptionsOf(context),
      ...(convert === undefined ? {} : { convert }),
      format,
      path,
      pattern: p.get('fs.match_pattern') ?? '*',
      scanMode: p.oneOf('fs.scan.mode', ['bounded', 'unbounded'] as const),
      watch: p.boolean('fs.watch'),
      pollIntervalMs: p.integer('fs.poll.interval.ms'),
      stableMs: p.integer('fs.stable.ms'),
      maxOpenFiles: p.integer('fs.max.open.files'),
      onFileChanged: p.oneOf('fs.file.changed', ['fail', 'reread'] as const),
      readBufferBytes: p.integer('fs.read.buffer.bytes'),
      decodeThreads: p.integer('fs.decode.threads'),
      decodeRangeBytes: p.integer('fs.decode.range.bytes'),
      ...(context.formatSpec === undefined ? {} : { formatSpec: context.formatSpec }),
    });
  },
};

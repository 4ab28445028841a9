import type * as NodeCrypto from 'node:crypto';
import type * as NodeFsSync from 'node:fs';
import type * as NodeFs from 'node:fs/promises';
import type * as NodePath from 'node:path';
import type { JsonValue } from '../core/Json.js';
import { CorruptStateError } from '../core/SourceError.js';
import type { StateStore } from '../core/StateStore.js';
import { assertJsonValue, findNonJson } from '../core/assertJsonValue.js';

/** The file that holds the whole state; `FileStore.file` is its absolute path. */
const STATE_FILE = 'state.json';
/** Names of files being written; one left behind was never renamed, so it was never committed. */
const TEMP_PREFIX = `${STATE_FILE}.tmp-`;
const FORMAT = 'tributary-state';
const VERSION = 1;

/** Directories opened by a FileStore of this process and not closed yet. */
const openDirectories = new Set<string>();

/**
 * Node's modules, loaded by {@link FileStore.open} rather than imported at the top, so that a
 * browser bundle can import tributary's state stores (for IdbKeyvalStore) without node:fs.
 */
interface NodeModules {
  readonly fs: typeof NodeFs;
  readonly fsSync: typeof NodeFsSync;
  readonly path: typeof NodePath;
  readonly crypto: typeof NodeCrypto;
}

let nodeModules: Promise<NodeModules> | undefined;

function loadNodeModules(): Promise<NodeModules> {
  nodeModules ??= Promise.all([
    import('node:fs/promises'),
    import('node:fs'),
    import('node:path'),
    import('node:crypto'),
  ]).then(([fs, fsSync, path, crypto]) => ({ fs, fsSync, path, crypto }));
  return nodeModules;
}

/** One queued change, applied to a copy of the committed entries by the next write. */
interface PendingWrite {
  readonly apply: (entries: Map<string, string>) => void;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Options of {@link FileStore.open}. */
export interface FileStoreOptions {
  /**
   * How a write reaches the disk. Default `true`.
   *
   * - `true`: the write's file operations (create the temporary file, write, fsync, rename,
   *   fsync the directory) run back to back with Node's synchronous `fs` calls, so a write is
   *   done in one turn of the event loop. The loop is blocked meanwhile, for the two fsyncs and
   *   the rename: about a millisecond on a local SSD, a few on a busy virtual disk, but as long as
   *   a slow or network disk (NFS, some cloud volumes) takes to fsync, twice per write.
   * - `false`: every one of those steps is a separate asynchronous call on libuv's thread pool.
   *   The event loop is never blocked by the disk, but each of the eight steps waits for its turn
   *   on the loop: when the loop is busy (decoding a large read takes tens of milliseconds), a
   *   write that costs a millisecond of I/O takes tens to hundreds of milliseconds to complete.
   *
   * Why blocking is the default: a source holds back data after a barrier until that barrier's
   * checkpoint is written (everything after a barrier must lie after its snapshot), so the
   * latency of a write, not its share of the event loop, is what bounds throughput with frequent
   * checkpoints. Choose `false` when the state directory is on a disk whose fsync takes long and
   * other work in the process (servers, heartbeats) must not wait for it.
   */
  readonly blockingWrites?: boolean;
}

/**
 * A durable {@link StateStore} for Node: the whole state is one JSON file, `state.json`, in a
 * directory of its own, and every write replaces that file atomically. A process killed at any
 * moment (`kill -9`, OOM, power loss) leaves either the old or the new state on disk, never a
 * mix and never a torn file.
 *
 * How a write goes: the new state is written to a temporary file in the same directory, the file
 * is fsynced, renamed over `state.json` (an atomic replace on POSIX file systems), and the
 * directory is fsynced so that the rename itself survives power loss (given a disk and file
 * system that honour fsync). Temporary files left by a crash are deleted when the store opens.
 * By default these steps run synchronously, back to back, blocking the event loop for the fsyncs
 * (see {@link FileStoreOptions.blockingWrites} for the trade-off and the alternative).
 *
 * Why one file: a checkpoint is one `setMany` of every split position, so atomic writes across
 * keys come for free, and a state of 1,000 splits is some 100 KB, which costs far less to
 * rewrite than the two fsyncs every durable write pays anyway. Writes called in the same tick,
 * and with `blockingWrites: false` those that arrive while another is in flight, are grouped into
 * one file write (each caller still gets its own answer, in order), so many small writes do not
 * each pay for the fsyncs.
 *
 * Reads come from memory: the file is read once, by {@link FileStore.open}. A read waits for the
 * writes called before it, so it sees them (or, if they failed, the state before them).
 *
 * Corrupt state is never mistaken for no state: a file that cannot be read, is not UTF-8, not
 * JSON, not shaped like a tributary state file, or fails its SHA-256 check makes `open` throw a
 * {@link CorruptStateError} that names the file. Only a missing `state.json` means "start from
 * the connector's configured start". To edit the file by hand (say, to move an offset), stop the
 * pipeline and delete the file's `"sha256"` field along with the edit; the next write adds it back.
 *
 * One store per directory: opening a directory that this process already has open throws.
 * Nothing stops two *processes* from sharing a directory, and they would overwrite each other's
 * checkpoints, so give every running pipeline its own.
 *
 * Node's `fs` is loaded by `open`, not when this module is imported, so bundles for the browser
 * can import tributary's stores without it.
 *
 * @example
 * const store = await FileStore.open('./checkpoints/orders');
 * try {
 *   await store.setMany([['orders/split/a', { nextOffset: '42' }], ['orders/epoch', 7]]);
 *   await store.get('orders/epoch'); // 7, here and after a restart
 * } finally {
 *   await store.close();
 * }
 */
export class FileStore implements StateStore {
  /** The absolute, symlink-free path of the store's directory. */
  readonly dir: string;
  /** The absolute path of the state file, `<dir>/state.json`. */
  readonly file: string;

  /** What `state.json` holds: key -> the value's JSON text. Text, so every read is a fresh copy. */
  #committed: Map<string, string>;
  #queue: PendingWrite[] = [];
  /** The running write loop, if any. */
  #flushing: Promise<void> | undefined;
  /** Settles when the latest queued write has; reads wait for it. */
  #lastWrite: Promise<void> = Promise.resolve();
  #tempCounter = 0;
  #closed = false;
  readonly #node: NodeModules;
  readonly #blocking: boolean;

  private constructor(node: NodeModules, dir: string, committed: Map<string, string>, blocking: boolean) {
    this.#node = node;
    this.#blocking = blocking;
    this.dir = dir;
    this.file = node.path.join(dir, STATE_FILE);
    this.#committed = committed;
  }

  /**
   * Opens the store in `dir`, creating the directory if needed, deleting temporary files left by
   * a crash and reading `state.json` if there is one.
   *
   * @throws {CorruptStateError} when `state.json` exists but cannot be read back.
   * @throws {Error} when this process already has `dir` open in another FileStore.
   */
  static async open(dir: string, options: FileStoreOptions = {}): Promise<FileStore> {
    const node = await loadNodeModules();
    const { fs, path } = node;
    const absolute = path.resolve(dir);
    const created = await fs.mkdir(absolute, { recursive: true });
    if (created !== undefined) {
      // A new directory is durable only once its parent's entry for it is.
      for (let level = absolute; level !== path.dirname(created); level = path.dirname(level)) {
        await syncDirectory(node, path.dirname(level));
      }
    }
    const real = await fs.realpath(absolute);
    if (openDirectories.has(real)) {
      throw new Error(
        `FileStore: ${real} is already open in this process; close the other FileStore first ` +
          '(two stores on one directory would overwrite each other’s checkpoints)',
      );
    }
    openDirectories.add(real);
    try {
      for (const name of await fs.readdir(real)) {
        if (name.startsWith(TEMP_PREFIX)) await fs.rm(path.join(real, name), { force: true });
      }
      const committed = await readStateFile(node, path.join(real, STATE_FILE));
      return new FileStore(node, real, committed, options.blockingWrites ?? true);
    } catch (err) {
      openDirectories.delete(real);
      throw err;
    }
  }

  /** A copy of the value at `key`, or `undefined`. */
  async get(key: string): Promise<JsonValue | undefined> {
    await this.#settled();
    const text = this.#committed.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
  }

  /** Durably stores `value` at `key`. Rejects with a `TypeError` if `value` is not JSON. */
  async set(key: string, value: JsonValue): Promise<void> {
    this.#assertOpen();
    assertJsonValue(value, key);
    const text = JSON.stringify(value);
    return this.#enqueue((entries) => entries.set(key, text));
  }

  /** Durably removes `key`; removing a missing key is not an error. */
  async del(key: string): Promise<void> {
    this.#assertOpen();
    return this.#enqueue((entries) => entries.delete(key));
  }

  /** Copies of every entry, in the order they were first stored. */
  async entries(): Promise<Array<readonly [string, JsonValue]>> {
    await this.#settled();
    return Array.from(this.#committed, ([key, text]) => [key, JSON.parse(text) as JsonValue] as const);
  }

  /**
   * Durably stores every entry in one atomic file replace: after a crash, all of them are there
   * or none. Every value is checked first, so a `TypeError` changes nothing.
   */
  async setMany(entries: ReadonlyArray<readonly [string, JsonValue]>): Promise<void> {
    return this.update(entries, []);
  }

  /** Durably removes every key in `keys`, atomically. */
  async delMany(keys: readonly string[]): Promise<void> {
    return this.update([], keys);
  }

  /**
   * Durably removes `keys` and stores `entries` in one atomic file replace (a key in both ends up
   * stored). Every value is checked first, so a `TypeError` changes nothing.
   */
  async update(entries: ReadonlyArray<readonly [string, JsonValue]>, keys: readonly string[]): Promise<void> {
    this.#assertOpen();
    for (const [key, value] of entries) assertJsonValue(value, key);
    // Serialized now, so that the caller may change its objects as soon as we return.
    const texts = entries.map(([key, value]) => [key, JSON.stringify(value)] as const);
    const gone = [...keys];
    return this.#enqueue((state) => {
      for (const key of gone) state.delete(key);
      for (const [key, text] of texts) state.set(key, text);
    });
  }

  /**
   * Waits for the writes already called, then releases the directory. Later calls reject.
   * Closing twice is harmless.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#lastWrite;
    } finally {
      openDirectories.delete(this.dir);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`FileStore: ${this.dir} is closed`);
  }

  async #settled(): Promise<void> {
    this.#assertOpen();
    await this.#lastWrite;
  }

  #enqueue(apply: (entries: Map<string, string>) => void): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.#queue.push({ apply, resolve, reject });
    });
    this.#lastWrite = done.then(
      () => undefined,
      () => undefined,
    );
    // Starting on a microtask lets writes called in the same tick share one file write.
    this.#flushing ??= Promise.resolve().then(() => this.#flush());
    return done;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0);
        const next = new Map(this.#committed);
        try {
          for (const write of batch) write.apply(next);
          const text = serialize(this.#node, next);
          if (this.#blocking) this.#writeBlocking(text);
          else await this.#writeAsync(text);
        } catch (err) {
          // The state in memory stays what it was; the file may or may not hold the new state
          // (it does if only the directory fsync failed), which is what any failed durable write
          // promises. The next write rewrites the file from the state in memory.
          const message = err instanceof Error ? err.message : String(err);
          const failure = new Error(`FileStore: cannot write ${this.file}: ${message}`, { cause: err });
          for (const write of batch) write.reject(failure);
          continue;
        }
        this.#committed = next;
        for (const write of batch) write.resolve();
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  #tempFile(): string {
    return this.#node.path.join(this.dir, `${TEMP_PREFIX}${process.pid}-${++this.#tempCounter}`);
  }

  /** The same steps as {@link FileStore.#writeAsync}, in one go; see `blockingWrites`. */
  #writeBlocking(text: string): void {
    const { fsSync: fs } = this.#node;
    const temp = this.#tempFile();
    try {
      const fd = fs.openSync(temp, 'wx');
      try {
        fs.writeFileSync(fd, text, 'utf8');
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(temp, this.file);
    } catch (err) {
      try {
        fs.rmSync(temp, { force: true });
      } catch {
        // The write's own error is the one to report.
      }
      throw err;
    }
    syncDirectoryBlocking(fs, this.dir);
  }

  async #writeAsync(text: string): Promise<void> {
    const { fs } = this.#node;
    const temp = this.#tempFile();
    try {
      const handle = await fs.open(temp, 'wx');
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, this.file);
    } catch (err) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw err;
    }
    await syncDirectory(this.#node, this.dir);
  }
}

/**
 * The file's text: a JSON object with one entry a line, so that it diffs and greps well. The
 * checksum covers the `entries` text exactly as written here.
 */
function serialize(node: NodeModules, entries: ReadonlyMap<string, string>): string {
  const body = serializeEntries(entries);
  const header = JSON.stringify({ format: FORMAT, version: VERSION, sha256: sha256(node, body) }).slice(0, -1);
  return `${header},"entries":${body}}\n`;
}

function serializeEntries(entries: ReadonlyMap<string, string>): string {
  const lines = Array.from(entries, ([key, text]) => `[${JSON.stringify(key)},${text}]`);
  return lines.length === 0 ? '[]' : `[\n${lines.join(',\n')}\n]`;
}

function sha256(node: NodeModules, text: string): string {
  return node.crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Reads `state.json`: no file is no state; anything unreadable is a {@link CorruptStateError}. */
async function readStateFile(node: NodeModules, file: string): Promise<Map<string, string>> {
  const corrupt = (problem: string, cause?: unknown): CorruptStateError =>
    new CorruptStateError(
      `checkpoint state file ${file} ${problem}. tributary does not start over from an unreadable ` +
        'checkpoint: restore the file from a backup, or delete it to start from the configured start.',
      cause === undefined ? undefined : { cause },
    );

  let bytes: Buffer;
  try {
    bytes = await node.fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw corrupt(`cannot be read (${err instanceof Error ? err.message : String(err)})`, err);
  }
  let text: string;
  try {
    // fatal: a flipped bit must not turn into U+FFFD inside an otherwise valid file.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw corrupt('is not valid UTF-8', err);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw corrupt(`is not valid JSON (${err instanceof Error ? err.message : String(err)})`, err);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw corrupt('is not a JSON object');
  }
  const { format, version, sha256: checksum, entries } = parsed as Record<string, unknown>;
  if (format !== FORMAT) throw corrupt(`is not a tributary state file (its "format" is not "${FORMAT}")`);
  if (version !== VERSION) {
    throw corrupt(
      typeof version === 'number' && version > VERSION
        ? `has format version ${version}, written by a newer tributary; this one reads version ${VERSION}`
        : `has an unknown format version ${JSON.stringify(version) ?? 'undefined'}`,
    );
  }
  if (!Array.isArray(entries)) throw corrupt('has no "entries" array');
  const state = new Map<string, string>();
  for (const [index, entry] of (entries as unknown[]).entries()) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') {
      throw corrupt(`has a malformed entry at index ${index} (expected [key, value])`);
    }
    const [key, value] = entry as [string, unknown];
    if (state.has(key)) throw corrupt(`has the key ${JSON.stringify(key)} twice`);
    const problem = findNonJson(value, '$', new Set());
    if (problem !== undefined) throw corrupt(`has a value for ${JSON.stringify(key)} that is not JSON: ${problem}`);
    state.set(key, JSON.stringify(value));
  }
  // A file without "sha256" was edited by hand on purpose (see FileStore's TSDoc): trusted.
  if (checksum !== undefined) {
    if (typeof checksum !== 'string') throw corrupt('has a "sha256" that is not a string');
    // Re-serializing parsed JSON gives back the exact text JSON.stringify wrote, so the
    // checksum can be checked without finding the entries' text in the file.
    if (sha256(node, serializeEntries(state)) !== checksum) {
      throw corrupt('fails its SHA-256 check (its entries changed after it was written)');
    }
  }
  return state;
}

/** {@link syncDirectory}, blocking. */
function syncDirectoryBlocking(fs: typeof NodeFsSync, dir: string): void {
  if (process.platform === 'win32') return;
  // Opened per write rather than once per store: a descriptor kept open would go on syncing the
  // old directory if the path were replaced, and opening one costs microseconds.
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fsyncs a directory so that entries created or renamed in it are durable. */
async function syncDirectory(node: NodeModules, dir: string): Promise<void> {
  // Windows cannot open a directory for fsync, and NTFS journals renames anyway.
  if (process.platform === 'win32') return;
  const handle = await node.fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

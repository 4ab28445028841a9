import type * as NodeCrypto from 'node:crypto';
import type * as NodeFsSync from 'node:fs';
import type * as NodeFs from 'node:fs/promises';
import type * as NodePath from 'node:path';
import type { JsonValue } from '../core/Json.js';
import { CorruptStateError } from '../core/SourceError.js';
import type { StateStore } from '../core/StateStore.js';
import { assertJsonValue, findNonJson } from '../core/assertJsonValue.js';
import { encodeLogRecord, replayLog, type LogOp } from './stateLog.js';

/** The file that holds the whole state; `FileStore.file` is its absolute path. */
const STATE_FILE = 'state.json';
/** Names of files being written; one left behind was never renamed, so it was never committed. */
const TEMP_PREFIX = `${STATE_FILE}.tmp-`;
/** Log files, `state.json.log-<generation>`; only the generation `state.json` names is read. */
const LOG_PREFIX = `${STATE_FILE}.log-`;
const FORMAT = 'tributary-state';
/** Version 2 names its log; version 1 (no log) is still read, and rewritten as 2 by the first write. */
const VERSION = 2;
/** The default of {@link FileStoreOptions.maxLogBytes}. */
const DEFAULT_MAX_LOG_BYTES = 1024 * 1024;
/** The largest {@link FileStoreOptions.maxLogBytes}: `open` reads the log whole, and Node reads at most 2 GiB at once. */
const MAX_LOG_BYTES = 1024 * 1024 * 1024;

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
  /** Applied in order: a key removed, then stored again, ends up stored. */
  readonly ops: readonly LogOp[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** The open log that writes append to. */
interface OpenLog {
  readonly fd: number;
  /** Bytes of whole records in it: where the next one goes. */
  bytes: number;
}

/** Options of {@link FileStore.open}. */
export interface FileStoreOptions {
  /**
   * How a write reaches the disk. Default `true`.
   *
   * - `true`: the write's file operations (an append to the log and an fdatasync; now and then a
   *   rewrite of `state.json`, see {@link FileStore}) run back to back with Node's synchronous
   *   `fs` calls, so a write is done in one turn of the event loop. The loop is blocked meanwhile,
   *   for the fdatasync: a fraction of a millisecond on a local SSD, more on a busy virtual disk,
   *   but as long as a slow or network disk (NFS, some cloud volumes) takes to sync.
   * - `false`: every one of those steps is a separate asynchronous call on libuv's thread pool.
   *   The event loop is never blocked by the disk, but each step waits for its turn on the loop:
   *   when the loop is busy (decoding a large read takes tens of milliseconds), a write that costs
   *   a millisecond of I/O takes tens of milliseconds or more to complete.
   *
   * Why blocking is the default: a source holds back data after a barrier until that barrier's
   * checkpoint is written (everything after a barrier must lie after its snapshot), so the
   * latency of a write, not its share of the event loop, is what bounds throughput with frequent
   * checkpoints. Choose `false` when the state directory is on a disk whose fsync takes long and
   * other work in the process (servers, heartbeats) must not wait for it.
   */
  readonly blockingWrites?: boolean;
  /**
   * How large the log may grow, in bytes, before the next write folds it into `state.json`
   * instead of appending to it. Default 1 MiB. A larger log means fewer rewrites of the whole
   * state and a longer read at `open`; a write larger than this on its own always rewrites
   * `state.json` (as every write did before the log).
   */
  readonly maxLogBytes?: number;
}

/**
 * A durable {@link StateStore} for Node: the state is one JSON file, `state.json`, plus a log of
 * the writes since it was written, `state.json.log-<n>`, in a directory of its own. A process
 * killed at any moment (`kill -9`, OOM, power loss) leaves every acknowledged write on disk and
 * no write half-done.
 *
 * How a write goes: its changes are appended to the log as one line (their JSON and its
 * SHA-256) and the log is fdatasynced; then the write is acknowledged. One sync per write is
 * what makes frequent checkpoints cheap: rewriting a file and renaming it over the old one takes
 * two fsyncs and a rename (0.8-1.1 ms against 0.2 ms for an append on this project's test
 * machine under load). When the log would grow past {@link FileStoreOptions.maxLogBytes}, the
 * write instead rewrites `state.json` with the whole state (written to a temporary file,
 * fsynced, renamed over `state.json`, and the directory fsynced so that the rename survives
 * power loss) naming a new, empty log, and the old log is deleted. `close` does the same, so a
 * cleanly closed store is `state.json` and an empty log. By default these steps run
 * synchronously, back to back, blocking the event loop for the syncs (see
 * {@link FileStoreOptions.blockingWrites} for the trade-off and the alternative).
 *
 * After a crash, `open` reads `state.json`, then replays the log it names. A last record torn by
 * the crash (cut short, or with zeros where the file system had not written it yet; its fdatasync
 * never returned, so its write was never acknowledged) is left out, and the first write rewrites
 * `state.json`. Temporary files and logs that `state.json` does not name, left by a crash, are
 * deleted.
 *
 * Writes called in the same tick, and with `blockingWrites: false` those that arrive while
 * another is in flight, are grouped into one log record (each caller still gets its own answer,
 * in order), so many small writes do not each pay for a sync. A `setMany` or `update` is one
 * record, so it is atomic.
 *
 * Reads come from memory: the files are read once, by {@link FileStore.open}. A read waits for
 * the writes called before it, so it sees them (or, if they failed, the state before them).
 *
 * Corrupt state is never mistaken for no state: a `state.json` that cannot be read, is not UTF-8,
 * not JSON, not shaped like a tributary state file, or fails its SHA-256 check, and a log that is
 * missing or damaged other than by a torn last record, make `open` throw a
 * {@link CorruptStateError} that names the file. Only a missing `state.json` means "start from
 * the connector's configured start". To edit the state by hand (say, to move an offset), stop the
 * pipeline (a clean stop leaves the log empty; after a crash, open and close the store once), then
 * edit `state.json` and delete its `"sha256"` field; the next write rewrites the file, adding it
 * back.
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

  /** The state: key -> the value's JSON text. Text, so every read is a fresh copy. */
  #committed: Map<string, string>;
  #queue: PendingWrite[] = [];
  /** The running write loop, if any. */
  #flushing: Promise<void> | undefined;
  /** Settles when the latest queued write has; reads wait for it. */
  #lastWrite: Promise<void> = Promise.resolve();
  /**
   * The log `state.json` names, open for appending; `undefined` when the next write must rewrite
   * `state.json` instead: none yet (a new store, a version 1 file), a torn record at its end, a
   * failed append (whose bytes may be on disk: nothing is ever appended after them), a
   * hand-edited `state.json`, or a rename whose directory fsync failed.
   */
  #log: OpenLog | undefined;
  /** The generation `state.json` names: a rewrite names the next one. */
  #generation: number;
  /**
   * The inode and change time of the `state.json` this store wrote or read. An append first
   * checks that it is still there and the log still linked: a state file or log deleted or
   * replaced behind the store's back is rewritten by the next write (as every write did before
   * the log), instead of appends going to a file no restart would read. The change time too,
   * because a file system reuses a deleted file's inode number.
   */
  #stateStamp: string | undefined;
  #tempCounter = 0;
  #closed = false;
  readonly #node: NodeModules;
  readonly #blocking: boolean;
  readonly #maxLogBytes: number;

  private constructor(node: NodeModules, dir: string, state: StateFiles, options: FileStoreOptions) {
    this.#node = node;
    this.#blocking = options.blockingWrites ?? true;
    this.#maxLogBytes = options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
    this.dir = dir;
    this.file = node.path.join(dir, STATE_FILE);
    this.#committed = state.entries;
    this.#generation = state.generation;
    this.#log = state.log;
    this.#stateStamp = state.stamp;
  }

  /**
   * Opens the store in `dir`, creating the directory if needed, deleting temporary files and
   * unused logs left by a crash and reading `state.json` and its log if there are any.
   *
   * @throws {CorruptStateError} when `state.json` or its log exists but cannot be read back.
   * @throws {Error} when this process already has `dir` open in another FileStore.
   */
  static async open(dir: string, options: FileStoreOptions = {}): Promise<FileStore> {
    const maxLogBytes = options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
    if (!Number.isSafeInteger(maxLogBytes) || maxLogBytes < 0 || maxLogBytes > MAX_LOG_BYTES) {
      throw new RangeError(`FileStore: maxLogBytes must be a whole number of bytes from 0 to ${MAX_LOG_BYTES} (1 GiB); got ${String(maxLogBytes)}`);
    }
    const node = await loadNodeModules();
    const { path } = node;
    const io = openIo(node, options.blockingWrites ?? true);
    const absolute = path.resolve(dir);
    const created = await io.mkdir(absolute);
    if (created !== undefined) {
      // A new directory is durable only once its parent's entry for it is.
      for (let level = absolute; level !== path.dirname(created); level = path.dirname(level)) {
        await io.syncDir(path.dirname(level));
      }
    }
    const real = await io.realpath(absolute);
    if (openDirectories.has(real)) {
      throw new Error(
        `FileStore: ${real} is already open in this process; close the other FileStore first ` +
          '(two stores on one directory would overwrite each other’s checkpoints)',
      );
    }
    openDirectories.add(real);
    let state: StateFiles | undefined;
    try {
      state = await readState(node, io, real);
      for (const name of await io.readdir(real)) {
        const stray = name.startsWith(TEMP_PREFIX) || (name.startsWith(LOG_PREFIX) && name !== logName(state.generation));
        if (stray) await io.rm(path.join(real, name));
      }
      return new FileStore(node, real, state, options);
    } catch (err) {
      if (state?.log !== undefined) closeQuietly(node.fsSync, state.log.fd);
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
    return this.#enqueue([[key, JSON.stringify(value)]]);
  }

  /** Durably removes `key`; removing a missing key is not an error. */
  async del(key: string): Promise<void> {
    this.#assertOpen();
    return this.#enqueue([[key]]);
  }

  /** Copies of every entry, in the order they were first stored. */
  async entries(): Promise<Array<readonly [string, JsonValue]>> {
    await this.#settled();
    return Array.from(this.#committed, ([key, text]) => [key, JSON.parse(text) as JsonValue] as const);
  }

  /**
   * Durably stores every entry in one atomic write: after a crash, all of them are there or
   * none. Every value is checked first, so a `TypeError` changes nothing.
   */
  async setMany(entries: ReadonlyArray<readonly [string, JsonValue]>): Promise<void> {
    return this.update(entries, []);
  }

  /** Durably removes every key in `keys`, atomically. */
  async delMany(keys: readonly string[]): Promise<void> {
    return this.update([], keys);
  }

  /**
   * Durably removes `keys` and stores `entries` in one atomic write (a key in both ends up
   * stored). Every value is checked first, so a `TypeError` changes nothing.
   */
  async update(entries: ReadonlyArray<readonly [string, JsonValue]>, keys: readonly string[]): Promise<void> {
    this.#assertOpen();
    for (const [key, value] of entries) assertJsonValue(value, key);
    // Serialized now, so that the caller may change its objects as soon as we return.
    const ops: LogOp[] = keys.map((key) => [key]);
    for (const [key, value] of entries) ops.push([key, JSON.stringify(value)]);
    return this.#enqueue(ops);
  }

  /**
   * Waits for the writes already called, folds the log into `state.json` (so that the file alone
   * holds the state, for a hand edit or a backup) and releases the directory. Later calls reject.
   * Closing twice is harmless.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#lastWrite;
      // A log the store stopped appending to (a torn end, a failed append, a hand-edited
      // state.json) is folded too: it may hold records, and a clean close leaves none.
      if (this.#log === undefined ? this.#generation > 0 : this.#log.bytes > 0) {
        // A failed fold loses nothing: every write is in the log, which stays the one named.
        try {
          if (this.#blocking) this.#rewriteBlocking(this.#committed);
          else await this.#rewriteAsync(this.#committed);
        } catch {
          // The next open replays the log instead.
        }
      }
    } finally {
      if (this.#log !== undefined) closeQuietly(this.#node.fsSync, this.#log.fd);
      this.#log = undefined;
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

  #enqueue(ops: readonly LogOp[]): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.#queue.push({ ops, resolve, reject });
    });
    this.#lastWrite = done.then(
      () => undefined,
      () => undefined,
    );
    // Starting on a microtask lets writes called in the same tick share one record.
    this.#flushing ??= Promise.resolve().then(() => this.#flush());
    return done;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0);
        const next = new Map(this.#committed);
        const ops = batch.length === 1 ? batch[0]!.ops : batch.flatMap((write) => write.ops);
        try {
          for (const [key, text] of ops) {
            if (text === undefined) next.delete(key);
            else next.set(key, text);
          }
          const log = this.#log;
          const record = log === undefined ? undefined : encodeLogRecord(this.#node.crypto, ops);
          const size = record === undefined ? 0 : Buffer.byteLength(record, 'utf8');
          const fits = log !== undefined && record !== undefined && log.bytes + size <= this.#maxLogBytes;
          if (fits && (this.#blocking ? this.#inPlaceBlocking(log) : await this.#inPlaceAsync(log))) {
            if (this.#blocking) this.#appendBlocking(log, record!);
            else await this.#appendAsync(log, record!);
            log.bytes += size;
          } else if (this.#blocking) this.#rewriteBlocking(next);
          else await this.#rewriteAsync(next);
        } catch (err) {
          // The state in memory stays what it was; the disk may or may not hold the write (it
          // does if only a sync failed), which is what any failed durable write promises.
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

  #logFile(generation: number): string {
    return this.#node.path.join(this.dir, logName(generation));
  }

  /** Whether `state.json` is still the file this store wrote and `log` still linked (see `#stateStamp`). */
  #inPlaceBlocking(log: OpenLog): boolean {
    const { fsSync: fs } = this.#node;
    const now = stamp(fs.statSync(this.file, { bigint: true, throwIfNoEntry: false }));
    return now !== undefined && now === this.#stateStamp && fs.fstatSync(log.fd).nlink > 0;
  }

  async #inPlaceAsync(log: OpenLog): Promise<boolean> {
    const { fs, fsSync } = this.#node;
    const now = stamp(await fs.stat(this.file, { bigint: true }).catch(() => undefined));
    if (now === undefined || now !== this.#stateStamp) return false;
    const links = await new Promise<number>((resolve, reject) => fsSync.fstat(log.fd, (err, stats) => (err === null ? resolve(stats.nlink) : reject(err))));
    return links > 0;
  }

  /** Appends one record and syncs it. A failure drops the log: its end may hold part of the record. */
  #appendBlocking(log: OpenLog, record: string): void {
    const { fsSync: fs } = this.#node;
    try {
      const bytes = Buffer.from(record, 'utf8');
      for (let done = 0; done < bytes.length; ) done += fs.writeSync(log.fd, bytes, done, bytes.length - done, log.bytes + done);
      fs.fdatasyncSync(log.fd);
    } catch (err) {
      this.#dropLog(log);
      throw err;
    }
  }

  /** {@link FileStore.#appendBlocking} on libuv's thread pool. */
  async #appendAsync(log: OpenLog, record: string): Promise<void> {
    const { fsSync: fs } = this.#node;
    try {
      const bytes = Buffer.from(record, 'utf8');
      for (let done = 0; done < bytes.length; ) {
        done += await new Promise<number>((resolve, reject) =>
          fs.write(log.fd, bytes, done, bytes.length - done, log.bytes + done, (err, written) => (err === null ? resolve(written) : reject(err))),
        );
      }
      await new Promise<void>((resolve, reject) => fs.fdatasync(log.fd, (err) => (err === null ? resolve() : reject(err))));
    } catch (err) {
      this.#dropLog(log);
      throw err;
    }
  }

  #dropLog(log: OpenLog): void {
    if (this.#log === log) this.#log = undefined;
    closeQuietly(this.#node.fsSync, log.fd);
  }

  /**
   * Rewrites `state.json` with `entries`, naming a new, empty log (created and made durable by a
   * directory fsync before the rename), then, once a second directory fsync made the rename
   * durable, deletes the old log.
   */
  #rewriteBlocking(entries: ReadonlyMap<string, string>): void {
    const { fsSync: fs } = this.#node;
    const generation = this.#generation + 1;
    const logFile = this.#logFile(generation);
    const temp = this.#tempFile();
    // 'w': a log of this generation left by a failed rewrite is not named by state.json.
    const fd = fs.openSync(logFile, 'w');
    try {
      const file = fs.openSync(temp, 'wx');
      try {
        fs.writeFileSync(file, serialize(this.#node, entries, generation), 'utf8');
        fs.fsyncSync(file);
      } finally {
        fs.closeSync(file);
      }
      // The new log's entry is made durable before any state.json names it, so that a missing
      // named log is never the work of a crash, and `open` can call it corruption.
      syncDirectoryBlocking(fs, this.dir);
      fs.renameSync(temp, this.file);
    } catch (err) {
      closeQuietly(fs, fd);
      // The new log stays: a rename that failed may still have happened, naming it. If it did
      // not, the log is a stray the next open deletes (and the next rewrite truncates).
      try {
        fs.rmSync(temp, { force: true });
      } catch {
        // The write's own error is the one to report.
      }
      throw err;
    }
    // From here state.json names the new log, whatever fails.
    let written: string | undefined;
    try {
      written = stamp(fs.statSync(this.file, { bigint: true }));
    } catch {
      // No stamp: the next write rewrites rather than append.
    }
    const old = this.#replaced(generation, fd, written);
    try {
      syncDirectoryBlocking(fs, this.dir);
    } catch (err) {
      this.#renameNotDurable();
      throw err;
    }
    this.#deleteLog(old);
  }

  /** {@link FileStore.#rewriteBlocking} on libuv's thread pool. */
  async #rewriteAsync(entries: ReadonlyMap<string, string>): Promise<void> {
    const { fs, fsSync } = this.#node;
    const generation = this.#generation + 1;
    const logFile = this.#logFile(generation);
    const temp = this.#tempFile();
    const fd = await new Promise<number>((resolve, reject) => fsSync.open(logFile, 'w', (err, opened) => (err === null ? resolve(opened) : reject(err))));
    try {
      const handle = await fs.open(temp, 'wx');
      try {
        await handle.writeFile(serialize(this.#node, entries, generation), 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await syncDirectory(this.#node, this.dir);
      await fs.rename(temp, this.file);
    } catch (err) {
      closeQuietly(fsSync, fd);
      // See #rewriteBlocking: the new log stays.
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw err;
    }
    const written = await fs.stat(this.file, { bigint: true }).then(stamp, () => undefined);
    const old = this.#replaced(generation, fd, written);
    try {
      await syncDirectory(this.#node, this.dir);
    } catch (err) {
      this.#renameNotDurable();
      throw err;
    }
    this.#deleteLog(old);
  }

  /**
   * `state.json` now names `generation`, whose log is open as `fd`; the old log is closed, and
   * its generation returned, for {@link FileStore.#deleteLog} once the rename is durable. Called
   * before the directory fsync after the rename: if that fails, the write fails and
   * {@link FileStore.#renameNotDurable} closes the new log again (the failed write is in
   * `state.json` or not, as a failed write may be).
   */
  #replaced(generation: number, fd: number, written: string | undefined): number {
    const old = this.#log;
    const oldGeneration = this.#generation;
    this.#stateStamp = written;
    this.#generation = generation;
    this.#log = { fd, bytes: 0 };
    if (old !== undefined) closeQuietly(this.#node.fsSync, old.fd);
    return oldGeneration;
  }

  /**
   * The directory fsync after a rename failed: until one succeeds, the rename may be lost to a
   * power cut, bringing back the old state.json and its log, so nothing may be appended to the
   * new log (a write acknowledged there would be lost with it). The next write rewrites, and its
   * directory fsync before its rename makes this rename durable too. The old log is kept.
   */
  #renameNotDurable(): void {
    if (this.#log !== undefined) this.#dropLog(this.#log);
  }

  /**
   * Deletes the log of a generation `state.json` no longer names. Only after the directory fsync
   * that made the rename durable: before it, a power loss could bring back the old `state.json`,
   * naming this log. A failed delete leaves a file the next `open` deletes.
   */
  #deleteLog(generation: number): void {
    if (generation === 0) return;
    try {
      this.#node.fsSync.rmSync(this.#logFile(generation), { force: true });
    } catch {
      // See above.
    }
  }
}

/** What {@link readState} found: the entries, the log generation `state.json` names, and its log if it can be appended to. */
interface StateFiles {
  readonly entries: Map<string, string>;
  readonly generation: number;
  readonly log: OpenLog | undefined;
  /** `state.json`'s {@link stamp}, when there is one. */
  readonly stamp: string | undefined;
}

/** A file's identity for `#stateStamp`: its inode and change time. */
function stamp(stats: NodeFsSync.BigIntStats | undefined): string | undefined {
  return stats === undefined ? undefined : `${stats.ino}:${stats.ctimeNs}`;
}

function logName(generation: number): string {
  return `${LOG_PREFIX}${generation}`;
}

function closeQuietly(fs: typeof NodeFsSync, fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Nothing to do about a descriptor that will not close.
  }
}

/**
 * Reads `state.json` and replays the log it names. The log is opened for appending when it
 * ends in a whole record and `state.json` has its checksum; a torn last record, or a hand-edited
 * `state.json`, leaves it closed, so the first write rewrites `state.json`. A missing log is
 * corruption: a rewrite makes the new log's entry durable before the rename that names it, so no
 * crash leaves `state.json` naming a log that is not there.
 */
async function readState(node: NodeModules, io: OpenIo, dir: string): Promise<StateFiles> {
  const file = node.path.join(dir, STATE_FILE);
  const { entries, generation, checked } = await readStateFile(node, io, file);
  const fileStamp = generation === 0 ? undefined : stamp(await io.stat(file));
  if (generation === 0) return { entries, generation, log: undefined, stamp: fileStamp };
  const logFile = node.path.join(dir, logName(generation));
  let bytes: Buffer;
  try {
    bytes = await io.readFile(logFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw corruptState(logFile, `is missing, though ${STATE_FILE} names it (the writes since ${STATE_FILE} was written are in it)`, err);
    throw corruptState(logFile, `cannot be read (${err instanceof Error ? err.message : String(err)})`, err);
  }
  const replay = replayLog(node.crypto, bytes, entries, (problem) => {
    throw corruptState(logFile, problem);
  });
  if (!checked && bytes.length > 0) {
    throw corruptState(
      file,
      `has no "sha256" (edited by hand), but its log ${logFile} holds writes made after it, which would override the edit: ` +
        'open and close the store once before editing (closing folds the log into the file), then edit it again',
    );
  }
  if (replay.tornTail || !checked) return { entries, generation, log: undefined, stamp: fileStamp };
  const fd = await io.openLog(logFile);
  return { entries, generation, log: { fd, bytes: replay.validBytes }, stamp: fileStamp };
}

/**
 * The file's text: a JSON object with one entry a line, so that it diffs and greps well. The
 * checksum covers the log's generation and the `entries` text exactly as written here (see
 * {@link checksummed}).
 */
function serialize(node: NodeModules, entries: ReadonlyMap<string, string>, generation: number): string {
  const body = serializeEntries(entries);
  const header = JSON.stringify({ format: FORMAT, version: VERSION, log: generation, sha256: sha256(node, checksummed(generation, body)) }).slice(0, -1);
  return `${header},"entries":${body}}\n`;
}

/**
 * What a state file's checksum covers: the entries and, from version 2, the log generation, so
 * that a damaged `"log"` cannot silently point the replay at another log (or none).
 */
function checksummed(generation: number, body: string): string {
  return generation === 0 ? body : `log ${generation}\n${body}`;
}

function serializeEntries(entries: ReadonlyMap<string, string>): string {
  const lines = Array.from(entries, ([key, text]) => `[${JSON.stringify(key)},${text}]`);
  return lines.length === 0 ? '[]' : `[\n${lines.join(',\n')}\n]`;
}

function sha256(node: NodeModules, text: string): string {
  return node.crypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The error for a state file or log that cannot be read back. */
function corruptState(file: string, problem: string, cause?: unknown): CorruptStateError {
  const isLog = !file.endsWith(STATE_FILE);
  return new CorruptStateError(
    `checkpoint ${isLog ? 'log' : 'state file'} ${file} ${problem}. tributary does not start over from an unreadable ` +
      `checkpoint: restore ${isLog ? `it and ${STATE_FILE}` : 'the file'} from a backup, or delete ` +
      `${isLog ? `both (${STATE_FILE} and its log)` : 'it'} to start from the configured start.`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Reads `state.json`: no file is no state; anything unreadable is a {@link CorruptStateError}.
 * `generation`: the log it names (0 for none: no file, or version 1).
 */
async function readStateFile(node: NodeModules, io: OpenIo, file: string): Promise<{ entries: Map<string, string>; generation: number; checked: boolean }> {
  const corrupt = (problem: string, cause?: unknown): CorruptStateError => corruptState(file, problem, cause);

  let bytes: Buffer;
  try {
    bytes = await io.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: new Map(), generation: 0, checked: true };
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
  const { format, version, log, sha256: checksum, entries } = parsed as Record<string, unknown>;
  if (format !== FORMAT) throw corrupt(`is not a tributary state file (its "format" is not "${FORMAT}")`);
  if (version !== VERSION && version !== 1) {
    throw corrupt(
      typeof version === 'number' && version > VERSION
        ? `has format version ${version}, written by a newer tributary; this one reads version ${VERSION}`
        : `has an unknown format version ${JSON.stringify(version) ?? 'undefined'}`,
    );
  }
  if (!Array.isArray(entries)) throw corrupt('has no "entries" array');
  // Version 1 had no log; from version 2 every file names one.
  const generation = version === 1 ? 0 : log;
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < (version === 1 ? 0 : 1)) {
    throw corrupt(`has no valid "log" (a generation number, 1 or more; got ${JSON.stringify(log) ?? 'none'})`);
  }
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
    if (sha256(node, checksummed(generation, serializeEntries(state))) !== checksum) {
      throw corrupt('fails its SHA-256 check (its entries or its "log" changed after it was written)');
    }
  }
  return { entries: state, generation, checked: checksum !== undefined };
}

/**
 * The file calls {@link FileStore.open} makes. With blocking writes they block too: each then
 * costs microseconds, where a call on libuv's pool waits for a turn of the event loop (in the
 * bench's scan, open took 5-7 ms that way, most of it waiting).
 */
interface OpenIo {
  /** `mkdir -p`; the first directory it created, if any. */
  mkdir(path: string): Promise<string | undefined>;
  syncDir(path: string): Promise<void>;
  realpath(path: string): Promise<string>;
  readFile(path: string): Promise<Buffer>;
  stat(path: string): Promise<NodeFsSync.BigIntStats>;
  readdir(path: string): Promise<string[]>;
  rm(path: string): Promise<void>;
  /** Opens a log to append to (the store writes at positions it tracks). */
  openLog(path: string): Promise<number>;
}

function openIo(node: NodeModules, blocking: boolean): OpenIo {
  if (blocking) {
    const fs = node.fsSync;
    return {
      mkdir: async (path) => fs.mkdirSync(path, { recursive: true }),
      syncDir: async (path) => syncDirectoryBlocking(fs, path),
      realpath: async (path) => fs.realpathSync(path),
      readFile: async (path) => fs.readFileSync(path),
      stat: async (path) => fs.statSync(path, { bigint: true }),
      readdir: async (path) => fs.readdirSync(path),
      rm: async (path) => fs.rmSync(path, { force: true }),
      openLog: async (path) => fs.openSync(path, 'r+'),
    };
  }
  const { fs, fsSync } = node;
  return {
    mkdir: (path) => fs.mkdir(path, { recursive: true }),
    syncDir: (path) => syncDirectory(node, path),
    realpath: (path) => fs.realpath(path),
    readFile: (path) => fs.readFile(path),
    stat: (path) => fs.stat(path, { bigint: true }),
    readdir: (path) => fs.readdir(path),
    rm: (path) => fs.rm(path, { force: true }),
    openLog: (path) => new Promise((resolve, reject) => fsSync.open(path, 'r+', (err, fd) => (err === null ? resolve(fd) : reject(err)))),
  };
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

import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { FINGERPRINT_BYTES, TAIL_BYTES, bytePositionOf, encodePosition, type FilePosition } from './FilePosition.js';

/** Device and inode of a file, as decimal strings. */
export interface FileIdentity {
  readonly dev: string;
  readonly ino: string;
}

/** What {@link statFile} tells of a file. */
export interface FileStat extends FileIdentity {
  readonly size: number;
  /** Last content change and last change of any kind (content or metadata), in nanoseconds. */
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

/** `stat` of `path` with exact (bigint) device and inode, or `undefined` when it is gone. */
export async function statFile(path: string): Promise<FileStat | undefined> {
  try {
    const s = await stat(path, { bigint: true });
    return { dev: String(s.dev), ino: String(s.ino), size: Number(s.size), mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Hash of `[start, start + length)` of `path`, or `undefined` when the file has fewer bytes. */
export async function hashRange(path: string, start: number, length: number): Promise<string | undefined> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await handle.read(buffer, got, length - got, start + got);
      if (bytesRead === 0) return undefined;
      got += bytesRead;
    }
    return hash(buffer);
  } finally {
    await handle.close();
  }
}

function hash(bytes: Uint8Array): string {
  // 128 bits of SHA-256: collisions are not a concern at this size, and node:crypto is built in.
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

/**
 * Watches one file for the changes that would make a stored position lie: checks a stored
 * position against the file before resuming, re-checks while reading (the file read must stay
 * the same inode, never shrink below what was read, and keep its first bytes), and produces the
 * positions to store. Every check returns a reason (a phrase) when the file changed, `undefined`
 * when it did not.
 */
/**
 * Whether nothing was written to a file between a stat `before` (asked for at `asked`, wall-clock
 * ms) and a later stat `now`, so that the head verified at `before` needs no new read: the same
 * size, mtime and ctime, and the file had been still for `stillMs` when `before` was asked for.
 * A write sets the ctime (which no one can set back) to the time of the write, in ticks of the
 * file system's granularity (a few milliseconds; 2 s on FAT): a file still for longer than a tick
 * gets a later ctime from any write after that stat. A file written to a moment ago (or with a
 * time in the future) has its head read every time. Why skip at all: the head read and its hash
 * were half of the check, and the check a read buffer was 10 % of an NDJSON scan.
 *
 * Not every write sets the ctime: one through a shared memory map (`mmap`) may not, and network
 * or FUSE file systems may cache or not keep it. The guard therefore reads the head at least
 * once a second while reading whatever the stat says: such a rewrite is seen within a second of
 * reading, where every read buffer's check saw it before.
 */
export function unchangedSince(before: FileStat, asked: number, now: FileStat, stillMs: number): boolean {
  if (!sameStat(before, now)) return false;
  const changedMs = Number(before.ctimeNs > before.mtimeNs ? before.ctimeNs : before.mtimeNs) / 1e6;
  return asked - changedMs > stillMs;
}

/** Whether two stats of a path tell of the same file with the same size, mtime and ctime. */
function sameStat(a: FileStat, b: FileStat): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** What `#headChanged` says when the file no longer has as many bytes as its head. */
const SHORT_HEAD = 'short';

function shrankWhileRead(size: number, read: number): string {
  return `shrank to ${size} bytes, below the ${read} bytes already read (truncated while being read)`;
}

/** The longest the head goes unread while a file is being read (see `check`). */
const HEAD_MAX_AGE_MS = 1_000;

/** How long a file must have been still before an unchanged stat stands for an unchanged head. */
const STILL_MS = 2_000;

export class FileGuard {
  /** Kept open between checks while reading (one open per read, not per check); see `release`. */
  #handle: FileHandle | undefined;
  #identity: FileIdentity | undefined;
  #head: { readonly hash: string; readonly len: number } | undefined;
  #tail: { readonly at: number; readonly hash: string; readonly len: number } | undefined;
  /** The last check's stat, and the wall-clock time it was asked for (see `#unchangedSince`). */
  #seen: { readonly stat: FileStat; readonly asked: number } | undefined;
  /** When (monotonic clock, ms) the head was last read. */
  #headAt = 0;

  /**
   * @param stillMs How long a file must have been still before an unchanged stat stands for an
   *   unchanged head (see `#unchangedSince`); tests shorten it.
   */
  constructor(
    readonly path: string,
    private readonly stillMs: number = STILL_MS,
  ) {}

  /**
   * Verifies `stored` against the file as it is now, then starts guarding it. A file that is
   * gone is not "changed" here: the read that follows reports it.
   */
  async open(stored: FilePosition): Promise<string | undefined> {
    await this.release();
    const asked = Date.now();
    const now = await statFile(this.path);
    this.#tail = undefined;
    this.#head = undefined;
    this.#seen = undefined;
    if (now === undefined) return undefined;
    this.#identity = { dev: now.dev, ino: now.ino };
    const at = bytePositionOf(stored.at);
    if (now.size < at) return `shrank to ${now.size} bytes, below the stored position (byte ${at})`;
    if (stored.head !== undefined && stored.headLen !== undefined && stored.headLen > 0) {
      const head = await this.#hash(0, stored.headLen);
      if (head !== stored.head) {
        return head === undefined
          ? `shrank below its ${stored.headLen}-byte fingerprint`
          : `its first ${stored.headLen} bytes changed (fingerprint mismatch: truncated and rewritten, or another file)`;
      }
    }
    if (stored.tail !== undefined && stored.tailLen !== undefined && stored.tailLen > 0 && at >= stored.tailLen) {
      const tail = await this.#hash(at - stored.tailLen, stored.tailLen);
      if (tail !== stored.tail) return `the ${stored.tailLen} bytes before the stored position changed (truncated and rewritten)`;
    }
    const headChanged = await this.#refreshHead(Math.min(now.size, FINGERPRINT_BYTES), undefined);
    // The head just hashed is the file's as of this stat: the first check may build on it.
    if (headChanged === undefined) {
      this.#seen = { stat: now, asked };
      this.#headAt = performance.now();
    }
    return headChanged;
  }

  /**
   * While reading: `read` bytes have been read. Fails when the path now names another file,
   * the file shrank below what was read, or its first bytes changed.
   */
  async check(read: number): Promise<string | undefined> {
    const asked = Date.now();
    const now = await statFile(this.path);
    // Gone (deleted, or renamed away before the new file appears): no verdict; the enumerator
    // drops a deleted file, and the next check sees what took its place.
    if (now === undefined) {
      this.#seen = undefined;
      return undefined;
    }
    if (this.#identity !== undefined && (now.dev !== this.#identity.dev || now.ino !== this.#identity.ino)) {
      return `was replaced by another file (inode ${this.#identity.ino} became ${now.ino}) while being read`;
    }
    if (now.size < read) return shrankWhileRead(now.size, read);
    // The head is read again at least every HEAD_MAX_AGE_MS whatever the stat says: a write
    // through a shared memory map changes the bytes without a new ctime (seen on Linux).
    // (A monotonic clock: a wall clock stepped back would keep an old head trusted.)
    const unchanged = performance.now() - this.#headAt < HEAD_MAX_AGE_MS && this.#unchangedSince(now);
    this.#seen = { stat: now, asked };
    if (unchanged) return undefined;
    this.#headAt = performance.now();
    let headChanged: string | undefined;
    try {
      headChanged = await this.#headChanged();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (headChanged !== undefined) {
      // The head read came up short: the file was cut after the stat. Say by how much, as a
      // stat taken now would have.
      const later = headChanged === SHORT_HEAD ? await statFile(this.path) : undefined;
      if (later !== undefined && later.size < read) return shrankWhileRead(later.size, read);
      return headChanged === SHORT_HEAD ? `shrank below its ${this.#head?.len ?? 0}-byte fingerprint while being read` : headChanged;
    }
    return this.#refreshHead(Math.min(now.size, FINGERPRINT_BYTES), 'while being read');
  }

  /** Whether the file is as `open` found it (nothing written, not replaced). */
  async unchangedSinceOpen(): Promise<boolean> {
    const seen = this.#seen;
    const now = await statFile(this.path);
    return seen !== undefined && now !== undefined && sameStat(seen.stat, now);
  }

  #unchangedSince(now: FileStat): boolean {
    const seen = this.#seen;
    return seen !== undefined && unchangedSince(seen.stat, seen.asked, now, this.stillMs);
  }

  /** Closes the handle kept for checks (the reader calls it when it stops reading for now). */
  async release(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }

  /**
   * The position to store for format offset `at`, `read` bytes into the file. `recent`, the
   * bytes that end at `read`, spares a read when they hold the bytes before the offset.
   */
  async position(at: string | null, read: number, recent?: Uint8Array): Promise<string> {
    const byte = bytePositionOf(at);
    const tailLen = Math.min(byte, TAIL_BYTES);
    if (tailLen > 0 && this.#tail?.at !== byte) {
      const from = read - (recent?.length ?? 0);
      const tail =
        recent !== undefined && byte - tailLen >= from && byte <= read
          ? hash(recent.subarray(byte - tailLen - from, byte - from))
          : await this.#hash(byte - tailLen, tailLen);
      this.#tail = tail === undefined ? undefined : { at: byte, hash: tail, len: tailLen };
    }
    const position: FilePosition = {
      at,
      ...(this.#identity ?? {}),
      ...(this.#head === undefined ? {} : { head: this.#head.hash, headLen: this.#head.len }),
      ...(tailLen > 0 && this.#tail !== undefined ? { tail: this.#tail.hash, tailLen: this.#tail.len } : {}),
      read,
    };
    return encodePosition(position);
  }

  /** Whether the head hashed so far still reads the same (a phrase when not, SHORT_HEAD when the file is now shorter). */
  async #headChanged(): Promise<string | undefined> {
    const old = this.#head;
    if (old === undefined || old.len === 0) return undefined;
    const again = await this.#hash(0, old.len);
    if (again === undefined) return SHORT_HEAD;
    return again === old.hash ? undefined : `its first ${old.len} bytes changed while being read (rewritten)`;
  }

  /** Hash of `[start, start + length)` through the kept handle, or `undefined` when the file has fewer bytes. */
  async #hash(start: number, length: number): Promise<string | undefined> {
    const bytes = await this.#bytes(start, length);
    return bytes === undefined ? undefined : hash(bytes);
  }

  /** Extends the head hash to the first `len` bytes (a small file that grew). */
  async #refreshHead(len: number, when: string | undefined): Promise<string | undefined> {
    const old = this.#head;
    if (len === 0 || old?.len === len) return undefined;
    if (old !== undefined && old.len > len) return `shrank below its ${old.len}-byte fingerprint${when === undefined ? '' : ` ${when}`}`;
    const bytes = await this.#bytes(0, len);
    if (bytes === undefined) return undefined;
    if (old !== undefined && hash(bytes.subarray(0, old.len)) !== old.hash) return `its first ${old.len} bytes changed${when === undefined ? '' : ` ${when}`} (rewritten)`;
    this.#head = { hash: hash(bytes), len };
    return undefined;
  }

  async #bytes(start: number, length: number): Promise<Buffer | undefined> {
    this.#handle ??= await open(this.path, 'r');
    const buffer = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.#handle.read(buffer, got, length - got, start + got);
      if (bytesRead === 0) return undefined;
      got += bytesRead;
    }
    return buffer;
  }
}

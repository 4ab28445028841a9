import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { FINGERPRINT_BYTES, TAIL_BYTES, bytePositionOf, encodePosition, type FilePosition } from './FilePosition.js';

/** Device and inode of a file, as decimal strings. */
export interface FileIdentity {
  readonly dev: string;
  readonly ino: string;
}

/** `stat` of `path` with exact (bigint) device and inode, or `undefined` when it is gone. */
export async function statFile(path: string): Promise<(FileIdentity & { readonly size: number }) | undefined> {
  try {
    const s = await stat(path, { bigint: true });
    return { dev: String(s.dev), ino: String(s.ino), size: Number(s.size) };
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
export class FileGuard {
  /** Kept open between checks while reading (one open per read, not per check); see `release`. */
  #handle: FileHandle | undefined;
  #identity: FileIdentity | undefined;
  #head: { readonly hash: string; readonly len: number } | undefined;
  #tail: { readonly at: number; readonly hash: string; readonly len: number } | undefined;

  constructor(readonly path: string) {}

  /**
   * Verifies `stored` against the file as it is now, then starts guarding it. A file that is
   * gone is not "changed" here: the read that follows reports it.
   */
  async open(stored: FilePosition): Promise<string | undefined> {
    await this.release();
    const now = await statFile(this.path);
    this.#tail = undefined;
    this.#head = undefined;
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
    return this.#refreshHead(Math.min(now.size, FINGERPRINT_BYTES), undefined);
  }

  /**
   * While reading: `read` bytes have been read. Fails when the path now names another file,
   * the file shrank below what was read, or its first bytes changed.
   */
  async check(read: number): Promise<string | undefined> {
    // The path's inode and size, and the head through the open handle, at once.
    const [now, headChanged] = await Promise.all([
      statFile(this.path),
      this.#headChanged().catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }),
    ]);
    // Gone (deleted, or renamed away before the new file appears): no verdict; the enumerator
    // drops a deleted file, and the next check sees what took its place.
    if (now === undefined || headChanged === null) return undefined;
    if (this.#identity !== undefined && (now.dev !== this.#identity.dev || now.ino !== this.#identity.ino)) {
      return `was replaced by another file (inode ${this.#identity.ino} became ${now.ino}) while being read`;
    }
    if (now.size < read) return `shrank to ${now.size} bytes, below the ${read} bytes already read (truncated while being read)`;
    if (headChanged !== undefined) return headChanged;
    return this.#refreshHead(Math.min(now.size, FINGERPRINT_BYTES), 'while being read');
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

  /** Whether the head hashed so far still reads the same (a phrase when not). */
  async #headChanged(): Promise<string | undefined> {
    const old = this.#head;
    if (old === undefined || old.len === 0) return undefined;
    const again = await this.#hash(0, old.len);
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

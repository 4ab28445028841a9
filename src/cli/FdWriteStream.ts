import { fstatSync, writev } from 'node:fs';
import { Writable } from 'node:stream';

/** Bytes the stream buffers before `write` returns false (the CLI's sink applies its own bound). */
const HIGH_WATER_MARK = 64 * 1024;

/**
 * The CLI's stdout when it is a pipe or a socket: a Writable that makes its write system calls
 * on libuv's thread pool (`fs.writev`, one call at a time, in order), not on the main thread.
 *
 * Why: `process.stdout` on a pipe writes from the event loop. A pipe holds 64 KiB, so while the
 * main thread decodes a read buffer (~4 ms, ~380 KiB of NDJSON) the pipe fills once and every
 * later write waits for the next turn of the loop; the output backs up to the sink's bound and
 * the decoder stops until the loop has fed the reader 64 KiB at a time. That was 12 % idle time
 * and 0.3-0.6 s of 2.2 s for 1M TPC-H rows into `| wc -l`; writing from the thread pool, where
 * a blocking write waits for the reader while the main thread decodes on, the same run took
 * 1.88 s, the time it takes with stdout at /dev/null (measured side by side).
 *
 * A blocking write needs a blocking descriptor: a pipe or socket is one as a shell or a
 * `child_process` parent hands it over. One that is not (its parent made it non-blocking) fails
 * a full write with EAGAIN: from then on the bytes not yet written, and every later write, go
 * through `fallback()` (`process.stdout`, which polls), in order, so the output is the same.
 *
 * A write's callback runs once its bytes are in the pipe, as with `process.stdout`: the CLI's
 * checkpoint waits for it (see `NdjsonSink.flush`). EPIPE (the reader is gone) is the stream's
 * error, as it is `process.stdout`'s.
 *
 * @example
 * const stdout = FdWriteStream.forPipe(1, () => process.stdout) ?? process.stdout;
 * stdout.write(Buffer.from('{"a":1}\n'), (err) => console.error(err ?? 'in the pipe'));
 */
export class FdWriteStream extends Writable {
  readonly isTTY = false;
  #fallback: Writable | undefined;
  #writing = false;

  constructor(
    /** The descriptor written to; it stays open (it is the process's). */
    readonly fd: number,
    private readonly fallback: () => Writable,
  ) {
    super({ highWaterMark: HIGH_WATER_MARK });
  }

  /** A stream for `fd` when it is a pipe or a socket; `undefined` for anything else (a file, a terminal, /dev/null). */
  static forPipe(fd: number, fallback: () => Writable): FdWriteStream | undefined {
    try {
      const stat = fstatSync(fd);
      return stat.isFIFO() || stat.isSocket() ? new FdWriteStream(fd, fallback) : undefined;
    } catch {
      return undefined;
    }
  }

  /** True once writes go through the fallback stream (the descriptor was non-blocking). */
  get fellBack(): boolean {
    return this.#fallback !== undefined;
  }

  /**
   * True while a write is in a thread of the pool: it may be blocked there until the reader
   * reads. Node's exit waits for the pool's threads, so an exit now waits for the reader too.
   */
  get writing(): boolean {
    return this.#writing;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#writeAll([chunk], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.#writeAll(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  #writeAll(buffers: readonly Buffer[], callback: (error?: Error | null) => void): void {
    const pending = buffers.filter((b) => b.length > 0);
    if (pending.length === 0) {
      callback();
      return;
    }
    if (this.#fallback !== undefined) {
      this.#through(this.#fallback, pending, callback);
      return;
    }
    this.#writing = true;
    writev(this.fd, pending, (err, written) => {
      this.#writing = false;
      if (err !== null && err.code === 'EAGAIN') {
        this.#fallback = this.fallback();
        // Its errors reach the callbacks below; without a listener one would also be thrown.
        this.#fallback.on('error', () => undefined);
        this.#through(this.#fallback, pending, callback);
      } else if (err !== null) {
        callback(err);
      } else {
        // A write may take part of the bytes (a signal, or room for only some): write the rest.
        this.#writeAll(after(pending, written), callback);
      }
    });
  }

  /** Hands `buffers` to `stream`; `callback` runs when it has taken the last one. */
  #through(stream: Writable, buffers: readonly Buffer[], callback: (error?: Error | null) => void): void {
    for (let i = 0; i < buffers.length - 1; i++) stream.write(buffers[i]);
    stream.write(buffers[buffers.length - 1], (err?: Error | null) => callback(err ?? null));
  }
}

/** What is left of `buffers` after their first `bytes` bytes. */
function after(buffers: readonly Buffer[], bytes: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = bytes;
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
      continue;
    }
    rest.push(skip === 0 ? buffer : buffer.subarray(skip));
    skip = 0;
  }
  return rest;
}

import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ByteInput } from '../../formats/Format.js';

/** Default read size: large enough for throughput, small enough to keep memory flat. */
export const DEFAULT_READ_BUFFER_BYTES = 256 * 1024;

/**
 * A {@link ByteInput} over a local file. Every `stream(start, end)` opens its own read stream,
 * reading `readBufferBytes` at a time and only as fast as the consumer pulls, so memory stays at
 * a few buffers whatever the file size. `close()` destroys every stream still open (the reader
 * calls it on unsubscribe, which may come while a read is pending).
 *
 * @example
 * const input = new FileByteInput('/data/orders.ndjson');
 * for await (const bytes of input.stream(0)) process(bytes);
 */
export class FileByteInput implements ByteInput {
  readonly #open = new Set<ReadStream>();
  #closed = false;

  constructor(
    /** Absolute path of the file. */
    readonly path: string,
    private readonly readBufferBytes: number = DEFAULT_READ_BUFFER_BYTES,
  ) {}

  /** Streams `[start, end)`, or from `start` to the end of the file as it is when reading gets there. */
  async *stream(start: number, end?: number): AsyncIterable<Uint8Array> {
    if (this.#closed) return;
    if (end !== undefined && end <= start) return;
    const stream = createReadStream(this.path, {
      start,
      // createReadStream's `end` is inclusive.
      ...(end === undefined ? {} : { end: end - 1 }),
      highWaterMark: this.readBufferBytes,
    });
    this.#open.add(stream);
    try {
      for await (const bytes of stream as AsyncIterable<Buffer>) yield bytes;
    } finally {
      this.#open.delete(stream);
      stream.destroy();
    }
  }

  /** The file's current size. */
  async size(): Promise<number> {
    return (await stat(this.path)).size;
  }

  /** Destroys every open stream; later `stream` calls yield nothing. */
  close(): void {
    this.#closed = true;
    for (const stream of this.#open) stream.destroy();
    this.#open.clear();
  }
}

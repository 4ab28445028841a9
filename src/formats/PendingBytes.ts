/**
 * The bytes a stream decoder has received but not consumed yet (an incomplete line, record or
 * block). Pieces are concatenated only when the decoder takes them, so a record arriving in many
 * small pushes is not copied once per push.
 */
export class PendingBytes {
  private pieces: Buffer[] = [];
  private size = 0;
  /** Whether the last {@link takeWith} returned the caller's own chunk (not a copy). */
  private borrowed = false;

  /** The number of bytes pending. */
  get length(): number {
    return this.size;
  }

  /** Appends a pushed chunk, copied: the caller may reuse the buffers it pushes. */
  add(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pieces.push(Buffer.from(bytes));
    this.size += bytes.length;
  }

  /** Everything pending, as one buffer; nothing is pending afterwards. */
  take(): Buffer {
    const all = this.pieces.length === 1 ? (this.pieces[0] as Buffer) : Buffer.concat(this.pieces, this.size);
    this.pieces = [];
    this.size = 0;
    this.borrowed = false;
    return all;
  }

  /**
   * Everything pending followed by `chunk`, as one buffer; nothing is pending afterwards. When
   * nothing was pending this is `chunk` itself, not a copy: the caller must be done with it
   * before it returns, except for what it hands back to {@link keep} (which then copies).
   */
  takeWith(chunk: Buffer): Buffer {
    if (this.size === 0) {
      this.borrowed = true;
      return chunk;
    }
    this.pieces.push(chunk);
    this.size += chunk.length;
    return this.take();
  }

  /** Puts back the unconsumed end of what {@link take} or {@link takeWith} returned. */
  keep(rest: Buffer): void {
    const owned = this.borrowed && rest.length > 0 ? Buffer.from(rest) : rest;
    this.borrowed = false;
    this.pieces = owned.length > 0 ? [owned] : [];
    this.size = owned.length;
  }
}

/**
 * The bytes a stream decoder has received but not consumed yet (an incomplete line, record or
 * block). Pieces are concatenated only when the decoder takes them, so a record arriving in many
 * small pushes is not copied once per push.
 */
export class PendingBytes {
  private pieces: Buffer[] = [];
  private length = 0;

  /** Appends a pushed chunk, copied: the caller may reuse the buffers it pushes. */
  add(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pieces.push(Buffer.from(bytes));
    this.length += bytes.length;
  }

  /** Everything pending, as one buffer; nothing is pending afterwards. */
  take(): Buffer {
    const all = this.pieces.length === 1 ? (this.pieces[0] as Buffer) : Buffer.concat(this.pieces, this.length);
    this.pieces = [];
    this.length = 0;
    return all;
  }

  /** Puts back the unconsumed end of what {@link take} returned. */
  keep(rest: Buffer): void {
    this.pieces = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
  }
}

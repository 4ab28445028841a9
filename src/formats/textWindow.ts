const LF = 10;

/**
 * Bytes decoded to text at a time by the line formats. V8 allocates a string over ~128 KiB in
 * its large-object space, which made decoding a 256 KiB read ten times slower (Node 20) than
 * decoding it in 64 KiB pieces: the line decoders cut what they decode at line breaks into
 * windows of at most this size.
 */
export const TEXT_WINDOW_BYTES = 64 * 1024;

/**
 * The end of the text window starting at `from` in `bytes[from, limit)`: just past the last line
 * break within {@link TEXT_WINDOW_BYTES} bytes (past the first one after them for a longer line),
 * or `limit`. A window ends at `limit` or just past a line break.
 */
export function textWindowEnd(bytes: Buffer, from: number, limit: number): number {
  if (limit - from <= TEXT_WINDOW_BYTES) return limit;
  let nl = bytes.lastIndexOf(LF, from + TEXT_WINDOW_BYTES - 1);
  if (nl < from) nl = bytes.indexOf(LF, from + TEXT_WINDOW_BYTES);
  return nl === -1 || nl >= limit ? limit : nl + 1;
}

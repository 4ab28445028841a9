import type { DecodeContext, DecodedBatch, StreamDecoder } from './Format.js';
import { JsonArrayStreamDecoder } from './JsonArrayStreamDecoder.js';
import { NdjsonStreamDecoder } from './NdjsonStreamDecoder.js';

/** How a JSON file holds its objects (see `jsonFormat`'s `json.array: 'auto'`). */
export type JsonLayout = 'array' | 'pretty' | 'ndjson';

/** How far {@link JsonLayoutSniffer} looks for the end of the first line. */
export const FIRST_LINE_LIMIT = 1 << 20;

/**
 * Finds a JSON file's layout from its first bytes, fed in order: `array` when the first
 * character after blanks (and a byte order mark) is `[`; `pretty` when it is `{` and that
 * object is still open at the end of its line (brackets inside strings do not count); else
 * `ndjson`, also for a first line longer than {@link FIRST_LINE_LIMIT}, for more blanks than that
 * before the first character, and for input that ends before deciding (an empty file is NDJSON).
 */
export class JsonLayoutSniffer {
  private position = 0;
  private depth = -1;
  private inString = false;
  private escaped = false;

  /** Feeds the next bytes: the layout once they decide it, else `undefined` (feed more, or `end`). */
  feed(chunk: Uint8Array): JsonLayout | undefined {
    for (let i = 0; i < chunk.length; i++, this.position++) {
      const c = chunk[i] as number;
      if (this.depth === -1) {
        // Only blanks so far: as NDJSON (blank lines) once they exceed the first line's limit,
        // so that a file of blanks is not held whole while it is being decided.
        if (this.position > FIRST_LINE_LIMIT) return 'ndjson';
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        if (this.position < 3 && (c === 0xef || c === 0xbb || c === 0xbf)) continue;
        if (c === 0x5b) return 'array';
        if (c !== 0x7b) return 'ndjson';
        this.depth = 1;
        continue;
      }
      if (this.position > FIRST_LINE_LIMIT) return 'ndjson';
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
      } else if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) this.depth--;
      else if (c === 0x0a) return this.depth > 0 ? 'pretty' : 'ndjson';
    }
    return undefined;
  }

  /** The layout of input that ended undecided. */
  end(): JsonLayout {
    return 'ndjson';
  }
}

/** The stream decoder of `layout`, starting at byte `start`. */
export function jsonLayoutDecoder(layout: JsonLayout, start: number, context: DecodeContext): StreamDecoder {
  if (layout === 'array') return new JsonArrayStreamDecoder(start, context);
  if (layout === 'pretty') return new JsonArrayStreamDecoder(start, context, true);
  return new NdjsonStreamDecoder(start, context);
}

/**
 * The JSON stream decoder of a file read from byte 0 in `auto` layout: it finds the layout in
 * the bytes it is pushed and then hands them to that layout's decoder, so the file's start is
 * not read twice (once to decide, once to decode: an open and a read buffer more per file).
 * Until the layout is decided (the first line's end, at most {@link FIRST_LINE_LIMIT} bytes
 * in) it holds what it was pushed and decodes nothing.
 */
export class JsonLayoutDecoder implements StreamDecoder {
  readonly startByte = 0;
  private readonly sniffer = new JsonLayoutSniffer();
  private held: Uint8Array[] = [];
  private inner: StreamDecoder | undefined;

  constructor(private readonly context: DecodeContext) {}

  push(bytes: Uint8Array): DecodedBatch {
    if (this.inner !== undefined) return this.inner.push(bytes);
    const layout = this.sniffer.feed(bytes);
    if (layout === undefined) {
      // Copied: the caller may reuse its buffer once push returns.
      this.held.push(Uint8Array.prototype.slice.call(bytes));
      return { rows: [], offset: '0', nextOffset: '0' };
    }
    const inner = this.decide(layout);
    if (this.held.length === 0) return inner.push(bytes);
    this.held.push(bytes);
    return inner.push(this.takeHeld());
  }

  end(): DecodedBatch {
    if (this.inner !== undefined) return this.inner.end();
    const inner = this.decide(this.sniffer.end());
    const first = inner.push(this.takeHeld());
    const last = inner.end();
    return { rows: [...first.rows, ...last.rows], offset: first.rows.length > 0 ? first.offset : last.offset, nextOffset: last.nextOffset };
  }

  private decide(layout: JsonLayout): StreamDecoder {
    this.inner = jsonLayoutDecoder(layout, 0, this.context);
    return this.inner;
  }

  private takeHeld(): Uint8Array {
    const held = this.held;
    this.held = [];
    return held.length === 1 ? (held[0] as Uint8Array) : Buffer.concat(held);
  }
}

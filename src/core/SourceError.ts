/** Where in a source something went wrong. */
export interface SourceErrorLocation {
  readonly source: string;
  readonly split?: string;
  readonly offset?: string;
  /**
   * The 1-based line of a text format's record. Counted from where the reader started: from the
   * start of the split, or, when it resumed mid-split, from `lineFrom` (a byte position).
   */
  readonly line?: number;
  /** The byte position `line` is counted from, when it is not the start of the split. */
  readonly lineFrom?: number;
}

/**
 * An error that names the source, split and offset it came from. Every error tributary raises
 * from a running source is one of these (or a subclass), with the original error as `cause`.
 */
export class SourceError extends Error {
  readonly source: string;
  readonly split: string | undefined;
  readonly offset: string | undefined;
  /** See {@link SourceErrorLocation.line}. */
  readonly line: number | undefined;
  readonly lineFrom: number | undefined;

  constructor(message: string, location: SourceErrorLocation, options?: { cause?: unknown }) {
    super(`${describeLocation(location)}: ${message}`, options);
    this.name = 'SourceError';
    this.source = location.source;
    this.split = location.split;
    this.offset = location.offset;
    this.line = location.line;
    this.lineFrom = location.lineFrom;
  }

  /**
   * Wraps `err` with a location, unless it already carries one (the innermost location is the
   * most precise, so it wins).
   */
  static wrap(err: unknown, location: SourceErrorLocation): SourceError {
    if (err instanceof SourceError) return err;
    return new SourceError(messageOf(err), location, { cause: err });
  }
}

/** The message of whatever was thrown, to quote it in a warning or another error. @internal */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What a bad record cost: the input set aside with it, when the reader knows. */
export interface BadRecordLoss {
  /**
   * The number of records lost with it, when known (an Avro block's record count, the rest of a
   * block); counted as 1 when absent. A lower bound when {@link bytes} spans several records of a
   * text format (an unterminated quote): the bytes are then the measure.
   */
  readonly records?: number;
  /** The number of input bytes set aside, from the error's offset on, when known. */
  readonly bytes?: number;
}

/** A record that could not be decoded or did not fit the schema. */
export class BadRecordError extends SourceError {
  /** Records lost with this error: {@link BadRecordLoss.records}, or 1. */
  readonly records: number;
  /** Input bytes set aside with this error, when known: {@link BadRecordLoss.bytes}. */
  readonly bytes: number | undefined;

  constructor(message: string, location: SourceErrorLocation, options?: { cause?: unknown } & BadRecordLoss) {
    super(message, location, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BadRecordError';
    this.records = options?.records ?? 1;
    this.bytes = options?.bytes;
  }
}

/** Stored state that cannot be read back: never silently treated as "no state". */
export class CorruptStateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CorruptStateError';
  }
}

function describeLocation({ source, split, offset, line, lineFrom }: SourceErrorLocation): string {
  let text = `source '${source}'`;
  if (split !== undefined) text += `, split '${split}'`;
  if (offset !== undefined) text += `, offset ${offset}`;
  if (line !== undefined) text += lineFrom === undefined || lineFrom === 0 ? `, line ${line}` : `, line ${line} counted from byte ${lineFrom} (where reading resumed)`;
  return text;
}

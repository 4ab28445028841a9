/** Where in a source something went wrong. */
export interface SourceErrorLocation {
  readonly source: string;
  readonly split?: string;
  readonly offset?: string;
}

/**
 * An error that names the source, split and offset it came from. Every error tributary raises
 * from a running source is one of these (or a subclass), with the original error as `cause`.
 */
export class SourceError extends Error {
  readonly source: string;
  readonly split: string | undefined;
  readonly offset: string | undefined;

  constructor(message: string, location: SourceErrorLocation, options?: { cause?: unknown }) {
    super(`${describeLocation(location)}: ${message}`, options);
    this.name = 'SourceError';
    this.source = location.source;
    this.split = location.split;
    this.offset = location.offset;
  }

  /**
   * Wraps `err` with a location, unless it already carries one (the innermost location is the
   * most precise, so it wins).
   */
  static wrap(err: unknown, location: SourceErrorLocation): SourceError {
    if (err instanceof SourceError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new SourceError(message, location, { cause: err });
  }
}

/** A record that could not be decoded or did not fit the schema. */
export class BadRecordError extends SourceError {
  constructor(message: string, location: SourceErrorLocation, options?: { cause?: unknown }) {
    super(message, location, options);
    this.name = 'BadRecordError';
  }
}

/** Stored state that cannot be read back: never silently treated as "no state". */
export class CorruptStateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CorruptStateError';
  }
}

function describeLocation({ source, split, offset }: SourceErrorLocation): string {
  let text = `source '${source}'`;
  if (split !== undefined) text += `, split '${split}'`;
  if (offset !== undefined) text += `, offset ${offset}`;
  return text;
}

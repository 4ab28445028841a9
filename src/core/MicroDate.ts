/**
 * An instant with microsecond precision: a `Date` (milliseconds, so every API that takes a
 * `Date` takes it) that also carries the microseconds past its millisecond (see {@link instant}:
 * values with whole milliseconds are plain `Date`s). PostgreSQL's
 * `timestamptz` and Debezium's `ZonedTimestamp` have microseconds; a plain `Date` would cut
 * them, and a table compared with `SELECT *` would differ.
 *
 * - `toISOString()` (and so `JSON.stringify`) gives six fractional digits:
 *   `2024-01-05T01:02:03.456789Z`; {@link MicroDate.fromText} reads that back.
 * - Equal instants are equal under `isDeepStrictEqual` (`micros` is an own property);
 *   {@link epochMicros} orders them.
 * - `setTime` and the other setters change the milliseconds only: build a new one instead.
 *   `structuredClone` (worker threads) gives a plain `Date`: send {@link epochMicros}.
 *
 * @example
 * const t = MicroDate.fromText('2024-01-05 01:02:03.456789+01')!;
 * t.toISOString();   // '2024-01-05T00:02:03.456789Z'
 * t.getTime();       // 1704412923456
 * t.micros;          // 789
 * t.epochMicros();   // 1704412923456789n
 */
export class MicroDate extends Date {
  /** The microseconds past the millisecond `getTime()` gives: 0 to 999. */
  readonly micros: number;

  /** `epochMs`: milliseconds since 1970 (an integer); `micros`: 0 to 999 more. */
  constructor(epochMs: number, micros = 0) {
    super(epochMs);
    if (!Number.isInteger(micros) || micros < 0 || micros > 999) throw new RangeError(`MicroDate: micros must be an integer from 0 to 999, got ${micros}`);
    this.micros = micros;
  }

  /** From microseconds since 1970. */
  static fromEpochMicros(epochMicros: bigint): MicroDate {
    let ms = epochMicros / 1000n;
    let micros = epochMicros % 1000n;
    if (micros < 0n) {
      ms -= 1n;
      micros += 1000n;
    }
    return new MicroDate(Number(ms), Number(micros));
  }

  /**
   * Reads `YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]][Z|±HH[:MM]]` (ISO 8601 and PostgreSQL's output; no
   * zone is UTC), or returns undefined. Digits past the sixth are cut, as PostgreSQL does not
   * keep them.
   */
  static fromText(text: string): MicroDate | undefined {
    const m = ISO.exec(text.trim());
    if (m === null) return undefined;
    const fraction = (m[7] ?? '').padEnd(6, '0').slice(0, 6);
    const ms = Number(fraction.slice(0, 3));
    const micros = Number(fraction.slice(3));
    const year = Number(m[1]);
    let utc = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), ms);
    // Date.UTC maps years 0-99 to 1900-1999.
    if (year < 100) {
      const d = new Date(utc);
      d.setUTCFullYear(year);
      utc = d.getTime();
    }
    const zone = m[8];
    if (zone !== undefined && zone.toUpperCase() !== 'Z') {
      const sign = zone.startsWith('-') ? -1 : 1;
      const digits = zone.slice(1).replace(/:/g, '');
      utc -= sign * (Number(digits.slice(0, 2)) * 3_600_000 + Number(digits.slice(2, 4) || 0) * 60_000 + Number(digits.slice(4, 6) || 0) * 1000);
    }
    if (Number.isNaN(utc) || Number(m[2]) > 12 || Number(m[3]) > 31) return undefined;
    return new MicroDate(utc, micros);
  }

  /** Microseconds since 1970. */
  epochMicros(): bigint {
    return BigInt(this.getTime()) * 1000n + BigInt(this.micros);
  }

  /** ISO 8601 in UTC with six fractional digits (`Date`'s has three). */
  override toISOString(): string {
    const iso = super.toISOString(); // 2024-01-05T01:02:03.456Z (or ±YYYYYY-... far out)
    return `${iso.slice(0, -1)}${String(this.micros).padStart(3, '0')}Z`;
  }

  override toJSON(): string {
    // An invalid instant is null in JSON, as for a Date.
    return Number.isNaN(this.getTime()) ? super.toJSON() : this.toISOString();
  }
}

/**
 * The instant `epochMs` + `micros` µs as a plain `Date` when `micros` is 0, else a
 * {@link MicroDate}: what the connectors and SQL conversions give, so that a value with whole
 * milliseconds is printed and compared as it always was, and two equal instants read by two
 * paths are equal under `isDeepStrictEqual`.
 */
export function instant(epochMs: number, micros: number): Date {
  return micros === 0 ? new Date(epochMs) : new MicroDate(epochMs, micros);
}

/** The microseconds past the millisecond of any `Date` (0 for a plain one). */
export function microsOf(date: Date): number {
  return date instanceof MicroDate ? date.micros : 0;
}

const ISO = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?\s*(Z|z|[+-]\d\d(?::?\d\d(?::?\d\d)?)?)?$/;

/** `-12`, `+901.00`: sign, digits and an optional fraction (group 1 keeps the sign for BigInt). */
const SIMPLE_DECIMAL = /^([+-]?\d+)(?:\.(\d+))?$/;

/**
 * An exact decimal number: what NUMERIC / DECIMAL columns hold. A JS number cannot carry
 * `12345678901234567.89` or even `0.1 + 0.2` exactly, and a plain string would lose the fact that
 * the value is a number (the CLI prints NUMERIC values as JSON numbers, digits intact).
 *
 * The value is `unscaled × 10^-scale`; the scale is kept as written (`1.50` stays `1.50`), as
 * PostgreSQL does. Rounding is half away from zero, as PostgreSQL rounds NUMERIC.
 *
 * @example
 * Decimal.parse('0.1').add(Decimal.parse('0.2')).toString() // '0.3'
 * Decimal.parse('901.00').mul(Decimal.parse('2')).toString() // '1802.00'
 */
export class Decimal {
  /** The digits, sign included, without the decimal point. */
  readonly unscaled: bigint;
  /** Digits after the decimal point (>= 0). */
  readonly scale: number;
  /**
   * The text `toString` gives, when it is known already: parsed from text in that very form
   * (`901.00`, most NUMERIC values of a CSV), so writing it out again costs nothing. Private
   * (`#`): invisible to equality checks that compare fields.
   */
  #text: string | undefined = undefined;

  constructor(unscaled: bigint, scale = 0) {
    if (!Number.isInteger(scale) || scale < 0) throw new RangeError(`invalid decimal scale ${scale}`);
    this.unscaled = unscaled;
    this.scale = scale;
  }

  /**
   * Reads decimal text: an optional sign, digits with an optional point, an optional exponent
   * (`-12.5`, `.5`, `1e3`, `1.5E-2`). Throws a `SyntaxError` on anything else.
   */
  static parse(text: string): Decimal {
    const short = Decimal.#parseShort(text);
    if (short !== undefined) return short;
    // Plain forms (`-12`, `901.00`) with more digits: one regex, no exponent.
    const simple = SIMPLE_DECIMAL.exec(text);
    if (simple !== null) {
      const fraction = simple[2] ?? '';
      const decimal = new Decimal(BigInt(simple[1]! + fraction), fraction.length);
      if (isCanonical(text, decimal.unscaled)) decimal.#text = text;
      return decimal;
    }
    const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
    if (m === null || (m[2] === '' && (m[3] ?? '') === '')) throw new SyntaxError(`invalid decimal "${text}"`);
    const intPart = m[2] ?? '';
    const fracPart = m[3] ?? '';
    const exponent = m[4] === undefined ? 0 : Number(m[4]);
    if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 100_000) {
      throw new SyntaxError(`decimal exponent out of range in "${text}"`);
    }
    let digits = BigInt((intPart + fracPart) || '0');
    let scale = fracPart.length - exponent;
    if (scale < 0) {
      digits *= 10n ** BigInt(-scale);
      scale = 0;
    }
    return new Decimal(m[1] === '-' ? -digits : digits, scale);
  }

  /**
   * `Decimal.parse` of a plain form (`-12`, `901.00`: an optional sign, digits, an optional point
   * followed by digits) of at most 15 digits, read with a loop: the value is exact as a double, so
   * the bigint comes from a number, not from a regex match and a string of digits (half of parsing
   * a CSV's NUMERIC column). `undefined` for any other text.
   */
  static #parseShort(text: string): Decimal | undefined {
    const length = text.length;
    let i = 0;
    const first = text.charCodeAt(0);
    if (first === 45 /* - */ || first === 43 /* + */) i = 1;
    let n = 0;
    let digits = 0;
    let point = -1;
    for (; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        n = n * 10 + (c - 48);
        digits++;
      } else if (c === 46 /* . */ && point === -1) point = i;
      else return undefined;
    }
    // Digits before the point, and after it when there is one (`5.`, `.5` take the general way).
    const start = first === 45 || first === 43 ? 1 : 0;
    if (digits === 0 || digits > SHORT_DIGITS || point === start || point === length - 1) return undefined;
    const decimal = new Decimal(BigInt(first === 45 ? -n : n), point === -1 ? 0 : length - point - 1);
    if (isCanonical(text, decimal.unscaled)) decimal.#text = text;
    return decimal;
  }

  /**
   * Converts a JS value. A number goes through its shortest round-trip text (`0.1` → `0.1`, not
   * the binary expansion); it must be finite.
   */
  static from(value: Decimal | bigint | number | string): Decimal {
    if (value instanceof Decimal) return value;
    if (typeof value === 'bigint') return new Decimal(value, 0);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new RangeError(`${value} is not a finite decimal`);
      return Decimal.parse(String(value));
    }
    return Decimal.parse(value);
  }

  /** The number of significant digits before and after the point (PostgreSQL's precision). */
  get precision(): number {
    const abs = this.unscaled < 0n ? -this.unscaled : this.unscaled;
    return Math.max(abs.toString().length, this.scale);
  }

  /** Digits before the decimal point (0 for `0.5`). */
  get integerDigits(): number {
    const abs = this.unscaled < 0n ? -this.unscaled : this.unscaled;
    return abs === 0n ? 0 : Math.max(0, abs.toString().length - this.scale);
  }

  /** The same value with `scale` digits after the point, rounding half away from zero. */
  rescale(scale: number): Decimal {
    if (scale === this.scale) return this;
    if (scale > this.scale) return new Decimal(this.unscaled * 10n ** BigInt(scale - this.scale), scale);
    return new Decimal(divideRounded(this.unscaled, 10n ** BigInt(this.scale - scale)), scale);
  }

  /** The exact sum; its scale is the larger of the two. */
  add(other: Decimal): Decimal {
    const scale = Math.max(this.scale, other.scale);
    return new Decimal(this.rescale(scale).unscaled + other.rescale(scale).unscaled, scale);
  }

  /** The exact difference; its scale is the larger of the two. */
  sub(other: Decimal): Decimal {
    return this.add(other.neg());
  }

  /** The exact product; its scale is the sum of the two. */
  mul(other: Decimal): Decimal {
    return new Decimal(this.unscaled * other.unscaled, this.scale + other.scale);
  }

  /**
   * Divides, keeping 16 digits after the point or the scale of either operand if larger (close
   * to PostgreSQL, which keeps at least 16 significant digits: `10.50 / 3` is `3.5000000000000000`
   * in both). Throws a `RangeError` on division by zero.
   */
  div(other: Decimal): Decimal {
    if (other.unscaled === 0n) throw new RangeError('division by zero');
    const scale = Math.max(16, this.scale, other.scale);
    // this/other = (a·10^-s1)/(b·10^-s2); scaled by 10^scale: a·10^(scale - s1 + s2) / b
    const shift = scale - this.scale + other.scale;
    const numerator = shift >= 0 ? this.unscaled * 10n ** BigInt(shift) : this.unscaled;
    const denominator = shift >= 0 ? other.unscaled : other.unscaled * 10n ** BigInt(-shift);
    return new Decimal(divideRounded(numerator, denominator), scale);
  }

  /** Remainder with the sign of the dividend, as PostgreSQL's `%`. */
  mod(other: Decimal): Decimal {
    if (other.unscaled === 0n) throw new RangeError('division by zero');
    const scale = Math.max(this.scale, other.scale);
    return new Decimal(this.rescale(scale).unscaled % other.rescale(scale).unscaled, scale);
  }

  /** The same value with the opposite sign. */
  neg(): Decimal {
    return new Decimal(-this.unscaled, this.scale);
  }

  /** -1, 0 or 1. */
  compare(other: Decimal): number {
    const scale = Math.max(this.scale, other.scale);
    const a = this.rescale(scale).unscaled;
    const b = other.rescale(scale).unscaled;
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** Numeric equality: `2.50` equals `2.5`. */
  equals(other: Decimal): boolean {
    return this.compare(other) === 0;
  }

  /** The nearest JS number (may lose digits). */
  toNumber(): number {
    return Number(this.toString());
  }

  /** Plain notation with exactly `scale` digits after the point: `-0.050`, `1802.00`, `7`. */
  toString(): string {
    return (this.#text ??= this.#format());
  }

  #format(): string {
    const negative = this.unscaled < 0n;
    let digits = (negative ? -this.unscaled : this.unscaled).toString();
    if (this.scale > 0) {
      digits = digits.padStart(this.scale + 1, '0');
      digits = `${digits.slice(0, -this.scale)}.${digits.slice(-this.scale)}`;
    }
    return negative ? `-${digits}` : digits;
  }

  /**
   * `JSON.stringify` gives the decimal text as a JSON *string* (JSON numbers would go through a
   * double). The CLI's NDJSON writer prints it as a number instead.
   */
  toJSON(): string {
    return this.toString();
  }
}

/** The most digits whose value a double holds exactly (10^15 < 2^53). */
const SHORT_DIGITS = 15;

/**
 * Whether `text`, a match of SIMPLE_DECIMAL, is what `toString` would write: no `+`, no leading
 * zero (but `0.5`), and no minus before a zero (`-0.00` is written `0.00`).
 */
function isCanonical(text: string, unscaled: bigint): boolean {
  const first = text.charCodeAt(0);
  if (first === 43 /* + */) return false;
  const negative = first === 45; /* - */
  if (negative && unscaled === 0n) return false;
  const digit = negative ? 1 : 0;
  // A leading 0 only when it is the whole integer part.
  return text.charCodeAt(digit) !== 48 || text.length === digit + 1 || text.charCodeAt(digit + 1) === 46; /* . */
}

/** `n / d` rounded half away from zero. */
function divideRounded(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n % d;
  if (r === 0n) return q;
  const twice = (r < 0n ? -r : r) * 2n;
  const absD = d < 0n ? -d : d;
  if (twice < absD) return q;
  return (n < 0n) !== (d < 0n) ? q - 1n : q + 1n;
}

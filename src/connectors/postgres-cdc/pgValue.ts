import { instant } from '../../core/MicroDate.js';
/**
 * PostgreSQL values in text form (what pgoutput sends, and what a snapshot query returns) to the
 * JS values of tributary's SQL types, chosen by type OID: exact where JS numbers are not.
 *
 * | PostgreSQL | JS |
 * | --- | --- |
 * | smallint, integer, real, double precision, oid | `number` |
 * | bigint | `bigint` |
 * | numeric | `string` with every digit (`NUMERIC` columns of a declared schema convert it to `Decimal`) |
 * | boolean | `boolean` |
 * | date, time, timestamp | the canonical text (`2024-01-31 13:45:00.123456`) |
 * | timestamptz | `Date`, or `MicroDate` (a `Date` that keeps the microseconds; ISO text with six digits) when it has any |
 * | json, jsonb | the parsed JSON value |
 * | bytea | `Uint8Array` |
 * | arrays of the above | JS arrays (nested for multi-dimensional), `null` elements kept |
 * | anything else (text, varchar, uuid, enums, ...) | the text |
 *
 * @example
 * parsePgValue(PG_OID.int8, '9007199254740993') // 9007199254740993n
 * parsePgValue(PG_OID.int4Array, '{1,NULL,3}')   // [1, null, 3]
 */

/** Type OIDs with a conversion (pg_type.oid; fixed in every PostgreSQL). */
export const PG_OID = {
  bool: 16, bytea: 17, int8: 20, int2: 21, int4: 23, oid: 26, json: 114, float4: 700, float8: 701,
  date: 1082, time: 1083, timestamp: 1114, timestamptz: 1184, numeric: 1700, jsonb: 3802,
  boolArray: 1000, byteaArray: 1001, int2Array: 1005, int4Array: 1007, textArray: 1009, varcharArray: 1015,
  int8Array: 1016, float4Array: 1021, float8Array: 1022, timestampArray: 1115, dateArray: 1182,
  timestamptzArray: 1185, numericArray: 1231, uuidArray: 2951, jsonArray: 199, jsonbArray: 3807, bpcharArray: 1014,
} as const;

/** Array type OID → element type OID (only element types with a conversion matter). */
const ARRAY_ELEMENT: ReadonlyMap<number, number> = new Map([
  [PG_OID.boolArray, PG_OID.bool], [PG_OID.byteaArray, PG_OID.bytea], [PG_OID.int2Array, PG_OID.int2],
  [PG_OID.int4Array, PG_OID.int4], [PG_OID.int8Array, PG_OID.int8], [PG_OID.float4Array, PG_OID.float4],
  [PG_OID.float8Array, PG_OID.float8], [PG_OID.numericArray, PG_OID.numeric], [PG_OID.timestampArray, PG_OID.timestamp],
  [PG_OID.timestamptzArray, PG_OID.timestamptz], [PG_OID.dateArray, PG_OID.date], [PG_OID.jsonArray, PG_OID.json],
  [PG_OID.jsonbArray, PG_OID.jsonb], [PG_OID.textArray, 25], [PG_OID.varcharArray, 1043], [PG_OID.uuidArray, 2950],
  [PG_OID.bpcharArray, 1042],
]);

/** The JS value of a PostgreSQL value given as text. Throws a `SyntaxError` on malformed text. */
export function parsePgValue(typeOid: number, text: string): unknown {
  switch (typeOid) {
    case PG_OID.int2:
    case PG_OID.int4:
    case PG_OID.oid:
      return Number.parseInt(text, 10);
    case PG_OID.float4:
    case PG_OID.float8:
      return Number(text);
    case PG_OID.int8:
      return BigInt(text);
    case PG_OID.bool:
      return text === 't';
    case PG_OID.json:
    case PG_OID.jsonb:
      return JSON.parse(text) as unknown;
    case PG_OID.timestamptz:
      return parseTimestamptz(text);
    case PG_OID.bytea:
      return parseBytea(text);
    default: {
      const element = ARRAY_ELEMENT.get(typeOid);
      if (element !== undefined) return parsePgArray(text, (item) => parsePgValue(element, item));
      return text;
    }
  }
}

/** `2024-01-31 13:45:00.123456+01` (PostgreSQL's ISO output) → a `Date`, a `MicroDate` when it has microseconds (every digit kept). */
function parseTimestamptz(text: string): Date | string {
  const fast = fastTimestamptz(text);
  if (fast !== undefined) return fast;
  if (text === 'infinity' || text === '-infinity') return text;
  const m = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?([+-]\d\d)(?::?(\d\d))?(?::?(\d\d))?( BC)?$/.exec(text);
  if (m === null) throw new SyntaxError(`invalid timestamptz "${text}"`);
  const fraction = (m[7] ?? '').padEnd(6, '0');
  const ms = Number(fraction.slice(0, 3));
  let year = Number(m[1]);
  if (m[11] !== undefined) year = 1 - year;
  const utc = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  const sign = m[8]!.startsWith('-') ? -1 : 1;
  const offsetSeconds = sign * (Math.abs(Number(m[8])) * 3600 + Number(m[9] ?? 0) * 60 + Number(m[10] ?? 0));
  const date = new Date(utc - offsetSeconds * 1000);
  // Date.UTC maps years 0-99 to 1900-1999.
  if (year >= 0 && year < 100) date.setUTCFullYear(date.getUTCFullYear() - 1900);
  return instant(date.getTime(), Number(fraction.slice(3, 6)));
}

/**
 * The common shape `YYYY-MM-DD HH:MM:SS[.f…]±HH[:MM]` read digit by digit (a change stream is
 * full of timestamps; the regex and its captures cost a tenth of the decoding). Anything else
 * (BC, years before 100 or past 9999, second offsets) goes to the general parser.
 */
function fastTimestamptz(t: string): Date | undefined {
  const n = t.length;
  if (n < 22 || t.charCodeAt(4) !== 45 || t.charCodeAt(10) !== 32 || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58) return undefined;
  // digitAt is module-level, not a closure made per call: under tsx (esbuild keepNames) every
  // closure created is wrapped in a naming call, which cost a third of this function.
  const d = digitAt;
  const year = d(t, 0) * 1000 + d(t, 1) * 100 + d(t, 2) * 10 + d(t, 3);
  if (!(year >= 100)) return undefined;
  let i = 19;
  // The fraction in whole microseconds (PostgreSQL writes at most six digits).
  let us = 0;
  if (t.charCodeAt(i) === 46) {
    i++;
    let scale = 100_000;
    while (i < n) {
      const c = t.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      us += c * scale;
      scale /= 10;
      i++;
    }
    us = Math.floor(us);
  }
  const ms = Math.floor(us / 1000);
  const sign = t.charCodeAt(i);
  if ((sign !== 43 && sign !== 45) || i + 3 > n) return undefined;
  let offset = (d(t, i + 1) * 10 + d(t, i + 2)) * 60;
  i += 3;
  if (i < n) {
    if (t.charCodeAt(i) === 58) i++;
    if (i + 2 !== n) return undefined;
    offset += d(t, i) * 10 + d(t, i + 1);
  }
  if (sign === 45) offset = -offset;
  const utc = Date.UTC(year, d(t, 5) * 10 + d(t, 6) - 1, d(t, 8) * 10 + d(t, 9), d(t, 11) * 10 + d(t, 12), d(t, 14) * 10 + d(t, 15), d(t, 17) * 10 + d(t, 18), ms);
  const value = utc - offset * 60_000;
  return Number.isNaN(value) ? undefined : instant(value, us - ms * 1000);
}

/** The digit at `i` of `t`, or NaN. */
function digitAt(t: string, i: number): number {
  const c = t.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
}

/** `\x0a0b` (the hex output format, PostgreSQL's default since 9.0) → bytes. */
function parseBytea(text: string): Uint8Array {
  if (!text.startsWith('\\x')) throw new SyntaxError('bytea in escape format; set bytea_output = hex');
  return new Uint8Array(Buffer.from(text.slice(2), 'hex'));
}

/**
 * Parses an array literal (`{1,2}`, `{{"a b",NULL},{"c\"d",e}}`) into nested arrays, each
 * non-null element through `element`. Leading dimension decorations (`[0:1]={...}`) are skipped.
 */
export function parsePgArray(text: string, element: (item: string) => unknown): unknown[] {
  let i = 0;
  if (text.startsWith('[')) {
    const eq = text.indexOf('=');
    if (eq < 0) throw new SyntaxError(`invalid array literal "${text.slice(0, 40)}"`);
    i = eq + 1;
  }
  const fail = (): never => {
    throw new SyntaxError(`invalid array literal at ${i}: "${text.slice(0, 40)}"`);
  };
  const parseLevel = (): unknown[] => {
    if (text[i] !== '{') fail();
    i++;
    const out: unknown[] = [];
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      if (text[i] === '{') out.push(parseLevel());
      else if (text[i] === '"') {
        i++;
        let s = '';
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\') i++;
          s += text[i] ?? '';
          i++;
        }
        if (text[i] !== '"') fail();
        i++;
        out.push(element(s));
      } else {
        const start = i;
        while (i < text.length && text[i] !== ',' && text[i] !== '}') i++;
        const raw = text.slice(start, i).trim();
        out.push(raw === 'NULL' ? null : element(raw));
      }
      if (text[i] === ',') i++;
      else if (text[i] === '}') {
        i++;
        return out;
      } else fail();
    }
  };
  const result = parseLevel();
  if (i !== text.length) fail();
  return result;
}

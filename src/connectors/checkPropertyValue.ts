import type { PropertySpec } from './ConnectorFactory.js';

/**
 * The longest delay a Node timer takes (2^31-1 ms, about 24.8 days): a longer one fires after
 * 1 ms with a TimeoutOverflowWarning, so intervals and timeouts beyond it are refused.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * The range of an integer property: declared (`min`/`max`), or that of a timer delay when its
 * name says it is one (`*.ms`, `*.sec`), since Node turns a longer delay into 1 ms.
 */
export function integerRange(spec: PropertySpec): { min: number; max: number; unit: string } | undefined {
  const seconds = /[._](sec|seconds)$/.test(spec.name);
  const delay = seconds || /[._]ms$/.test(spec.name);
  if (spec.min === undefined && spec.max === undefined && !delay) return undefined;
  const max = spec.max ?? (seconds ? Math.floor(MAX_TIMER_DELAY_MS / 1000) : delay ? MAX_TIMER_DELAY_MS : Number.MAX_SAFE_INTEGER);
  const min = spec.min ?? (delay ? 0 : Number.MIN_SAFE_INTEGER);
  return { min, max, unit: delay ? (seconds ? ' (seconds, a timer delay)' : ' (milliseconds, a timer delay)') : '' };
}

/** A value that does not fit its spec: what was expected, e.g. `an integer between 1 and 10`. */
export interface PropertyProblem {
  readonly expected: string;
}

/**
 * The one check of a property value against its {@link PropertySpec} (type, integer range, enum
 * values): SQL's `resolveConnector` runs it on every WITH property, and connectors' property
 * readers run the same function, so a rule lives in the spec and is checked one way. Answers the
 * value in canonical form (an integer normalized, a boolean and an enum value in their declared
 * spelling), or the problem.
 */
export function checkPropertyValue(spec: PropertySpec, value: string): string | PropertyProblem {
  switch (spec.type) {
    case 'integer': {
      const range = integerRange(spec);
      const n = Number(value);
      const ok = /^\s*-?\d+\s*$/.test(value) && Number.isSafeInteger(n) && (range === undefined || (n >= range.min && n <= range.max));
      if (ok) return String(n);
      return { expected: range === undefined ? 'an integer' : `an integer between ${range.min} and ${range.max}${range.unit}` };
    }
    case 'boolean': {
      const v = value.trim().toLowerCase();
      return v === 'true' || v === 'false' ? v : { expected: 'true or false' };
    }
    case 'enum': {
      const values = spec.values ?? [];
      const match = values.find((v) => v.toLowerCase() === value.trim().toLowerCase());
      return match ?? { expected: `one of ${values.map((v) => `'${v}'`).join(', ')}` };
    }
    case 'string':
    case 'list':
      return value;
  }
}

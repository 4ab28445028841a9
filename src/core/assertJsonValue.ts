import type { JsonValue } from './Json.js';

/**
 * Throws a `TypeError` unless `value` survives `JSON.stringify` and `JSON.parse` with its meaning
 * intact.
 *
 * Every store runs this before writing, so a value that one store would keep (structured clone
 * keeps `NaN`, `Date`, `Map`) and another would silently change (JSON turns `NaN` into `null` and
 * a `Date` into a string) is refused everywhere, the same way. One exception: an object property
 * whose value is `undefined` is allowed and dropped, as JSON drops it, because that is how an
 * optional field (`size?: number`) is often left out. The message names the key and the path
 * inside the value, never the value itself: state may hold secrets.
 *
 * @internal
 */
export function assertJsonValue(value: unknown, key: string): asserts value is JsonValue {
  const problem = findNonJson(value, '$', new Set());
  if (problem !== undefined) {
    throw new TypeError(`state value for key ${JSON.stringify(key)} is not JSON: ${problem}`);
  }
}

/**
 * Describes the first part of `value` that is not JSON, or answers `undefined` when all of it is.
 *
 * @internal
 */
export function findNonJson(value: unknown, path: string, ancestors: Set<object>): string | undefined {
  const problem = walk(value, ancestors);
  return problem === undefined ? undefined : `${path}${problem.steps.reverse().join('')} ${problem.what}`;
}

/**
 * What is wrong and where: `steps` leads from the value down to the offending part, innermost
 * first. Paths are built only for a problem, on the way back up: a checkpoint of 1,000 splits is
 * checked on every barrier, and building every key's path up front took most of the time.
 */
interface Problem {
  readonly steps: string[];
  readonly what: string;
}

function walk(value: unknown, ancestors: Set<object>): Problem | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : { steps: [], what: `is ${String(value)}` };
    case 'object':
      break;
    default:
      // undefined, function, bigint, symbol
      return { steps: [], what: `is ${typeof value}` };
  }
  if (value === null) return undefined;
  if (ancestors.has(value)) return { steps: [], what: 'refers back to an enclosing value (a cycle)' };
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      const items: readonly unknown[] = value;
      for (let i = 0; i < items.length; i++) {
        // JSON turns holes into null.
        if (!(i in items)) return { steps: [`[${i}]`], what: 'is a hole in a sparse array' };
        const problem = walk(items[i], ancestors);
        if (problem !== undefined) {
          problem.steps.push(`[${i}]`);
          return problem;
        }
      }
      return undefined;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return { steps: [], what: `is ${typeof name === 'string' && name !== '' ? `a ${name}` : 'not a plain object'}` };
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const item = record[key];
      // An absent optional field; JSON leaves it out, which keeps its meaning.
      if (item === undefined) continue;
      const problem = walk(item, ancestors);
      if (problem !== undefined) {
        problem.steps.push(/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);
        return problem;
      }
    }
    return undefined;
  } finally {
    ancestors.delete(value);
  }
}

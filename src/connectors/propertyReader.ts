import { checkPropertyValue, integerRange } from './checkPropertyValue.js';
import type { PropertySpec } from './ConnectorFactory.js';

/** Typed access to a connector's properties; every error names the connector and the property. @internal */
export interface PropertyReader {
  /** The value under the canonical name or one of its aliases; `undefined` when absent or empty. */
  get(name: string): string | undefined;
  /**
   * An integer within the spec's range (see {@link checkPropertyValue}); when absent, `fallback`,
   * else the spec's `default` (the one place a connector declares it), else an error: required.
   */
  integer(name: string, fallback?: number): number;
  /** `true` or `false`, any case; when absent, `fallback`, else the spec's `default`. */
  boolean(name: string, fallback?: boolean): boolean;
  /** One of the spec's values, any case; `values` are the same values, typed. When absent, `fallback`, else the spec's `default`. */
  oneOf<V extends string>(name: string, values: readonly V[], fallback?: V): V;
}

/**
 * Reads `properties` against `specs` (canonical names; the aliases a spec lists are accepted too,
 * for callers that did not resolve them). Values are checked by {@link checkPropertyValue}, the
 * check SQL already ran on them: ranges and allowed values are declared once, in the specs.
 * Errors never show a value of a secret property.
 * @internal
 */
export function propertyReader(connector: string, specs: readonly PropertySpec[], properties: Readonly<Record<string, string>>): PropertyReader {
  const get = (name: string): string | undefined => {
    const spec = specs.find((p) => p.name === name);
    for (const key of [name, ...(spec?.aliases ?? [])]) {
      const value = properties[key];
      if (value !== undefined && value !== '') return value;
    }
    return undefined;
  };
  /** The value checked against its spec, in canonical form; `undefined` when absent. */
  const checked = (name: string): string | undefined => {
    const value = get(name);
    const spec = specs.find((p) => p.name === name);
    if (value === undefined || spec === undefined) return value;
    const result = checkPropertyValue(spec, value);
    if (typeof result === 'string') return result;
    const shown = spec.secret === true ? '(secret value not shown)' : `'${value}'`;
    throw new TypeError(`${connector} connector: property '${name}' must be ${result.expected}, got ${shown}`);
  };
  /** The value, or else the spec's default, checked; `undefined` when neither is there. */
  const valueOrDefault = (name: string): string | undefined => checked(name) ?? specs.find((p) => p.name === name)?.default;
  const required = (name: string): never => {
    throw new TypeError(`${connector} connector: property '${name}' is required`);
  };
  return {
    get,
    integer(name, fallback) {
      const value = checked(name);
      if (value !== undefined) return Number(value);
      if (fallback !== undefined) return fallback;
      const byDefault = valueOrDefault(name);
      return byDefault === undefined ? required(name) : Number(byDefault);
    },
    boolean(name, fallback) {
      const value = checked(name);
      if (value !== undefined) return value.toLowerCase() === 'true';
      if (fallback !== undefined) return fallback;
      const byDefault = valueOrDefault(name);
      return byDefault === undefined ? required(name) : byDefault.toLowerCase() === 'true';
    },
    oneOf(name, values, fallback) {
      const value = checked(name) ?? fallback ?? valueOrDefault(name);
      if (value === undefined) return required(name);
      const found = values.find((v) => v === value.toLowerCase());
      // The spec's values and `values` are the same list; a mismatch is a bug in the connector.
      if (found === undefined) throw new TypeError(`${connector} connector: property '${name}' has no typed value '${value}'`);
      return found;
    },
  };
}

/**
 * Checks programmatic integer options (`createS3Source({ window: 0 })`): each must be an integer
 * within the range of the property it mirrors (declared once, in `specs`; see
 * {@link integerRange}), or the call throws naming the option.
 * @internal
 */
export function checkIntegers(
  owner: string,
  specs: readonly PropertySpec[],
  options: ReadonlyArray<readonly [name: string, value: number, property: string]>,
): void {
  for (const [name, value, property] of options) {
    const spec = specs.find((p) => p.name === property);
    const range = spec === undefined ? undefined : integerRange(spec);
    if (!Number.isInteger(value) || (range !== undefined && (value < range.min || value > range.max))) {
      const expected = range === undefined ? 'an integer' : `an integer from ${range.min} to ${range.max}`;
      throw new TypeError(`${owner}: ${name} must be ${expected}, got ${value}`);
    }
  }
}

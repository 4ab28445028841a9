import type { BadRecordPolicy } from '../core/BadRecordHandler.js';
import type { ConnectorFactory, PropertySpec } from '../connectors/ConnectorFactory.js';
import { checkPropertyValue } from '../connectors/checkPropertyValue.js';
import { CONNECTOR_SELECTORS, FORMAT_PROPERTIES, SOURCE_PROPERTIES, type FormatPropertySpec } from './commonProperties.js';
import { didYouMean } from './didYouMean.js';
import { quoted, SqlError, type SqlPosition } from './SqlError.js';

/** A WITH property as given: key, value, and where it was written (absent from code). */
export interface GivenProperty {
  readonly key: string;
  readonly value: string;
  readonly position?: SqlPosition;
}

/** What {@link resolveConnector} found for a statement's properties. */
export interface ResolvedConnector {
  readonly factory: ConnectorFactory;
  /** The connector's properties under canonical names, checked, defaults filled in. Secrets included. */
  readonly properties: Readonly<Record<string, string>>;
  /** Format properties (`csv.delimiter`, ...) given in WITH, by format, as `createFormat` options. */
  readonly formatOptions: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** From `bad.records`, when given. */
  readonly badRecords: BadRecordPolicy | undefined;
  /** From `checkpoint.interval.ms`, when given. */
  readonly checkpointIntervalMs: number | undefined;
  /** From `source_rate_limit`, when given. */
  readonly rateLimit: number | undefined;
}

/**
 * Picks the one connector factory a source's properties select and checks the properties
 * against it.
 *
 * Selection: `upstream.source` / `connector` names the connector (matched against each factory's
 * `connectorNames`, case-insensitively); factories sharing that name are told apart by which
 * accepts every property given. Without a name, the factory whose properties (names or aliases)
 * cover every property given, required ones included, is chosen. No factory or several is a
 * {@link SqlError} naming every factory considered, with the properties each matched and missed.
 *
 * Checks: an unknown property (with a did-you-mean by edit distance), a property given twice
 * (by name and alias), a missing required one, a value not of its declared type
 * (integer, boolean, enum), an integer out of its range (timer delays: `*.ms` up to 2^31-1, see
 * `checkPropertyValue`). Values of secret properties never appear in a message.
 * Aliases are mapped to canonical names; enum values to their declared spelling.
 *
 * @example
 * resolveConnector('orders', [
 *   { key: 'connector', value: 'kafka' },
 *   { key: 'topic', value: 'orders' },
 *   { key: 'properties.bootstrap.server', value: 'localhost:9092' },
 * ], [fsConnector, kafkaConnector]).properties // { 'kafka.topic': 'orders', 'kafka.bootstrap.servers': ..., ... }
 */
export function resolveConnector(
  sourceName: string,
  given: readonly GivenProperty[],
  factories: readonly ConnectorFactory[],
): ResolvedConnector {
  const where = `source "${sourceName}"`;
  const selectors = given.filter((p) => CONNECTOR_SELECTORS.includes(p.key));
  const common = given.filter((p) => SOURCE_PROPERTIES.some((s) => s.name === p.key));
  const format = given.filter((p) => FORMAT_PROPERTIES.some((s) => s.name === p.key));
  const rest = given.filter((p) => !selectors.includes(p) && !common.includes(p) && !format.includes(p));

  const names = new Set(selectors.map((p) => p.value.toLowerCase()));
  if (names.size > 1) {
    throw new SqlError(`${where}: ${selectors.map((p) => `'${p.key}' = ${quoted(p.value)}`).join(' and ')} name different connectors`, selectors[1]!.position);
  }
  const [selector] = selectors;
  let factory: ConnectorFactory;
  if (selector !== undefined) {
    const wanted = selector.value.toLowerCase();
    const named = factories.filter((f) => f.connectorNames.some((n) => n.toLowerCase() === wanted));
    if (named.length === 0) {
      const hint = didYouMean(wanted, factories.flatMap((f) => f.connectorNames));
      throw new SqlError(
        `${where}: no connector is named ${quoted(selector.value)}${hint === undefined ? '' : ` (did you mean '${hint}'?)`}; ` +
          `considered: ${factories.map((f) => `${f.name} (${f.connectorNames.map((n) => `'${n}'`).join(', ')})`).join(', ') || 'none registered'}`,
        selector.position,
      );
    }
    if (named.length === 1) factory = named[0]!;
    else {
      const fitting = named.filter((f) => rest.every((p) => findSpec(f, p.key) !== undefined));
      if (fitting.length !== 1) {
        throw new SqlError(
          `${where}: '${selector.key}' = ${quoted(selector.value)} names ${named.length} connectors and the properties ${
            fitting.length === 0 ? 'fit none of them' : 'fit several'
          }; considered: ${describeCandidates(named, rest)}`,
          selector.position,
        );
      }
      factory = fitting[0]!;
    }
  } else {
    const fitting = factories.filter(
      (f) =>
        rest.length > 0 &&
        rest.every((p) => findSpec(f, p.key) !== undefined) &&
        f.properties.every((s) => s.required !== true || rest.some((p) => findSpec(f, p.key) === s)),
    );
    if (fitting.length !== 1) {
      throw new SqlError(
        `${where}: ${fitting.length === 0 ? 'the properties select no connector' : 'the properties fit several connectors'}` +
          ` (name one with connector = '...'); considered: ${describeCandidates(factories, rest)}`,
        given[0]?.position,
      );
    }
    factory = fitting[0]!;
  }

  const problems: { message: string; position: SqlPosition | undefined }[] = [];
  const properties: Record<string, string> = {};
  const givenAs = new Map<string, string>();
  for (const p of rest) {
    const spec = findSpec(factory, p.key);
    if (spec === undefined) {
      const formatSpec = FORMAT_PROPERTIES.find((s) => s.name === p.key);
      const hint = didYouMean(p.key, [
        ...factory.properties.flatMap((s) => [s.name, ...(s.aliases ?? [])]),
        ...SOURCE_PROPERTIES.map((s) => s.name),
        ...FORMAT_PROPERTIES.map((s) => s.name),
        ...CONNECTOR_SELECTORS,
      ]);
      problems.push({
        message:
          formatSpec !== undefined
            ? `'${p.key}' is a ${formatSpec.format} format property`
            : `unknown property ${quoted(p.key)} for connector ${factory.name}${hint === undefined ? '' : ` (did you mean '${hint}'?)`}`,
        position: p.position,
      });
      continue;
    }
    const previous = givenAs.get(spec.name);
    if (previous !== undefined) {
      problems.push({ message: `property '${spec.name}' is given twice (as '${previous}' and as '${p.key}')`, position: p.position });
      continue;
    }
    givenAs.set(spec.name, p.key);
    const checked = checkValue(spec, p);
    if (typeof checked === 'string') properties[spec.name] = checked;
    else problems.push(checked);
  }
  for (const spec of factory.properties) {
    if (properties[spec.name] !== undefined || givenAs.has(spec.name)) continue;
    if (spec.default !== undefined) properties[spec.name] = spec.default;
    else if (spec.required === true) {
      problems.push({
        message: `missing required property '${spec.name}'${spec.aliases?.length ? ` (or ${spec.aliases.map((a) => `'${a}'`).join(', ')})` : ''}: ${spec.description}`,
        position: undefined,
      });
    }
  }

  const commonValues: Record<string, string> = {};
  for (const p of common) {
    const checked = checkValue(SOURCE_PROPERTIES.find((s) => s.name === p.key)!, p);
    if (typeof checked === 'string') commonValues[p.key] = checked;
    else problems.push(checked);
  }
  const formatOptions: Record<string, Record<string, string>> = {};
  for (const p of format) {
    const spec: FormatPropertySpec = FORMAT_PROPERTIES.find((s) => s.name === p.key)!;
    const checked = checkValue(spec, p);
    if (typeof checked !== 'string') problems.push(checked);
    else (formatOptions[spec.format] ??= {})[spec.option] = checked;
  }

  if (problems.length > 0) {
    const first = problems.find((p) => p.position !== undefined)?.position;
    throw new SqlError(`${where} (connector ${factory.name}): ${problems.map((p) => p.message).join('; ')}`, first);
  }
  const interval = commonValues['checkpoint.interval.ms'];
  return {
    factory,
    properties,
    formatOptions,
    badRecords: commonValues['bad.records'] as BadRecordPolicy | undefined,
    checkpointIntervalMs: interval === undefined ? undefined : Number(interval),
    rateLimit: commonValues['source_rate_limit'] === undefined ? undefined : Number(commonValues['source_rate_limit']),
  };
}

function findSpec(factory: ConnectorFactory, key: string): PropertySpec | undefined {
  return factory.properties.find((s) => s.name === key || (s.aliases ?? []).includes(key));
}

function describeCandidates(factories: readonly ConnectorFactory[], given: readonly GivenProperty[]): string {
  if (factories.length === 0) return 'none registered';
  return factories
    .map((f) => {
      const matched = given.filter((p) => findSpec(f, p.key) !== undefined).map((p) => p.key);
      const unknown = given.filter((p) => findSpec(f, p.key) === undefined).map((p) => (p.key.length > 60 ? quoted(p.key) : p.key));
      const missing = f.properties.filter((s) => s.required === true && !given.some((p) => findSpec(f, p.key) === s)).map((s) => s.name);
      const parts = [`matched [${matched.join(', ')}]`];
      if (unknown.length > 0) parts.push(`unknown [${unknown.join(', ')}]`);
      if (missing.length > 0) parts.push(`missing [${missing.join(', ')}]`);
      return `${f.name} (${f.connectorNames.join('/')}): ${parts.join(', ')}`;
    })
    .join('; ');
}

/** The value in canonical form, or the problem; the value itself is quoted only if not secret. */
function checkValue(spec: PropertySpec, p: GivenProperty): string | { message: string; position: SqlPosition | undefined } {
  const checked = checkPropertyValue(spec, p.value);
  if (typeof checked === 'string') return checked;
  const shown = spec.secret === true ? '(secret value not shown)' : quoted(p.value);
  return { message: `property '${p.key}' must be ${checked.expected}, got ${shown}`, position: p.position };
}

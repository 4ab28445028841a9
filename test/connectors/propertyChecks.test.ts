import assert from 'node:assert/strict';
import { test } from 'node:test';
import { integerRange } from '../../src/connectors/checkPropertyValue.js';
import type { PropertySpec } from '../../src/connectors/ConnectorFactory.js';
import { kafkaOptionsFromProperties, kafkaProperties } from '../../src/connectors/kafka/kafkaProperties.js';
import { kinesisConfigFromProperties, kinesisPropertySpecs } from '../../src/connectors/kinesis/kinesisProperties.js';
import { s3ConfigFromProperties, s3PropertySpecs } from '../../src/connectors/s3/s3Properties.js';
import { resolveConnector } from '../../src/sql/resolveConnector.js';
import { builtinConnectors } from '../../src/sql/builtinConnectors.js';
import { SqlError } from '../../src/sql/SqlError.js';

/**
 * SQL (resolveConnector) and each connector's own property parser check values with one function
 * against one spec: whatever one refuses, the other refuses too, and what one accepts, the other
 * reads. Every integer and enum property of kafka, s3 and kinesis is tried at and just beyond its
 * declared bounds.
 */
const connectors: ReadonlyArray<{
  readonly name: string;
  readonly specs: readonly PropertySpec[];
  /** Required properties, and those cross-property rules need (SASL credentials, a start timestamp), so one value varies at a time. */
  readonly required: Readonly<Record<string, string>>;
  readonly parse: (properties: Readonly<Record<string, string>>) => unknown;
}> = [
  { name: 'kafka', specs: kafkaProperties, required: { 'kafka.topic': 't', 'kafka.bootstrap.servers': 'a:1', 'properties.sasl.username': 'u', 'properties.sasl.password': 'p' }, parse: (p) => kafkaOptionsFromProperties('s', p) },
  { name: 's3', specs: s3PropertySpecs, required: { 's3.bucket': 'b' }, parse: s3ConfigFromProperties },
  { name: 'kinesis', specs: kinesisPropertySpecs, required: { 'kinesis.stream': 's', 'kinesis.scan.startup.timestamp.millis': '0' }, parse: kinesisConfigFromProperties },
];

/** Values to try for a spec: its bounds and just past them, a non-number, an unknown enum value. */
function candidates(spec: PropertySpec): string[] {
  if (spec.type === 'integer') {
    const range = integerRange(spec);
    if (range === undefined) return ['12', '-1', 'x', '1.5'];
    return [range.min, range.max, range.min - 1, range.max + 1].filter((n) => Number.isSafeInteger(n)).map(String).concat(['x', '1.5']);
  }
  if (spec.type === 'enum') return [...(spec.values ?? []), ...(spec.values ?? []).map((v) => v.toUpperCase()), 'no-such-value'];
  return [];
}

for (const { name, specs, required, parse } of connectors) {
  test(`${name}: SQL and the property parser refuse and accept the same values`, () => {
    let tried = 0;
    for (const spec of specs) {
      // Values that only make sense with others (a timestamp with its startup mode) are given with them.
      const companion: Record<string, string> = spec.name.endsWith('startup.timestamp.millis') ? { [`${name}.scan.startup.mode`]: 'timestamp' } : {};
      if (spec.name === 'properties.sasl.mechanism') companion['properties.security.protocol'] = 'SASL_PLAINTEXT';
      for (const value of candidates(spec)) {
        const properties = { ...required, ...companion, [spec.name]: value };
        let sql: unknown;
        try {
          resolveConnector('s', [{ key: 'connector', value: name }, ...Object.entries(properties).map(([key, v]) => ({ key, value: v }))], builtinConnectors);
        } catch (err) {
          sql = err;
        }
        let parser: unknown;
        try {
          parse(properties);
        } catch (err) {
          parser = err;
        }
        tried++;
        assert.equal(sql === undefined, parser === undefined, `${spec.name} = '${value}': SQL ${sql === undefined ? 'accepts' : `refuses (${(sql as Error).message})`}, the parser ${parser === undefined ? 'accepts' : `refuses (${(parser as Error).message})`}`);
        if (sql !== undefined) {
          assert.ok(sql instanceof SqlError);
          assert.match((sql as Error).message, new RegExp(spec.name.replaceAll('.', '\\.')));
          assert.match((parser as Error).message, new RegExp(spec.name.replaceAll('.', '\\.')));
        }
      }
    }
    assert.ok(tried > 20, `only ${tried} values tried`);
  });
}

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { opOf, type ChangeOp } from '../../../src/core/Changelog.js';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import type { SourceEvent } from '../../../src/core/SourceEvent.js';
import { toTable } from '../../../src/core/toTable.js';
import { createKinesisSource } from '../../../src/connectors/kinesis/createKinesisSource.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Row } from '../../../src/formats/Format.js';
import { kinesisAdmin, motoCredentials, motoEndpoint, motoHowToStart } from '../../support/aws.js';
import { fixture } from '../../support/fixtures.js';
import { needPeer } from '../../support/peers.js';

// Change data on Kinesis (moto): records go through the format's decodeMessages, several rows a
// record for Canal, and through toTable.
const endpoint = motoEndpoint();

test('Canal and Debezium records on a Kinesis stream, through toTable', async (t) => {
  if (!needPeer(t, endpoint !== undefined, motoHowToStart)) return;
  const canal = fixture(t, 'risingwave', 'canal_json_double_field.1');
  const debezium = fixture(t, 'risingwave', 'debezium_log_schemaless.1');
  if (canal === undefined || debezium === undefined) return;
  const admin = kinesisAdmin(endpoint!, motoCredentials);
  t.after(() => admin.client.destroy());
  const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const cases = [
    // Updates take data, as in RisingWave: 5 and 7 are upserted beside 1 and 3, then deleted.
    { format: 'canal_json', path: canal, key: 'v1', expected: [{ v1: '1', v2: '2' }, { v1: '3', v2: '4' }] as Row[], changes: 6 },
    {
      format: 'debezium_json',
      path: debezium,
      key: 'id',
      expected: [
        { id: 2, name: 'chi', is_adult: true, email: 'yyy@risingwave-labs.com' },
        { id: 3, name: 'mike', is_adult: true, email: 'aaa@risingwave-labs.com' },
      ],
      changes: 6,
    },
  ];
  for (const c of cases) {
    const stream = `cdc-${c.format}-${randomUUID().slice(0, 8)}`;
    await admin.createStream(stream, 1);
    await admin.put(stream, lines(c.path).map((data) => ({ key: 'k', data })));
    const source = createKinesisSource({ name: `cdc-k-${stream}`, stream, endpoint: endpoint!, credentials: motoCredentials, format: createFormat(c.format), shardDiscoveryIntervalMs: 100, pollIntervalMs: 20, checkpointIntervalMs: 50 });
    const changes: Array<[ChangeOp, Row]> = [];
    await new Promise<void>((resolve, reject) => {
      const subscription = source.pipe(toTable<Row>(source, { primaryKey: [c.key] }), commitEpochs(source)).subscribe({
        next: (e: SourceEvent<Row>) => {
          if (e.type === 'chunk') changes.push(...e.records.map((r): [ChangeOp, Row] => [opOf(r), Object.fromEntries(Object.entries(r))]));
          else if (changes.length >= c.changes) {
            queueMicrotask(() => subscription.unsubscribe());
            resolve();
          }
        },
        error: reject,
      });
      setTimeout(() => {
        subscription.unsubscribe();
        reject(new Error(`${c.format}: ${changes.length} of ${c.changes} changes within 20 s`));
      }, 20_000).unref();
    });
    assert.equal(changes.length, c.changes, c.format);
    const table = new Map<unknown, Row>();
    for (const [op, row] of changes) {
      if (op === 'insert' || op === 'update_after') table.set(row[c.key], row);
      else table.delete(row[c.key]);
    }
    assert.deepEqual([...table.values()].sort((a, b) => Number(a[c.key]) - Number(b[c.key])), c.expected, c.format);
  }
});

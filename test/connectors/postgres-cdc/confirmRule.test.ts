import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PostgresCdcReader, postgresCdcConfigFromProperties, type PostgresTableSplit } from '../../../src/connectors/postgres-cdc/index.js';
import type { SplitPosition } from '../../../src/core/SourceSplit.js';

const config = postgresCdcConfigFromProperties({ hostname: 'h', username: 'u', 'database.name': 'd', 'table.name': 'a,b' });
const split = (table: string): PostgresTableSplit => ({ id: `public.${table}`, schema: 'public', table });
const checkpoint = (epoch: number, a: string | null, b: string | null) => ({
  epoch,
  splits: new Map<string, SplitPosition<PostgresTableSplit>>([
    ['public.a', { split: split('a'), offset: a, finished: false }],
    ['public.b', { split: split('b'), offset: b, finished: false }],
  ]),
});

test('the checkpoint-complete hook confirms the lowest LSN of the committed checkpoint, nothing inside a snapshot, never backwards', () => {
  const reader = new PostgresCdcReader(config);
  // No position yet, or a table still in its snapshot: nothing may be confirmed.
  reader.checkpointComplete(checkpoint(1, null, '0/100'));
  assert.equal(reader.confirmedLsn, 0n);
  reader.checkpointComplete(checkpoint(2, 'snapshot:0/100:40', '0/100'));
  assert.equal(reader.confirmedLsn, 0n);
  // The lowest of the tables: a quiet table holds the slot back to its position.
  reader.checkpointComplete(checkpoint(3, '0/200', '0/180'));
  assert.equal(reader.confirmedLsn, 0x180n);
  // Inside a large transaction (#n): the commit before it, not past.
  reader.checkpointComplete(checkpoint(4, '0/300#7', '0/400'));
  assert.equal(reader.confirmedLsn, 0x300n);
  // A coalesced older epoch arriving late never moves it back.
  reader.checkpointComplete(checkpoint(5, '0/250', '0/400'));
  assert.equal(reader.confirmedLsn, 0x300n);
  assert.throws(() => reader.checkpointComplete(checkpoint(6, 'garbage', '0/400')), /invalid/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packagesLoadedBy } from '../../support/importTrace.js';

test('importing the s3 and kinesis connectors does not load the AWS SDK', () => {
  assert.deepEqual(packagesLoadedBy('src/connectors/s3/index.ts'), ['rxjs']);
  assert.deepEqual(packagesLoadedBy('src/connectors/kinesis/index.ts'), ['rxjs']);
});

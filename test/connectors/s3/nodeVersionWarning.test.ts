import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * Builds an S3 and a Kinesis client the way the connectors do (through loadPeer), then asks the
 * SDK to warn about Node 20 explicitly, so the check does not depend on the Node running it. With
 * `bypass` the clients are built without loadPeer: the warning must then appear (the test can fail).
 */
function run(bypass: boolean): string {
  const script = `
    import { loadPeer } from ${JSON.stringify(join(root, 'src/connectors/aws/AwsConnection.ts'))};
    const load = (m) => ${bypass ? 'm()' : "loadPeer(m, 'test', 'sdk')"};
    const s3 = await load(() => import('@aws-sdk/client-s3'));
    const kinesis = await load(() => import('@aws-sdk/client-kinesis'));
    new s3.S3Client({ region: 'us-east-1' });
    new kinesis.KinesisClient({ region: 'us-east-1' });
    const { emitWarningIfUnsupportedVersion } = await import('@aws-sdk/core/client');
    emitWarningIfUnsupportedVersion('v20.19.0');
  `;
  const env = { ...process.env };
  delete env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'];
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  return result.stderr;
}

test('the AWS SDK NodeVersionSupportWarning does not reach users of the S3 and Kinesis connectors', () => {
  assert.doesNotMatch(run(false), /NodeVersionSupportWarning/);
});

test('control: without the connectors\' loader the SDK prints the warning for Node 20', () => {
  assert.match(run(true), /NodeVersionSupportWarning/);
});

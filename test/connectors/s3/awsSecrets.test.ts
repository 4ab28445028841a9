import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createKinesisSource } from '../../../src/connectors/kinesis/createKinesisSource.js';
import { createS3Source } from '../../../src/connectors/s3/createS3Source.js';
import { SourceError } from '../../../src/core/SourceError.js';
import { createFormat } from '../../../src/formats/createFormat.js';
import type { Source } from '../../../src/core/Source.js';
import type { Row } from '../../../src/formats/Format.js';
import { needPeer } from '../../support/peers.js';
import { closedEndpoint, motoEndpoint, motoHowToStart, startProxy, type Proxy } from '../../support/aws.js';
import { runSource } from './s3Helpers.js';

// Planted credentials: neither may appear in any error, stack, cause, or output, whatever fails.
const secret = 'PLANTEDsecretKEY0123456789abcdefXYZ';
const access = 'AKIAPLANTED0123456789';
const credentials = { accessKeyId: access, secretAccessKey: secret };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Everything an error can show: message, stack, own properties and the whole cause chain. */
function everything(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    parts.push(String(e));
    if (e instanceof Error) {
      parts.push(String(e.stack));
      parts.push(JSON.stringify(e, Object.getOwnPropertyNames(e)));
      e = e.cause;
    } else e = undefined;
  }
  return parts.join('\n');
}

/** Runs `source` to its failure, with every write to stdout and stderr of this process captured. */
async function failureAndOutput(source: Source<Row>): Promise<{ err: unknown; output: string }> {
  let output = '';
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  const stderrWrite = process.stderr.write.bind(process.stderr);
  const capture =
    (write: typeof process.stdout.write): typeof process.stdout.write =>
    (chunk: string | Uint8Array, ...rest: unknown[]) => {
      output += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return (write as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean)(chunk, ...rest);
    };
  process.stdout.write = capture(stdoutWrite);
  process.stderr.write = capture(stderrWrite);
  try {
    const err = await runSource(source).then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    return { err, output };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
}

function assertNoCredentials(text: string, where: string): void {
  assert.ok(!text.includes(secret), `the secret key appears in ${where}`);
  assert.ok(!text.includes(access), `the access key id appears in ${where}`);
}

/** Runs the CLI on `sql` and returns its exit code and output. */
function cli(sql: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-aws-secrets-'));
  const file = join(dir, 'job.sql');
  writeFileSync(file, sql);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('error', fail);
    child.on('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      done({ code, stdout, stderr });
    });
  });
}

const s3Sql = (endpoint: string, bucket: string): string => `create source ev (i INTEGER) with (
  'upstream.source' = 's3', 's3.bucket' = '${bucket}', 's3.endpoint' = '${endpoint}', 's3.region' = 'us-east-1',
  's3.credentials.access' = '${access}', 's3.credentials.secret' = '${secret}', 's3.retry.attempts' = '2'
) row format 'json';
select * from ev;
`;
const kinesisSql = (endpoint: string, stream: string): string => `create source ev (i INTEGER) with (
  connector = 'kinesis', stream = '${stream}', endpoint = '${endpoint}', aws.region = 'us-east-1',
  aws.credentials.access_key_id = '${access}', aws.credentials.secret_access_key = '${secret}',
  kinesis.retry.transient.attempts = '2', kinesis.retry.max.backoff.ms = '50'
) FORMAT PLAIN ENCODE JSON;
select * from ev;
`;

const s3 = (endpoint: string, bucket: string) =>
  createS3Source({ name: 'planted', bucket, endpoint, credentials, format: createFormat('json'), retryAttempts: 2 });
const kinesis = (endpoint: string, stream: string) =>
  createKinesisSource({ name: 'planted', stream, endpoint, credentials, format: createFormat('json'), transientRetries: 2, maxBackoffMs: 50 });

/**
 * Makes `proxy` reject every request's credentials the way AWS does, echoing what it received
 * (AWS's InvalidAccessKeyId names the key id; the whole Credential scope is echoed here): the
 * access key id then *is* in the SDK's error, and only the connector's scrubbing keeps it out.
 */
function rejectCredentials(proxy: Proxy): void {
  proxy.intercept = (r) => {
    const credential = /Credential=([^,]+)/.exec(String(r.headers.authorization ?? ''))?.[1] ?? '';
    const message = `The AWS Access Key Id you provided does not exist in our records: ${credential}`;
    if (r.headers['x-amz-target'] !== undefined) {
      return { status: 400, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify({ __type: 'UnrecognizedClientException', message }) };
    }
    return {
      status: 403,
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code><Message>${message}</Message><AWSAccessKeyId>${credential}</AWSAccessKeyId></Error>`,
    };
  };
}

describe('AWS credentials never appear in errors or output', { timeout: 120_000 }, () => {
  test('unreachable endpoint, library: createS3Source and createKinesisSource', async () => {
    const endpoint = await closedEndpoint();
    for (const source of [s3(endpoint, 'bucket'), kinesis(endpoint, 'stream')]) {
      const { err, output } = await failureAndOutput(source);
      assert.ok(err instanceof SourceError, String(err));
      assert.match(err.message, /ECONNREFUSED/);
      assertNoCredentials(everything(err), `the ${source.name} error`);
      assertNoCredentials(output, 'the process output');
    }
  });

  test('moto with planted credentials: a missing bucket or stream, and credentials rejected with the key id echoed, library', async (t) => {
    const endpoint = motoEndpoint();
    if (!needPeer(t, endpoint !== undefined, motoHowToStart)) return;
    const missing = `missing-${randomUUID()}`;
    const rejecting = await startProxy(t, endpoint!);
    rejectCredentials(rejecting);
    for (const [source, expected] of [
      [s3(endpoint!, missing), /NoSuchBucket|does not exist/],
      [kinesis(endpoint!, missing), /ResourceNotFound|not found/],
      [s3(rejecting.endpoint, missing), /does not exist in our records: \*\*\*/],
      [kinesis(rejecting.endpoint, missing), /does not exist in our records: \*\*\*/],
    ] as const) {
      const { err, output } = await failureAndOutput(source);
      assert.ok(err instanceof SourceError, String(err));
      assert.match(err.message, expected);
      assertNoCredentials(everything(err), 'the error');
      assertNoCredentials(output, 'the process output');
    }
  });

  test('unreachable endpoint, CLI: exit 1 with one clear line on stderr, no credentials on stdout or stderr', async () => {
    const endpoint = await closedEndpoint();
    for (const [sql, what] of [
      [s3Sql(endpoint, 'bucket'), /listing s3:\/\/bucket\/ at http:\/\/127\.0\.0\.1:\d+ failed after 2 attempts/],
      [kinesisSql(endpoint, 'stream'), /listing the shards of stream 'stream' at http:\/\/127\.0\.0\.1:\d+ failed after 3 attempts/],
    ] as const) {
      const run = await cli(sql);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, what);
      assertNoCredentials(run.stdout + run.stderr, 'the CLI output');
    }
  });

  test('moto with planted credentials: a missing bucket or stream, and credentials rejected with the key id echoed, CLI', async (t) => {
    const endpoint = motoEndpoint();
    if (!needPeer(t, endpoint !== undefined, motoHowToStart)) return;
    const missing = `missing-${randomUUID()}`;
    const rejecting = await startProxy(t, endpoint!);
    rejectCredentials(rejecting);
    for (const [sql, what] of [
      [s3Sql(endpoint!, missing), /NoSuchBucket|does not exist/],
      [kinesisSql(endpoint!, missing), /ResourceNotFound|not found/],
      [s3Sql(rejecting.endpoint, missing), /does not exist in our records: \*\*\*/],
      [kinesisSql(rejecting.endpoint, missing), /does not exist in our records: \*\*\*/],
    ] as const) {
      const run = await cli(sql);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, what);
      assertNoCredentials(run.stdout + run.stderr, 'the CLI output');
    }
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LogEntry } from 'kafkajs';
import { createKafkaSource } from '../../../src/connectors/kafka/createKafkaSource.js';
import { createKafkaClient, kafkaRetryBudgetMs, loadKafkaJs } from '../../../src/connectors/kafka/loadKafkaJs.js';
import { resolveKafkaConfig } from '../../../src/connectors/kafka/KafkaSourceConfig.js';
import { closedPort, needKafka, uniqueTopic } from '../../support/kafka.js';
import { captureKafkaOutput, everything } from '../../support/kafkaLogs.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tributary-kafka-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Planted secrets: neither may appear anywhere.
const PASSWORD = 'PLANTED-sasl-pw-5e1d9';
const KEY_PASSWORD = 'PLANTED-key-pw-8b27c';

test('SASL PLAIN against a broker without SASL: the password is in no kafkajs log entry, log line or error', { timeout: 60_000 }, async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const sasl = { mechanism: 'plain', username: 'alice', password: PASSWORD } as const;

  // Every raw entry kafkajs logs at debug level, through the same client factory the source uses
  // (the level decides which entries kafkajs produces at all).
  const entries: LogEntry[] = [];
  const raw = captureKafkaOutput(); // sets TRIBUTARY_KAFKA_LOG_LEVEL=debug
  let adminError: unknown;
  try {
    const kafka = createKafkaClient(await loadKafkaJs(), resolveKafkaConfig({ name: 'raw', topic: 't', brokers, sasl }), (entry) => entries.push(entry));
    const admin = kafka.admin();
    adminError = await admin.connect().then(
      () => undefined,
      (err: unknown) => err,
    );
    await admin.disconnect();
  } finally {
    assert.ok(!raw.stop().includes(PASSWORD), 'no password in the printed log lines');
  }
  assert.ok(adminError !== undefined, 'SASL against a PLAINTEXT listener fails');
  assert.ok(entries.some((e) => e.level === 5), 'kafkajs logged at debug level');

  // The source, with kafkajs printing everything, stdout and stderr captured.
  const output = captureKafkaOutput();
  let sourceError: unknown;
  try {
    const source = createKafkaSource({ name: 'secretive', topic: uniqueTopic('secret'), brokers, sasl, consumerGroup: false });
    sourceError = await new Promise((resolve) => source.subscribe({ error: resolve, complete: () => resolve(undefined) }));
    await source.closed();
  } finally {
    const text = output.stop();
    assert.ok(text.includes("[tributary kafka 'secretive']"), 'kafkajs log lines were printed');
    assert.ok(!text.includes(PASSWORD), 'no password on stdout or stderr');
  }
  assert.ok(sourceError instanceof Error, 'the source failed');
  assert.match(sourceError.message, /^source 'secretive'/);
  for (const [what, value] of [
    ['log entries', everything(entries)],
    ['admin error', everything(adminError)],
    ['source error', everything(sourceError)],
  ] as const) {
    assert.ok(!value.includes(PASSWORD), `no password in the ${what}`);
  }
});

test('CLI: CREATE SOURCE with secrets on a closed port exits 1 within its retry budget (kafka.retry.attempts), naming source and endpoint, printing no secret', { timeout: 120_000 }, async (t) => {
  const port = await closedPort();
  const file = join(dir, 'secret.sql');
  writeFileSync(
    file,
    `create source payments (id int) with (connector = 'kafka', topic = 'payments', properties.bootstrap.server = '127.0.0.1:${port}',
       properties.security.protocol = 'SASL_SSL', properties.sasl.mechanism = 'PLAIN', properties.sasl.username = 'alice',
       properties.sasl.password = '${PASSWORD}', properties.ssl.key.password = '${KEY_PASSWORD}', kafka.retry.attempts = '2')
       format plain encode json;\n`,
  );
  const started = Date.now();
  const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TRIBUTARY_KAFKA_LOG_LEVEL: 'debug' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
  const ms = Date.now() - started;
  // One retried operation, plus the CLI's start-up (tsx compiling) on a loaded machine.
  const bound = kafkaRetryBudgetMs(2) + 15_000;
  t.diagnostic(`exit ${run.code} after ${ms} ms (bound ${bound} ms); last line: ${run.stderr.trim().split('\n').filter((l) => l.startsWith('tributary:')).at(-1)}`);
  assert.equal(run.code, 1);
  assert.ok(ms < bound, `exited after ${ms} ms, bound ${bound} ms`);
  assert.match(run.stderr, new RegExp(`tributary: source 'payments': cannot reach Kafka brokers 127\\.0\\.0\\.1:${port} \\(gave up after 2 retries\\)`));
  assert.ok(run.stderr.includes('[tributary kafka'), 'kafkajs debug lines were printed');
  for (const secret of [PASSWORD, KEY_PASSWORD]) {
    assert.ok(!run.stdout.includes(secret), 'no secret on stdout');
    assert.ok(!run.stderr.includes(secret), 'no secret on stderr');
  }
});

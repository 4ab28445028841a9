import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTopic, needKafka, uniqueTopic, withProducer } from '../support/kafka.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tributary-metrics-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The value of the sample `name{labels}` (all labels given must match), summed over the matching series. */
function sample(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const got = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) total = (total ?? 0) + Number(match[3]);
  }
  return total;
}

test('--metrics-port serves rows, lag, checkpoints and the rate limit of a real Kafka run over HTTP while it runs', async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('metrics-cli');
  await createTopic(brokers, topic, 2);
  // Producer batches of 20: fetches (and so chunks) stay small enough for the limit to pace them.
  await withProducer(brokers, async (producer) => {
    for (let b = 0; b < 40; b++) {
      await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ partition: b % 2, value: JSON.stringify({ v: `r${b * 20 + i}` }) })) });
    }
  });
  const file = join(dir, 'q.sql');
  writeFileSync(
    file,
    `CREATE SOURCE metered (v VARCHAR) WITH (connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${brokers}',
       source_rate_limit = '200', kafka.commit.offsets = 'false') FORMAT PLAIN ENCODE JSON;`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', file, '--metrics-port', '0', '--checkpoint-interval', '200'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  try {
    const url = await new Promise<string>((found, fail) => {
      const look = (): void => {
        const match = /metrics at (http:\/\/\S+)/.exec(stderr);
        if (match !== null) found(match[1]!);
        else if (child.exitCode !== null) fail(new Error(`exited before serving metrics: ${stderr}`));
        else setTimeout(look, 50);
      };
      look();
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    // Scrape every 250 ms while the run goes on: 800 records at 200 rows/s take ~4 s.
    const scrapes: Array<{ at: number; rows: number; lag: number; text: string }> = [];
    const started = Date.now();
    while (Date.now() - started < 30_000) {
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await response.text();
      const rows = sample(text, 'tributary_source_rows_total', { source: 'metered' }) ?? 0;
      const lag = sample(text, 'tributary_source_lag', { source: 'metered', unit: 'records' }) ?? -1;
      scrapes.push({ at: Date.now() - started, rows, lag, text });
      if (rows >= 800) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const last = scrapes.at(-1)!;
    t.diagnostic(`scrapes: ${scrapes.map((s) => `${s.at}ms rows=${s.rows} lag=${s.lag}`).join('; ')}`);
    assert.equal(last.rows, 800, 'all 800 records counted');
    const midway = scrapes.filter((s) => s.rows > 0 && s.rows < 800);
    assert.ok(midway.length >= 3, `the limit kept the run going long enough to be scraped midway (${midway.length} scrapes)`);
    assert.ok(midway.some((s) => s.lag > 0), 'lag shows while the limit holds the source back');
    for (let i = 1; i < scrapes.length; i++) assert.ok(scrapes[i]!.rows >= scrapes[i - 1]!.rows, 'rows_total never goes back');
    // 200 rows/s: any window between two scrapes moves at most 200/s plus a second's burst and a chunk.
    const first = midway[0]!;
    const rate = ((last.rows - first.rows) * 1000) / Math.max(1, last.at - first.at);
    assert.ok(rate < 320, `paced near the limit (${rate.toFixed(0)} rows/s)`);
    assert.equal(sample(last.text, 'tributary_source_rate_limit_rows_per_second', { source: 'metered' }), 200);
    assert.equal(sample(last.text, 'tributary_source_lag', { source: 'metered' }), 0, 'caught up: no lag on any partition');
    assert.equal(sample(last.text, 'tributary_source_rows_total', { source: 'metered', split: `${topic}-0` }), 400);
    assert.ok((sample(last.text, 'tributary_source_checkpoints_total', { source: 'metered' }) ?? 0) >= 3);
    assert.ok((sample(last.text, 'tributary_source_checkpoint_write_seconds_count', { source: 'metered' }) ?? 0) >= 3);
    assert.ok((sample(last.text, 'tributary_source_checkpoint_size_chars', { source: 'metered' }) ?? 0) > 50);
    assert.ok((sample(last.text, 'tributary_source_bytes_total', { source: 'metered' }) ?? 0) >= 800 * 11);
    // Other paths are not served.
    assert.equal((await fetch(url.replace('/metrics', '/'))).status, 404);
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
    assert.equal(stdout.split('\n').filter((l) => l !== '').length, 800);
  } finally {
    clearTimeout(killer);
    child.kill('SIGKILL');
  }
});

test('--metrics-port rejects a port that is not one (exit 2, before reading anything)', async () => {
  const bad = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', join(dir, 'none.sql'), '--metrics-port', '70000'], { cwd: root });
  let err = '';
  bad.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
  const code = await new Promise<number | null>((done) => bad.on('close', done));
  assert.equal(code, 2);
  assert.match(err, /--metrics-port must be a port/);
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTopic, needKafka, produce, uniqueTopic, withAdmin } from '../support/kafka.js';

// Lag monitoring through `tributary run`: the process exits right after its run, so whatever
// the Kafka source still does in the background (the last lag commit) must be done by then.
// Read back with an admin client once the process is gone.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tributary-lag-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `tributary run` of `sql`; `stopAfter`: SIGINT once that many rows came out. */
function run(sql: string, stopAfter = Infinity): Promise<{ code: number | null; rows: number; stderr: string }> {
  const file = join(dir, `${uniqueTopic('q')}.sql`);
  writeFileSync(file, sql);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let rows = 0;
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      rows += text.split('\n').length - 1;
      if (rows >= stopAfter) child.kill('SIGINT');
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, rows, stderr });
    });
  });
}

/** The group's committed offsets and the partitions' ends, by partition, and its members. */
async function groupState(brokers: string, group: string, topic: string) {
  return withAdmin(brokers, async (admin) => {
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    const { groups } = await admin.describeGroups([group]);
    return {
      committed: new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset] as const)),
      ends: new Map(ends.map((e) => [e.partition, e.high] as const)),
      members: groups[0]?.members.length ?? 0,
    };
  });
}

test('a bounded run leaves the lag group at every partition\'s end and no member behind, by the time the process is gone', { timeout: 90_000 }, async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('cli-lag');
  const group = `lag-${topic}`;
  await createTopic(brokers, topic, 3);
  await produce(brokers, topic, Array.from({ length: 3_000 }, (_, n) => ({ partition: n % 3, value: JSON.stringify({ n }) })));
  const result = await run(
    `CREATE SOURCE lagged (n INT) WITH (connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${brokers}', properties.group.id = '${group}',
       scan.startup.mode = 'earliest', scan.bounded.mode = 'latest') FORMAT PLAIN ENCODE JSON;\nSELECT n FROM lagged;\n`,
  );
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.rows, 3_000);
  const state = await groupState(brokers, group, topic);
  assert.deepEqual(state.committed, state.ends);
  assert.equal(state.members, 0, 'the lag group has no member: the committer never joins it');
});

test('an unbounded run stopped by SIGINT leaves the lag group at its final checkpoint and no member behind', { timeout: 90_000 }, async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const topic = uniqueTopic('cli-lag-stop');
  const group = `lag-${topic}`;
  await createTopic(brokers, topic, 2);
  await produce(brokers, topic, Array.from({ length: 2_000 }, (_, n) => ({ partition: n % 2, value: JSON.stringify({ n }) })));
  const result = await run(
    `CREATE SOURCE lagged (n INT) WITH (connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${brokers}', properties.group.id = '${group}',
       scan.startup.mode = 'earliest') FORMAT PLAIN ENCODE JSON;\nSELECT n FROM lagged;\n`,
    2_000,
  );
  assert.equal(result.code, 0, result.stderr);
  // Everything was printed before the stop, so the final checkpoint is at the end.
  const state = await groupState(brokers, group, topic);
  assert.deepEqual(state.committed, state.ends);
  assert.equal(state.members, 0, 'the lag group has no member: the committer never joins it');
});

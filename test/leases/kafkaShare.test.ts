// Split leases over a 12-partition Kafka topic through the CLI: three `tributary run --share`
// processes with a bounded scan; one is killed with kill -9 mid-run and its partitions move to
// the others. Every message comes out, and a message comes out twice only at or after the
// offset its partition was taken over from. (Kafka's own group protocol is not used: the
// partitions are leased like any other splits; kafkaGroupShare.test.ts has the group's.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTopic, needKafka, produce, uniqueTopic } from '../support/kafka.js';
import { needPeer } from '../support/peers.js';
import { HOW_TO_START_POSTGRES, pgClient, postgresTarget } from '../support/postgres.js';
import { checkHandovers, checkRows, finishedSplits, lagBehind, ShareCli } from './shareCli.js';
import { until } from './workers.js';

const PARTITIONS = 12;
const PER_PARTITION = 20_000;
const LEASE_MS = 2_000;
/** Bytes of stdout read per second from each process, so the run lasts long enough. */
const READ_RATE = 200_000;

test('three CLI processes share a 12-partition topic; kill -9 one, its partitions move; every message, no repeat before a takeover', { timeout: 180_000 }, async (t) => {
  const brokers = await needKafka(t);
  if (brokers === undefined) return;
  const target = await postgresTarget();
  if (!needPeer(t, target !== undefined, HOW_TO_START_POSTGRES)) return;
  const topic = uniqueTopic('multi-share');
  await createTopic(brokers, topic, PARTITIONS);
  // In batches: one request of every message would pass the broker's request size limit.
  for (let p = 0; p < PARTITIONS; p++) {
    for (let from = 0; from < PER_PARTITION; from += 5_000) {
      await produce(brokers, topic, Array.from({ length: Math.min(5_000, PER_PARTITION - from) }, (_, k) => ({ partition: p, value: JSON.stringify({ p, i: from + k, pad: 'x'.repeat(20) }) })));
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'multi-kafka-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sql = join(dir, 'q.sql');
  writeFileSync(
    sql,
    `CREATE SOURCE multi_topic (p INT, i INT, pad VARCHAR) WITH (connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${brokers}',
       scan.startup.mode = 'earliest', scan.bounded.mode = 'latest') FORMAT PLAIN ENCODE JSON;\nSELECT p, i FROM multi_topic;\n`,
  );
  const table = `multi_kshare_${process.pid}`;
  t.after(async () => {
    const client = await pgClient(target!);
    try {
      await client.query(`DROP TABLE IF EXISTS ${table}_leases, ${table}_leases_members`);
    } finally {
      await client.end();
    }
  });
  const procs: ShareCli[] = [];
  for (let k = 0; k < 3; k++) {
    const p = new ShareCli(sql, `${target!.url}?table=${table}`, LEASE_MS, READ_RATE);
    procs.push(p);
    t.after(() => p.child.kill('SIGKILL'));
  }
  const [p1, p2, p3] = procs as [ShareCli, ShareCli, ShareCli];
  // Every process gets a share (how even depends on start-up skew; exact shares are checked in
  // PostgresSplitLeases.test.ts).
  await until('each of three processes holds partitions', () => [p1, p2, p3].every((p) => p.held.size > 0), 60_000);
  t.diagnostic(`shares: ${[p1, p2, p3].map((p) => p.held.size).join(', ')}`);
  await until('rows out of the third', () => p3.rows.length > 0, 30_000);
  const victim = [...p3.held];
  const killedAt = Date.now();
  p3.child.kill('SIGKILL');
  // A partition the victim finished and committed before the kill needs no new holder (its
  // release may not have reached stderr before the kill): the lease table says which are done.
  const finished = (): Promise<Set<string>> => finishedSplits(target!, table);
  let done = new Set<string>();
  const moved = (): boolean => victim.every((s) => p1.held.has(s) || p2.held.has(s) || done.has(s));
  for (const start = Date.now(); !moved(); ) {
    done = await finished();
    if (moved()) break;
    if (Date.now() - start > 20_000) {
      assert.fail(
        `the killed process’s partitions (${victim.join(', ')}) were not taken over in 20 s; finished: ${[...done].join(', ')}; ` +
          `p1 holds ${[...p1.held].join(', ')}; p2 holds ${[...p2.held].join(', ')}\n  p1:\n    ${p1.leaseLines()}\n  p2:\n    ${p2.leaseLines()}\n  p3:\n    ${p3.leaseLines()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  t.diagnostic(`kill -9: ${victim.length} partitions moved in ${Date.now() - killedAt} ms (lease ${LEASE_MS} ms)`);
  for (const p of [p1, p2]) assert.equal(await p.exited, 0, p.stderr);

  const fail = (message: string): never => assert.fail(`${message}\n  p1:\n    ${p1.leaseLines()}\n  p2:\n    ${p2.leaseLines()}\n  p3:\n    ${p3.leaseLines()}`);
  checkHandovers(procs, fail);
  const repeats = checkRows(procs, PARTITIONS, PER_PARTITION, fail, [p3]);
  // Repeats come only from the kill -9 (what the killed process printed after its last commit):
  // splits handed over for balance between live processes go at a written position.
  t.diagnostic(`${PARTITIONS * PER_PARTITION} messages, ${repeats} repeated after a takeover start (${procs.map((p) => p.rows.length).join(' + ')} printed)`);
  // Lag monitoring: every partition's end reached the source's consumer group.
  assert.deepEqual(await lagBehind(brokers, 'tributary-multi_topic', topic, procs, PER_PARTITION), [], 'partitions whose end never reached the lag group');
});

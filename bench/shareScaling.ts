// Scaling of `tributary run --share` (issue 18): aggregate rows/s of 1, 2 and 3 CLI processes
// sharing one job (60 NDJSON files) through split leases in PostgreSQL, against one process
// without --share on the same input. Each process's stdout is drained and counted by this
// script. Run: node --import tsx bench/shareScaling.ts [rowsPerFile=20000] [runs=2]
// Needs the PostgreSQL peer (TRIBUTARY_PG_URL or 127.0.0.1:55432). Process start-up (tsx
// compiling the CLI) is timed separately: "work" is from the first row out to the last exit.
//
// `kafka` as the first argument: the same over a 12-partition Kafka topic (rows per partition
// from the second argument, default 50000), the processes sharing it with kafka.assignment =
// 'group' (Kafka's group protocol assigns, positions in the lease table). Needs the Kafka peer too
// (KAFKA_BROKERS or 127.0.0.1:9092). Run: node --import tsx bench/shareScaling.ts kafka [rowsPerPartition] [runs]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const url = process.env['TRIBUTARY_PG_URL'] ?? 'postgres://tributary:tributary@127.0.0.1:55432/tributary';
const kafkaMode = process.argv[2] === 'kafka';
const args = kafkaMode ? process.argv.slice(3) : process.argv.slice(2);
/** Files, or with `kafka` partitions. */
const FILES = kafkaMode ? 12 : 60;
const rowsPerFile = Number(args[0] ?? (kafkaMode ? 50_000 : 20_000));
const runs = Number(args[1] ?? 2);
const brokers = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';

const dir = mkdtempSync(join(tmpdir(), 'multi-bench-'));
const data = join(dir, 'data');
mkdirSync(data);
for (let f = 0; f < FILES; f++) {
  const lines: string[] = [];
  for (let i = 0; i < rowsPerFile; i++) lines.push(`{"f":${f},"i":${i},"name":"row ${i} of file ${f}","amount":${(i * 7) % 1000}.25}\n`);
  writeFileSync(join(data, `f${String(f).padStart(2, '0')}.ndjson`), lines.join(''));
}
const topic = `kgroup-share-bench-${process.pid}`;
if (kafkaMode) await produceTopic();
/** The job's SQL; with `kafka`, a group of its own per run (`group`), so no run waits on another's members. */
function sqlFile(group: string, share: boolean): string {
  const sql = join(dir, `q-${group}.sql`);
  writeFileSync(
    sql,
    kafkaMode
      ? `CREATE SOURCE multi_bench (f INT, i INT, name VARCHAR, amount DOUBLE) WITH (connector = 'kafka', topic = '${topic}', properties.bootstrap.server = '${brokers}', scan.startup.mode = 'earliest', scan.bounded.mode = 'latest', ${share ? `kafka.assignment = 'group', kafka.assignment.group = '${group}', ` : ''}kafka.commit.offsets = 'false') FORMAT PLAIN ENCODE JSON;\nSELECT f, i, name, amount FROM multi_bench;\n`
      : `CREATE SOURCE multi_bench (f INT, i INT, name VARCHAR, amount DOUBLE) WITH (connector = 'fs', fs.path = '${data}', fs.match_pattern = '*.ndjson') FORMAT PLAIN ENCODE JSON;\nSELECT f, i, name, amount FROM multi_bench;\n`,
  );
  return sql;
}

/** The rows of the files, one partition each, produced to a fresh 12-partition topic. */
async function produceTopic(): Promise<void> {
  const kafka = new Kafka({ clientId: 'share-bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: FILES, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let f = 0; f < FILES; f++) {
    for (let from = 0; from < rowsPerFile; from += 5_000) {
      const messages = [];
      for (let i = from; i < Math.min(rowsPerFile, from + 5_000); i++) messages.push({ partition: f, value: `{"f":${f},"i":${i},"name":"row ${i} of file ${f}","amount":${(i * 7) % 1000}.25}` });
      await producer.send({ topic, messages, acks: -1 });
    }
  }
  await producer.disconnect();
}

async function deleteTopic(): Promise<void> {
  const admin = new Kafka({ clientId: 'share-bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}

interface Result {
  readonly rows: number;
  readonly wallMs: number;
  readonly workMs: number;
}

async function runOnce(processes: number, share: boolean, table: string): Promise<Result> {
  const sql = sqlFile(table, share);
  const start = Date.now();
  let firstRow: number | undefined;
  let rows = 0;
  const exits = Array.from({ length: processes }, () => {
    const args = ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', sql];
    if (share) args.push('--state', `${url}?table=${table}`, '--share', '--lease-ms', '3000');
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', (buf: Buffer) => {
      firstRow ??= Date.now();
      for (let k = buf.indexOf(10); k !== -1; k = buf.indexOf(10, k + 1)) rows++;
    });
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    return new Promise<void>((done, fail) =>
      child.on('close', (code) => (code === 0 ? done() : fail(new Error(`exit ${code}: ${stderr.split('\n').filter((l) => !l.includes('leases:')).join('\n')}`)))),
    );
  });
  await Promise.all(exits);
  const end = Date.now();
  return { rows, wallMs: end - start, workMs: end - (firstRow ?? start) };
}

async function dropTables(table: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS ${table}_leases, ${table}_leases_members`);
  await client.end();
}

const total = FILES * rowsPerFile;
console.log(`${FILES} ${kafkaMode ? "partitions (kafka.assignment = 'group')" : 'files'} x ${rowsPerFile} rows = ${total} rows; ${runs} run(s) each, interleaved`);
const results = new Map<string, Result[]>();
try {
  for (let r = 0; r < runs; r++) {
    for (const [label, n, share] of [['1 process, no --share', 1, false], ['1 process --share', 1, true], ['2 processes --share', 2, true], ['3 processes --share', 3, true]] as const) {
      const table = `multi_bench_${process.pid}_${r}_${n}`;
      const result = await runOnce(n, share, table);
      if (share) await dropTables(table);
      if (result.rows < total) throw new Error(`${label}: ${result.rows} rows out of ${total}`);
      results.set(label, [...(results.get(label) ?? []), result]);
    }
  }
  const base = Math.min(...results.get('1 process --share')!.map((x) => x.workMs));
  for (const [label, list] of results) {
    const best = list.reduce((a, b) => (a.workMs <= b.workMs ? a : b));
    console.log(
      `${label.padEnd(24)} rows ${best.rows} (${best.rows - total} repeated)  work ${best.workMs} ms = ${Math.round(total / (best.workMs / 1000))} rows/s` +
        `  wall ${best.wallMs} ms  speed-up vs 1 --share ${(base / best.workMs).toFixed(2)}x`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  if (kafkaMode) await deleteTopic();
}

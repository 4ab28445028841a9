import { bytePositionOf, decodePosition } from '../../src/connectors/fs/FilePosition.js';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readFileStoreState } from '../state/readFileStoreState.js';
import { bundleCli } from '../support/cli.js';
import { withoutSummary } from '../support/runSummary.js';

// The CLI as a sink that acknowledges: an epoch commits only what stdout (or the dead-letter
// file) has accepted, whatever the reader on the other end of the pipe does.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tributary-sink-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Child = ChildProcessByStdio<null, Readable, Readable>;

/**
 * The CLI bundled as installed, built once: stdout is the sink under test, and tsx's loader (the
 * other CLI tests run src/cli/main.ts through it) touches `process.stdout` before the CLI starts,
 * which turns a pipe non-blocking and the CLI's writes from the thread pool off.
 */
let bundled: string | undefined;
const cli = (): string => (bundled ??= bundleCli(join(dir, 'bundle')));

function start(args: readonly string[]): Child {
  return spawn(process.execPath, [cli(), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Collects a child's output until it exits (reading stdout as fast as it comes). */
function finish(child: Child, stdoutSoFar = ''): Promise<Run> {
  return new Promise((done, fail) => {
    let stdout = stdoutSoFar;
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

const run = (args: readonly string[]): Promise<Run> => finish(start(args));

function sqlFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function dataDir(name: string, files: Record<string, string | Buffer>): string {
  const path = join(dir, name);
  mkdirSync(path, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(path, file), text);
  return path;
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

/** The byte position a stored fs offset covers (offsets carry the file's identity as JSON). */
function committedBytes(offset: string | null | undefined): number {
  return bytePositionOf(decodePosition(offset ?? null).at);
}

/** The committed snapshot of source `name` in a FileStore directory, or undefined before the first commit. */
function committedSnapshot(state: string, name: string): { epoch: number; splits: Record<string, { offset: string | null; finished: boolean }> } | undefined {
  let entries: Map<string, unknown> | undefined;
  try {
    entries = readFileStoreState(state);
  } catch {
    return undefined; // replaced while read: the next poll sees the new one
  }
  if (entries === undefined) return undefined;
  const committed = entries.get(`${name}/committed`);
  if (typeof committed !== 'number') return undefined;
  return entries.get(`${name}/epoch/${committed}`) as ReturnType<typeof committedSnapshot>;
}

/** VmRSS of a process in MiB (Linux), for the report; undefined elsewhere. */
function rssMiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}

test('stdout to a stalled pipe: nothing is committed past what the pipe accepted, memory stays bounded, a SIGKILL loses no row', async (t) => {
  const count = 200_000;
  const pad = 'x'.repeat(40);
  let csv = 'id,pad\n';
  const lineEnds: number[] = []; // byte offset after each row's line
  for (let i = 0; i < count; i++) {
    csv += `${i},${pad}\n`;
    lineEnds.push(csv.length);
  }
  const data = dataDir('stall', { 'rows.csv': csv });
  const job = sqlFile('stall.sql', `create source s (id int not null, pad text) with (connector = 'fs', fs.path = '${data}', fs.read.buffer.bytes = '65536') row format 'csv';\nselect id from s;`);
  const state = join(dir, 'state-stall');

  const child = start(['run', job, '--state', state, '--checkpoint-interval', '50']);
  child.stdout.pause(); // the reader reads nothing at first
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<void>((done) => child.on('exit', () => done()));

  // Stall for two seconds (many checkpoint intervals): sample memory meanwhile.
  let peakRss = 0;
  for (let i = 0; i < 20; i++) {
    await sleep(100);
    peakRss = Math.max(peakRss, rssMiB(child.pid!) ?? 0);
  }
  const duringStall = committedSnapshot(state, 's');

  // Then read slowly (a bit every 20 ms) until a commit that covers rows shows up, and kill.
  let received = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    received += text;
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 20);
  });
  child.stdout.resume();
  let snapshot = committedSnapshot(state, 's');
  const deadline = Date.now() + 60_000;
  while ((snapshot === undefined || committedBytes(snapshot.splits['rows.csv']?.offset) === 0) && Date.now() < deadline) {
    await sleep(10);
    snapshot = committedSnapshot(state, 's');
  }
  child.kill('SIGKILL');
  await exited;
  // What the pipe still holds is the reader's too: the kernel keeps it after the writer died.
  await new Promise<void>((done) => {
    if (child.stdout.readableEnded) return done();
    child.stdout.removeAllListeners('data');
    child.stdout.on('data', (text: string) => (received += text));
    child.stdout.on('end', done);
    child.stdout.resume();
  });
  assert.ok(snapshot !== undefined, `a commit within a minute of slow reading (stderr: ${stderr})`);
  const committedOffset = committedBytes(snapshot.splits['rows.csv']!.offset);
  // A SIGKILL can land between two parts of one write to the pipe: the reader may hold the start
  // of a line whose end never came. That row was not delivered (and must not be committed).
  const whole = received.slice(0, received.lastIndexOf('\n') + 1);
  const receivedIds = new Set(lines(whole).map((l) => (JSON.parse(l) as { id: number }).id));
  const covered = lineEnds.filter((end) => end <= committedOffset).length;
  t.diagnostic(`peak RSS during a 2 s stall: ${peakRss.toFixed(0)} MiB; committed during the stall: ${duringStall === undefined ? 'nothing' : `offset ${duringStall.splits['rows.csv']?.offset}`}; at the kill: ${covered} rows committed, ${receivedIds.size} received`);
  for (let id = 0; id < covered; id++) assert.ok(receivedIds.has(id), `row ${id} is covered by the committed epoch ${snapshot.epoch} (offset ${committedOffset}) but never reached the reader (${receivedIds.size} received)`);
  // The stalled reader held the whole job back: during the stall, far from the whole file was committed.
  const coveredDuringStall = lineEnds.filter((end) => end <= committedBytes(duringStall?.splits['rows.csv']?.offset)).length;
  assert.ok(coveredDuringStall < count / 2, `a commit during the stall covers ${coveredDuringStall} of ${count} rows although the reader read nothing`);
  assert.ok(peakRss < 400, `peak RSS ${peakRss} MiB during the stall`);

  // The rerun completes the job: together, every row arrived.
  const rerun = await run(['run', job, '--state', state]);
  assert.equal(rerun.code, 0, rerun.stderr);
  for (const l of lines(rerun.stdout)) receivedIds.add((JSON.parse(l) as { id: number }).id);
  assert.equal(receivedIds.size, count);
});

test('a 100 000-deep JSON row with SELECT *: no stack trace, and never committed past without being written', async () => {
  const depth = 100_000;
  const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const data = dataDir('deep', { 'rows.ndjson': `{"a":1}\n{"a":2}\n{"a":${deep}}\n{"a":4}\n` });
  const job = sqlFile('deep.sql', `create source d with (connector = 'fs', fs.path = '${data}') row format 'json';\nselect * from d;`);
  const state = join(dir, 'state-deep');
  const first = await run(['run', job, '--state', state]);
  assert.doesNotMatch(first.stderr, /\n\s+at |Maximum call stack/);
  if (first.code === 0) {
    // Written: every row is out, the deep one whole.
    const rows = lines(first.stdout);
    assert.equal(rows.length, 4, first.stderr);
    assert.equal(rows[2], `{"a":${deep}}`);
    return;
  }
  // Refused (a nesting limit of the decoder): one line naming where, and the rerun refuses
  // again instead of starting after the row.
  for (const result of [first, await run(['run', job, '--state', state])]) {
    assert.equal(result.code, 1, result.stderr);
    assert.match(withoutSummary(result.stderr).rest, /^tributary: source 'd', split 'rows\.ndjson', offset \d+[^\n]*\n$/);
    assert.ok(!lines(result.stdout).includes('{"a":4}'), result.stdout);
  }
});

test('an evaluation error in the query fails its epoch the same way, on every rerun', async () => {
  const data = dataDir('div', { 'rows.csv': 'n\n1\n2\n0\n4\n' });
  const job = sqlFile('div.sql', `create source v (n int) with (connector = 'fs', fs.path = '${data}') row format 'csv';\nselect 10 / n as q from v;`);
  const state = join(dir, 'state-div');
  for (const attempt of ['first', 'rerun']) {
    const result = await run(['run', job, '--state', state]);
    assert.equal(result.code, 1, `${attempt}: ${result.stderr}`);
    assert.match(withoutSummary(result.stderr).rest, /^tributary: source 'v', split 'rows\.csv', offset \d+: .*division by zero\n$/);
  }
});

test('SIGINT stops an unbounded run with a final checkpoint and exit 0; the rerun resumes after it', async () => {
  const data = dataDir('sigint', { 'log.csv': 'id\n1\n2\n' });
  const job = sqlFile(
    'sigint.sql',
    `create source t (id int not null) with (connector = 'fs', fs.path = '${data}', fs.scan.mode = 'unbounded', fs.poll.interval.ms = '50', checkpoint.interval.ms = '600000') row format 'csv';`,
  );
  const state = join(dir, 'state-sigint');
  const stopAfter = async (rows: number): Promise<Run> => {
    const child = start(['run', job, '--state', state]);
    let seen = '';
    const result = finish(child);
    const onData = (text: string): void => {
      seen += text;
      if (lines(seen).length >= rows) {
        child.stdout.off('data', onData);
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', onData);
    return result;
  };
  const first = await stopAfter(2);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(lines(first.stdout), ['{"id":1}', '{"id":2}']);
  // The interval is ten minutes: only the signal's final checkpoint can have committed these.
  assert.equal(committedBytes(committedSnapshot(state, 't')?.splits['log.csv']?.offset), 'id\n1\n2\n'.length);

  appendFileSync(join(data, 'log.csv'), '3\n4\n');
  const second = await stopAfter(2);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(lines(second.stdout), ['{"id":3}', '{"id":4}']);
});

interface DeadLetterLine {
  readonly source: string;
  readonly split: string | null;
  readonly position: string | null;
  readonly error: string;
  readonly raw: string | null;
}

test('--dead-letter FILE: bad records go to FILE as NDJSON (source, split, position, error, raw base64), appended run after run', async () => {
  const data = dataDir('dead', { 'a.csv': 'n\n1\nnope\n3\n' });
  const job = sqlFile('dead.sql', `create source b (n int) with (connector = 'fs', fs.path = '${data}') row format 'csv';`);
  const state = join(dir, 'state-dead');
  const letters = join(dir, 'dead.ndjson');
  const first = await run(['run', job, '--state', state, '--bad-records', 'dead-letter', '--dead-letter', letters]);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(lines(first.stdout), ['{"n":1}', '{"n":3}']);
  assert.match(first.stderr, /1 dead-lettered/);
  const written = lines(readFileSync(letters, 'utf8')).map((l) => JSON.parse(l) as DeadLetterLine);
  assert.equal(written.length, 1);
  assert.equal(written[0]!.source, 'b');
  assert.equal(written[0]!.split, 'a.csv');
  assert.equal(written[0]!.position, String('n\n1\n'.length));
  assert.match(written[0]!.error, /nope/);
  if (written[0]!.raw !== null) assert.match(Buffer.from(written[0]!.raw, 'base64').toString('utf8'), /^nope/);

  // --dead-letter alone implies the dead-letter policy; the file is appended to, not replaced.
  writeFileSync(join(data, 'b.csv'), 'n\nzut\n');
  const second = await run(['run', job, '--state', state, '--dead-letter', letters]);
  assert.equal(second.code, 0, second.stderr);
  const all = lines(readFileSync(letters, 'utf8')).map((l) => JSON.parse(l) as DeadLetterLine);
  assert.deepEqual(
    all.map((l) => l.split),
    ['a.csv', 'b.csv'],
  );
});

test('--dead-letter and --bad-records must agree: a contradiction or dead letters with nowhere to go is a usage error', async () => {
  const data = dataDir('dead2', { 'a.csv': 'n\n1\n' });
  const job = sqlFile('dead2.sql', `create source b (n int) with (connector = 'fs', fs.path = '${data}') row format 'csv';`);
  const skip = await run(['run', job, '--bad-records', 'skip', '--dead-letter', join(dir, 'x.ndjson')]);
  assert.equal(skip.code, 2);
  assert.match(skip.stderr, /--dead-letter/);
  const nowhere = await run(['run', job, '--bad-records', 'dead-letter']);
  assert.equal(nowhere.code, 2);
  assert.match(nowhere.stderr, /--dead-letter FILE/);
  // A source that sets bad.records = 'dead-letter' itself also needs the file.
  const own = sqlFile('dead3.sql', `create source b (n int) with (connector = 'fs', fs.path = '${data}', bad.records = 'dead-letter') row format 'csv';`);
  const ownRun = await run(['run', own]);
  assert.equal(ownRun.code, 2, ownRun.stderr);
  assert.match(ownRun.stderr, /--dead-letter FILE/);
});

test('stdout to a regular file: every row is out (synced at each checkpoint), and a rerun adds nothing', async () => {
  let csv = 'id\n';
  for (let i = 0; i < 50_000; i++) csv += `${i}\n`;
  const data = dataDir('tofile', { 'ids.csv': csv });
  const job = sqlFile('tofile.sql', `create source f (id int not null) with (connector = 'fs', fs.path = '${data}', fs.read.buffer.bytes = '4096') row format 'csv';`);
  const state = join(dir, 'state-tofile');
  const out = join(dir, 'tofile.ndjson');
  for (let attempt = 0; attempt < 2; attempt++) {
    const fd = openSync(out, 'a');
    const child = spawn(process.execPath, [cli(), 'run', job, '--state', state, '--checkpoint-interval', '20'], { cwd: root, stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    assert.equal(code, 0, stderr);
  }
  const ids = lines(readFileSync(out, 'utf8')).map((l) => (JSON.parse(l) as { id: number }).id);
  assert.deepEqual(ids, Array.from({ length: 50_000 }, (_, i) => i));
});

/** How a CLI run into a python3 parent's pipe went (see {@link runIntoPipe}). */
interface PipeRun {
  /** The CLI's exit code, or minus the signal that ended it. */
  readonly code: number;
  readonly stderr: string;
  readonly lines: string[];
  /** Whether the CLI's fd 1 was non-blocking after the stall (null: it had exited). */
  readonly nonBlocking: boolean | null;
  /** When the CLI exited during the stall, how long after its start, in ms. */
  readonly exitedDuringStallMs: number | null;
}

/**
 * Runs `node <nodeArgs> <the bundled CLI> <args>` with stdout the write end of a real pipe (as a
 * shell makes for `|`; node's own `stdio: 'pipe'` is a socket pair), made by a python3 parent
 * that sets it non-blocking when asked, reads nothing for `stallMs` (so the pipe fills; it notes
 * whether the CLI exits meanwhile, and then reads the CLI's fd 1 flags from /proc), then reads up
 * to `maxLines` lines and closes its end.
 */
function runIntoPipe(
  args: readonly string[],
  options: {
    nonBlocking: boolean;
    stallMs: number;
    maxLines?: number;
    nodeArgs?: readonly string[];
    env?: Readonly<Record<string, string>>;
    /** When to send SIGTERM, in ms after the pipe filled up. */
    sigtermAtMs?: readonly number[];
  },
): Promise<PipeRun> {
  const script = `
import array, fcntl, json, os, subprocess, sys, termios, time
r, w = os.pipe()
os.set_blocking(w, ${options.nonBlocking ? 'False' : 'True'})
started = time.monotonic()
child = subprocess.Popen(json.loads(sys.argv[1]), stdout=w, stderr=subprocess.PIPE, cwd=sys.argv[2], env={**os.environ, **json.loads(sys.argv[3])})
os.close(w)
exited = None
# SIGTERMs are timed from when the pipe is full (the CLI then waits on its reader).
signals = ${JSON.stringify((options.sigtermAtMs ?? []).map((ms) => ms / 1000))}
full_at = None
while time.monotonic() - started < ${options.stallMs / 1000}:
    if signals and full_at is None:
        held = array.array('i', [0])
        fcntl.ioctl(r, termios.FIONREAD, held)
        if held[0] >= 60000: full_at = time.monotonic()
    if signals and full_at is not None and time.monotonic() - full_at >= signals[0]:
        signals.pop(0)
        child.send_signal(15)
    if child.poll() is not None:
        exited = round((time.monotonic() - started) * 1000)
        break
    time.sleep(0.02)
flags = None
try:
    with open('/proc/%d/fdinfo/1' % child.pid) as info:
        for line in info:
            if line.startswith('flags:'):
                flags = int(line.split()[1], 8)
except OSError:
    pass
got, n, most = [], 0, ${options.maxLines ?? -1}
with os.fdopen(r, 'rb') as src:
    for line in src:
        got.append(line.decode())
        n += 1
        if n == most: break
err = child.stderr.read().decode()
print(json.dumps({'code': child.wait(), 'stderr': err, 'lines': got, 'nonBlocking': None if flags is None else bool(flags & os.O_NONBLOCK), 'exitedDuringStallMs': exited}))
`;
  const argv = [process.execPath, ...(options.nodeArgs ?? []), cli(), ...args];
  return new Promise((done, fail) => {
    const py = spawn('python3', ['-c', script, JSON.stringify(argv), root, JSON.stringify(options.env ?? {})], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    py.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    py.on('error', fail);
    py.on('close', (code) => {
      try {
        assert.equal(code, 0, `python3 parent exited ${code}`);
        done(JSON.parse(out) as PipeRun);
      } catch (err) {
        fail(err);
      }
    });
  });
}

describe('stdout a shell pipe', () => {
  const count = 100_000;
  // The same job for every test here, written once.
  let written: string | undefined;
  const job = (): string => {
    if (written !== undefined) return written;
    let csv = 'id,pad\n';
    for (let i = 0; i < count; i++) csv += `${i},${'y'.repeat(30)}\n`;
    const data = dataDir('shellpipe', { 'rows.csv': csv });
    written = sqlFile('shellpipe.sql', `create source s (id int not null, pad text) with (connector = 'fs', fs.path = '${data}') row format 'csv';`);
    return written;
  };

  test('blocking or left non-blocking by the parent, read late: every row once, in order, exit 0; a blocking pipe stays blocking (written from the thread pool) unless the pool has one thread', async () => {
    const file = job();
    const expected = Array.from({ length: count }, (_, i) => i);
    const cases: Array<{ nonBlocking: boolean; env: Record<string, string>; fdNonBlocking: boolean }> = [
      { nonBlocking: false, env: {}, fdNonBlocking: false },
      { nonBlocking: true, env: {}, fdNonBlocking: true },
      // One pool thread: process.stdout (which makes the pipe non-blocking), not the pool.
      { nonBlocking: false, env: { UV_THREADPOOL_SIZE: '1' }, fdNonBlocking: true },
    ];
    for (const { nonBlocking, env, fdNonBlocking } of cases) {
      const what = `parent's pipe ${nonBlocking ? 'non-blocking' : 'blocking'}, env ${JSON.stringify(env)}`;
      const run = await runIntoPipe(['run', file, '--quiet'], { nonBlocking, stallMs: 500, env });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, '');
      // process.stdout over a pipe makes it non-blocking: a blocking one after the stall means the
      // rows went through the thread pool's blocking writes, not process.stdout.
      assert.equal(run.nonBlocking, fdNonBlocking, `the CLI's fd 1 after the stall: ${what}`);
      assert.deepEqual(
        run.lines.map((l) => (JSON.parse(l) as { id: number }).id),
        expected,
        what,
      );
    }
  });

  test('`| head`: the reader leaving ends the run with exit 0 and nothing on stderr but the summary', async () => {
    const head = await runIntoPipe(['run', job()], { nonBlocking: false, stallMs: 0, maxLines: 3 });
    assert.equal(head.code, 0, head.stderr);
    assert.equal(withoutSummary(head.stderr).rest, '');
    assert.equal(head.lines.length, 3);
  });

  test('a second SIGTERM while a write waits for a stalled reader exits at once, as --help says', async () => {
    // The first asks for a final checkpoint, which cannot come (the reader reads nothing for
    // 10 s); the second comes well past the 500 ms within which a signal counts as the same one.
    const run = await runIntoPipe(['run', job(), '--state', join(dir, 'state-second-signal')], { nonBlocking: false, stallMs: 10_000, sigtermAtMs: [200, 1700] });
    assert.ok(run.exitedDuringStallMs !== null && run.exitedDuringStallMs < 7000, `exited ${run.exitedDuringStallMs} ms after its start, while the reader read nothing for 10 s (code ${run.code}, stderr ${run.stderr})`);
    assert.match(run.stderr, /second SIGTERM: exiting without a final checkpoint/);
  });

  test('a crash while a write waits for a stalled reader: the process still ends, without waiting for the reader', async () => {
    // An uncaught error a second into the run, while the reader reads nothing for 10 s: Node's
    // exit waits for the thread pool, where the write is blocked.
    const crash = join(dir, 'crash.mjs');
    writeFileSync(crash, "setTimeout(() => { throw new Error('injected crash'); }, 1000);\n");
    const run = await runIntoPipe(['run', job()], { nonBlocking: false, stallMs: 10_000, nodeArgs: ['--import', pathToFileURL(crash).href] });
    assert.match(run.stderr, /tributary: uncaught exception: Error: injected crash/, JSON.stringify({ ...run, lines: run.lines.length }));
    assert.match(run.stderr, /exiting while a write to stdout waits for its reader/);
    assert.notEqual(run.code, 0);
    assert.ok(run.exitedDuringStallMs !== null && run.exitedDuringStallMs < 5000, `exited ${run.exitedDuringStallMs} ms after its start, while the reader read nothing for 10 s (code ${run.code})`);
  });
});

test('a write that fails after the run let go of stdout (the rows of a LIMIT, into /dev/full) fails it: exit 1, one line', async () => {
  const data = dataDir('full', { 'ids.csv': 'id\n1\n2\n3\n' });
  const job = sqlFile('full.sql', `create source f (id int not null) with (connector = 'fs', fs.path = '${data}') row format 'csv';\nselect * from f limit 1;`);
  const fd = openSync('/dev/full', 'w');
  const child = spawn(process.execPath, [cli(), 'run', job, '--quiet'], { cwd: root, stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  assert.equal(code, 1, stderr);
  assert.match(stderr, /^tributary: writing to stdout failed: .*ENOSPC.*\n$/);
});

test('LIMIT: exactly n rows, exit 0, even when chunks hold more; LIMIT 0 prints nothing', async () => {
  let csv = 'id\n';
  for (let i = 0; i < 20_000; i++) csv += `${i}\n`;
  const data = dataDir('limit', { 'ids.csv': csv });
  const job = (n: number) => sqlFile(`limit${n}.sql`, `create source l (id int not null) with (connector = 'fs', fs.path = '${data}') row format 'csv';\nselect id from l where id % 2 = 1 limit ${n};`);
  const three = await run(['run', job(3)]);
  assert.equal(three.code, 0, three.stderr);
  assert.deepEqual(lines(three.stdout), ['{"id":1}', '{"id":3}', '{"id":5}']);
  const none = await run(['run', job(0)]);
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, '');
});

test('a dead letter is in its file before the epoch that skipped its record commits: SIGKILL after the commit loses none', async () => {
  const text = 'id\n1\nbad\n3\n';
  const data = dataDir('deadkill', { 'log.csv': text });
  const job = sqlFile(
    'deadkill.sql',
    `create source k (id int not null) with (connector = 'fs', fs.path = '${data}', fs.scan.mode = 'unbounded', fs.poll.interval.ms = '50') row format 'csv';`,
  );
  const state = join(dir, 'state-deadkill');
  const letters = join(dir, 'deadkill.ndjson');
  const child = start(['run', job, '--state', state, '--checkpoint-interval', '30', '--dead-letter', letters]);
  const result = finish(child);
  // Wait for a commit past the bad line, then kill: no exit path gets to write anything.
  const deadline = Date.now() + 30_000;
  while (committedBytes(committedSnapshot(state, 'k')?.splits['log.csv']?.offset) < text.length && Date.now() < deadline) await sleep(10);
  child.kill('SIGKILL');
  const killed = await result;
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  assert.equal(committedBytes(committedSnapshot(state, 'k')?.splits['log.csv']?.offset), text.length);
  const written = lines(readFileSync(letters, 'utf8')).map((l) => JSON.parse(l) as DeadLetterLine);
  assert.deepEqual(
    written.map((l) => [l.split, l.position]),
    [['log.csv', String('id\n1\n'.length)]],
  );
});

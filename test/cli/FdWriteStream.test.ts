import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { FdWriteStream } from '../../src/cli/FdWriteStream.js';

// FdWriteStream against real pipes (FIFOs made with mkfifo) and real readers (python3 and cat):
// the bytes, their order, when a write counts as done, and a descriptor that is not blocking.

const dir = mkdtempSync(join(tmpdir(), 'tributary-fdwrite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fifos = 0;
function fifo(): string {
  const path = join(dir, `pipe-${fifos++}`);
  const made = spawnSync('mkfifo', [path]);
  assert.equal(made.status, 0, `mkfifo: ${String(made.stderr)}`);
  return path;
}

/**
 * A python3 reader of `path` into `out`: it waits for a line on its stdin before reading when
 * `gated`, then reads `chunk` bytes at a time, sleeping up to `pauseMs` between reads.
 */
function reader(path: string, out: string, options: { gated?: boolean; chunk?: number; pauseMs?: number } = {}) {
  const script = `
import random, sys, time
if ${options.gated === true ? 'True' : 'False'}: sys.stdin.readline()
with open(sys.argv[1], 'rb') as src, open(sys.argv[2], 'wb') as dst:
    while True:
        b = src.read(${options.chunk ?? 65536})
        if not b: break
        dst.write(b)
        if ${options.pauseMs ?? 0} > 0: time.sleep(random.random() * ${options.pauseMs ?? 0} / 1000)
`;
  const child = spawn('python3', ['-c', script, path, out], { stdio: ['pipe', 'ignore', 'inherit'] });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { go: () => child.stdin.end('go\n'), exited };
}

/** Writes `buffers` to `stream`; resolves when the last write's callback ran. */
function writeAll(stream: FdWriteStream, buffers: readonly Buffer[]): Promise<void> {
  return new Promise((done, fail) => {
    buffers.forEach((b, i) => stream.write(b, i === buffers.length - 1 ? (err) => (err ? fail(err) : done()) : undefined));
  });
}

/** `count` buffers of random bytes and random sizes up to `most` (some empty). */
function randomBuffers(count: number, most: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => (i % 17 === 5 ? Buffer.alloc(0) : randomBytes(1 + Math.floor(Math.random() * most))));
}

test('every byte reaches a slow reader, in order, across many queued writes', async () => {
  const path = fifo();
  const out = join(dir, 'slow.out');
  const r = reader(path, out, { chunk: 4096, pauseMs: 2 });
  // Opening the write end waits for the reader's open; O_RDWR does not (Linux), and is blocking.
  const fd = openSync(path, constants.O_RDWR);
  const stream = new FdWriteStream(fd, () => assert.fail('a blocking pipe needs no fallback'));
  const buffers = randomBuffers(300, 40_000);
  r.go();
  await writeAll(stream, buffers);
  closeSync(fd);
  assert.equal(await r.exited, 0);
  assert.ok(readFileSync(out).equals(Buffer.concat(buffers)), 'the reader got the bytes written, in order');
  assert.equal(stream.fellBack, false);
});

test("a write's callback runs only once the reader has taken its bytes into the pipe", async () => {
  const path = fifo();
  const out = join(dir, 'gated.out');
  const r = reader(path, out, { gated: true });
  const fd = openSync(path, constants.O_RDWR);
  const stream = new FdWriteStream(fd, () => assert.fail('a blocking pipe needs no fallback'));
  // Far more than a pipe holds (64 KiB by default, 1 MiB at most unprivileged).
  const bytes = randomBytes(8 * 1024 * 1024);
  let called = false;
  const written = writeAll(stream, [bytes]).then(() => (called = true));
  await sleep(300);
  assert.equal(called, false, 'the callback ran although the reader had read nothing');
  assert.ok(stream.writableLength > 0, 'the stream still counts the bytes as pending');
  r.go();
  await written;
  closeSync(fd);
  assert.equal(await r.exited, 0);
  assert.ok(readFileSync(out).equals(bytes));
});

test('a non-blocking descriptor: writes past a full pipe go through the fallback, the bytes the same and in order', async () => {
  const path = fifo();
  const out = join(dir, 'nonblocking.out');
  const r = reader(path, out, { gated: true, chunk: 8192, pauseMs: 1 });
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  let fallbacks = 0;
  const stream = new FdWriteStream(fd, () => {
    fallbacks++;
    // What process.stdout is for a pipe: a socket over the descriptor, written when it polls writable.
    return new Socket({ fd, readable: false, writable: true });
  });
  const buffers = randomBuffers(200, 30_000);
  // The reader starts only once the pipe is full: the first writes take part of a buffer, then EAGAIN.
  const written = writeAll(stream, buffers);
  await sleep(100);
  r.go();
  await written;
  assert.equal(fallbacks, 1);
  assert.equal(stream.fellBack, true);
  await new Promise<void>((done) => stream.end(done));
  closeSync(fd);
  assert.equal(await r.exited, 0);
  assert.ok(readFileSync(out).equals(Buffer.concat(buffers)), 'the reader got the bytes written, in order');
});

test('the reader gone: the write fails with EPIPE, as an error of the stream and of the callback', async () => {
  const path = fifo();
  // `head -c 10` reads ten bytes and exits, closing the only read end while the write waits.
  const head = spawn('sh', ['-c', `head -c 10 < '${path}' > /dev/null`], { stdio: 'ignore' });
  const fd = openSync(path, constants.O_WRONLY);
  const stream = new FdWriteStream(fd, () => assert.fail('a blocking pipe needs no fallback'));
  const errors: NodeJS.ErrnoException[] = [];
  stream.on('error', (err: NodeJS.ErrnoException) => errors.push(err));
  const failed = await new Promise<NodeJS.ErrnoException | null | undefined>((done) => stream.write(randomBytes(4 * 1024 * 1024), (err) => done(err)));
  closeSync(fd);
  await new Promise<void>((done) => (head.exitCode !== null ? done() : head.on('exit', () => done())));
  assert.equal(failed?.code, 'EPIPE');
  await sleep(0);
  assert.equal(errors[0]?.code, 'EPIPE');
});

test('forPipe: a stream for a pipe or a socket; none for a file, /dev/null or a closed descriptor', async () => {
  const path = fifo();
  const fd = openSync(path, constants.O_RDWR);
  const file = join(dir, 'plain');
  writeFileSync(file, '');
  const fileFd = openSync(file, 'w');
  const devNull = openSync('/dev/null', 'w');
  try {
    assert.ok(FdWriteStream.forPipe(fd, () => assert.fail()) instanceof FdWriteStream);
    assert.equal(FdWriteStream.forPipe(fileFd, () => assert.fail()), undefined);
    assert.equal(FdWriteStream.forPipe(devNull, () => assert.fail()), undefined);
    assert.equal(FdWriteStream.forPipe(1_000_000, () => assert.fail()), undefined);
  } finally {
    for (const d of [fd, fileFd, devNull]) closeSync(d);
  }
  // A child_process parent's stdio 'pipe' is a UNIX socket pair: asked from such a child's fd 1.
  const module = new URL('../../src/cli/FdWriteStream.ts', import.meta.url).href;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `const { FdWriteStream } = await import(${JSON.stringify(module)}); process.stderr.write(String(FdWriteStream.forPipe(1, () => process.stdout) !== undefined));`], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  assert.equal(child.stderr, 'true');
});

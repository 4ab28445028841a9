import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { NdjsonSink } from '../../src/cli/NdjsonSink.js';

/** A stream that takes writes only when told to: a pipe whose reader is stalled. */
function stalledStream() {
  const held: Array<() => void> = [];
  const chunks: string[] = [];
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, callback) {
      held.push(() => {
        chunks.push(chunk.toString());
        callback();
      });
    },
  });
  return { stream, chunks, release: () => held.splice(0).forEach((take) => take()) };
}

const settled = async (value: unknown): Promise<boolean> => {
  let done = false;
  void Promise.resolve(value).then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

test('a stream holding over a megabyte makes write wait, and flush wait until the stream took every row', async () => {
  const { stream, chunks, release } = stalledStream();
  const sink = new NdjsonSink(stream);
  const rows = Array.from({ length: 40_000 }, (_, id) => ({ id, pad: 'x'.repeat(20) })); // > 1 MiB of NDJSON
  const written = sink.write(rows);
  assert.ok(written !== undefined, 'write returns a promise while the stream is full');
  assert.equal(await settled(written), false);
  const flushed = sink.flush();
  assert.equal(await settled(flushed), false, 'flush waits for the stream to take the rows');
  release();
  assert.equal(await settled(written), true);
  assert.equal(await settled(flushed), true);
  const text = chunks.join('');
  assert.equal(text.split('\n').length - 1, 40_000);
  assert.equal(chunks.length, 1, 'one write for the chunk, not one per row');
});

test('small chunks are coalesced into one write; flush hands them over at once and waits for them', async () => {
  const { stream, chunks, release } = stalledStream();
  const sink = new NdjsonSink(stream);
  for (let i = 0; i < 3; i++) assert.equal(sink.write([{ i }]), undefined);
  const flushed = sink.flush();
  assert.equal(await settled(flushed), false);
  release();
  assert.equal(await settled(flushed), true);
  assert.deepEqual(chunks, ['{"i":0}\n{"i":1}\n{"i":2}\n']);
});

test('a row that cannot be written fails the write before any row of its chunk is out', () => {
  const { stream, chunks, release } = stalledStream();
  const sink = new NdjsonSink(stream);
  const cyclic: Record<string, unknown> = {};
  let inner: Record<string, unknown> = cyclic;
  for (let i = 0; i < 1000; i++) inner = inner.next = {};
  inner.next = cyclic;
  assert.throws(() => sink.write([{ ok: 1 }, { bad: cyclic }]), TypeError);
  void sink.flush();
  release();
  assert.deepEqual(chunks, []);
  assert.equal(stream.writableLength, 0);
  assert.equal(sink.rows, 0);
});

test('below a megabyte held by the stream, writes do not wait for a late reader; past it they do, until it is down to half', async () => {
  const { stream, chunks, release } = stalledStream();
  const sink = new NdjsonSink(stream);
  const line = `${JSON.stringify({ pad: 'y'.repeat(1000) })}\n`;
  const block = line.repeat(100); // ~100 KiB, 100 rows
  const results = [];
  for (let i = 0; i < 10; i++) results.push(sink.writeText(block, 100));
  assert.deepEqual(results, Array(10).fill(undefined), 'under the bound: no write waits (the stream\'s own 1 KiB high-water mark is not the limit)');
  const waiting = sink.writeText(block, 100);
  assert.ok(waiting instanceof Promise, 'over a megabyte held: the write waits');
  assert.equal(await settled(waiting), false);
  // The stream hands one write at a time to its writer: release them one by one, and the write
  // resumes once what the stream holds is down to half a megabyte (not all of it).
  let released = 0;
  while (!(await settled(waiting)) && released < 11) {
    release();
    released++;
  }
  assert.equal(await settled(waiting), true);
  assert.ok(released >= 5 && released < 11, `resumed after ${released} of 11 writes were taken`);
  for (let i = 0; i < 11; i++) {
    release();
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(sink.rows, 1100);
  assert.equal(chunks.join(''), block.repeat(11));
  assert.equal(sink.bytes, Buffer.byteLength(block) * 11);
});

test('writeText: coalesced with rows written as objects, in order; bytes count UTF-8, not UTF-16 units', async () => {
  const { stream, chunks, release } = stalledStream();
  const sink = new NdjsonSink(stream);
  assert.equal(sink.write([{ a: 'é' }]), undefined);
  assert.equal(sink.writeText('{"b":"€"}\n{"c":1}\n', 2), undefined);
  assert.equal(sink.writeText('', 0), undefined);
  const flushed = sink.flush();
  release();
  await flushed;
  assert.deepEqual(chunks, ['{"a":"é"}\n{"b":"€"}\n{"c":1}\n']);
  assert.equal(sink.rows, 3);
  assert.equal(sink.bytes, Buffer.byteLength('{"a":"é"}\n{"b":"€"}\n{"c":1}\n'));
});

test('a stream that fails while writes wait for room: the waiting writes go on, and flush reports the error', async () => {
  const stream = new Writable({
    highWaterMark: 1024,
    write(_chunk: Buffer, _encoding, callback) {
      setImmediate(() => callback(new Error('EPIPE-like')));
    },
  });
  stream.on('error', () => undefined);
  const sink = new NdjsonSink(stream);
  const waiting = sink.writeText('x'.repeat(2 * 1024 * 1024) + '\n', 1);
  assert.ok(waiting instanceof Promise);
  await waiting;
  await assert.rejects(Promise.resolve(sink.flush()), /EPIPE-like/);
});

test('writeLines: what a failing fill appended is dropped, the chunk is out whole or not at all', async () => {
  const { stream, chunks, release } = stalledStream();
  const sink = new NdjsonSink(stream);
  assert.equal(
    sink.writeLines((lines) => {
      lines.append('{"a":1}\n');
      return 1;
    }),
    undefined,
  );
  assert.throws(
    () =>
      sink.writeLines((lines) => {
        lines.append('{"half":"of a chunk"}\n');
        throw new RangeError('row 2 failed');
      }),
    RangeError,
  );
  // Lines bigger than the buffer's start size, with multi-byte characters: it grows, bytes intact.
  const big = `{"s":"${'é€😀'.repeat(60_000)}"}\n`;
  sink.writeLines((lines) => {
    lines.append(big);
    return 1;
  });
  const flushed = sink.flush();
  release();
  await flushed;
  assert.equal(chunks.join(''), `{"a":1}\n${big}`);
  assert.equal(sink.rows, 2);
  assert.equal(sink.bytes, Buffer.byteLength(`{"a":1}\n${big}`));
});

test('a slow reader and one small write a turn: the memory pending writes hold stays near what the stream counts', async () => {
  // The bytes each write holds alive are its whole ArrayBuffer, not the slice written: count
  // every distinct backing buffer the stream was handed (the reader takes none of them).
  for (const via of ['writeLines', 'writeText'] as const) {
    const { stream, release } = stalledStream();
    const backing = new Set<ArrayBufferLike>();
    const write = stream.write.bind(stream) as (chunk: Buffer, callback: (err?: Error | null) => void) => boolean;
    (stream as unknown as { write: typeof write }).write = (chunk, callback) => {
      backing.add(chunk.buffer);
      return write(chunk, callback);
    };
    const sink = new NdjsonSink(stream);
    const line = '{"id":1,"name":"a small row of about eighty bytes of json text ......."}\n';
    for (let i = 0; i < 200; i++) {
      const waited = via === 'writeLines' ? sink.writeLines((lines) => (lines.append(line), 1)) : sink.writeText(line, 1);
      assert.equal(waited, undefined, 'far below the pending bound: no write waits');
      await new Promise((resolve) => setImmediate(resolve));
    }
    const pending = stream.writableLength;
    assert.equal(pending, 200 * line.length, `${via}: every line was handed to the stream, one write a turn`);
    let held = 0;
    for (const buffer of backing) held += buffer.byteLength;
    // Four times what is pending, plus Node's 8 KiB pool slabs the small copies come from.
    assert.ok(held <= 4 * pending + 64 * 1024, `${via}: ${held} bytes of ArrayBuffers held for ${pending} bytes pending`);
    // The reader catches up: every write is taken, one a turn as the stream hands them on.
    let flushed = false;
    void Promise.resolve(sink.flush()).then(() => (flushed = true));
    for (let turn = 0; turn < 1000 && !flushed; turn++) {
      release();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(flushed, `${via}: flush resolves once the reader took everything`);
  }
});

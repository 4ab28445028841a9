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

test('a full stream makes write wait for drain, and flush wait until the stream took every row', async () => {
  const { stream, chunks, release } = stalledStream();
  const sink = new NdjsonSink(stream);
  const rows = Array.from({ length: 5000 }, (_, id) => ({ id, pad: 'x'.repeat(10) })); // > 64 KiB of NDJSON
  const written = sink.write(rows);
  assert.ok(written !== undefined, 'write returns a promise while the stream is full');
  assert.equal(await settled(written), false);
  const flushed = sink.flush();
  assert.equal(await settled(flushed), false, 'flush waits for the stream to take the rows');
  release();
  assert.equal(await settled(written), true);
  assert.equal(await settled(flushed), true);
  const text = chunks.join('');
  assert.equal(text.split('\n').length - 1, 5000);
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

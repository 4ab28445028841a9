/**
 * The worker thread's side of {@link DecodePool}: decodes byte ranges of files with a format
 * rebuilt from its {@link FormatSpec}, and posts the rows back batch by batch, at most `window`
 * batches ahead of the main thread's acknowledgments. Run only as a worker (`startDecodeWorker`).
 */
import { open } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import { SourceError } from '../core/SourceError.js';
import { FileByteInput } from '../connectors/fs/FileByteInput.js';
import { createFormat } from '../formats/createFormat.js';
import type { DecodeContext, DecodedBatch, Format, StreamDecoder } from '../formats/Format.js';
import { packRows } from './packedRows.js';
import { bareMessage, type DecodeTask, type FromWorker, type ToWorker, type WorkerBadRecord } from './decodeProtocol.js';

const port = parentPort;
if (port === null) throw new Error('decodeWorker runs only as a worker thread');

const LF = 10;

/** Formats built so far, by their spec's JSON (a pool decodes many ranges of few formats). */
const formats = new Map<string, Format>();

interface Running {
  readonly task: DecodeTask;
  cancelled: boolean;
  /** Batches sent and not yet acknowledged. */
  unacked: number;
  wake: (() => void) | undefined;
}
const running = new Map<number, Running>();

const post = (message: FromWorker, transfer?: ArrayBuffer[]): void => port.postMessage(message, transfer);

port.on('message', (message: ToWorker) => {
  if (message.type === 'task') {
    const state: Running = { task: message, cancelled: false, unacked: 0, wake: undefined };
    running.set(message.id, state);
    run(state).then(
      () => running.delete(message.id),
      (err: unknown) => {
        running.delete(message.id);
        if (state.cancelled) return;
        const failure: FromWorker =
          err instanceof SourceError
            ? { type: 'failed', id: message.id, message: err.message, location: { source: err.source, ...(err.split === undefined ? {} : { split: err.split }), ...(err.offset === undefined ? {} : { offset: err.offset }) } }
            : { type: 'failed', id: message.id, message: err instanceof Error ? err.message : String(err), ...(err instanceof Error && err.stack !== undefined ? { stack: err.stack } : {}) };
        post(failure);
      },
    );
    return;
  }
  const state = running.get(message.id);
  if (state === undefined) return;
  if (message.type === 'ack') state.unacked--;
  else state.cancelled = true;
  state.wake?.();
});

async function run(state: Running): Promise<void> {
  const { task } = state;
  const key = JSON.stringify(task.format);
  let format = formats.get(key);
  if (format === undefined) {
    format = createFormat(task.format.name, task.format.options, task.format.columns);
    formats.set(key, format);
  }
  if (format.openStream === undefined) throw new Error(`format '${task.format.name}' cannot decode files`);
  const input = new FileByteInput(task.path, task.readBufferBytes);
  try {
    const start = task.startAfter === undefined ? task.start : String(await lineStartAtOrAfter(task.path, task.startAfter));
    let bad: WorkerBadRecord[] = [];
    // Records before the start that opening decodes (CSV's header read) are not this range's.
    let opening = true;
    const context: DecodeContext = {
      source: task.source,
      splitId: task.split,
      // Never throws here: the main thread applies the policy (`fail` included) when it delivers the batch.
      badRecords: {
        policy: task.policy,
        handle(error, raw) {
          if (opening) return;
          const loss = error as { records?: number; bytes?: number };
          bad.push({
            message: bareMessage(error),
            location: { source: error.source, ...(error.split === undefined ? {} : { split: error.split }), ...(error.offset === undefined ? {} : { offset: error.offset }), ...(error.line === undefined ? {} : { line: error.line }), ...(error.lineFrom === undefined ? {} : { lineFrom: error.lineFrom }) },
            ...(loss.records === undefined || loss.records === 1 ? {} : { records: loss.records }),
            ...(loss.bytes === undefined ? {} : { bytes: loss.bytes }),
            raw: raw === null ? null : Uint8Array.from(raw),
          });
        },
      },
    };
    const decoder: StreamDecoder = await format.openStream(input, start, context);
    opening = false;
    const startOffset = String(decoder.startByte);
    post({ type: 'started', id: task.id, start: startOffset });
    let from = startOffset;
    let batches = 0;
    let keys: string[] | undefined;
    const send = async (batch: DecodedBatch, read: number): Promise<void> => {
      if (batch.rows.length === 0 && bad.length === 0 && batch.nextOffset === from) return;
      const fault = task.fault;
      if (fault !== undefined && batches >= fault.afterBatches) {
        if (fault.kind === 'exit') process.exit(70);
        throw new Error(`injected fault after ${batches} batches`);
      }
      batches++;
      state.unacked++;
      // CSV rows all have the header's (or the declared) columns, in order: pack them.
      const first = batch.rows[0];
      if (task.format.name === 'csv' && first !== undefined) keys ??= Object.keys(first);
      const packed = keys === undefined ? undefined : packRows(batch.rows, keys);
      post({ type: 'batch', id: task.id, rows: packed ?? batch.rows, offset: batch.offset, from, nextOffset: batch.nextOffset, read, bad }, packed === undefined ? undefined : [packed.lengths.buffer as ArrayBuffer]);
      bad = [];
      from = batch.nextOffset;
      while (state.unacked >= task.window && !state.cancelled) await new Promise<void>((r) => (state.wake = r));
      state.wake = undefined;
    };
    let at = decoder.startByte;
    const end = task.end;
    /** Line breaks in the bytes pushed: where the next range's line numbers continue. */
    let lineBreaks = 0;
    if (end !== undefined && at >= end) {
      post({ type: 'done', id: task.id, end: startOffset, lineBreaks });
      return;
    }
    for await (const bytes of input.stream(at, end)) {
      if (state.cancelled) return;
      at += bytes.length;
      for (let i = bytes.indexOf(LF); i !== -1; i = bytes.indexOf(LF, i + 1)) lineBreaks++;
      await send(decoder.push(bytes), at);
    }
    if (state.cancelled) return;
    if (end !== undefined && Number(from) < end) {
      // The record under `end` started before it: read on, a line at a time, until a record ends.
      outer: for await (const bytes of input.stream(at)) {
        let piece = 0;
        while (piece < bytes.length) {
          const nl = bytes.indexOf(LF, piece);
          const stop = nl === -1 ? bytes.length : nl + 1;
          if (nl !== -1) lineBreaks++;
          const batch = decoder.push(bytes.subarray(piece, stop));
          at += stop - piece;
          piece = stop;
          await send(batch, at);
          if (state.cancelled) return;
          if (Number(from) >= end) break outer;
        }
      }
    }
    if (end === undefined || Number(from) < end) await send(decoder.end(), at);
    if (state.cancelled) return;
    // Bytes pushed past the last record's end (a stray quote's lines the parser looked at before
    // resuming after its first line) are the next range's: so are their line breaks.
    if (at > Number(from)) lineBreaks -= await lineBreaksIn(task.path, Number(from), at);
    post({ type: 'done', id: task.id, end: from, lineBreaks });
  } finally {
    input.close();
  }
}

/** Line breaks in `[start, end)` of the file at `path`. */
async function lineBreaksIn(path: string, start: number, end: number): Promise<number> {
  let count = 0;
  const input = new FileByteInput(path);
  try {
    for await (const bytes of input.stream(start, end)) for (let i = bytes.indexOf(LF); i !== -1; i = bytes.indexOf(LF, i + 1)) count++;
  } finally {
    input.close();
  }
  return count;
}

/**
 * The first byte at or after `byte` that starts a line: `byte` itself when the byte before it is
 * a line break, else the byte after the next line break (the file's size when there is none).
 */
async function lineStartAtOrAfter(path: string, byte: number): Promise<number> {
  if (byte <= 0) return 0;
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    let at = byte - 1;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, at);
      if (bytesRead === 0) return at;
      const nl = buffer.subarray(0, bytesRead).indexOf(LF);
      if (nl !== -1) return at + nl + 1;
      at += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

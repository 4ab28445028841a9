import type { Worker } from 'node:worker_threads';
import type { DecodeTask, FromWorker, ToWorker, WorkerBatch } from './decodeProtocol.js';
import { startDecodeWorker } from './startDecodeWorker.js';

/** What a task's owner hears back, in the order the worker sent it. */
export interface DecodeListener {
  /** Where decoding really began (a record start), before any batch. */
  started(start: string): void;
  /** Rows may be packed (`unpackRows`): unpack them when delivering, not while they wait (a few large objects age in the heap cheaply, a million small ones do not). */
  batch(batch: WorkerBatch): void;
  /** The range is decoded; `end` is where its last record ended (the next record's start), after `lineBreaks` line breaks. */
  done(end: string, lineBreaks: number): void;
  /** The task failed in the worker (`location` when the error named one), or the thread died. */
  failed(error: Error, location?: WorkerFailure['location']): void;
}

/** The fields of a failure the worker reports. */
export type WorkerFailure = Extract<FromWorker, { type: 'failed' }>;

/** A submitted task. */
export interface DecodeHandle {
  /** The owner has delivered one batch: the worker may decode one more. */
  ack(): void;
  /** Stop the task (queued or running); its listener hears nothing more. */
  cancel(): void;
}

/** Options of {@link DecodePool}. */
export interface DecodePoolOptions {
  /** Starts a worker thread; `startDecodeWorker` by default (a seam for tests). */
  readonly start?: () => Worker;
}

interface Slot {
  readonly worker: Worker;
  task: number | undefined;
}

interface Pending {
  readonly task: DecodeTask;
  readonly listener: DecodeListener;
  slot: Slot | undefined;
  ended: boolean;
}

/**
 * A fixed number of worker threads that decode byte ranges of files (see `decodeWorker`), one
 * task per thread at a time, tasks served in submission order. Threads start when the first task
 * needs one and are stopped when the last user releases the pool (`acquire`); an idle thread does
 * not keep the process alive. A thread that dies fails its task (the owner names source, split
 * and position) and is replaced for the next one.
 *
 * @example
 * const pool = new DecodePool(2);
 * const release = pool.acquire();
 * const handle = pool.submit({ path, format: { name: 'csv', options: {} }, source: 's', split: 'a.csv', start: null, readBufferBytes: 262144, window: 8 }, false, listener);
 * // ... listener.batch(b) -> deliver, then handle.ack(); finally release()
 */
export class DecodePool {
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #tasks = new Map<number, Pending>();
  readonly #start: () => Worker;
  #nextId = 1;
  #users = 0;

  constructor(
    /** Worker threads at most. */
    readonly size: number,
    options: DecodePoolOptions = {},
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a decode pool needs at least one thread, not ${size}`);
    this.#start = options.start ?? startDecodeWorker;
  }

  /** Registers a user; the returned function (idempotent) unregisters it, and the last one stops the threads. */
  acquire(): () => void {
    this.#users++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#users === 0) this.#stopIdle();
    };
  }

  /** Queues `task` (`first`: ahead of every queued one); `listener` hears its progress. */
  submit(task: Omit<DecodeTask, 'type' | 'id'>, first: boolean, listener: DecodeListener): DecodeHandle {
    const pending: Pending = { task: { ...task, type: 'task', id: this.#nextId++ }, listener, slot: undefined, ended: false };
    this.#tasks.set(pending.task.id, pending);
    if (first) this.#queue.unshift(pending);
    else this.#queue.push(pending);
    this.#dispatch();
    return {
      ack: () => {
        if (!pending.ended) pending.slot?.worker.postMessage({ type: 'ack', id: pending.task.id } satisfies ToWorker);
      },
      cancel: () => {
        if (pending.ended) return;
        if (pending.slot !== undefined) pending.slot.worker.postMessage({ type: 'cancel', id: pending.task.id } satisfies ToWorker);
        else this.#queue.splice(this.#queue.indexOf(pending), 1);
        this.#end(pending);
      },
    };
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => s.task === undefined);
      if (slot === undefined && this.#slots.length < this.size) slot = this.#spawn();
      if (slot === undefined) return;
      const pending = this.#queue.shift() as Pending;
      pending.slot = slot;
      slot.task = pending.task.id;
      slot.worker.ref();
      slot.worker.postMessage(pending.task satisfies ToWorker);
    }
  }

  #spawn(): Slot {
    const worker = this.#start();
    const slot: Slot = { worker, task: undefined };
    this.#slots.push(slot);
    worker.on('message', (message: FromWorker) => {
      const pending = this.#tasks.get(message.id);
      if (pending === undefined || pending.ended) return;
      switch (message.type) {
        case 'started':
          pending.listener.started(message.start);
          return;
        case 'batch':
          pending.listener.batch(message);
          return;
        case 'done':
          this.#end(pending);
          pending.listener.done(message.end, message.lineBreaks);
          return;
        case 'failed': {
          this.#end(pending);
          const error = new Error(message.message);
          if (message.stack !== undefined) error.stack = message.stack;
          pending.listener.failed(error, message.location);
          return;
        }
      }
    });
    const died = (why: string): void => {
      const at = this.#slots.indexOf(slot);
      if (at === -1) return;
      this.#slots.splice(at, 1);
      const pending = slot.task === undefined ? undefined : this.#tasks.get(slot.task);
      if (pending !== undefined && !pending.ended) {
        this.#end(pending);
        pending.listener.failed(new Error(`the decode worker thread died (${why})`));
      }
      this.#dispatch();
    };
    worker.on('error', (err: Error) => died(`uncaught ${err.name}: ${err.message}`));
    worker.on('exit', (code) => died(`exit code ${code}`));
    return slot;
  }

  /** The task is over for its owner: free its thread (cancelled tasks stop at their next step). */
  #end(pending: Pending): void {
    pending.ended = true;
    this.#tasks.delete(pending.task.id);
    const slot = pending.slot;
    if (slot !== undefined && slot.task === pending.task.id) {
      slot.task = undefined;
      slot.worker.unref();
    }
    if (this.#users === 0) this.#stopIdle();
    else this.#dispatch();
  }

  #stopIdle(): void {
    if (this.#users > 0) return;
    for (const slot of [...this.#slots]) {
      if (slot.task !== undefined) continue;
      this.#slots.splice(this.#slots.indexOf(slot), 1);
      void slot.worker.terminate();
    }
  }
}

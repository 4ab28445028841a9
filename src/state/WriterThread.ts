import type { Worker } from 'node:worker_threads';

/** One durable file replace, as {@link WriterThread.write} hands it to the thread. */
export interface ReplaceJob {
  /** The temporary file to create (exclusively), write and fsync. */
  readonly temp: string;
  /** The file `temp` is renamed over. */
  readonly file: string;
  /** The directory fsynced after the rename (skipped on Windows). */
  readonly dir: string;
  readonly text: string;
}

/**
 * What runs in the thread: the same synchronous calls as FileStore's blocking write, in the same
 * order (create `wx`, write, fsync, close, rename, fsync the directory; the temporary file removed
 * on failure), so a kill at any moment leaves the old or the new file, as a blocking write does.
 * CommonJS source for `eval: true`: no file to find, whether tributary runs built or under tsx.
 */
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
parentPort.on('message', ({ id, temp, file, dir, text }) => {
  try {
    try {
      const fd = fs.openSync(temp, 'wx');
      try {
        fs.writeFileSync(fd, text, 'utf8');
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(temp, file);
    } catch (err) {
      try { fs.rmSync(temp, { force: true }); } catch {}
      throw err;
    }
    if (process.platform !== 'win32') {
      const dfd = fs.openSync(dir, 'r');
      try { fs.fsyncSync(dfd); } finally { fs.closeSync(dfd); }
    }
    parentPort.postMessage({ id });
  } catch (err) {
    parentPort.postMessage({ id, message: err && err.message ? String(err.message) : String(err), code: err && err.code });
  }
});
`;

interface Reply {
  readonly id: number;
  readonly message?: string;
  readonly code?: string;
}

/**
 * A thread of a FileStore's own that performs its durable writes, so that the two fsyncs of a
 * checkpoint wait on another thread while the event loop goes on decoding (a source holds its
 * output while a checkpoint is written, but its readers keep reading and decoding into the queue,
 * which then goes out at once). The event loop pays one message each way per write, not the eight
 * loop turns of `blockingWrites: false`.
 *
 * The thread starts on first use and takes writes only once it is up: until then {@link available}
 * is false and the store writes on its own thread (a short run, or the first checkpoint, never
 * waits for a thread to start). It keeps the process alive only while a write is in flight. If it
 * dies, the write in flight is rejected and {@link available} stays false for good (the store
 * writes blocking).
 *
 * @example
 * const thread = new WriterThread(() => import('node:worker_threads'));
 * if (thread.available()) await thread.write({ temp, file, dir, text });
 * else writeBlocking(text);
 * await thread.close();
 */
export class WriterThread {
  #worker: Worker | undefined;
  #starting = false;
  #online = false;
  #dead = false;
  #nextId = 0;
  readonly #inFlight = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();

  constructor(private readonly load: () => Promise<typeof import('node:worker_threads')>) {}

  /** Whether {@link write} can go to the thread now; the first call starts the thread. */
  available(): boolean {
    if (!this.#online && !this.#starting && !this.#dead) this.#start();
    return this.#online && !this.#dead;
  }

  /** Performs `job` on the thread; rejects with an Error carrying the system error's `code`. */
  write(job: ReplaceJob): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined || this.#dead) return Promise.reject(new Error('the writer thread is not running'));
    const id = ++this.#nextId;
    return new Promise<void>((resolve, reject) => {
      this.#inFlight.set(id, { resolve, reject });
      if (this.#inFlight.size === 1) worker.ref();
      worker.postMessage({ id, ...job });
    });
  }

  /** Stops the thread (after the caller's writes settled); harmless if it never started. */
  async close(): Promise<void> {
    this.#dead = true;
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  #start(): void {
    this.#starting = true;
    this.load().then(
      ({ Worker }) => {
        if (this.#dead) return;
        const worker = new Worker(THREAD_SOURCE, { eval: true });
        this.#worker = worker;
        worker.unref();
        worker.once('online', () => {
          this.#starting = false;
          this.#online = true;
        });
        worker.on('message', (reply: Reply) => this.#settle(reply));
        worker.once('error', (err) => this.#die(err));
        worker.once('exit', (code) => this.#die(new Error(`the writer thread exited (code ${code})`)));
      },
      (err: unknown) => this.#die(err instanceof Error ? err : new Error(String(err))),
    );
  }

  #settle(reply: Reply): void {
    const pending = this.#inFlight.get(reply.id);
    if (pending === undefined) return;
    this.#inFlight.delete(reply.id);
    if (this.#inFlight.size === 0) this.#worker?.unref();
    if (reply.message === undefined) pending.resolve();
    else pending.reject(Object.assign(new Error(reply.message), reply.code === undefined ? {} : { code: reply.code }));
  }

  #die(err: Error): void {
    this.#dead = true;
    this.#starting = false;
    this.#worker = undefined;
    for (const pending of this.#inFlight.values()) pending.reject(err);
    this.#inFlight.clear();
  }
}

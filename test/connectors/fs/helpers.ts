import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { commitEpochs } from '../../../src/core/commitEpochs.js';
import type { Source } from '../../../src/core/Source.js';
import type { Chunk, SourceEvent } from '../../../src/core/SourceEvent.js';
import type { Row } from '../../../src/formats/Format.js';

/** A fresh directory under the OS temp dir, removed after the test. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-fs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Generous: tests wait for conditions, never for time; this only bounds a hang. */
export const WAIT_MS = 20_000;

/** Resolves when `condition()` holds, polling every few ms; rejects after `timeoutMs` naming `what`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A running pipeline `source.pipe(commitEpochs(source))`, recording what comes out. */
export interface Run<T> {
  readonly events: SourceEvent<T>[];
  /** Records in order of arrival. */
  readonly records: T[];
  /** Records that arrived before the last barrier (what a restart must not repeat). */
  readonly committedRecords: () => T[];
  readonly done: Promise<void>;
  readonly error: () => unknown;
  readonly completed: () => boolean;
  readonly subscription: Subscription;
}

/** Subscribes to `source` through `commitEpochs`; `done` settles on completion or error. */
export function run<T>(source: Source<T>, pipeline?: (events: Observable<SourceEvent<T>>) => Observable<SourceEvent<T>>): Run<T> {
  const events: SourceEvent<T>[] = [];
  const records: T[] = [];
  let error: unknown;
  let completed = false;
  let lastBarrierAt = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const subscription = (pipeline === undefined ? source : source.pipe(pipeline)).pipe(commitEpochs(source)).subscribe({
    next: (event) => {
      events.push(event);
      if (event.type === 'chunk') records.push(...event.records);
      else lastBarrierAt = records.length;
    },
    error: (err: unknown) => {
      error = err;
      resolveDone();
    },
    complete: () => {
      completed = true;
      resolveDone();
    },
  });
  return {
    events,
    records,
    committedRecords: () => records.slice(0, lastBarrierAt),
    done,
    error: () => error,
    completed: () => completed,
    subscription,
  };
}

/** Runs a bounded source to completion and returns its records; fails on a source error. */
export async function readAll<T>(source: Source<T>): Promise<T[]> {
  const r = run(source);
  await r.done;
  if (r.error() !== undefined) throw r.error();
  return r.records;
}

/** Records per split, in order. */
export function bySplit<T>(events: readonly SourceEvent<T>[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const e of events) {
    if (e.type !== 'chunk') continue;
    const list = out.get(e.splitId) ?? [];
    list.push(...(e as Chunk<T>).records);
    out.set(e.splitId, list);
  }
  return out;
}

/** A barrier trigger for a source: `next()` requests a checkpoint. */
export function barrierTrigger(): Subject<void> {
  return new Subject<void>();
}

/** NDJSON text of `rows`. */
export function ndjson(rows: readonly Row[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}

/**
 * Runs `source` until `afterChunks` chunks have arrived, requests a checkpoint right then (from
 * within the subscriber, so no timing is involved), and "crashes" (unsubscribes) as soon as the
 * barrier is through. Returns the records committed by that checkpoint, per split.
 */
export async function crashAfterCheckpoint<T>(source: Source<T>, barriers: Subject<void>, afterChunks: number): Promise<Map<string, T[]>> {
  const events: SourceEvent<T>[] = [];
  let chunks = 0;
  let stopped = false;
  let subscription: Subscription | undefined;
  await new Promise<void>((resolve, reject) => {
    subscription = source.pipe(commitEpochs(source)).subscribe({
      next: (event) => {
        if (stopped) return;
        events.push(event);
        if (event.type === 'chunk' && event.records.length > 0 && ++chunks === afterChunks) barriers.next();
        if (event.type === 'barrier' && chunks >= afterChunks) {
          stopped = true;
          resolve();
        }
      },
      error: reject,
      complete: () => reject(new Error(`the source completed before ${afterChunks} chunks`)),
    });
  });
  subscription?.unsubscribe();
  return bySplit(events);
}

import type { Observable } from 'rxjs';
import type { SourceEvent } from '../../src/core/SourceEvent.js';
import type { SourceMessage } from '../../src/core/SourceMessage.js';

/** `value` of a raw message as text. */
export function text(message: SourceMessage): string {
  return message.payload === null ? '<null>' : Buffer.from(message.payload).toString('utf8');
}

/**
 * Subscribes to `events` and collects the records of its chunks until `done(records)` holds,
 * then unsubscribes. Rejects on error; resolves early if the source completes.
 */
export function readUntil<T>(events: Observable<SourceEvent<T>>, done: (records: readonly T[]) => boolean): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const records: T[] = [];
    let finished = false;
    const subscription = events.subscribe({
      next: (event) => {
        if (finished || event.type !== 'chunk') return;
        records.push(...event.records);
        if (done(records)) {
          finished = true;
          queueMicrotask(() => subscription.unsubscribe());
          resolve(records);
        }
      },
      error: (err: unknown) => {
        finished = true;
        reject(err);
      },
      complete: () => {
        finished = true;
        resolve(records);
      },
    });
    if (finished) subscription.unsubscribe();
  });
}

/** Collects every event until the source completes (bounded sources). */
export function readAll<T>(events: Observable<SourceEvent<T>>): Promise<SourceEvent<T>[]> {
  return new Promise((resolve, reject) => {
    const all: SourceEvent<T>[] = [];
    events.subscribe({ next: (e) => all.push(e), error: reject, complete: () => resolve(all) });
  });
}

/** Groups raw messages by split id, as text, in arrival order. */
export function bySplit(messages: readonly SourceMessage[]): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const m of messages) {
    const list = result.get(m.splitId) ?? [];
    list.push(text(m));
    result.set(m.splitId, list);
  }
  return result;
}

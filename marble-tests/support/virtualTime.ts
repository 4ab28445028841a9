import assert from 'node:assert/strict';
import { setImmediate as nextMacrotask, setTimeout as realDelay } from 'node:timers/promises';
import type { Observable, ObservableNotification } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

/**
 * Virtual time for code that awaits promises between scheduled steps (the connector base's fetch
 * loops, an enumerator listing a real directory). `TestScheduler.run` flushes synchronously, so
 * a promise continuation would only run after the whole flush; here time moves one due action at
 * a time, and promise continuations (and, when asked, real I/O) settle in between. The clock
 * stands still while they settle, so every emission is stamped with the exact virtual frame of
 * the timer that caused it, however slow the machine.
 */
export class VirtualClock {
  readonly scheduler = new TestScheduler((actual, expected) => assert.deepStrictEqual(actual, expected));

  /** @param settleMs Real milliseconds to let I/O run after each step (0: promise continuations only). */
  constructor(private readonly settleMs = 0) {}

  now(): number {
    return this.scheduler.now();
  }

  /** Lets pending promise continuations (and, with `settleMs`, real I/O) run, without moving the clock. */
  async settle(): Promise<void> {
    if (this.settleMs > 0) await realDelay(this.settleMs);
    for (let i = 0; i < 10; i++) await nextMacrotask();
  }

  /** Moves the clock to `frame`, running the actions due on the way one frame at a time. */
  async advanceTo(frame: number): Promise<void> {
    const { scheduler } = this;
    for (;;) {
      await this.settle();
      const next = scheduler.actions[0];
      if (next === undefined || next.delay > frame) break;
      scheduler.maxFrames = next.delay;
      scheduler.flush();
    }
    scheduler.frame = Math.max(scheduler.frame, frame);
    await this.settle();
  }

  /** Waits (in real time, bounded) until `done()` holds, the clock standing still meanwhile. */
  async until(done: () => boolean, what: string, realMs = 5_000): Promise<void> {
    const deadline = Date.now() + realMs;
    while (!done()) {
      if (Date.now() > deadline) assert.fail(`timed out after ${realMs} ms (real) at virtual frame ${this.now()} waiting for ${what}`);
      await realDelay(5);
    }
  }

  /** Subscribes to `source` and records its notifications with their virtual frames. */
  record<T>(source: Observable<T>): Recording<T> {
    const messages: { frame: number; notification: ObservableNotification<T> }[] = [];
    const subscription = source.subscribe({
      next: (value) => messages.push({ frame: this.now(), notification: { kind: 'N', value } }),
      error: (error: unknown) => messages.push({ frame: this.now(), notification: { kind: 'E', error } }),
      complete: () => messages.push({ frame: this.now(), notification: { kind: 'C' } }),
    });
    return { messages, unsubscribe: () => subscription.unsubscribe() };
  }
}

/** What {@link VirtualClock.record} returns. */
export interface Recording<T> {
  readonly messages: { frame: number; notification: ObservableNotification<T> }[];
  unsubscribe(): void;
}

/**
 * Asserts a recording against a marble diagram in `TestScheduler.run` syntax (`a 199ms b|`, one
 * frame a character, a frame a millisecond). `error` is compared with `errorMatches` when given
 * (errors are compared by a predicate: their messages are what matters).
 */
export function expectMarbles<T>(
  recording: Recording<T>,
  marbles: string,
  values?: Record<string, T>,
  errorMatches?: (err: unknown) => boolean,
): void {
  const previous = TestScheduler.frameTimeFactor;
  TestScheduler.frameTimeFactor = 1;
  let expected;
  try {
    expected = TestScheduler.parseMarbles(marbles, values, 'error', false, true);
  } finally {
    TestScheduler.frameTimeFactor = previous;
  }
  const flat = (frame: number, n: { kind: string; value?: unknown; error?: unknown }): Record<string, unknown> =>
    n.kind === 'N' ? { frame, kind: 'N', value: n.value } : n.kind === 'E' ? { frame, kind: 'E', error: n.error } : { frame, kind: 'C' };
  const actual = recording.messages.map(({ frame, notification }) => {
    if (notification.kind !== 'E') return flat(frame, notification);
    if (errorMatches !== undefined && !errorMatches(notification.error)) {
      assert.fail(`the error at frame ${frame} does not match: ${String(notification.error)}`);
    }
    return flat(frame, { kind: 'E', error: 'error' });
  });
  assert.deepStrictEqual(actual, expected.map(({ frame, notification }) => flat(frame, notification)));
}

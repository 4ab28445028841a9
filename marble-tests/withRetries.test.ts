import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffDelay } from '../src/connectors/base/backoff.js';
import { RetriesExhaustedError } from '../src/connectors/base/RetriesExhaustedError.js';
import type { RetryPolicy } from '../src/connectors/base/RetryBudget.js';
import { sleep } from '../src/connectors/base/sleep.js';
import { withRetries } from '../src/connectors/base/withRetries.js';
import { VirtualClock } from './support/virtualTime.js';

// The base's retry call and sleep in virtual time: per-kind budgets, backoff times, abort.

const failure = (name: string): Error => Object.assign(new Error(`${name} happened`), { name });
const policy = (events: string[] = []): RetryPolicy => ({
  classify: (err) => ((err as Error).name === 'Throttled' ? 'throttled' : (err as Error).name === 'Reset' ? 'transient' : null),
  retries: { throttled: 3, transient: 1 },
  backoff: { baseMs: 100, maxMs: 250 },
  onRetry: (e) => events.push(`${e.kind}#${e.attempt}+${e.delayMs}`),
});

/** A call failing with the scripted errors in turn, then answering 'ok'; records its virtual frames. */
function scripted(clock: VirtualClock, errors: Error[]) {
  const at: number[] = [];
  return {
    at,
    call: async (): Promise<string> => {
      at.push(clock.now());
      const err = errors.shift();
      if (err !== undefined) throw err;
      return 'ok';
    },
  };
}

describe('withRetries and sleep (connector base, virtual time)', () => {
  test('each kind draws on its own budget; the backoff doubles per kind and is capped', async () => {
    const clock = new VirtualClock();
    const events: string[] = [];
    const call = scripted(clock, [failure('Throttled'), failure('Reset'), failure('Throttled'), failure('Throttled')]);
    const result = withRetries(call.call, policy(events), { signal: new AbortController().signal, scheduler: clock.scheduler });
    await clock.advanceTo(2_000);
    assert.equal(await result, 'ok');
    assert.deepEqual(events, ['throttled#1+100', 'transient#1+100', 'throttled#2+200', 'throttled#3+250']);
    assert.deepEqual(call.at, [0, 100, 200, 400, 650]);
  });

  test('a spent budget throws RetriesExhaustedError with the attempts; an unclassified error is rethrown at once', async () => {
    const clock = new VirtualClock();
    const call = scripted(clock, [failure('Reset'), failure('Reset')]);
    const result = withRetries(call.call, policy(), { signal: new AbortController().signal, scheduler: clock.scheduler }).catch((e: unknown) => e);
    await clock.advanceTo(1_000);
    const err = await result;
    assert.ok(err instanceof RetriesExhaustedError);
    assert.equal(err.attempts, 2);
    assert.equal(err.name, 'Reset');
    assert.deepEqual(call.at, [0, 100]);

    const fatal = scripted(clock, [failure('Denied')]);
    const denied = await withRetries(fatal.call, policy(), { signal: new AbortController().signal, scheduler: clock.scheduler }).catch((e: unknown) => e);
    assert.equal((denied as Error).name, 'Denied');
    assert.equal(fatal.at.length, 1);
  });

  test('aborting during a backoff ends it at once, rethrowing the last error, and leaves no timer', async () => {
    const clock = new VirtualClock();
    const abort = new AbortController();
    const call = scripted(clock, [failure('Throttled'), failure('Throttled')]);
    const result = withRetries(call.call, policy(), { signal: abort.signal, scheduler: clock.scheduler }).catch((e: unknown) => e);
    await clock.advanceTo(50);
    abort.abort();
    const err = await result;
    assert.equal((err as Error).name, 'Throttled');
    assert.deepEqual(call.at, [0]);
    assert.equal(clock.scheduler.actions.length, 0);
  });

  test('sleep resolves at its virtual time, at once for 0, and on abort', async () => {
    const clock = new VirtualClock();
    const woke: number[] = [];
    const abort = new AbortController();
    void sleep(30, new AbortController().signal, clock.scheduler).then(() => woke.push(clock.now()));
    void sleep(0, new AbortController().signal, clock.scheduler).then(() => woke.push(clock.now()));
    void sleep(1_000, abort.signal, clock.scheduler).then(() => woke.push(-clock.now()));
    await clock.advanceTo(10);
    abort.abort();
    await clock.advanceTo(100);
    assert.deepEqual(woke, [0, -10, 30]);
  });

  test('backoffDelay: exponential, capped, equal jitter between half and all of it', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffDelay(n, { baseMs: 200, maxMs: 1_000 })), [200, 400, 800, 1_000, 1_000]);
    assert.equal(backoffDelay(3, { baseMs: 100, maxMs: 5_000, jitter: 'equal', random: () => 0 }), 200);
    assert.equal(backoffDelay(3, { baseMs: 100, maxMs: 5_000, jitter: 'equal', random: () => 0.999 }), 400);
    assert.equal(backoffDelay(1, { baseMs: 0, maxMs: 5_000 }), 1, 'never a zero delay: a retry storm against a failing server');
  });
});
